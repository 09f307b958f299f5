package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
)

// The facts the registration check needs besides credits and appraisals
// (absences, fitness to teach, a revoked certificate) are the domain's
// registration.Facts; these handlers load, decide and append them. The
// decision instant is passed in China time, whose civil date is "today"
// for the rules ("an absence cannot start after today").

func (h *Handlers) updateRegFacts(ctx context.Context, actor access.Actor, teacherID uuid.UUID, decide func(*registration.Facts, string) error) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	f, res, err := Update(ctx, h.Repo, registration.FactsStreamName(teacherID), func() *registration.Facts { return registration.NewFacts(teacherID) }, true,
		h.write(ctx, actor), func(f *registration.Facts) error { return decide(f, t.County()) })
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, f), nil
}

// chinaNow is the handlers' clock in China time, for decisions that compare
// a date with today.
func (h *Handlers) chinaNow() time.Time { return h.Now().In(ident.ChinaTime) }

// RecordAbsence records an absence (county admin); it returns its id.
func (h *Handlers) RecordAbsence(ctx context.Context, actor access.Actor, teacherID uuid.UUID, a registration.Absence) (Result, uuid.UUID, error) {
	id := h.newID(ctx, actor, "absence")
	res, err := h.updateRegFacts(ctx, actor, teacherID, func(f *registration.Facts, county string) error {
		return f.RecordAbsence(actor, county, id, a, h.chinaNow())
	})
	return res, id, err
}

// WithdrawAbsence takes an absence back (county admin).
func (h *Handlers) WithdrawAbsence(ctx context.Context, actor access.Actor, teacherID, absenceID uuid.UUID, reason string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *registration.Facts, county string) error {
		return f.WithdrawAbsence(actor, county, absenceID, reason, h.chinaNow())
	})
}

// ConfirmFitness records that the teacher is fit to teach (registration
// authority).
func (h *Handlers) ConfirmFitness(ctx context.Context, actor access.Actor, teacherID uuid.UUID, on time.Time, note string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *registration.Facts, county string) error {
		return f.ConfirmFitness(actor, county, on, note, h.chinaNow())
	})
}

// RevokeCertificate records a revoked teaching certificate (registration
// authority).
func (h *Handlers) RevokeCertificate(ctx context.Context, actor access.Actor, teacherID uuid.UUID, on time.Time, reason string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *registration.Facts, county string) error {
		return f.RevokeCertificate(actor, county, on, reason, h.chinaNow())
	})
}
