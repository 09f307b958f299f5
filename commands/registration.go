package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
)

// PublishPolicy adds a version of the re-registration rules (province admin
// for its province or a region inside it). Policies are never edited: a
// change is a new version with its own effective date.
func (h *Handlers) PublishPolicy(ctx context.Context, actor access.Actor, p registration.Policy) (Result, error) {
	stream := registration.PolicyStreamName(p.Scope)
	ph, res, err := Update(ctx, h.Repo, stream, func() *registration.PolicyHistory { return registration.NewPolicyHistory(p.Scope) }, true,
		h.write(ctx, actor), func(ph *registration.PolicyHistory) error { return ph.Publish(actor, p, h.Now().UTC()) })
	if err != nil {
		return Result{}, err
	}
	return Result{ID: uuid.Nil, Revision: ph.Version(), Position: res.Position}, nil
}

// PublishedPolicy is a policy with who published it and when.
type PublishedPolicy struct {
	registration.Policy
	PublishedAt time.Time `json:"published_at"`
	PublishedBy uuid.UUID `json:"published_by"`
}

// Policies lists the policies that can apply to region (its province, city
// and county scopes, plus the national default first), in publication
// order per scope.
func (h *Handlers) Policies(ctx context.Context, region string) ([]PublishedPolicy, error) {
	nd := registration.NationalDefault()
	out := []PublishedPolicy{{Policy: nd, PublishedAt: nd.EffectiveFrom}}
	for _, scope := range policyScopes(region) {
		hist, err := h.Repo.History(ctx, registration.PolicyStreamName(scope))
		if err != nil {
			return nil, err
		}
		for _, env := range hist {
			if e, ok := env.Event.(*registration.PolicyPublished); ok {
				out = append(out, PublishedPolicy{Policy: e.Policy, PublishedAt: e.PublishedAt, PublishedBy: e.PublishedBy})
			}
		}
	}
	return out, nil
}

// policyScopes are the scopes whose policies may apply in region: the
// national one and each prefix level.
func policyScopes(region string) []string {
	scopes := []string{""}
	for _, n := range []int{2, 4, 6} {
		if len(region) >= n {
			scopes = append(scopes, region[:n])
		}
	}
	return scopes
}

// CheckAt says when a check is made. Date is the check date (hours and
// appraisal years count up to it), a China date held as UTC midnight (see
// CheckOnDate, CheckAtInstant). RecordAt, when set, is the instant the
// record is read as of: only events that occurred at or before it are
// replayed, so an auditor sees what a decision made then was based on. Zero
// reads the record as it stands.
type CheckAt struct {
	Date     time.Time
	RecordAt time.Time
}

// RegistrationCheck is a check with what it was made on.
type RegistrationCheck struct {
	registration.Result
	OutcomeLabel string               `json:"outcome_label"`
	County       string               `json:"county"`
	Name         string               `json:"name"`
	IDNumber     string               `json:"id_number"`
	History      registration.History `json:"history"`
	RecordAsOf   *time.Time           `json:"record_as_of,omitempty"`
}

// CheckRegistration runs the re-registration check of one teacher (anyone
// who may read the teacher's record).
func (h *Handlers) CheckRegistration(ctx context.Context, actor access.Actor, teacherID uuid.UUID, at CheckAt) (RegistrationCheck, error) {
	if _, err := h.CanReadTeacher(ctx, actor, teacherID); err != nil {
		return RegistrationCheck{}, err
	}
	return h.check(ctx, teacherID, at)
}

// asOf replays streams up to an instant.
type asOf struct {
	repo *Repository
	cut  time.Time
}

// occurred is when an event happened: the command's clock, or the store's
// when the metadata lacks it.
func occurred(env event.Envelope) time.Time {
	if !env.Metadata.OccurredAt.IsZero() {
		return env.Metadata.OccurredAt
	}
	return env.RecordedAt
}

func (r asOf) history(ctx context.Context, stream string) ([]event.Envelope, error) {
	hist, err := r.repo.History(ctx, stream)
	if err != nil || r.cut.IsZero() {
		return hist, err
	}
	out := hist[:0]
	for _, env := range hist {
		if !occurred(env).After(r.cut) {
			out = append(out, env)
		}
	}
	return out, nil
}

func (r asOf) load(ctx context.Context, stream string, agg Aggregate) (bool, error) {
	hist, err := r.history(ctx, stream)
	if err != nil {
		return false, err
	}
	agg.Load(agg, hist)
	return len(hist) > 0, nil
}

func (r asOf) catalog(ctx context.Context, region string) (registration.Catalog, error) {
	var ps []registration.Policy
	for _, scope := range policyScopes(region) {
		ph := registration.NewPolicyHistory(scope)
		if _, err := r.load(ctx, registration.PolicyStreamName(scope), ph); err != nil {
			return registration.Catalog{}, err
		}
		ps = append(ps, ph.Policies()...)
	}
	return registration.NewCatalog(ps...), nil
}

// check gathers every input of registration.Evaluate from the streams as
// they stood at at.RecordAt, picks the cycle and the policy, and evaluates.
func (h *Handlers) check(ctx context.Context, teacherID uuid.UUID, at CheckAt) (RegistrationCheck, error) {
	return h.checkFrom(ctx, asOf{repo: h.Repo, cut: at.RecordAt}, teacherID, at)
}

// checkSource gives the streams of a check as they stood at the check's
// RecordAt: asOf reads them one by one, a batch from what it read at once.
type checkSource interface {
	load(ctx context.Context, stream string, agg Aggregate) (bool, error)
	catalog(ctx context.Context, region string) (registration.Catalog, error)
}

func (h *Handlers) checkFrom(ctx context.Context, r checkSource, teacherID uuid.UUID, at CheckAt) (RegistrationCheck, error) {
	if at.Date.IsZero() {
		// Today is the users' date: until 08:00 in China the UTC date is
		// still yesterday.
		at.Date = ChinaDate(h.Now())
	}
	t := teacher.New(teacherID)
	found, err := r.load(ctx, teacher.StreamName(teacherID), t)
	if err != nil {
		return RegistrationCheck{}, err
	}
	if !found || !t.Registered() {
		return RegistrationCheck{}, fmt.Errorf("teacher %s as of the check: %w", teacherID, domain.ErrNotFound)
	}
	reg := registration.NewRegistration(teacherID)
	ledger := credit.NewLedger(teacherID)
	rec := appraisal.NewRecord(teacherID)
	facts := registration.NewFacts(teacherID)
	for stream, agg := range map[string]Aggregate{
		registration.StreamName(teacherID):      reg,
		credit.StreamName(teacherID):            ledger,
		appraisal.StreamName(teacherID):         rec,
		registration.FactsStreamName(teacherID): facts,
	} {
		if _, err := r.load(ctx, stream, agg); err != nil {
			return RegistrationCheck{}, err
		}
	}
	cat, err := r.catalog(ctx, t.County())
	if err != nil {
		return RegistrationCheck{}, err
	}
	absences := make([]registration.Absence, 0)
	for _, a := range facts.Absences() {
		absences = append(absences, a.Absence)
	}
	return checkSubject(registration.Subject{
		TeacherID: teacherID, Registered: true, County: t.County(), Name: t.Profile().Name, IDNumber: t.Profile().IDNumber,
		Categories: TeacherCategories(t.Profile()), History: reg.History(), Entries: ledger.Entries(),
		Annual: rec.Annual(), Ethics: rec.Ethics(), Absences: absences, Fitness: facts.Fitness(), Revoked: facts.Revoked() != nil,
	}, cat, at)
}

// checkSubject is the check of one teacher's inputs under the policies of
// cat, whether replayed from the streams or kept by a read model: the
// cycle and the policy (registration.Plan), then registration.Evaluate.
// at.Date is set.
func checkSubject(s registration.Subject, cat registration.Catalog, at CheckAt) (RegistrationCheck, error) {
	out := RegistrationCheck{County: s.County, Name: s.Name, IDNumber: s.IDNumber, History: s.History}
	if !at.RecordAt.IsZero() {
		ra := at.RecordAt.UTC()
		out.RecordAsOf = &ra
	}
	cycle, policy, err := registration.Plan(cat, s.County, s.History, at.Date)
	if err != nil {
		return out, err
	}
	absences := s.Absences
	if absences == nil {
		absences = make([]registration.Absence, 0)
	}
	res, err := registration.Evaluate(registration.Input{
		TeacherID: s.TeacherID, History: s.History, Cycle: cycle,
		Entries: s.Entries, Annual: s.Annual, Ethics: s.Ethics,
		Absences: absences, CertificateRevoked: s.Revoked,
		FitToTeach: s.FitIn(cycle, at.Date), Categories: s.Categories, AsOf: at.Date, Policy: policy,
	})
	if err != nil {
		return out, err
	}
	out.Result, out.OutcomeLabel = res, res.Outcome.Label()
	return out, nil
}

// LoadRegistration returns a teacher's decision history.
func (h *Handlers) LoadRegistration(ctx context.Context, teacherID uuid.UUID) (*registration.Registration, error) {
	reg := registration.NewRegistration(teacherID)
	hist, err := h.Repo.History(ctx, registration.StreamName(teacherID))
	if err != nil {
		return nil, err
	}
	reg.Load(reg, hist)
	return reg, nil
}

// RecordFirstRegistration records the first registration (首次注册) on the
// date on, which starts the first cycle (registration authority; the system
// loads registrations made before the platform).
func (h *Handlers) RecordFirstRegistration(ctx context.Context, actor access.Actor, teacherID uuid.UUID, on time.Time, note string) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	cat, err := asOf{repo: h.Repo}.catalog(ctx, t.County())
	if err != nil {
		return Result{}, err
	}
	policy := cat.InForce(t.County(), on)
	decisionID := h.newID(ctx, actor, "registration-decision")
	reg, res, err := Update(ctx, h.Repo, registration.StreamName(teacherID), func() *registration.Registration { return registration.NewRegistration(teacherID) }, true,
		h.write(ctx, actor), func(r *registration.Registration) error {
			return frozen(t, r.RecordFirst(actor, t.County(), decisionID, on, policy, note, h.Now().UTC()), len(r.Changes()))
		})
	if err != nil {
		return Result{}, err
	}
	return result(decisionID, res, reg), nil
}

// DecideRegistration records the registration authority's periodic
// decision. The check it rests on is made now, on the record as it stands;
// its outcome is the decision unless the authority departs from it with a
// note (outcome empty takes the check's). The decision stores the check's
// reasons, policy version and evidence digest.
func (h *Handlers) DecideRegistration(ctx context.Context, actor access.Actor, teacherID uuid.UUID, outcome registration.Outcome, note string) (Result, RegistrationCheck, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, RegistrationCheck{}, err
	}
	if !registration.CanDecide(actor, t.County()) {
		return Result{}, RegistrationCheck{}, fmt.Errorf("registration: only the registration authority of the teacher's region decides: %w", access.ErrForbidden)
	}
	if err := t.ReadOnly(); err != nil {
		return Result{}, RegistrationCheck{}, err
	}
	now := h.Now().UTC()
	// The decision is dated, and its check made, on the China date: a
	// decision at 07:00 in China is that day's, not the previous UTC day's.
	today := ChinaDate(now)
	decisionID := h.newID(ctx, actor, "registration-decision")
	var chk RegistrationCheck
	reg, res, err := Update(ctx, h.Repo, registration.StreamName(teacherID), func() *registration.Registration { return registration.NewRegistration(teacherID) }, false,
		h.write(ctx, actor), func(r *registration.Registration) error {
			c, err := h.check(ctx, teacherID, CheckAt{Date: today})
			if err != nil {
				return err
			}
			chk = c
			o := outcome
			if o == "" {
				o = c.Outcome
			}
			return r.Decide(actor, c.County, decisionID, c.Result, o, note, today, now)
		})
	if err != nil {
		return Result{}, chk, err
	}
	return result(decisionID, res, reg), chk, nil
}

// TeacherCategories are the categories a policy exemption is matched
// against (teacher.Categories): "field:code" for each category field that
// is filled, e.g. "post_category:3" (工勤技能岗位) or "special_post:1"
// (特岗教师). A policy exempts a category by naming it in
// Exemptions[].Code.
func TeacherCategories(p teacher.Profile) []string { return teacher.Categories(p) }
