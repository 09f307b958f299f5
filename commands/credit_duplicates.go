package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

// DecideDuplicate records the county admin's decision on an entry held as a
// suspected duplicate: duplicate (it never counts) or distinct (it counts),
// with a reason. The domain decides who may (the admin of the teacher's
// county now).
func (h *Handlers) DecideDuplicate(ctx context.Context, actor access.Actor, teacherID, entryID uuid.UUID, duplicate bool, reason string) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	l, res, err := Update(ctx, h.Repo, credit.StreamName(teacherID), func() *credit.Ledger { return credit.NewLedger(teacherID) }, false,
		h.plainWrite(ctx, actor), func(l *credit.Ledger) error {
			return frozen(t, l.DecideDuplicate(actor, t.County(), entryID, duplicate, reason, h.Now().UTC()), len(l.Changes()))
		})
	if errors.Is(err, domain.ErrNotFound) {
		return Result{}, credit.ErrNoSuchEntry
	}
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, l), nil
}

// LikelyDuplicates are the counting entries of the teacher's ledger that c
// looks like: what the credit bank form warns about before submitting.
// Only the teacher asks, about their own ledger.
func (h *Handlers) LikelyDuplicates(ctx context.Context, actor access.Actor, c credit.Candidate) ([]credit.Entry, error) {
	if actor.Role != access.RoleTeacher || actor.TeacherID == uuid.Nil {
		return nil, access.ErrForbidden
	}
	l := credit.NewLedger(actor.TeacherID)
	if err := h.Repo.Load(ctx, credit.StreamName(actor.TeacherID), l); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	return l.LikelyDuplicates(c), nil
}
