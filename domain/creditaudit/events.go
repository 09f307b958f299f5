package creditaudit

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeDrawn   = "creditaudit.drawn"
	TypeUpheld  = "creditaudit.upheld"
	TypeRevoked = "creditaudit.revoked"
)

// Candidate is one entry of the population (and of the sample).
type Candidate struct {
	EntryID   uuid.UUID         `json:"entry_id"`
	TeacherID uuid.UUID         `json:"teacher_id"`
	Key       string            `json:"key"`
	Kind      credit.SourceKind `json:"kind"`
}

// Drawn records a draw with everything needed to repeat it.
type Drawn struct {
	SampleID uuid.UUID `json:"sample_id"`
	// Scope is the region audited (2, 4 or 6 digits).
	Scope string              `json:"scope"`
	Kinds []credit.SourceKind `json:"kinds"`
	// From and To bound the completion day, [From, To); zero is open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// SharePercent or Count is what was asked (one of them).
	SharePercent     credit.Quantity `json:"share_percent,omitzero"`
	Count            int             `json:"count,omitempty"`
	Seed             string          `json:"seed"`
	Algorithm        string          `json:"algorithm"`
	PopulationSize   int             `json:"population_size"`
	PopulationDigest string          `json:"population_digest"`
	// Entries is the sample in draw order.
	Entries []Candidate `json:"entries"`
	Note    string      `json:"note,omitempty"`
	DrawnAt time.Time   `json:"drawn_at"`
}

func (*Drawn) EventType() string { return TypeDrawn }

// Upheld: the re-review confirms the entry; it keeps counting.
type Upheld struct {
	SampleID   uuid.UUID `json:"sample_id"`
	EntryID    uuid.UUID `json:"entry_id"`
	TeacherID  uuid.UUID `json:"teacher_id"`
	Reason     string    `json:"reason"`
	ReviewedAt time.Time `json:"reviewed_at"`
}

func (*Upheld) EventType() string { return TypeUpheld }

// Revoked: the re-review finds the claim unfounded; the ledger entry is
// revoked (credit.Revoked, caused by this event).
type Revoked struct {
	SampleID   uuid.UUID `json:"sample_id"`
	EntryID    uuid.UUID `json:"entry_id"`
	TeacherID  uuid.UUID `json:"teacher_id"`
	Key        string    `json:"key"`
	Reason     string    `json:"reason"`
	ReviewedAt time.Time `json:"reviewed_at"`
}

func (*Revoked) EventType() string { return TypeRevoked }

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Drawn{} })
	r.Register(func() event.Event { return &Upheld{} })
	r.Register(func() event.Event { return &Revoked{} })
}
