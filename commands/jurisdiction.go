package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/teacher"
)

// Jurisdiction after a transfer (package teacher, Spells): everything hung
// on a teacher (enrollments, credits, registration checks) belongs to the
// teacher's current county. A county the teacher left keeps read access to
// what happened while the teacher was its own (dated inside its spell) and
// nothing else: no decision, no withdrawal, no check, and what is dated
// after the move answers 404 like any record outside its reach.

// TeacherReach is what an actor may read of a teacher's record.
type TeacherReach struct {
	County string // the teacher's current county
	// Former is set when the actor reads as a county the teacher left:
	// only what is dated inside this spell.
	Former *teacher.Spell
}

// loadTeacherSpells reads the teacher and the counties that held it.
func (h *Handlers) loadTeacherSpells(ctx context.Context, id uuid.UUID) (*teacher.Teacher, []teacher.Spell, error) {
	hist, err := h.Repo.History(ctx, teacher.StreamName(id))
	if err != nil {
		return nil, nil, err
	}
	if len(hist) == 0 {
		return nil, nil, fmt.Errorf("teacher %s: %w", id, domain.ErrNotFound)
	}
	t := teacher.New(id)
	t.Load(t, hist)
	return t, teacher.Spells(hist), nil
}

// readsAsFormer: the roles that read a teacher by jurisdiction (never the
// teacher, an institution or the system) may keep a former county's view.
func readsAsFormer(actor access.Actor) bool {
	return actor.Role.IsAdmin() || actor.Role == access.RoleAuditor || actor.Role == access.RoleRegistrar
}

// ReachTeacher is CanReadTeacher with the former county's view: the
// current jurisdiction reads everything; a county the teacher left reads
// what is dated inside its spell (Former set).
func (h *Handlers) ReachTeacher(ctx context.Context, actor access.Actor, teacherID uuid.UUID) (TeacherReach, error) {
	t, spells, err := h.loadTeacherSpells(ctx, teacherID)
	if err != nil {
		return TeacherReach{}, err
	}
	county, err := readsTeacher(actor, teacherID, t.County())
	if err == nil {
		return TeacherReach{County: county}, nil
	}
	if readsAsFormer(actor) {
		if s, ok := teacher.FormerSpell(actor, spells); ok {
			return TeacherReach{County: t.County(), Former: &s}, nil
		}
	}
	return TeacherReach{}, err
}

// FormerEnrollment is the view a county keeps of an enrollment of a teacher
// who left it: allowed when the enrollment was first nominated while the
// teacher was the county's, and it shows the enrollment as it stood when
// the teacher left. Anything else is forbidden (404 on the record routes).
func (h *Handlers) FormerEnrollment(ctx context.Context, actor access.Actor, id uuid.UUID) (*enrollment.Enrollment, teacher.Spell, error) {
	forbidden := fmt.Errorf("%w: enrollment %s", access.ErrForbidden, id)
	if !readsAsFormer(actor) {
		return nil, teacher.Spell{}, forbidden
	}
	hist, err := h.Repo.History(ctx, enrollment.StreamName(id))
	if err != nil {
		return nil, teacher.Spell{}, err
	}
	if len(hist) == 0 {
		return nil, teacher.Spell{}, forbidden
	}
	e := enrollment.Load(hist)
	_, spells, err := h.loadTeacherSpells(ctx, e.TeacherID())
	if err != nil {
		return nil, teacher.Spell{}, err
	}
	s, ok := teacher.FormerSpell(actor, spells)
	steps := e.Steps()
	if !ok || len(steps) == 0 || !s.Covers(steps[0].At) {
		return nil, teacher.Spell{}, forbidden
	}
	return enrollment.LoadUntil(hist, s.Until), s, nil
}

// frozen applies the rule of a record transferred out of the province to a
// decision on anything hung on the teacher: permission first (a refusal
// for the actor stays that), then every change, and every other refusal, is
// answered with the one reason (teacher.ErrTransferredOut).
func frozen(t *teacher.Teacher, err error, changes int) error {
	if t == nil || !t.TransferredOut() {
		return err
	}
	if err != nil && errors.Is(err, access.ErrForbidden) {
		return err
	}
	if err != nil || changes > 0 {
		return teacher.ErrTransferredOut
	}
	return nil
}
