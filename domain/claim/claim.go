// Package claim makes a value unique across aggregates (a teacher's ID
// number, a certificate number) with the event store alone: one stream per
// claimed value, written with an exact expected revision, so two concurrent
// claims cannot both win on any backend. It is pure.
package claim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
)

const (
	TypeClaimed  = "claim.claimed"
	TypeReleased = "claim.released"
)

// Claimed: Owner now holds the value.
type Claimed struct {
	Kind  string    `json:"kind"`
	Owner uuid.UUID `json:"owner"`
	// At is when the claim was taken (zero in claims older than the field).
	At time.Time `json:"at,omitzero"`
}

func (*Claimed) EventType() string { return TypeClaimed }

// Released: Owner gave the value up (e.g. after a corrected ID number).
type Released struct {
	Kind  string    `json:"kind"`
	Owner uuid.UUID `json:"owner"`
}

func (*Released) EventType() string { return TypeReleased }

// RegisterEvents adds the claim events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Claimed{} })
	r.Register(func() event.Event { return &Released{} })
}

// StreamName hashes the value so the stream name does not spell out
// personal data.
func StreamName(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + value))
	return "claim-" + kind + "-" + hex.EncodeToString(sum[:16])
}

// ErrTaken: another owner holds the value.
var ErrTaken = fmt.Errorf("%w: value already in use", domain.ErrDuplicate)

// Claim is the aggregate of one value.
type Claim struct {
	event.Root
	kind  string
	owner uuid.UUID
	since time.Time
}

func New(kind string) *Claim { return &Claim{kind: kind} }

// Owner is the current holder, uuid.Nil when free.
func (c *Claim) Owner() uuid.UUID { return c.owner }

func (c *Claim) Apply(e event.Event) {
	switch e := e.(type) {
	case *Claimed:
		c.owner, c.since = e.Owner, e.At
	case *Released:
		if c.owner == e.Owner {
			c.owner = uuid.Nil
		}
	}
}

// Take claims the value for owner; taking one's own claim again is a no-op.
func (c *Claim) Take(owner uuid.UUID, now time.Time) error {
	switch c.owner {
	case owner:
		return nil
	case uuid.Nil:
		c.Record(c, &Claimed{Kind: c.kind, Owner: owner, At: now})
		return nil
	}
	return ErrTaken
}

// StaleAfter is how long a claim may wait for its owner to be written. A
// claim is taken just before its owner's first event; if that append never
// happens (a crash, a lost connection), the value would stay blocked for
// ever. Past this grace period, a claim whose owner does not exist is
// stale.
const StaleAfter = 2 * time.Minute

// TakeOverStale takes a claim whose current owner was never written
// (ownerExists false) and is older than StaleAfter; otherwise it is Take.
func (c *Claim) TakeOverStale(owner uuid.UUID, ownerExists bool, now time.Time) error {
	err := c.Take(owner, now)
	if err == nil || ownerExists || now.Sub(c.since) < StaleAfter {
		return err
	}
	c.Record(c, &Released{Kind: c.kind, Owner: c.owner})
	c.Record(c, &Claimed{Kind: c.kind, Owner: owner, At: now})
	return nil
}

// Release frees the value if owner holds it.
func (c *Claim) Release(owner uuid.UUID) {
	if c.owner == owner && owner != uuid.Nil {
		c.Record(c, &Released{Kind: c.kind, Owner: owner})
	}
}
