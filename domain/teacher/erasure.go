package teacher

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// TypeErased is the stored name of Erased. Never rename.
const TypeErased = "teacher.erased"

// ErasedValue is what every personal field of an erased teacher reads as,
// in the aggregate and in every read model (docs/INTEGRITY.md section 6).
const ErasedValue = "已删除"

// PersonalFields are the profile fields that identify the person: their
// values are sealed in events under the teacher's data key, and read as
// ErasedValue once it is destroyed. The birth date and the certificate
// number are among them: the one is part of the ID number, the other as
// unique to the person.
var PersonalFields = []string{FieldName, FieldIDNumber, FieldFormerName, FieldMobile, FieldEmail,
	FieldCertificatePhoto, FieldAvatar, FieldBirthDate, FieldCertificateNumber}

// IsPersonalField reports whether field is one of PersonalFields.
func IsPersonalField(field string) bool { return slices.Contains(PersonalFields, field) }

// ClaimRef names a unique-value claim the teacher held, by its stream (a
// hash of the value, never the value).
type ClaimRef struct {
	Kind   string `json:"kind"`
	Stream string `json:"stream"`
}

// Erased: a province admin erased the teacher's personal data, with the
// legal reason. The events stay; the teacher's data key is destroyed by
// the erasure process that follows this event, so the personal fields of
// every earlier event read as ErasedValue from then on. Claims lists the
// claims to release (the ID number's, the certificate number's). The
// record is read-only afterwards; an open transfer is cancelled by the same
// command, just before (ErasureCancelsTransfer).
type Erased struct {
	TeacherID uuid.UUID   `json:"teacher_id"`
	Reason    string      `json:"reason"`
	Claims    []ClaimRef  `json:"claims,omitempty"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

func (*Erased) EventType() string { return TypeErased }

var (
	// ErrEraseNeedsProvinceAdmin: only a province admin erases a record.
	ErrEraseNeedsProvinceAdmin = fmt.Errorf("%w: only a province admin may erase a teacher's personal data", access.ErrForbidden)
	// ErrErased: the record was erased and is read-only.
	ErrErased = domain.Refusal("the teacher's personal data was erased; the record is read-only", "该教师的个人信息已删除，档案只读，不能再办理")
)

// Erased reports whether the teacher's personal data was erased.
func (t *Teacher) Erased() bool { return t.erased }

// Erase records the erasure of the teacher's personal data (province admin,
// legal reason required, at most 500 characters). claims are the claims
// the record holds, computed by the caller from the values it still reads.
func (t *Teacher) Erase(actor access.Actor, reason string, claims []ClaimRef, now time.Time) error {
	if actor.Role != access.RoleProvinceAdmin {
		return ErrEraseNeedsProvinceAdmin
	}
	if !t.registered {
		return ErrNotRegistered
	}
	if t.erased {
		return ErrErased
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return domain.Invalid("reason", "须填写删除的法律依据")
	case utf8.RuneCountInString(reason) > 500:
		return domain.Invalid("reason", "不能超过500个字符")
	}
	// An open transfer could never be decided on a read-only record, and
	// would sit in the receiving county's queue: it is withdrawn first.
	if tr, open := t.OpenTransfer(); open {
		t.Record(t, &TransferCancelled{TeacherID: t.id, TransferID: tr.ID, Reason: ErasureCancelsTransfer,
			ActorID: actor.UserID, ActorRole: actor.Role})
	}
	t.Record(t, &Erased{TeacherID: t.id, Reason: reason, Claims: claims, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// ErasureCancelsTransfer is the reason of the TransferCancelled an erasure
// records before Erased when a transfer was open.
const ErasureCancelsTransfer = "个人信息已依法删除，调动随之撤销"
