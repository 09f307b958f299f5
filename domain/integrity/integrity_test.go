package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestSealSplitRoundTrip(t *testing.T) {
	id := uuid.MustParse("0b4f6f0e-3a63-4bd3-9d7c-2f2f1d6f9a01")
	meta := []byte(`{"actor_id":"00000000-0000-0000-0000-000000000000","actor_role":"system","occurred_at":"2026-01-02T03:04:05Z"}`)
	data := []byte(`{"name":"张三"}`)
	prev := sha256.Sum256([]byte("previous"))
	stored, h, err := Seal(prev, id, "teacher-1", 4, "teacher.renamed", data, meta)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(stored) {
		t.Fatalf("sealed metadata is not JSON: %s", stored)
	}
	var probe struct {
		ActorRole string `json:"actor_role"`
		Chain     struct{ Prev, Hash string }
	}
	if err := json.Unmarshal(stored, &probe); err != nil || probe.ActorRole != "system" || probe.Chain.Hash != h.String() || probe.Chain.Prev != Hash(prev).String() {
		t.Fatalf("decoded %+v, %v", probe, err)
	}
	base, link, ok := Split(stored)
	if !ok || !bytes.Equal(base, meta) || link.Hash != h || link.Prev != prev {
		t.Fatalf("split: ok=%v base=%s link=%v", ok, base, link)
	}
	e := Compute(Event{ID: id, Stream: "teacher-1", Revision: 4, Type: "teacher.renamed", Data: data, Metadata: stored})
	if !e.Chained || !e.Valid() || e.Hash != h {
		t.Fatalf("compute: %+v", e)
	}
	// Every field is covered.
	for name, ev := range map[string]Event{
		"data":     {ID: id, Stream: "teacher-1", Revision: 4, Type: "teacher.renamed", Data: []byte(`{"name":"张四"}`), Metadata: stored},
		"revision": {ID: id, Stream: "teacher-1", Revision: 5, Type: "teacher.renamed", Data: data, Metadata: stored},
		"stream":   {ID: id, Stream: "teacher-2", Revision: 4, Type: "teacher.renamed", Data: data, Metadata: stored},
		"type":     {ID: id, Stream: "teacher-1", Revision: 4, Type: "teacher.moved", Data: data, Metadata: stored},
		"id":       {ID: uuid.New(), Stream: "teacher-1", Revision: 4, Type: "teacher.renamed", Data: data, Metadata: stored},
		"metadata": {ID: id, Stream: "teacher-1", Revision: 4, Type: "teacher.renamed", Data: data, Metadata: bytes.Replace(stored, []byte("system"), []byte("sysadm"), 1)},
	} {
		if Compute(ev).Valid() {
			t.Errorf("a change of %s is not detected", name)
		}
	}
	// Length prefixes: moving bytes between fields changes the content.
	if bytes.Equal(Content(id, "ab", 0, "c", nil, nil), Content(id, "a", 0, "bc", nil, nil)) {
		t.Error("content is ambiguous")
	}
}

func TestSplitWithoutChain(t *testing.T) {
	for _, m := range []string{``, `{}`, `{"a":1}`, `{"a":"` + string(bytes.Repeat([]byte("x"), 200)) + `"}`} {
		base, _, ok := Split([]byte(m))
		if ok || string(base) != m {
			t.Errorf("Split(%q) = %q, %v", m, base, ok)
		}
	}
	if _, _, err := Seal(Zero, uuid.New(), "s", 0, "t", nil, []byte(`{}`)); !errors.Is(err, ErrMetadata) {
		t.Errorf("empty object: %v", err)
	}
}

// mth is RFC 6962's definition of the Merkle tree hash, recursively.
func mth(leaves []Hash) Hash {
	switch n := len(leaves); n {
	case 0:
		return EmptyRoot
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		return NodeHash(mth(leaves[:k]), mth(leaves[k:]))
	}
}

func TestFrontierMatchesRFC6962(t *testing.T) {
	var f Frontier
	var leaves []Hash
	if f.Root() != EmptyRoot {
		t.Fatal("empty root")
	}
	for i := 0; i < 70; i++ {
		l := LeafHash([]byte(fmt.Sprint(i)))
		leaves = append(leaves, l)
		f.Append(l)
		if got, want := f.Root(), mth(leaves); got != want {
			t.Fatalf("size %d: root %s, want %s", i+1, got, want)
		}
	}
	// RFC 6962 leaf and node prefixes.
	if LeafHash([]byte("x")) != Hash(sha256.Sum256([]byte("\x00x"))) {
		t.Error("leaf prefix")
	}
	a, b := LeafHash(nil), LeafHash([]byte{1})
	if NodeHash(a, b) != Hash(sha256.Sum256(append(append([]byte{1}, a[:]...), b[:]...))) {
		t.Error("node prefix")
	}
}

func TestLeafInput(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)
	e := Entry{Chained: true, Hash: sha256.Sum256([]byte("e"))}
	in := LeafInput(e, at)
	if len(in) != 41 || in[0] != 1 || !bytes.Equal(in[1:33], e.Hash[:]) {
		t.Fatalf("leaf input %x", in)
	}
	if bytes.Equal(in, LeafInput(e, at.Add(time.Microsecond))) {
		t.Error("recorded time not covered")
	}
	e.Chained = false
	if LeafInput(e, at)[0] != 0 {
		t.Error("kind byte")
	}
}

func TestDigestSignature(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	d := Digest{TreeSize: 12, RootHash: sha256.Sum256([]byte("r")), LastPosition: Position{Commit: 7, Prepare: 9},
		IssuedAt: time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("CST", 8*3600)), KeyID: "k1"}
	want := "hbte-record integrity digest v1\ntree_size 12\nroot_hash " + d.RootHash.String() +
		"\nlast_position 7/9\nissued_at 2026-03-03T21:06:07.000000008Z\nkey_id k1\n"
	if string(d.SignedBytes()) != want {
		t.Fatalf("signed bytes:\n%s", d.SignedBytes())
	}
	ev := d.Sign(priv)
	// Through JSON, as stored.
	raw, _ := json.Marshal(ev)
	var back DigestSigned
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{"k1": pub}
	if err := back.Verify(keys); err != nil {
		t.Fatal(err)
	}
	back.TreeSize++
	if err := back.Verify(keys); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed size: %v", err)
	}
	back.TreeSize--
	back.KeyID = "k2"
	if err := back.Verify(keys); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}
