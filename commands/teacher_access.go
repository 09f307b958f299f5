package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
)

// CanReadTeacher decides who may read a teacher's record and everything
// hung on it (history, credits, appraisals, growth track): the teacher, and
// admins, auditors and registration authorities whose jurisdiction covers
// the teacher's current county. It returns the county. Institutions read
// only what their enrollments show, through their own queries.
func (h *Handlers) CanReadTeacher(ctx context.Context, actor access.Actor, teacherID uuid.UUID) (string, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return "", err
	}
	return readsTeacher(actor, teacherID, t.County())
}

// readsTeacher is CanReadTeacher's rule for a teacher of county.
func readsTeacher(actor access.Actor, teacherID uuid.UUID, county string) (string, error) {
	switch {
	case actor.Role == access.RoleTeacher && actor.TeacherID == teacherID:
		return county, nil
	case actor.Role.IsAdmin() || actor.Role == access.RoleAuditor || actor.Role == access.RoleRegistrar || actor.Role == access.RoleSystem:
		if actor.Covers(county) {
			return county, nil
		}
	}
	return "", fmt.Errorf("%w: teacher %s is outside the actor's reach", access.ErrForbidden, teacherID)
}

// RevealsPersonalData reports whether a role may see ID numbers and mobiles
// in full (each reveal is recorded by the caller): the county admins who
// maintain the record and the registration authority that decides on it.
func RevealsPersonalData(actor access.Actor) bool {
	return actor.Role == access.RoleCountyAdmin || actor.Role == access.RoleRegistrar
}

// TeacherByIDNumber finds a teacher by ID number through the ID-number
// claim, which is written with the registration: no read-model lag.
func (h *Handlers) TeacherByIDNumber(ctx context.Context, idNumber string) (uuid.UUID, error) {
	c := claim.New(ClaimIDNumber)
	if err := h.Repo.Load(ctx, claim.StreamName(ClaimIDNumber, idNumber), c); err != nil {
		return uuid.Nil, err
	}
	if c.Owner() == uuid.Nil {
		return uuid.Nil, errNoOwner
	}
	return c.Owner(), nil
}

var errNoOwner = fmt.Errorf("%w: no teacher holds this ID number", domain.ErrNotFound)
