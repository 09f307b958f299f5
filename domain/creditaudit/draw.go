package creditaudit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"

	"github.com/hbte/record/domain/credit"
)

// Algorithm names the draw below; a changed draw gets a new name.
const Algorithm = "hmac-sha256/v1"

// MaxSample bounds a sample, which its event lists in full.
const MaxSample = 500

// canonical sorts the population by entry id and drops repeats.
func canonical(pop []Candidate) []Candidate {
	out := slices.Clone(pop)
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.EntryID.String(), b.EntryID.String()) })
	return slices.CompactFunc(out, func(a, b Candidate) bool { return a.EntryID == b.EntryID })
}

// PopulationDigest is the hex SHA-256 of the population's sorted entry
// ids, each followed by a newline.
func PopulationDigest(pop []Candidate) string {
	h := sha256.New()
	for _, c := range canonical(pop) {
		h.Write([]byte(c.EntryID.String() + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SampleSize is how many entries a draw takes from a population of n: a
// share (percent, at most one decimal place) rounds up, ceil(n × share /
// 100), so a share of an audited population is never less than asked; a
// count is taken as it is; never more than n or MaxSample.
func SampleSize(n int, sharePercent credit.Quantity, count int) int {
	k := count
	if sharePercent.Sign() > 0 {
		tenths := int64(math.Round(sharePercent.Float() * 10)) // exact: one decimal place
		k = int(ceilDiv(int64(n)*tenths, 1000))
	}
	return max(0, min(k, n, MaxSample))
}

// Select is the draw: the population ordered by HMAC-SHA256(seed, id),
// the first k. Deterministic in (seed, the population as a set).
func Select(seed string, pop []Candidate, k int) []Candidate {
	c := canonical(pop)
	type ranked struct {
		mac []byte
		c   Candidate
	}
	rs := make([]ranked, len(c))
	for i, x := range c {
		m := hmac.New(sha256.New, []byte(seed))
		m.Write([]byte(x.EntryID.String()))
		rs[i] = ranked{mac: m.Sum(nil), c: x}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return bytes.Compare(a.mac, b.mac) })
	k = max(0, min(k, len(rs)))
	out := make([]Candidate, k)
	for i := range k {
		out[i] = rs[i].c
	}
	return out
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
