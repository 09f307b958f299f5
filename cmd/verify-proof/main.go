// Command verify-proof checks the integrity proofs of the teacher record
// without trusting the service: standard library only, and it imports
// nothing of the project. It follows docs/INTEGRITY.md, which an auditor's
// own program can follow just as well.
//
//	verify-proof -keys keys.json history-proof.json
//	verify-proof -keys keys.json -consistency consistency.json
//
// keys.json is GET /api/v1/public/integrity/keys as the auditor pinned it;
// history-proof.json is GET /api/v1/teachers/{id}/history/proof;
// consistency.json is GET /api/v1/audit/digests/consistency?from=N&to=M.
// It prints what it verified and exits 0, or names the first failure and
// exits 1.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "FAILED:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify-proof", flag.ContinueOnError)
	keysFile := fs.String("keys", "", "the pinned public keys (GET /api/v1/public/integrity/keys)")
	consistency := fs.String("consistency", "", "a consistency proof between two digests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keysFile == "" || (*consistency == "") == (fs.NArg() != 1) {
		return errors.New("usage: verify-proof -keys keys.json (history-proof.json | -consistency consistency.json)")
	}
	var keys struct {
		Keys []struct {
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		} `json:"keys"`
	}
	if err := readJSON(*keysFile, &keys); err != nil {
		return err
	}
	pub := map[string]ed25519.PublicKey{}
	for _, k := range keys.Keys {
		b, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return fmt.Errorf("key %s: not a base64 Ed25519 public key", k.KeyID)
		}
		pub[k.KeyID] = b
	}
	if *consistency != "" {
		return verifyConsistency(*consistency, pub, out)
	}
	return verifyHistory(fs.Arg(0), pub, out)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

type hash = [32]byte

// digest is a signed digest as the API returns it.
type digest struct {
	Number       uint64 `json:"number"`
	TreeSize     uint64 `json:"tree_size"`
	RootHash     string `json:"root_hash"`
	LastPosition struct {
		Commit  uint64 `json:"commit"`
		Prepare uint64 `json:"prepare"`
	} `json:"last_position"`
	IssuedAt  string `json:"issued_at"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

// check verifies the signature over the six-line message and returns the root.
func (d *digest) check(keys map[string]ed25519.PublicKey) (hash, error) {
	var root hash
	if _, err := hex.Decode(root[:], []byte(d.RootHash)); err != nil || len(d.RootHash) != 64 {
		return root, fmt.Errorf("digest %d: root_hash is not 64 hex digits", d.Number)
	}
	at, err := time.Parse(time.RFC3339Nano, d.IssuedAt)
	if err != nil {
		return root, fmt.Errorf("digest %d: issued_at: %w", d.Number, err)
	}
	msg := "hbte-record integrity digest v1\n" +
		"tree_size " + strconv.FormatUint(d.TreeSize, 10) + "\n" +
		"root_hash " + hex.EncodeToString(root[:]) + "\n" +
		"last_position " + strconv.FormatUint(d.LastPosition.Commit, 10) + "/" + strconv.FormatUint(d.LastPosition.Prepare, 10) + "\n" +
		"issued_at " + at.UTC().Format(time.RFC3339Nano) + "\n" +
		"key_id " + d.KeyID + "\n"
	key, ok := keys[d.KeyID]
	if !ok {
		return root, fmt.Errorf("digest %d: signed with key %q, which is not among the pinned keys", d.Number, d.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(d.Signature)
	if err != nil || !ed25519.Verify(key, []byte(msg), sig) {
		return root, fmt.Errorf("digest %d: the signature does not verify with key %s", d.Number, d.KeyID)
	}
	return root, nil
}

// RFC 6962 hashing.
func leafHash(data []byte) hash { return sha256.Sum256(append([]byte{0}, data...)) }
func nodeHash(l, r hash) hash   { return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)) }

func parsePath(hs []string) ([]hash, error) {
	out := make([]hash, len(hs))
	for i, s := range hs {
		if n, err := hex.Decode(out[i][:], []byte(s)); err != nil || n != 32 {
			return nil, fmt.Errorf("proof hash %d is not 64 hex digits", i)
		}
	}
	return out, nil
}

// rootFromInclusion is RFC 9162 section 2.1.3.2.
func rootFromInclusion(index, size uint64, leaf hash, path []hash) (hash, error) {
	if index >= size {
		return hash{}, errors.New("leaf index beyond the tree")
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return hash{}, errors.New("inclusion proof too long")
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return hash{}, errors.New("inclusion proof too short")
	}
	return r, nil
}

// consistent is RFC 9162 section 2.1.4.2.
func consistent(first, second uint64, firstHash, secondHash hash, path []hash) error {
	if first == 0 || first >= second {
		return errors.New("want 0 < first size < second size")
	}
	if first&(first-1) == 0 { // a power of two: the old root is the first node
		path = append([]hash{firstHash}, path...)
	}
	if len(path) == 0 {
		return errors.New("empty consistency proof")
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return errors.New("consistency proof too long")
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = nodeHash(c, fr), nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || fr != firstHash || sr != secondHash {
		return errors.New("the proof does not lead to both signed roots")
	}
	return nil
}

func verifyConsistency(path string, keys map[string]ed25519.PublicKey, out io.Writer) error {
	var c struct {
		From  digest   `json:"from"`
		To    digest   `json:"to"`
		Proof []string `json:"proof"`
	}
	if err := readJSON(path, &c); err != nil {
		return err
	}
	r1, err := c.From.check(keys)
	if err != nil {
		return err
	}
	r2, err := c.To.check(keys)
	if err != nil {
		return err
	}
	p, err := parsePath(c.Proof)
	if err != nil {
		return err
	}
	if err := consistent(c.From.TreeSize, c.To.TreeSize, r1, r2, p); err != nil {
		return fmt.Errorf("digests %d and %d: %w", c.From.Number, c.To.Number, err)
	}
	fmt.Fprintf(out, "OK: digest %d (%d events) is a prefix of digest %d (%d events); both signatures verify\n",
		c.From.Number, c.From.TreeSize, c.To.Number, c.To.TreeSize)
	return nil
}

// The chain member that ends every chained event's metadata.
const (
	chainHead = `,"chain":{"prev":"`
	chainMid  = `","hash":"`
	chainTail = `"}}`
	suffixLen = len(chainHead) + 64 + len(chainMid) + 64 + len(chainTail)
)

type event struct {
	Leaf       uint64   `json:"leaf_index"`
	ID         string   `json:"id"`
	Stream     string   `json:"stream"`
	Revision   uint64   `json:"revision"`
	Type       string   `json:"type"`
	Data       string   `json:"data_base64"`
	Metadata   string   `json:"metadata_base64"`
	RecordedUS int64    `json:"recorded_at_us"`
	Proof      []string `json:"inclusion_proof"`
}

func verifyHistory(path string, keys map[string]ed25519.PublicKey, out io.Writer) error {
	var hp struct {
		TeacherID string  `json:"teacher_id"`
		Digest    *digest `json:"digest"`
		Events    []event `json:"events"`
	}
	if err := readJSON(path, &hp); err != nil {
		return err
	}
	if hp.Digest == nil || len(hp.Events) == 0 {
		return errors.New("the proof holds no digest or no proved events")
	}
	root, err := hp.Digest.check(keys)
	if err != nil {
		return err
	}
	var prevHash hash
	var prevRev uint64
	var prevChained bool
	for i, e := range hp.Events {
		where := fmt.Sprintf("%s@%d", e.Stream, e.Revision)
		if e.Revision != uint64(i) || e.Stream != hp.Events[0].Stream {
			return fmt.Errorf("%s: the proof must hold the stream's events from revision 0 without a gap; revision %d is missing", where, i)
		}
		id, err := parseUUID(e.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		data, err1 := base64.StdEncoding.DecodeString(e.Data)
		meta, err2 := base64.StdEncoding.DecodeString(e.Metadata)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: data or metadata is not base64", where)
		}
		// Split off the chain member.
		chained, base := false, meta
		var link [2]hash // prev, hash
		if n := len(meta); n >= suffixLen+2 {
			s := meta[n-suffixLen:]
			p, h := s[len(chainHead):len(chainHead)+64], s[len(chainHead)+64+len(chainMid):suffixLen-len(chainTail)]
			_, e1 := hex.Decode(link[0][:], p)
			_, e2 := hex.Decode(link[1][:], h)
			if bytes.HasPrefix(s, []byte(chainHead)) && bytes.HasSuffix(s, []byte(chainTail)) &&
				string(s[len(chainHead)+64:len(chainHead)+64+len(chainMid)]) == chainMid && e1 == nil && e2 == nil {
				chained = true
				base = append(append([]byte{}, meta[:n-suffixLen]...), '}')
			}
		}
		// Content: id, then length-prefixed stream, the revision,
		// length-prefixed type, data and metadata.
		content := append([]byte{}, id[:]...)
		content = field(content, []byte(e.Stream))
		content = binary.BigEndian.AppendUint64(content, e.Revision)
		content = field(content, []byte(e.Type))
		content = field(content, data)
		content = field(content, base)
		var prev hash
		if chained {
			prev = link[0]
		}
		entry := sha256.Sum256(append(prev[:], content...))
		if chained && entry != link[1] {
			return fmt.Errorf("%s: the event's bytes hash to %x, its chain says %x: altered", where, entry, link[1])
		}
		if i > 0 && chained && e.Revision == prevRev+1 {
			want := hash{}
			if prevChained {
				want = prevHash
			}
			if link[0] != want {
				return fmt.Errorf("%s: prev %x is not the hash of revision %d (%x)", where, link[0], prevRev, want)
			}
		} else if chained && e.Revision == 0 && link[0] != (hash{}) {
			return fmt.Errorf("%s: the first event of a stream must link to zero", where)
		}
		// The Merkle leaf: kind, entry hash, recorded time in microseconds.
		kind := byte(0)
		if chained {
			kind = 1
		}
		input := append([]byte{kind}, entry[:]...)
		input = binary.BigEndian.AppendUint64(input, uint64(e.RecordedUS))
		p, err := parsePath(e.Proof)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		got, err := rootFromInclusion(e.Leaf, hp.Digest.TreeSize, leafHash(input), p)
		if err != nil {
			return fmt.Errorf("%s (leaf %d): %w", where, e.Leaf, err)
		}
		if got != root {
			return fmt.Errorf("%s (leaf %d): the inclusion proof leads to %x, not to the signed root", where, e.Leaf, got)
		}
		prevHash, prevRev, prevChained = link[1], e.Revision, chained
	}
	fmt.Fprintf(out, "OK: %d events of teacher %s are in digest %d (%d events, root %s), signed by key %s\n",
		len(hp.Events), hp.TeacherID, hp.Digest.Number, hp.Digest.TreeSize, hp.Digest.RootHash, hp.Digest.KeyID)
	return nil
}

func field(b, x []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(x)))
	return append(b, x...)
}

// parseUUID reads the canonical 36-character form into its 16 bytes.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("event id %q is not a UUID", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("event id %q is not a UUID", s)
	}
	return u, nil
}
