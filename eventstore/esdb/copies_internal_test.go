package esdb

import (
	"bytes"
	"testing"
	"time"
)

// The envelope of a copied event gives back its metadata byte for byte
// (whitespace, key order, duplicate keys, none at all) and its time.
func TestCopiedEnvelopeRoundTrip(t *testing.T) {
	at := time.Date(2019, 9, 1, 8, 30, 0, 123456000, time.FixedZone("CST", 8*3600))
	for _, meta := range [][]byte{nil, []byte(`{}`), []byte(`{ "actor" : "区县管理员", "a":1, "a":2 }`), []byte(`{"x":"\",\"$metadata\":"}`)} {
		got, gotAt, ok := unwrapCopied(wrapCopied(meta, at))
		if !ok || !bytes.Equal(got, meta) || !gotAt.Equal(at) {
			t.Fatalf("%q: got %q %v %v", meta, got, gotAt, ok)
		}
	}
	for _, plain := range []string{`{}`, `{"$recorded_at":"soon","$metadata":{}}`, `{"actor":"x"}`, ``} {
		if _, _, ok := unwrapCopied([]byte(plain)); ok {
			t.Fatalf("%q taken for a copy", plain)
		}
	}
}
