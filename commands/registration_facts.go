package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
)

// The registration check needs three facts the other aggregates do not
// hold: absences from teaching (with or without approved leave), the
// confirmation that the teacher is fit to teach, and a revoked certificate.
// The county admin, who keeps the record, records absences; the
// registration authority confirms fitness (from the medical certificate of
// the application) and records a revocation. They live on one stream per
// teacher, regfacts-<teacherID>.
//
// These events belong in domain/registration with the rest of the rules;
// they are here because that package is another engineer's. The stored
// names are final, so moving the types changes nothing stored.
const (
	TypeAbsenceRecorded    = "registration.absence_recorded"
	TypeAbsenceWithdrawn   = "registration.absence_withdrawn"
	TypeFitnessConfirmed   = "registration.fitness_confirmed"
	TypeCertificateRevoked = "registration.certificate_revoked"
)

// AbsenceRecorded: the teacher did not teach from From until Until (the
// first day back; zero while still absent).
type AbsenceRecorded struct {
	AbsenceID uuid.UUID `json:"absence_id"`
	TeacherID uuid.UUID `json:"teacher_id"`
	From      time.Time `json:"from"`
	Until     time.Time `json:"until,omitzero"`
	Approved  bool      `json:"approved"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
}

func (*AbsenceRecorded) EventType() string { return TypeAbsenceRecorded }

// AbsenceWithdrawn takes back an absence recorded in error; a changed
// absence is withdrawn and recorded again.
type AbsenceWithdrawn struct {
	AbsenceID uuid.UUID `json:"absence_id"`
	TeacherID uuid.UUID `json:"teacher_id"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

func (*AbsenceWithdrawn) EventType() string { return TypeAbsenceWithdrawn }

// FitnessConfirmed: the authority saw evidence on On that the teacher is
// fit to teach (身心健康、胜任教育教学工作). It counts for the cycle it falls in.
type FitnessConfirmed struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	On        time.Time `json:"on"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
}

func (*FitnessConfirmed) EventType() string { return TypeFitnessConfirmed }

// CertificateRevoked: the teaching certificate was revoked by law.
type CertificateRevoked struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	On        time.Time `json:"on"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

func (*CertificateRevoked) EventType() string { return TypeCertificateRevoked }

// RegisterRegistrationFactEvents adds the events above to r.
func RegisterRegistrationFactEvents(r *event.Registry) {
	r.Register(func() event.Event { return &AbsenceRecorded{} })
	r.Register(func() event.Event { return &AbsenceWithdrawn{} })
	r.Register(func() event.Event { return &FitnessConfirmed{} })
	r.Register(func() event.Event { return &CertificateRevoked{} })
}

// RegFactsStreamName is the facts stream of a teacher.
func RegFactsStreamName(teacherID uuid.UUID) string { return "regfacts-" + teacherID.String() }

// Absence is a recorded absence.
type Absence struct {
	ID uuid.UUID `json:"id"`
	registration.Absence
}

// RegFacts is the aggregate of those facts.
type RegFacts struct {
	event.Root
	teacherID uuid.UUID
	absences  []Absence
	fitness   []time.Time
	revoked   *CertificateRevoked
}

// NewRegFacts returns empty facts; load history into it.
func NewRegFacts(teacherID uuid.UUID) *RegFacts { return &RegFacts{teacherID: teacherID} }

func (f *RegFacts) Apply(e event.Event) {
	switch e := e.(type) {
	case *AbsenceRecorded:
		f.absences = append(f.absences, Absence{ID: e.AbsenceID, Absence: registration.Absence{From: e.From, Until: e.Until, Approved: e.Approved, Note: e.Note}})
	case *AbsenceWithdrawn:
		f.absences = slices.DeleteFunc(f.absences, func(a Absence) bool { return a.ID == e.AbsenceID })
	case *FitnessConfirmed:
		f.fitness = append(f.fitness, e.On)
	case *CertificateRevoked:
		c := *e
		f.revoked = &c
	}
}

// Absences are the live absences, in recording order.
func (f *RegFacts) Absences() []Absence { return slices.Clone(f.absences) }

// FitIn reports whether fitness was confirmed on a day of c up to asOf.
func (f *RegFacts) FitIn(c registration.Cycle, asOf time.Time) bool {
	for _, on := range f.fitness {
		if !on.Before(c.Start) && !on.After(asOf) {
			return true
		}
	}
	return false
}

// Revoked is the revocation, nil when the certificate stands.
func (f *RegFacts) Revoked() *CertificateRevoked { return f.revoked }

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RecordAbsence is the county admin's record of an absence from teaching.
func (f *RegFacts) RecordAbsence(actor access.Actor, teacherCounty string, id uuid.UUID, a registration.Absence, at time.Time) error {
	if actor.Role != access.RoleCountyAdmin || !actor.Covers(teacherCounty) {
		return fmt.Errorf("absence: only the county admin of the teacher's county records absences: %w", access.ErrForbidden)
	}
	v := &domain.ValidationError{}
	if a.From.IsZero() {
		v.Add("from", "请填写中止教学的开始日期")
	} else if day(a.From).After(day(at)) {
		v.Add("from", "开始日期不能晚于今天")
	}
	if !a.Until.IsZero() && !day(a.Until).After(day(a.From)) {
		v.Add("until", "返岗日期应晚于开始日期")
	}
	note := strings.TrimSpace(a.Note)
	if len([]rune(note)) > 500 {
		v.Add("note", "说明不能超过500字")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if slices.ContainsFunc(f.absences, func(x Absence) bool { return x.ID == id }) {
		return fmt.Errorf("absence %s: %w", id, domain.ErrDuplicate)
	}
	var until time.Time
	if !a.Until.IsZero() {
		until = day(a.Until)
	}
	f.Record(f, &AbsenceRecorded{AbsenceID: id, TeacherID: f.teacherID, From: day(a.From), Until: until, Approved: a.Approved, Note: note, At: at})
	return nil
}

// WithdrawAbsence takes back an absence recorded in error, with a reason.
func (f *RegFacts) WithdrawAbsence(actor access.Actor, teacherCounty string, id uuid.UUID, reason string, at time.Time) error {
	if actor.Role != access.RoleCountyAdmin || !actor.Covers(teacherCounty) {
		return fmt.Errorf("absence: only the county admin of the teacher's county withdraws absences: %w", access.ErrForbidden)
	}
	if !slices.ContainsFunc(f.absences, func(x Absence) bool { return x.ID == id }) {
		return fmt.Errorf("absence %s: %w", id, domain.ErrNotFound)
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "请说明撤回原因")
	}
	f.Record(f, &AbsenceWithdrawn{AbsenceID: id, TeacherID: f.teacherID, Reason: reason, At: at})
	return nil
}

// ConfirmFitness is the registration authority's confirmation.
func (f *RegFacts) ConfirmFitness(actor access.Actor, teacherCounty string, on time.Time, note string, at time.Time) error {
	if !registration.CanDecide(actor, teacherCounty) {
		return fmt.Errorf("fitness: only the registration authority of the teacher's region confirms: %w", access.ErrForbidden)
	}
	if on.IsZero() || day(on).After(day(at)) {
		return domain.Invalid("on", "确认日期不正确")
	}
	f.Record(f, &FitnessConfirmed{TeacherID: f.teacherID, On: day(on), Note: strings.TrimSpace(note), At: at})
	return nil
}

// RevokeCertificate records a revocation by the registration authority.
func (f *RegFacts) RevokeCertificate(actor access.Actor, teacherCounty string, on time.Time, reason string, at time.Time) error {
	if !registration.CanDecide(actor, teacherCounty) {
		return fmt.Errorf("certificate: only the registration authority of the teacher's region records a revocation: %w", access.ErrForbidden)
	}
	if f.revoked != nil {
		return fmt.Errorf("certificate already revoked: %w", domain.ErrInvalidState)
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "请说明撤销依据")
	}
	if on.IsZero() || day(on).After(day(at)) {
		return domain.Invalid("on", "撤销日期不正确")
	}
	f.Record(f, &CertificateRevoked{TeacherID: f.teacherID, On: day(on), Reason: reason, At: at})
	return nil
}

func (h *Handlers) updateRegFacts(ctx context.Context, actor access.Actor, teacherID uuid.UUID, decide func(*RegFacts, string) error) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	f, res, err := Update(ctx, h.Repo, RegFactsStreamName(teacherID), func() *RegFacts { return NewRegFacts(teacherID) }, true,
		h.write(ctx, actor), func(f *RegFacts) error { return decide(f, t.County()) })
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, f), nil
}

// RecordAbsence records an absence (county admin); it returns its id.
func (h *Handlers) RecordAbsence(ctx context.Context, actor access.Actor, teacherID uuid.UUID, a registration.Absence) (Result, uuid.UUID, error) {
	id := h.newID(ctx, actor, "absence")
	res, err := h.updateRegFacts(ctx, actor, teacherID, func(f *RegFacts, county string) error {
		return f.RecordAbsence(actor, county, id, a, h.Now().UTC())
	})
	return res, id, err
}

// WithdrawAbsence takes an absence back (county admin).
func (h *Handlers) WithdrawAbsence(ctx context.Context, actor access.Actor, teacherID, absenceID uuid.UUID, reason string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *RegFacts, county string) error {
		return f.WithdrawAbsence(actor, county, absenceID, reason, h.Now().UTC())
	})
}

// ConfirmFitness records that the teacher is fit to teach (registration
// authority).
func (h *Handlers) ConfirmFitness(ctx context.Context, actor access.Actor, teacherID uuid.UUID, on time.Time, note string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *RegFacts, county string) error {
		return f.ConfirmFitness(actor, county, on, note, h.Now().UTC())
	})
}

// RevokeCertificate records a revoked teaching certificate (registration
// authority).
func (h *Handlers) RevokeCertificate(ctx context.Context, actor access.Actor, teacherID uuid.UUID, on time.Time, reason string) (Result, error) {
	return h.updateRegFacts(ctx, actor, teacherID, func(f *RegFacts, county string) error {
		return f.RevokeCertificate(actor, county, on, reason, h.Now().UTC())
	})
}
