package teacher

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// CorrectionStatus is stored only through events; the strings are for
// read models and JSON.
type CorrectionStatus string

const (
	CorrectionStatusPending   CorrectionStatus = "pending"
	CorrectionStatusApproved  CorrectionStatus = "approved"
	CorrectionStatusRejected  CorrectionStatus = "rejected"
	CorrectionStatusWithdrawn CorrectionStatus = "withdrawn"
)

// Label is the Chinese status shown to users.
func (s CorrectionStatus) Label() string {
	switch s {
	case CorrectionStatusPending:
		return "待审核"
	case CorrectionStatusApproved:
		return "已通过"
	case CorrectionStatusRejected:
		return "已驳回"
	case CorrectionStatusWithdrawn:
		return "已撤回"
	}
	return string(s)
}

// Correction is a teacher's request to correct one key field.
type Correction struct {
	ID          uuid.UUID
	Field       string
	Current     string // the value when requested
	Proposed    string
	Reason      string
	Evidence    []string
	Status      CorrectionStatus
	RequestedBy uuid.UUID
	DecidedBy   uuid.UUID
	Comment     string // approval comment or rejection reason
}

// Corrections lists every request in the order made (copies).
func (t *Teacher) Corrections() []Correction {
	out := make([]Correction, len(t.corrections))
	for i, c := range t.corrections {
		out[i] = *c
		out[i].Evidence = slices.Clone(c.Evidence)
	}
	return out
}

// PendingCorrection returns the pending request for field, if any.
func (t *Teacher) PendingCorrection(field string) (Correction, bool) {
	for _, c := range t.corrections {
		if c.Field == field && c.Status == CorrectionStatusPending {
			return *c, true
		}
	}
	return Correction{}, false
}

func (t *Teacher) correction(id uuid.UUID) *Correction {
	for _, c := range t.corrections {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// correctableByRequest are the key fields a teacher may ask to correct;
// unit, city and county errors go to the county admin, who changes the unit
// or starts a transfer.
func correctableByRequest(field string) bool {
	s, ok := specByName[field]
	return ok && s.key && !s.derived
}

const maxEvidence = 10

// RequestCorrection records the teacher's request to correct a key field.
// The proposal is checked now as it would be on approval, so the teacher
// learns at once that e.g. a gender disagreeing with the ID cannot be right.
// At most one request per field may be pending.
func (t *Teacher) RequestCorrection(id uuid.UUID, field, proposed, reason string, evidence []string, actor access.Actor, now time.Time) error {
	if !t.registered {
		return ErrNotRegistered
	}
	if !t.isSelf(actor) {
		return ErrNotOwnRecord
	}
	if id == uuid.Nil {
		return domain.Invalid("correction_id", "缺少申请标识")
	}
	if t.correction(id) != nil {
		return fmt.Errorf("%w: correction %s", domain.ErrDuplicate, id)
	}
	if !correctableByRequest(field) {
		if IsKeyField(field) {
			return domain.Invalid(field, FieldLabel(field)+"有误请联系区县管理员更换单位或办理异动")
		}
		return domain.Invalid(field, "只有关键字段需要申请更正，其他字段请直接修改")
	}
	if _, pending := t.PendingCorrection(field); pending {
		return ErrCorrectionPending
	}
	reason, err := requireReason("reason", reason)
	if err != nil {
		return err
	}
	var refs []string
	for _, ev := range evidence {
		ev = strings.TrimSpace(ev)
		if ev == "" {
			continue
		}
		if _, err := normFileRef(ev, now); err != nil {
			return domain.Invalid("evidence", "证明材料引用无效")
		}
		refs = append(refs, ev)
	}
	if len(refs) > maxEvidence {
		return domain.Invalid("evidence", fmt.Sprintf("证明材料不能超过%d份", maxEvidence))
	}
	plan, err := t.planKeyChanges(map[string]string{field: proposed}, "", now)
	if err != nil {
		return err
	}
	t.Record(t, &CorrectionRequested{
		TeacherID: t.id, CorrectionID: id, Field: field,
		Current: t.profile.Get(field), Proposed: plan.changes[0].new,
		Reason: reason, Evidence: refs, County: t.profile.County,
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// ApproveCorrection applies a pending request: an admin of the teacher's
// current county. The change is recorded as KeyFieldCorrected events linked
// to the request, checked again against the record as it is now.
func (t *Teacher) ApproveCorrection(id uuid.UUID, actor access.Actor, comment string, now time.Time) error {
	c, err := t.pendingForDecision(id, actor)
	if err != nil {
		return err
	}
	plan, err := t.planKeyChanges(map[string]string{c.Field: c.Proposed}, "", now)
	if err != nil {
		return err
	}
	t.Record(t, &CorrectionApproved{
		TeacherID: t.id, CorrectionID: id, Field: c.Field, Comment: strings.TrimSpace(comment),
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	t.recordPlan(plan, c.Reason, id, actor)
	return nil
}

// RejectCorrection refuses a pending request with a reason for the teacher.
func (t *Teacher) RejectCorrection(id uuid.UUID, actor access.Actor, reason string, now time.Time) error {
	c, err := t.pendingForDecision(id, actor)
	if err != nil {
		return err
	}
	reason, err = requireReason("reason", reason)
	if err != nil {
		return err
	}
	t.Record(t, &CorrectionRejected{
		TeacherID: t.id, CorrectionID: id, Field: c.Field, Reason: reason,
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// WithdrawCorrection lets the teacher take back a pending request.
func (t *Teacher) WithdrawCorrection(id uuid.UUID, actor access.Actor, now time.Time) error {
	if !t.isSelf(actor) {
		return ErrNotOwnRecord
	}
	c := t.correction(id)
	if c == nil {
		return ErrCorrectionNotFound
	}
	if c.Status != CorrectionStatusPending {
		return ErrCorrectionDecided
	}
	t.Record(t, &CorrectionWithdrawn{
		TeacherID: t.id, CorrectionID: id, Field: c.Field,
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

func (t *Teacher) pendingForDecision(id uuid.UUID, actor access.Actor) (*Correction, error) {
	if !t.registered {
		return nil, ErrNotRegistered
	}
	c := t.correction(id)
	if c == nil {
		return nil, ErrCorrectionNotFound
	}
	if !isCountyAdminOf(actor, t.profile.County) {
		return nil, ErrKeyFieldNeedsCountyAdmin
	}
	if c.Status != CorrectionStatusPending {
		return nil, ErrCorrectionDecided
	}
	return c, nil
}
