package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

// StartTransfer sends a teacher to another county (admin of the current
// county). toUnit may be uuid.Nil: the receiving county then names it.
func (h *Handlers) StartTransfer(ctx context.Context, actor access.Actor, id uuid.UUID, toCounty string, toUnit uuid.UUID, reason string) (Result, uuid.UUID, error) {
	var ref *teacher.UnitRef
	if toUnit != uuid.Nil {
		u, err := h.unitRef(ctx, toUnit)
		if err != nil {
			return Result{}, uuid.Nil, err
		}
		ref = &u
	}
	tid := h.newID(ctx, actor, "transfer")
	res, err := h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.StartTransfer(tid, toCounty, ref, reason, actor, h.Now())
	})
	return res, tid, err
}

// AcceptTransfer takes the teacher in (admin of the receiving county).
func (h *Handlers) AcceptTransfer(ctx context.Context, actor access.Actor, id, transferID, unitID uuid.UUID) (Result, error) {
	var ref teacher.UnitRef
	if unitID != uuid.Nil {
		u, err := h.unitRef(ctx, unitID)
		if err != nil {
			return Result{}, err
		}
		ref = u
	}
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.AcceptTransfer(transferID, ref, actor, h.Now())
	})
}

// RejectTransfer refuses the teacher (admin of the receiving county).
func (h *Handlers) RejectTransfer(ctx context.Context, actor access.Actor, id, transferID uuid.UUID, reason string) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.RejectTransfer(transferID, actor, reason, h.Now())
	})
}

// ConfirmTransferOut closes a transfer out of the province (the province
// admin): the record becomes read-only, marked 已调出本省.
func (h *Handlers) ConfirmTransferOut(ctx context.Context, actor access.Actor, id, transferID uuid.UUID) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.ConfirmTransferOut(transferID, actor, h.Now())
	})
}

// CancelTransfer withdraws an open transfer (admin of the sending county).
func (h *Handlers) CancelTransfer(ctx context.Context, actor access.Actor, id, transferID uuid.UUID, reason string) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.CancelTransfer(transferID, actor, reason, h.Now())
	})
}

// ChangeTeacherUnit moves a teacher to another school of the same county.
func (h *Handlers) ChangeTeacherUnit(ctx context.Context, actor access.Actor, id, unitID uuid.UUID, reason string) (Result, error) {
	ref, err := h.unitRef(ctx, unitID)
	if err != nil {
		return Result{}, err
	}
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.ChangeUnit(actor, ref, reason, h.Now())
	})
}
