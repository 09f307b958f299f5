package integrity

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/domain/event"
)

// DigestStream is the stream that holds the signed digests, in order.
const DigestStream = "integrity-digests"

// Position is a point in the global feed (the event store's commit and
// prepare positions), as the digest names it.
type Position struct {
	Commit  uint64 `json:"commit"`
	Prepare uint64 `json:"prepare"`
}

func (p Position) String() string { return fmt.Sprintf("%d/%d", p.Commit, p.Prepare) }

// Digest is the signed statement "the first TreeSize events of the global
// feed, up to LastPosition, have the Merkle root RootHash".
type Digest struct {
	TreeSize     uint64
	RootHash     Hash
	LastPosition Position
	IssuedAt     time.Time
	KeyID        string
}

const digestHeader = "hbte-record integrity digest v1"

// SignedBytes is the exact message the Ed25519 signature covers: six lines,
// each ending in a line feed.
//
//	hbte-record integrity digest v1
//	tree_size <decimal>
//	root_hash <64 lowercase hex>
//	last_position <commit>/<prepare>
//	issued_at <RFC 3339 UTC with nanoseconds, as Go's time.RFC3339Nano>
//	key_id <key id>
func (d Digest) SignedBytes() []byte {
	var b strings.Builder
	b.WriteString(digestHeader + "\n")
	b.WriteString("tree_size " + strconv.FormatUint(d.TreeSize, 10) + "\n")
	b.WriteString("root_hash " + d.RootHash.String() + "\n")
	b.WriteString("last_position " + d.LastPosition.String() + "\n")
	b.WriteString("issued_at " + d.IssuedAt.UTC().Format(time.RFC3339Nano) + "\n")
	b.WriteString("key_id " + d.KeyID + "\n")
	return []byte(b.String())
}

// Sign returns the digest event signed with priv.
func (d Digest) Sign(priv ed25519.PrivateKey) *DigestSigned {
	sig := ed25519.Sign(priv, d.SignedBytes())
	return &DigestSigned{
		TreeSize: d.TreeSize, RootHash: d.RootHash.String(), LastPosition: d.LastPosition,
		IssuedAt: d.IssuedAt.UTC(), KeyID: d.KeyID, Signature: base64.StdEncoding.EncodeToString(sig),
	}
}

// DigestSigned is the event that records a signed digest.
type DigestSigned struct {
	TreeSize     uint64    `json:"tree_size"`
	RootHash     string    `json:"root_hash"`
	LastPosition Position  `json:"last_position"`
	IssuedAt     time.Time `json:"issued_at"`
	KeyID        string    `json:"key_id"`
	Signature    string    `json:"signature"` // standard base64 of the 64-byte Ed25519 signature
}

func (*DigestSigned) EventType() string { return "integrity.digest_signed" }

// RegisterEvents registers the integrity events.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &DigestSigned{} })
}

// Digest returns the signed statement of the event.
func (e *DigestSigned) Digest() (Digest, error) {
	root, err := ParseHash(e.RootHash)
	if err != nil {
		return Digest{}, err
	}
	return Digest{TreeSize: e.TreeSize, RootHash: root, LastPosition: e.LastPosition, IssuedAt: e.IssuedAt, KeyID: e.KeyID}, nil
}

// Errors of Verify.
var (
	ErrUnknownKey   = errors.New("integrity: digest signed with an unknown key")
	ErrBadSignature = errors.New("integrity: digest signature does not verify")
)

// Verify checks the signature with the public key named by the digest's
// key id.
func (e *DigestSigned) Verify(keys map[string]ed25519.PublicKey) error {
	d, err := e.Digest()
	if err != nil {
		return err
	}
	pub, ok := keys[e.KeyID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownKey, e.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, d.SignedBytes(), sig) {
		return fmt.Errorf("%w (key %s, tree size %d)", ErrBadSignature, e.KeyID, e.TreeSize)
	}
	return nil
}
