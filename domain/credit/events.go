package credit

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/file"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeGranted = "credit.granted"
	TypeRevoked = "credit.revoked"

	TypeBankSubmitted  = "creditbank.submitted"
	TypeBankRecognised = "creditbank.recognised"
	TypeBankRejected   = "creditbank.rejected"
	TypeBankWithdrawn  = "creditbank.withdrawn"
)

// Granted adds an entry to a teacher's ledger.
type Granted struct {
	EntryID     uuid.UUID `json:"entry_id"`
	TeacherID   uuid.UUID `json:"teacher_id"`
	Key         string    `json:"key"`
	Year        int       `json:"year"`
	CompletedOn time.Time `json:"completed_on"`
	Level       Level     `json:"level"`
	Category    Category  `json:"category"`
	Hours       Quantity  `json:"hours"`
	Credits     Quantity  `json:"credits"`
	Title       string    `json:"title"`
	Source      Source    `json:"source"`
	GrantedAt   time.Time `json:"granted_at"`
	// StartedOn is the first day of the training when the source knows it
	// (a credit bank request); duplicate detection compares the days.
	StartedOn time.Time `json:"started_on,omitzero"`
	// SuspectedDuplicateOf names the counting entry of another source this
	// one looks like: the entry is held, not counted, until the county
	// admin decides (DuplicateCleared or DuplicateConfirmed).
	SuspectedDuplicateOf uuid.UUID `json:"suspected_duplicate_of,omitzero"`
}

func (*Granted) EventType() string { return TypeGranted }

// Revoked takes an entry out of every total, e.g. after a grade was
// corrected to a fail. The entry stays in the ledger for the audit trail.
type Revoked struct {
	EntryID   uuid.UUID `json:"entry_id"`
	TeacherID uuid.UUID `json:"teacher_id"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	// CauseEventID is the event that made the revocation necessary (e.g. the
	// grade correction), when there is one.
	CauseEventID uuid.UUID `json:"cause_event_id,omitempty"`
	RevokedAt    time.Time `json:"revoked_at"`
}

func (*Revoked) EventType() string { return TypeRevoked }

// BankSubmitted opens a credit bank request.
type BankSubmitted struct {
	RequestID    uuid.UUID      `json:"request_id"`
	TeacherID    uuid.UUID      `json:"teacher_id"`
	County       string         `json:"county"`
	Kind         BankKind       `json:"kind"`
	Title        string         `json:"title"`
	Organiser    string         `json:"organiser"`
	Level        Level          `json:"level"`
	StartOn      time.Time      `json:"start_on"`
	EndOn        time.Time      `json:"end_on"`
	ClaimedHours Quantity       `json:"claimed_hours"`
	Evidence     []file.FileRef `json:"evidence"`
	SubmittedAt  time.Time      `json:"submitted_at"`
}

func (*BankSubmitted) EventType() string { return TypeBankSubmitted }

// BankRecognised accepts a request. Hours may differ from the claim: the
// county decides what the learning is worth.
type BankRecognised struct {
	RequestID    uuid.UUID `json:"request_id"`
	TeacherID    uuid.UUID `json:"teacher_id"`
	Hours        Quantity  `json:"hours"`
	Credits      Quantity  `json:"credits"`
	Year         int       `json:"year"`
	Level        Level     `json:"level"`
	Note         string    `json:"note,omitempty"`
	RecognisedBy uuid.UUID `json:"recognised_by"`
	RecognisedAt time.Time `json:"recognised_at"`
}

func (*BankRecognised) EventType() string { return TypeBankRecognised }

// BankRejected refuses a request; the reason goes back to the teacher.
type BankRejected struct {
	RequestID  uuid.UUID `json:"request_id"`
	TeacherID  uuid.UUID `json:"teacher_id"`
	Reason     string    `json:"reason"`
	RejectedBy uuid.UUID `json:"rejected_by"`
	RejectedAt time.Time `json:"rejected_at"`
}

func (*BankRejected) EventType() string { return TypeBankRejected }

// BankWithdrawn: the teacher took back a request before it was decided.
type BankWithdrawn struct {
	RequestID   uuid.UUID `json:"request_id"`
	TeacherID   uuid.UUID `json:"teacher_id"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
}

func (*BankWithdrawn) EventType() string { return TypeBankWithdrawn }

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Granted{} })
	r.Register(func() event.Event { return &Revoked{} })
	r.Register(func() event.Event { return &BankSubmitted{} })
	r.Register(func() event.Event { return &BankRecognised{} })
	r.Register(func() event.Event { return &BankRejected{} })
	r.Register(func() event.Event { return &BankWithdrawn{} })
	r.Register(func() event.Event { return &DuplicateCleared{} })
	r.Register(func() event.Event { return &DuplicateConfirmed{} })
}
