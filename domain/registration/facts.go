package registration

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// The check needs three facts the other aggregates do not hold: absences
// from teaching (with or without approved leave), the confirmation that the
// teacher is fit to teach, and a revoked certificate. The county admin, who
// keeps the record, records absences; the registration authority confirms
// fitness (from the medical certificate of the application) and records a
// revocation. They live on one stream per teacher, regfacts-<teacherID>.
//
// The decision methods take at, the instant of the decision. "Today" is the
// civil date of at in its own location, so the caller passes it in the
// users' time zone (China time); at is stored in UTC either way.

// Stored event type names of the facts. They were first defined in the
// commands layer; the names, never the Go types, are what is stored.
const (
	TypeAbsenceRecorded    = "registration.absence_recorded"
	TypeAbsenceWithdrawn   = "registration.absence_withdrawn"
	TypeFitnessConfirmed   = "registration.fitness_confirmed"
	TypeCertificateRevoked = "registration.certificate_revoked"
)

// FactsStreamName is the facts stream of a teacher.
func FactsStreamName(teacherID uuid.UUID) string { return "regfacts-" + teacherID.String() }

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

// RecordedAbsence is a live absence with its id.
type RecordedAbsence struct {
	ID uuid.UUID `json:"id"`
	Absence
}

// Facts is the aggregate of those facts for one teacher.
type Facts struct {
	event.Root
	teacherID uuid.UUID
	absences  []RecordedAbsence
	fitness   []time.Time
	revoked   *CertificateRevoked
}

// NewFacts returns empty facts; load history into it.
func NewFacts(teacherID uuid.UUID) *Facts { return &Facts{teacherID: teacherID} }

// TeacherID is the teacher the facts are about.
func (f *Facts) TeacherID() uuid.UUID { return f.teacherID }

// Apply changes the state from an event; it never fails.
func (f *Facts) Apply(e event.Event) {
	switch e := e.(type) {
	case *AbsenceRecorded:
		f.absences = append(f.absences, RecordedAbsence{ID: e.AbsenceID, Absence: Absence{From: e.From, Until: e.Until, Approved: e.Approved, Note: e.Note}})
	case *AbsenceWithdrawn:
		f.absences = slices.DeleteFunc(f.absences, func(a RecordedAbsence) bool { return a.ID == e.AbsenceID })
	case *FitnessConfirmed:
		f.fitness = append(f.fitness, e.On)
	case *CertificateRevoked:
		c := *e
		f.revoked = &c
	}
}

// Absences are the live absences, in recording order.
func (f *Facts) Absences() []RecordedAbsence { return slices.Clone(f.absences) }

// FitIn reports whether fitness was confirmed on a day of c up to the day
// of asOf.
func (f *Facts) FitIn(c Cycle, asOf time.Time) bool { return fitIn(f.fitness, c, asOf) }

// Fitness are the days fitness was confirmed, in recording order.
func (f *Facts) Fitness() []time.Time { return slices.Clone(f.fitness) }

// Revoked is the revocation, nil when the certificate stands.
func (f *Facts) Revoked() *CertificateRevoked { return f.revoked }

// RecordAbsence is the county admin's record of an absence from teaching.
func (f *Facts) RecordAbsence(actor access.Actor, teacherCounty string, id uuid.UUID, a Absence, at time.Time) error {
	if actor.Role != access.RoleCountyAdmin || !actor.Covers(teacherCounty) {
		return fmt.Errorf("absence: only the county admin of the teacher's county records absences: %w", access.ErrForbidden)
	}
	v := &domain.ValidationError{}
	if a.From.IsZero() {
		v.Add("from", "请填写中止教学的开始日期")
	} else if dateOf(a.From).After(dateOf(at)) {
		v.Add("from", "开始日期不能晚于今天")
	}
	if !a.Until.IsZero() && !dateOf(a.Until).After(dateOf(a.From)) {
		v.Add("until", "返岗日期应晚于开始日期")
	}
	note := strings.TrimSpace(a.Note)
	if len([]rune(note)) > 500 {
		v.Add("note", "说明不能超过500字")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if slices.ContainsFunc(f.absences, func(x RecordedAbsence) bool { return x.ID == id }) {
		return fmt.Errorf("absence %s: %w", id, domain.ErrDuplicate)
	}
	var until time.Time
	if !a.Until.IsZero() {
		until = dateOf(a.Until)
	}
	f.Record(f, &AbsenceRecorded{AbsenceID: id, TeacherID: f.teacherID, From: dateOf(a.From), Until: until, Approved: a.Approved, Note: note, At: at.UTC()})
	return nil
}

// WithdrawAbsence takes back an absence recorded in error, with a reason.
func (f *Facts) WithdrawAbsence(actor access.Actor, teacherCounty string, id uuid.UUID, reason string, at time.Time) error {
	if actor.Role != access.RoleCountyAdmin || !actor.Covers(teacherCounty) {
		return fmt.Errorf("absence: only the county admin of the teacher's county withdraws absences: %w", access.ErrForbidden)
	}
	if !slices.ContainsFunc(f.absences, func(x RecordedAbsence) bool { return x.ID == id }) {
		return fmt.Errorf("absence %s: %w", id, domain.ErrNotFound)
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "请说明撤回原因")
	}
	f.Record(f, &AbsenceWithdrawn{AbsenceID: id, TeacherID: f.teacherID, Reason: reason, At: at.UTC()})
	return nil
}

// ConfirmFitness is the registration authority's confirmation.
func (f *Facts) ConfirmFitness(actor access.Actor, teacherCounty string, on time.Time, note string, at time.Time) error {
	if !CanDecide(actor, teacherCounty) {
		return fmt.Errorf("fitness: only the registration authority of the teacher's region confirms: %w", access.ErrForbidden)
	}
	if on.IsZero() || dateOf(on).After(dateOf(at)) {
		return domain.Invalid("on", "确认日期不正确")
	}
	f.Record(f, &FitnessConfirmed{TeacherID: f.teacherID, On: dateOf(on), Note: strings.TrimSpace(note), At: at.UTC()})
	return nil
}

// RevokeCertificate records a revocation by the registration authority.
func (f *Facts) RevokeCertificate(actor access.Actor, teacherCounty string, on time.Time, reason string, at time.Time) error {
	if !CanDecide(actor, teacherCounty) {
		return fmt.Errorf("certificate: only the registration authority of the teacher's region records a revocation: %w", access.ErrForbidden)
	}
	if f.revoked != nil {
		return domain.Refusal("certificate already revoked", "该教师资格证书已记录撤销，不能重复记录")
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "请说明撤销依据")
	}
	if on.IsZero() || dateOf(on).After(dateOf(at)) {
		return domain.Invalid("on", "撤销日期不正确")
	}
	f.Record(f, &CertificateRevoked{TeacherID: f.teacherID, On: dateOf(on), Reason: reason, At: at.UTC()})
	return nil
}
