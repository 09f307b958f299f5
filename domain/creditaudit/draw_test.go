package creditaudit

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

func population(n int) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{
			EntryID:   uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint("entry", i))),
			TeacherID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint("teacher", i%7))),
			Key:       fmt.Sprintf("import:old:%d", i), Kind: credit.SourceImport,
		}
	}
	return out
}

func ids(cs []Candidate) []uuid.UUID {
	out := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		out[i] = c.EntryID
	}
	return out
}

// The same seed over the same population (in any order, with repeats)
// gives the same sample; another seed another one.
func TestSelectIsReproducible(t *testing.T) {
	pop := population(200)
	a := Select("2024-抽查-1", pop, 10)
	shuffled := slices.Clone(pop)
	slices.Reverse(shuffled)
	shuffled = append(shuffled, pop[3], pop[150])
	b := Select("2024-抽查-1", shuffled, 10)
	if len(a) != 10 || !slices.Equal(ids(a), ids(b)) {
		t.Fatalf("same seed, same population: %v vs %v", ids(a), ids(b))
	}
	if c := Select("2024-抽查-2", pop, 10); slices.Equal(ids(a), ids(c)) {
		t.Fatal("another seed drew the same sample")
	}
	// A prefix: asking for fewer takes the first of the same order.
	if d := Select("2024-抽查-1", pop, 4); !slices.Equal(ids(d), ids(a[:4])) {
		t.Fatalf("k=4 is not the prefix of k=10: %v", ids(d))
	}
	if PopulationDigest(pop) != PopulationDigest(shuffled) || PopulationDigest(pop) == PopulationDigest(pop[1:]) {
		t.Fatal("digest depends on order or ignores a member")
	}
}

// The documented algorithm, written out independently: a known vector.
func TestSelectKnownVector(t *testing.T) {
	pop := []Candidate{
		{EntryID: uuid.MustParse("00000000-0000-0000-0000-000000000001")},
		{EntryID: uuid.MustParse("00000000-0000-0000-0000-000000000002")},
		{EntryID: uuid.MustParse("00000000-0000-0000-0000-000000000003")},
	}
	got := ids(Select("seed", pop, 3))
	// HMAC-SHA256(key "seed", id) computed with `printf %s <id> | openssl
	// dgst -sha256 -hmac seed`: ...01 → 3262…, ...03 → 810b…, ...02 → a8ff….
	want := []uuid.UUID{pop[0].EntryID, pop[2].EntryID, pop[1].EntryID}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestSampleSizeRoundsShareUp(t *testing.T) {
	for _, c := range []struct {
		n     int
		share string
		count int
		want  int
	}{
		{41, "5", 0, 3},      // 2.05 → 3
		{40, "5", 0, 2},      // exact
		{1, "0.1", 0, 1},     // any share of a non-empty population is at least one
		{1000, "2.5", 0, 25}, // one decimal place
		{0, "10", 0, 0},      // empty population
		{10, "100", 0, 10},
		{10, "", 30, 10}, // never more than the population
		{5000, "50", 0, MaxSample},
		{50, "", 7, 7},
	} {
		var share credit.Quantity
		if c.share != "" {
			share, _ = credit.ParseQuantity(c.share)
		}
		if got := SampleSize(c.n, share, c.count); got != c.want {
			t.Errorf("SampleSize(%d, %s%%, %d) = %d, want %d", c.n, c.share, c.count, got, c.want)
		}
	}
}

var (
	at       = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	province = access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	changan  = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"}
	qiaoxi   = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	teacher  = access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
)

func TestDrawRecordsWhatRepeatsIt(t *testing.T) {
	pop := population(41)
	s := New(uuid.New())
	share, _ := credit.ParseQuantity("5")
	if err := s.Draw(changan, Draw{Scope: "130102", SharePercent: share, Seed: " s1 ", Population: pop, At: at}); err != nil {
		t.Fatal(err)
	}
	d := s.Drawn()
	if d.Seed != "s1" || d.PopulationSize != 41 || len(d.Entries) != 3 || d.Algorithm != Algorithm ||
		d.PopulationDigest != PopulationDigest(pop) || !slices.Equal(ids(d.Entries), ids(Select("s1", pop, 3))) ||
		!slices.Equal(d.Kinds, []credit.SourceKind{credit.SourceCreditBank, credit.SourceImport}) {
		t.Fatalf("drawn %+v", d)
	}
	if err := s.Draw(changan, Draw{Scope: "130102", Count: 1, Seed: "x", At: at}); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("drawn twice: %v", err)
	}
}

func TestDrawOfAnEmptyPopulation(t *testing.T) {
	s := New(uuid.New())
	if err := s.Draw(province, Draw{Scope: "13", Count: 5, Seed: "s", At: at}); err != nil {
		t.Fatal(err)
	}
	if d := s.Drawn(); d.PopulationSize != 0 || len(d.Entries) != 0 {
		t.Fatalf("empty population: %+v", d)
	}
	if r, n := s.Progress(); r != 0 || n != 0 {
		t.Fatalf("progress %d/%d", r, n)
	}
}

func TestDrawRefusals(t *testing.T) {
	share, _ := credit.ParseQuantity("5")
	fine, _ := credit.ParseQuantity("2.55")
	for name, c := range map[string]struct {
		actor access.Actor
		d     Draw
		field string
		err   error
	}{
		"other county":   {changan, Draw{Scope: "130104", Count: 1, Seed: "s", At: at}, "", access.ErrForbidden},
		"county to prov": {changan, Draw{Scope: "13", Count: 1, Seed: "s", At: at}, "", access.ErrForbidden},
		"teacher":        {teacher, Draw{Scope: "130102", Count: 1, Seed: "s", At: at}, "", access.ErrForbidden},
		"no seed":        {changan, Draw{Scope: "130102", Count: 1, At: at}, "seed", nil},
		"both":           {changan, Draw{Scope: "130102", Count: 1, SharePercent: share, Seed: "s", At: at}, "share_percent", nil},
		"neither":        {changan, Draw{Scope: "130102", Seed: "s", At: at}, "share_percent", nil},
		"two decimals":   {changan, Draw{Scope: "130102", SharePercent: fine, Seed: "s", At: at}, "share_percent", nil},
		"project kind":   {changan, Draw{Scope: "130102", Count: 1, Kinds: []credit.SourceKind{credit.SourceProject}, Seed: "s", At: at}, "kinds", nil},
		"bad scope":      {changan, Draw{Scope: "1301020", Count: 1, Seed: "s", At: at}, "scope", nil},
		"dates":          {changan, Draw{Scope: "130102", Count: 1, Seed: "s", At: at, From: at, To: at}, "to", nil},
	} {
		err := New(uuid.New()).Draw(c.actor, c.d)
		var v *domain.ValidationError
		switch {
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("%s: %v, want %v", name, err, c.err)
		case c.field != "" && (!errors.As(err, &v) || v.Fields[0].Field != c.field):
			t.Errorf("%s: %v, want field %s", name, err, c.field)
		}
	}
}

func TestReviewOnceWithReason(t *testing.T) {
	pop := population(10)
	s := New(uuid.New())
	if err := s.Draw(changan, Draw{Scope: "130102", Count: 3, Seed: "s", Population: pop, At: at}); err != nil {
		t.Fatal(err)
	}
	e := s.Items()[0].EntryID
	if err := s.Review(qiaoxi, e, true, "证明材料不实", at); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another county reviewed: %v", err)
	}
	if err := s.Review(changan, e, true, " ", at); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("no reason: %v", err)
	}
	if err := s.Review(changan, uuid.New(), true, "x", at); !errors.Is(err, ErrNotSampled) {
		t.Fatalf("not sampled: %v", err)
	}
	if err := s.Review(changan, e, true, "证明材料不实", at); err != nil {
		t.Fatal(err)
	}
	if err := s.Review(province, e, false, "再看一次", at); !errors.Is(err, ErrAlreadyReviewed) {
		t.Fatalf("second review: %v", err)
	}
	if err := s.Review(province, s.Items()[1].EntryID, false, "材料齐全", at); err != nil {
		t.Fatal(err)
	}
	if r, n := s.Progress(); r != 2 || n != 3 {
		t.Fatalf("progress %d/%d", r, n)
	}
	// Replayed history gives the same state.
	re := New(s.ID())
	for _, ev := range s.Changes() {
		re.Apply(ev)
	}
	if !slices.Equal(re.Items(), s.Items()) {
		t.Fatalf("replay %+v vs %+v", re.Items(), s.Items())
	}
}
