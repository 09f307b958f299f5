package teacher

import (
	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeRegistered          = "teacher.registered"
	TypeOrdinaryFieldEdited = "teacher.ordinary_field_edited"
	TypeKeyFieldCorrected   = "teacher.key_field_corrected"
	TypeCorrectionRequested = "teacher.correction_requested"
	TypeCorrectionApproved  = "teacher.correction_approved"
	TypeCorrectionRejected  = "teacher.correction_rejected"
	TypeCorrectionWithdrawn = "teacher.correction_withdrawn"
	TypeTransferStarted     = "teacher.transfer_started"
	TypeTransferAccepted    = "teacher.transfer_accepted"
	TypeTransferRejected    = "teacher.transfer_rejected"
	TypeTransferCancelled   = "teacher.transfer_cancelled"
	TypeTransferredOut      = "teacher.transferred_out"
)

// StreamName is the event stream of one teacher.
func StreamName(id uuid.UUID) string { return "teacher-" + id.String() }

// RegisterEvents adds every teacher event type to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Registered{} })
	r.Register(func() event.Event { return &OrdinaryFieldEdited{} })
	r.Register(func() event.Event { return &KeyFieldCorrected{} })
	r.Register(func() event.Event { return &CorrectionRequested{} })
	r.Register(func() event.Event { return &CorrectionApproved{} })
	r.Register(func() event.Event { return &CorrectionRejected{} })
	r.Register(func() event.Event { return &CorrectionWithdrawn{} })
	r.Register(func() event.Event { return &TransferStarted{} })
	r.Register(func() event.Event { return &TransferAccepted{} })
	r.Register(func() event.Event { return &TransferRejected{} })
	r.Register(func() event.Event { return &TransferCancelled{} })
	r.Register(func() event.Event { return &TransferredOut{} })
	r.Register(func() event.Event { return &Erased{} })
}

// Registered: a county admin entered the teacher. Profile holds every field,
// city and county included (they follow the unit).
type Registered struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	Profile   Profile   `json:"profile"`
	UnitName  string    `json:"unit_name"`
	// CertificateOverride is the admin's reason for accepting a certificate
	// number that does not fit the national layout; "" when it fits.
	CertificateOverride string          `json:"certificate_override,omitempty"`
	Warnings            []ident.Warning `json:"warnings,omitempty"`
	ActorID             uuid.UUID       `json:"actor_id"`
	ActorRole           access.Role     `json:"actor_role"`
}

func (*Registered) EventType() string { return TypeRegistered }

// OrdinaryFieldEdited: one ordinary field changed, by the teacher or an admin.
type OrdinaryFieldEdited struct {
	TeacherID uuid.UUID   `json:"teacher_id"`
	Field     string      `json:"field"`
	Old       string      `json:"old"`
	New       string      `json:"new"`
	Reason    string      `json:"reason,omitempty"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

func (*OrdinaryFieldEdited) EventType() string { return TypeOrdinaryFieldEdited }

// KeyFieldCorrected: one key field changed by an admin of the teacher's
// county. It is the audited record of who changed identity data, so it
// carries everything an auditor asks: field, old, new, reason, who, and why
// it was allowed.
type KeyFieldCorrected struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	Field     string    `json:"field"`
	Old       string    `json:"old"`
	New       string    `json:"new"`
	// OldLabel and NewLabel are set when the value alone does not read (the
	// unit's name for unit_id).
	OldLabel string `json:"old_label,omitempty"`
	NewLabel string `json:"new_label,omitempty"`
	Reason   string `json:"reason"`
	// CorrectionID links the change to the teacher's request it applies.
	CorrectionID uuid.UUID `json:"correction_id,omitzero"`
	// FollowsField is set on a change forced by another one: gender and birth
	// date follow a corrected ID number.
	FollowsField string `json:"follows_field,omitempty"`
	// Override is the admin's reason for accepting a legacy certificate number.
	Override  string          `json:"override,omitempty"`
	Warnings  []ident.Warning `json:"warnings,omitempty"`
	ActorID   uuid.UUID       `json:"actor_id"`
	ActorRole access.Role     `json:"actor_role"`
}

func (*KeyFieldCorrected) EventType() string { return TypeKeyFieldCorrected }

// CorrectionRequested: the teacher asks the county admin to correct a key field.
type CorrectionRequested struct {
	TeacherID    uuid.UUID `json:"teacher_id"`
	CorrectionID uuid.UUID `json:"correction_id"`
	Field        string    `json:"field"`
	Current      string    `json:"current"`
	Proposed     string    `json:"proposed"`
	Reason       string    `json:"reason"`
	// Evidence are references to uploaded files (ID card scan, certificate).
	Evidence  []string    `json:"evidence,omitempty"`
	County    string      `json:"county"` // whose admins must decide
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

func (*CorrectionRequested) EventType() string { return TypeCorrectionRequested }

// CorrectionApproved is followed in the same append by the
// KeyFieldCorrected events that apply it.
type CorrectionApproved struct {
	TeacherID    uuid.UUID   `json:"teacher_id"`
	CorrectionID uuid.UUID   `json:"correction_id"`
	Field        string      `json:"field"`
	Comment      string      `json:"comment,omitempty"`
	ActorID      uuid.UUID   `json:"actor_id"`
	ActorRole    access.Role `json:"actor_role"`
}

func (*CorrectionApproved) EventType() string { return TypeCorrectionApproved }

// CorrectionRejected: the county admin refused, with the reason the teacher sees.
type CorrectionRejected struct {
	TeacherID    uuid.UUID   `json:"teacher_id"`
	CorrectionID uuid.UUID   `json:"correction_id"`
	Field        string      `json:"field"`
	Reason       string      `json:"reason"`
	ActorID      uuid.UUID   `json:"actor_id"`
	ActorRole    access.Role `json:"actor_role"`
}

func (*CorrectionRejected) EventType() string { return TypeCorrectionRejected }

// CorrectionWithdrawn: the teacher took back a pending request.
type CorrectionWithdrawn struct {
	TeacherID    uuid.UUID   `json:"teacher_id"`
	CorrectionID uuid.UUID   `json:"correction_id"`
	Field        string      `json:"field"`
	ActorID      uuid.UUID   `json:"actor_id"`
	ActorRole    access.Role `json:"actor_role"`
}

func (*CorrectionWithdrawn) EventType() string { return TypeCorrectionWithdrawn }

// TransferStarted: the current county's admin sends the teacher to another
// county. ToUnitID may be nil: the receiving county then names the unit.
type TransferStarted struct {
	TeacherID    uuid.UUID   `json:"teacher_id"`
	TransferID   uuid.UUID   `json:"transfer_id"`
	FromCounty   string      `json:"from_county"`
	FromUnitID   string      `json:"from_unit_id"`
	FromUnitName string      `json:"from_unit_name"`
	ToCounty     string      `json:"to_county"`
	ToUnitID     string      `json:"to_unit_id,omitempty"`
	ToUnitName   string      `json:"to_unit_name,omitempty"`
	Reason       string      `json:"reason"`
	ActorID      uuid.UUID   `json:"actor_id"`
	ActorRole    access.Role `json:"actor_role"`
}

func (*TransferStarted) EventType() string { return TypeTransferStarted }

// TransferAccepted: an admin of the receiving county took the teacher in;
// the teacher's city, county and unit change, and so does jurisdiction.
type TransferAccepted struct {
	TeacherID  uuid.UUID   `json:"teacher_id"`
	TransferID uuid.UUID   `json:"transfer_id"`
	FromCounty string      `json:"from_county"`
	FromUnitID string      `json:"from_unit_id"`
	ToCity     string      `json:"to_city"`
	ToCounty   string      `json:"to_county"`
	ToUnitID   string      `json:"to_unit_id"`
	ToUnitName string      `json:"to_unit_name"`
	ActorID    uuid.UUID   `json:"actor_id"`
	ActorRole  access.Role `json:"actor_role"`
}

func (*TransferAccepted) EventType() string { return TypeTransferAccepted }

// TransferRejected: the receiving county refused; the teacher stays.
type TransferRejected struct {
	TeacherID  uuid.UUID   `json:"teacher_id"`
	TransferID uuid.UUID   `json:"transfer_id"`
	Reason     string      `json:"reason"`
	ActorID    uuid.UUID   `json:"actor_id"`
	ActorRole  access.Role `json:"actor_role"`
}

func (*TransferRejected) EventType() string { return TypeTransferRejected }

// TransferCancelled: the sending county withdrew the transfer.
type TransferCancelled struct {
	TeacherID  uuid.UUID   `json:"teacher_id"`
	TransferID uuid.UUID   `json:"transfer_id"`
	Reason     string      `json:"reason"`
	ActorID    uuid.UUID   `json:"actor_id"`
	ActorRole  access.Role `json:"actor_role"`
}

func (*TransferCancelled) EventType() string { return TypeTransferCancelled }
