package account

import (
	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename.
const (
	TypeCreated            = "account.created"
	TypePasswordChanged    = "account.password_changed"
	TypePasswordReset      = "account.password_reset"
	TypeLocked             = "account.locked"
	TypeUnlocked           = "account.unlocked"
	TypeDisabled           = "account.disabled"
	TypeLoginChanged       = "account.login_changed"
	TypeDisplayNameChanged = "account.display_name_changed"
)

// StreamName is the event stream of one account.
func StreamName(id uuid.UUID) string { return "account-" + id.String() }

// RegisterEvents adds every account event type to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} })
	r.Register(func() event.Event { return &PasswordChanged{} })
	r.Register(func() event.Event { return &PasswordReset{} })
	r.Register(func() event.Event { return &Locked{} })
	r.Register(func() event.Event { return &Unlocked{} })
	r.Register(func() event.Event { return &Disabled{} })
	r.Register(func() event.Event { return &LoginChanged{} })
	r.Register(func() event.Event { return &DisplayNameChanged{} })
}

// Created: the account exists. A new account must change its initial
// password at first login.
type Created struct {
	AccountID     uuid.UUID   `json:"account_id"`
	Login         string      `json:"login"`
	Role          access.Role `json:"role"`
	Jurisdiction  string      `json:"jurisdiction,omitempty"`
	TeacherID     uuid.UUID   `json:"teacher_id,omitzero"`
	InstitutionID uuid.UUID   `json:"institution_id,omitzero"`
	DisplayName   string      `json:"display_name"`
	// TeacherCounty is the county the creating admin acted for (teacher
	// accounts); kept for audit, the teacher's record stays the authority.
	TeacherCounty      string      `json:"teacher_county,omitempty"`
	MustChangePassword bool        `json:"must_change_password"`
	ActorID            uuid.UUID   `json:"actor_id"`
	ActorRole          access.Role `json:"actor_role"`
}

// PasswordChanged: the user set a new password (old one verified outside).
type PasswordChanged struct {
	AccountID uuid.UUID   `json:"account_id"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// PasswordReset: an admin reset the password; the user must change it.
type PasswordReset struct {
	AccountID          uuid.UUID `json:"account_id"`
	MustChangePassword bool      `json:"must_change_password"`
	// Unlocked: the reset also ended a lock (the admin verified the user).
	Unlocked  bool        `json:"unlocked,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// Locked: the account may not log in until unlocked (too many failed
// attempts, recorded by the system actor, or an admin's decision).
type Locked struct {
	AccountID uuid.UUID   `json:"account_id"`
	Reason    string      `json:"reason"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// Unlocked ends a lock.
type Unlocked struct {
	AccountID uuid.UUID   `json:"account_id"`
	Reason    string      `json:"reason,omitempty"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// Disabled: the account is closed for good (the person left, a duplicate).
type Disabled struct {
	AccountID uuid.UUID   `json:"account_id"`
	Reason    string      `json:"reason"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// LoginChanged: the login name changed, e.g. following a teacher's
// corrected ID number.
type LoginChanged struct {
	AccountID uuid.UUID   `json:"account_id"`
	Old       string      `json:"old"`
	New       string      `json:"new"`
	Reason    string      `json:"reason"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// DisplayNameChanged: the shown name changed, e.g. following a corrected name.
type DisplayNameChanged struct {
	AccountID uuid.UUID   `json:"account_id"`
	Old       string      `json:"old"`
	New       string      `json:"new"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

func (*Created) EventType() string            { return TypeCreated }
func (*PasswordChanged) EventType() string    { return TypePasswordChanged }
func (*PasswordReset) EventType() string      { return TypePasswordReset }
func (*Locked) EventType() string             { return TypeLocked }
func (*Unlocked) EventType() string           { return TypeUnlocked }
func (*Disabled) EventType() string           { return TypeDisabled }
func (*LoginChanged) EventType() string       { return TypeLoginChanged }
func (*DisplayNameChanged) EventType() string { return TypeDisplayNameChanged }
