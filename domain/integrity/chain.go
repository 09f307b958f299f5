// Package integrity defines the bytes that make the record tamper-evident:
// the canonical content of an event, the per-stream hash chain carried in
// its metadata, the Merkle leaf of an event in the global feed (RFC 6962 /
// RFC 9162 hashing), the signed digest of the tree, and the events that
// carry digests. docs/INTEGRITY.md specifies every byte; an auditor's own
// verifier (cmd/verify-proof is one) follows that document, not this code.
//
// It is pure: hashing and parsing only, no I/O, no clock.
package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Hash is a SHA-256 value.
type Hash [32]byte

// Zero is the "previous hash" of the first chained event of a stream.
var Zero Hash

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero hash.
func (h Hash) IsZero() bool { return h == Zero }

// ParseHash reads 64 lowercase or uppercase hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("integrity: hash %q: want %d hex digits", s, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("integrity: hash %q: %w", s, err)
	}
	return h, nil
}

// Event is an event's identity and stored bytes: what the chain covers.
type Event struct {
	ID       uuid.UUID
	Stream   string
	Revision uint64
	Type     string
	Data     []byte
	// Metadata is the stored metadata. Content and Entry take the metadata
	// without the chain member (see Split).
	Metadata []byte
}

// Content is the canonical byte string of an event:
//
//	id (16 bytes) || len(stream) || stream || revision || len(type) || type
//	|| len(data) || data || len(meta) || meta
//
// where every length and the revision is an unsigned 64-bit big-endian
// integer and meta is the metadata without its chain member.
func Content(id uuid.UUID, stream string, revision uint64, typ string, data, meta []byte) []byte {
	b := make([]byte, 0, 16+8*5+len(stream)+len(typ)+len(data)+len(meta))
	b = append(b, id[:]...)
	b = appendBytes(b, []byte(stream))
	b = binary.BigEndian.AppendUint64(b, revision)
	b = appendBytes(b, []byte(typ))
	b = appendBytes(b, data)
	b = appendBytes(b, meta)
	return b
}

func appendBytes(b, x []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(x)))
	return append(b, x...)
}

// EntryHash is SHA-256(prev || Content(...)): the chain hash of a chained
// event, and (with prev zero) the entry hash of an event stored before
// chains began.
func EntryHash(prev Hash, id uuid.UUID, stream string, revision uint64, typ string, data, meta []byte) Hash {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(Content(id, stream, revision, typ, data, meta))
	var out Hash
	h.Sum(out[:0])
	return out
}

// The chain member is the last member of the metadata object, in exactly
// this form, so that removing it gives back the bytes it covers:
//
//	,"chain":{"prev":"<64 hex>","hash":"<64 hex>"}}
const (
	chainHead = `,"chain":{"prev":"`
	chainMid  = `","hash":"`
	chainTail = `"}}`
	// SuffixLen is the length of the chain member plus the closing brace.
	SuffixLen = len(chainHead) + 64 + len(chainMid) + 64 + len(chainTail)
)

// Link is the chain member of an event's metadata.
type Link struct {
	Prev Hash
	Hash Hash
}

// ErrMetadata is returned for metadata that cannot carry a chain.
var ErrMetadata = errors.New("integrity: metadata must be a non-empty JSON object ending in '}'")

// Seal returns the metadata to store for an event whose metadata without
// the chain is meta (a JSON object with at least one member, as
// json.Marshal writes it) and whose stream's previous event has chain hash
// prev (Zero for the stream's first event, or when the previous event was
// stored before chains began), and the event's chain hash.
func Seal(prev Hash, id uuid.UUID, stream string, revision uint64, typ string, data, meta []byte) ([]byte, Hash, error) {
	meta = bytes.TrimRight(meta, " \t\r\n")
	if len(meta) < 3 || meta[0] != '{' || meta[len(meta)-1] != '}' || bytes.Equal(bytes.TrimSpace(meta[1:len(meta)-1]), nil) {
		return nil, Hash{}, ErrMetadata
	}
	h := EntryHash(prev, id, stream, revision, typ, data, meta)
	out := make([]byte, 0, len(meta)-1+SuffixLen)
	out = append(out, meta[:len(meta)-1]...)
	out = append(out, chainHead...)
	out = hex.AppendEncode(out, prev[:])
	out = append(out, chainMid...)
	out = hex.AppendEncode(out, h[:])
	out = append(out, chainTail...)
	return out, h, nil
}

// Split separates stored metadata into the bytes the chain covers and the
// chain link. ok is false for metadata without a chain member (an event
// stored before chains began): base is then the stored metadata itself.
func Split(stored []byte) (base []byte, link Link, ok bool) {
	n := len(stored)
	if n < SuffixLen+2 {
		return stored, Link{}, false
	}
	s := stored[n-SuffixLen:]
	if !bytes.HasPrefix(s, []byte(chainHead)) || !bytes.HasSuffix(s, []byte(chainTail)) ||
		!bytes.Equal(s[len(chainHead)+64:len(chainHead)+64+len(chainMid)], []byte(chainMid)) {
		return stored, Link{}, false
	}
	if !lowerHex(s[len(chainHead):len(chainHead)+64]) || !lowerHex(s[len(chainHead)+64+len(chainMid):SuffixLen-len(chainTail)]) {
		return stored, Link{}, false
	}
	hex.Decode(link.Prev[:], s[len(chainHead):len(chainHead)+64])
	hex.Decode(link.Hash[:], s[len(chainHead)+64+len(chainMid):SuffixLen-len(chainTail)])
	base = make([]byte, 0, n-SuffixLen+1)
	base = append(base, stored[:n-SuffixLen]...)
	base = append(base, '}')
	return base, link, true
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Entry is an event's entry hash as the Merkle leaf commits to it.
type Entry struct {
	// Chained is true when the stored metadata carries a chain member.
	Chained bool
	// Link is the stored chain member (zero when not chained).
	Link Link
	// Hash is the recomputed entry hash: SHA-256(Link.Prev || content) for
	// a chained event, SHA-256(zero || content) otherwise.
	Hash Hash
}

// Valid reports whether a chained event's stored hash matches its bytes.
// An event without a chain is valid by itself (the Merkle tree and the
// genesis digest cover it).
func (e Entry) Valid() bool { return !e.Chained || e.Hash == e.Link.Hash }

// Compute recomputes the entry of a stored event.
func Compute(ev Event) Entry {
	base, link, ok := Split(ev.Metadata)
	prev := Zero
	if ok {
		prev = link.Prev
	}
	return Entry{Chained: ok, Link: link, Hash: EntryHash(prev, ev.ID, ev.Stream, ev.Revision, ev.Type, ev.Data, base)}
}

// LeafInput is the Merkle leaf's data for an event:
//
//	kind (1 byte: 1 chained, 0 not) || entry hash (32 bytes)
//	|| recorded time (signed 64-bit big-endian Unix microseconds)
func LeafInput(e Entry, recordedAt time.Time) []byte {
	b := make([]byte, 0, 41)
	if e.Chained {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, e.Hash[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(recordedAt.UnixMicro()))
}

// LeafHash is RFC 6962's leaf hash: SHA-256(0x00 || input).
func LeafHash(input []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(input)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is RFC 6962's interior node hash: SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is the root of the tree with no leaves: SHA-256 of nothing.
var EmptyRoot = Hash(sha256.Sum256(nil))
