package teacher

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/region"
)

// TransferStatus of a cross-county transfer (异动).
type TransferStatus string

const (
	TransferStatusOpen      TransferStatus = "open"
	TransferStatusAccepted  TransferStatus = "accepted"
	TransferStatusRejected  TransferStatus = "rejected"
	TransferStatusCancelled TransferStatus = "cancelled"
	// TransferStatusTransferredOut: a transfer out of the province that the
	// province admin confirmed; the record is read-only from then on.
	TransferStatusTransferredOut TransferStatus = "transferred_out"
)

// Label is the Chinese status shown to users.
func (s TransferStatus) Label() string {
	switch s {
	case TransferStatusOpen:
		return "待接收"
	case TransferStatusAccepted:
		return "已接收"
	case TransferStatusRejected:
		return "已拒绝"
	case TransferStatusCancelled:
		return "已撤销"
	case TransferStatusTransferredOut:
		return TransferredOutLabel
	}
	return string(s)
}

// Transfer is one cross-county move, kept in the teacher's stream.
type Transfer struct {
	ID         uuid.UUID
	FromCounty string
	FromUnitID string
	ToCounty   string
	ToUnitID   string // may be "" until accepted
	ToUnitName string
	Reason     string
	Status     TransferStatus
	StartedBy  uuid.UUID
	DecidedBy  uuid.UUID
	Comment    string // rejection or cancellation reason
}

// OutOfProvince reports a transfer to a county outside Hebei: the province
// admin confirms it (ConfirmTransferOut) instead of a receiving county.
func (tr Transfer) OutOfProvince() bool { return OutOfProvince(tr.ToCounty) }

// OutOfProvince reports whether county lies outside Hebei (its code does not
// start with region.HebeiCode).
func OutOfProvince(county string) bool { return !strings.HasPrefix(county, region.HebeiCode) }

// TransferredOutLabel is what the roster, the profile and every refusal show
// for a record transferred out of the province.
const TransferredOutLabel = "已调出本省"

// ErrTransferredOut: the teacher left the province; the record is kept
// read-only and every command on it is refused with this reason.
var ErrTransferredOut = domain.Refusal("the teacher was transferred out of the province; the record is read-only",
	TransferredOutLabel+"，档案仅供查阅，不能再办理任何业务")

// ErrTransferOutNeedsProvinceAdmin: a transfer out of the province is
// confirmed or rejected by the province admin.
var ErrTransferOutNeedsProvinceAdmin = fmt.Errorf("%w: only the province admin may confirm or reject a transfer out of the province", access.ErrForbidden)

// TransferredOut reports a record transferred out of the province.
func (t *Teacher) TransferredOut() bool {
	for _, tr := range t.transfers {
		if tr.Status == TransferStatusTransferredOut {
			return true
		}
	}
	return false
}

// ReadOnly refuses any change to a record transferred out of the province.
// Callers check permission first: it is the state, not the permission.
func (t *Teacher) ReadOnly() error {
	if t.TransferredOut() {
		return ErrTransferredOut
	}
	return nil
}

func isProvinceAdmin(a access.Actor) bool {
	return a.Role == access.RoleProvinceAdmin && a.Covers(region.HebeiCode)
}

// Transfers lists every transfer in order (copies).
func (t *Teacher) Transfers() []Transfer {
	out := make([]Transfer, len(t.transfers))
	for i, tr := range t.transfers {
		out[i] = *tr
	}
	return out
}

// OpenTransfer returns the transfer awaiting the receiving county, if any.
func (t *Teacher) OpenTransfer() (Transfer, bool) {
	for _, tr := range t.transfers {
		if tr.Status == TransferStatusOpen {
			return *tr, true
		}
	}
	return Transfer{}, false
}

func (t *Teacher) transfer(id uuid.UUID) *Transfer {
	for _, tr := range t.transfers {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// StartTransfer sends the teacher to another county: an admin of the current
// county, with a reason. toUnit may be nil when the receiving county will
// name the unit. Only one transfer may be open.
func (t *Teacher) StartTransfer(id uuid.UUID, toCounty string, toUnit *UnitRef, reason string, actor access.Actor, now time.Time) error {
	if !t.registered {
		return ErrNotRegistered
	}
	if !isCountyAdminOf(actor, t.profile.County) {
		return ErrTransferNeedsSendingAdmin
	}
	if id == uuid.Nil {
		return domain.Invalid("transfer_id", "缺少异动标识")
	}
	if t.transfer(id) != nil {
		return fmt.Errorf("%w: transfer %s", domain.ErrDuplicate, id)
	}
	if _, open := t.OpenTransfer(); open {
		return ErrTransferOpen
	}
	if _, ok := region.Default().County(toCounty); !ok {
		return domain.Invalid("to_county", fmt.Sprintf("“%s”不是有效的区县代码", toCounty))
	}
	if toCounty == t.profile.County {
		return domain.Invalid("to_county", "调入区县与当前区县相同，区县内调动请更换单位")
	}
	if err := t.ReadOnly(); err != nil {
		return err
	}
	if toUnit != nil && OutOfProvince(toCounty) {
		return domain.Invalid(FieldUnit, "调出本省的异动不填写调入单位")
	}
	e := &TransferStarted{
		TeacherID: t.id, TransferID: id, FromCounty: t.profile.County,
		FromUnitID: t.profile.UnitID, FromUnitName: t.unitName, ToCounty: toCounty,
		ActorID: actor.UserID, ActorRole: actor.Role,
	}
	if toUnit != nil {
		if err := checkUnit(*toUnit); err != nil {
			return err
		}
		if toUnit.County != toCounty {
			return domain.Invalid(FieldUnit, "调入单位不在调入区县")
		}
		e.ToUnitID, e.ToUnitName = toUnit.ID.String(), strings.TrimSpace(toUnit.Name)
	}
	var err error
	if e.Reason, err = requireReason("reason", reason); err != nil {
		return err
	}
	t.Record(t, e)
	return nil
}

// AcceptTransfer takes the teacher into the receiving county: an admin of
// that county, naming the unit (unit may be the zero UnitRef when the start
// named one). Jurisdiction moves with the county.
func (t *Teacher) AcceptTransfer(id uuid.UUID, unit UnitRef, actor access.Actor, now time.Time) error {
	tr, err := t.openForDecision(id, actor)
	if err != nil {
		return err
	}
	if tr.OutOfProvince() {
		return ErrTransferOutOfProvince
	}
	if unit.ID == uuid.Nil && tr.ToUnitID != "" {
		unit = UnitRef{ID: uuid.MustParse(tr.ToUnitID), Name: tr.ToUnitName, County: tr.ToCounty}
	}
	if err := checkUnit(unit); err != nil {
		return err
	}
	if unit.County != tr.ToCounty {
		return domain.Invalid(FieldUnit, "接收单位不在调入区县")
	}
	t.Record(t, &TransferAccepted{
		TeacherID: t.id, TransferID: id, FromCounty: tr.FromCounty, FromUnitID: tr.FromUnitID,
		ToCity: unit.County[:4], ToCounty: unit.County, ToUnitID: unit.ID.String(),
		ToUnitName: strings.TrimSpace(unit.Name), ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// ErrTransferOutOfProvince: nobody accepts a transfer out of the province;
// the province admin confirms it.
var ErrTransferOutOfProvince = domain.Refusal("a transfer out of the province is confirmed, not accepted",
	"调出本省的异动由省级管理员确认，无需接收")

// ConfirmTransferOut closes a transfer out of the province: the province
// admin confirms that the teacher left. The record stays where it is (the
// last Hebei county keeps it), read-only and marked 已调出本省; nothing
// is open any more.
func (t *Teacher) ConfirmTransferOut(id uuid.UUID, actor access.Actor, now time.Time) error {
	// Permission first: only the province admin confirms, whatever the
	// transfer.
	if !isProvinceAdmin(actor) {
		return ErrTransferOutNeedsProvinceAdmin
	}
	if !t.registered {
		return ErrNotRegistered
	}
	tr := t.transfer(id)
	if tr == nil {
		return ErrTransferNotFound
	}
	if !tr.OutOfProvince() {
		return ErrNotOutOfProvince
	}
	if tr.Status != TransferStatusOpen {
		return ErrNoOpenTransfer
	}
	t.Record(t, &TransferredOut{
		TeacherID: t.id, TransferID: id, FromCounty: tr.FromCounty, FromUnitID: tr.FromUnitID,
		ToCounty: tr.ToCounty, ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// ErrNotOutOfProvince: only a transfer out of the province is confirmed by
// the province; one inside it is accepted by the receiving county.
var ErrNotOutOfProvince = domain.Refusal("the transfer stays inside the province", "省内异动由调入区县接收")

// RejectTransfer refuses the teacher: an admin of the receiving county, or
// the province admin for a transfer out of the province.
func (t *Teacher) RejectTransfer(id uuid.UUID, actor access.Actor, reason string, now time.Time) error {
	if _, err := t.openForDecision(id, actor); err != nil {
		return err
	}
	reason, err := requireReason("reason", reason)
	if err != nil {
		return err
	}
	t.Record(t, &TransferRejected{
		TeacherID: t.id, TransferID: id, Reason: reason, ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// CancelTransfer withdraws an open transfer: an admin of the sending county.
func (t *Teacher) CancelTransfer(id uuid.UUID, actor access.Actor, reason string, now time.Time) error {
	if !t.registered {
		return ErrNotRegistered
	}
	tr := t.transfer(id)
	if tr == nil {
		return ErrTransferNotFound
	}
	if !isCountyAdminOf(actor, tr.FromCounty) {
		return ErrTransferNeedsSendingAdmin
	}
	if tr.Status != TransferStatusOpen {
		return ErrNoOpenTransfer
	}
	reason, err := requireReason("reason", reason)
	if err != nil {
		return err
	}
	t.Record(t, &TransferCancelled{
		TeacherID: t.id, TransferID: id, Reason: reason, ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

func (t *Teacher) openForDecision(id uuid.UUID, actor access.Actor) (*Transfer, error) {
	if !t.registered {
		return nil, ErrNotRegistered
	}
	tr := t.transfer(id)
	if tr == nil {
		return nil, ErrTransferNotFound
	}
	switch {
	case tr.OutOfProvince() && !isProvinceAdmin(actor):
		return nil, ErrTransferOutNeedsProvinceAdmin
	case !tr.OutOfProvince() && !isCountyAdminOf(actor, tr.ToCounty):
		return nil, ErrTransferNeedsReceivingAdmin
	}
	if tr.Status != TransferStatusOpen {
		return nil, ErrNoOpenTransfer
	}
	return tr, nil
}
