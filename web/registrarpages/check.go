package registrarpages

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

func maskID(s string) string { return ident.MaskID(s) }

type findData struct {
	AsOf    string
	Query   url.Values
	Rows    []projections.RosterRow
	Total   int
	Offset  int
	Limit   int
	Finding bool
}

// find looks a teacher up for a single check: by ID number (exact), or by
// name within the registrar's jurisdiction (a list to choose from).
func (s *Section) find(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := findData{AsOf: strings.TrimSpace(q.Get("as_of")), Query: url.Values{}, Offset: offsetOf(q), Limit: pageSize}
	if d.AsOf == "" {
		d.AsOf = today()
	}
	idNumber := appraisal.NormalizeID(q.Get("id_number"))
	name := strings.TrimSpace(q.Get("name"))
	form := url.Values{"id_number": {q.Get("id_number")}, "name": {name}, "as_of": {d.AsOf}}
	page := web.Page{Title: "单人核查", Data: &d, Form: form}
	if _, err := httpapi.ParseCheckAt(d.AsOf); err != nil {
		s.views.Form(w, r, "find", page, err)
		return
	}
	actor := web.Actor(r)
	switch {
	case idNumber != "":
		d.Finding = true
		id, err := s.Cmd.TeacherByIDNumber(r.Context(), idNumber)
		if err == nil {
			// A teacher outside the jurisdiction reads as not found.
			_, err = s.Cmd.CanReadTeacher(r.Context(), actor, id)
		}
		switch {
		case err == nil:
			http.Redirect(w, r, "/registrar/check/"+id.String()+"?"+url.Values{"as_of": {d.AsOf}}.Encode(), http.StatusSeeOther)
		case errors.Is(err, domain.ErrNotFound) || errors.Is(err, access.ErrForbidden):
			s.views.Form(w, r, "find", page, web.ValidationErrors(domain.FieldError{Field: "id_number", Reason: "本辖区没有该证件号码的教师"}))
		default:
			s.k.Fail(w, r, err)
		}
		return
	case name != "":
		d.Finding = true
		d.Query.Set("name", name)
		d.Query.Set("as_of", d.AsOf)
		res, err := s.Teachers.Roster(r.Context(), projections.RosterFilter{Jurisdiction: actor.Jurisdiction, Name: name, Limit: pageSize, Offset: d.Offset})
		if err != nil {
			s.views.Form(w, r, "find", page, err)
			return
		}
		d.Total = res.Total
		for _, row := range res.Rows {
			d.Rows = append(d.Rows, row.MaskedCopy())
		}
	}
	s.views.Render(w, r, http.StatusOK, "find", page)
}

type checkData struct {
	TeacherID uuid.UUID
	AsOf      string
	Today     string
	Check     commands.RegistrationCheck
	Class     string
	// State says what the check could not judge: "not_registered" (no
	// registration: first registration may be recorded) or "not_yet" (the
	// teacher was not in the record on that date); "" is a full check.
	State     string
	Status    projections.RegistrationStatus
	CanDecide bool
	Outcomes  []web.Option
	Years     []yearRow
	Entries   []entryRow
	// CycleStart and CycleEnd are the cycle's first and last day;
	// CycleYears the hours per cycle year, each with its last day.
	CycleStart, CycleEnd string
	CycleYears           []cycleYearRow
	Decisions            []decisionRow
}

type decisionRow struct {
	projections.RegistrationDecision
	CheckLabel string
}

type cycleYearRow struct {
	registration.CycleYearHours
	From, To string
	Short    bool
}

type yearRow struct {
	registration.YearEvidence
	GradeLabel string
}

type entryRow struct {
	registration.EntryEvidence
	CategoryLabel, LevelLabel, StatusLabel, RuleLabel string
}

var statusLabels = map[string]string{
	registration.StatusCounted:  "计入",
	registration.StatusCapped:   "部分计入（封顶）",
	registration.StatusExcluded: "不计入",
}

var ruleLabels = map[string]string{
	registration.RuleCreditConversion:  "按学分折算学时",
	registration.RuleDegreeStudyFlat:   "学历提升按年定额",
	registration.RuleClassTeacherFlat:  "班主任培训按年定额",
	registration.RuleFlatYearCounted:   "本年已按定额计入",
	registration.RuleSchoolBasedCap:    "校本研修封顶",
	registration.RuleDuplicateActivity: "重复的培训",
	registration.RuleRevoked:           "已撤销",
	registration.RuleNoHours:           "无学时",
}

// decisionOutcomes are the outcomes a decision may take.
var decisionOutcomes = []registration.Outcome{registration.OutcomePass, registration.OutcomeDeferred, registration.OutcomeFail, registration.OutcomeExempt}

func (s *Section) teacherID(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.k.Fail(w, r, domain.ErrNotFound)
		return uuid.Nil, false
	}
	return id, true
}

// load runs the check of a teacher as of a date (the API's
// /teachers/{id}/registration/check) and gathers the page. A teacher
// outside the jurisdiction is answered like a missing one.
func (s *Section) load(r *http.Request, id uuid.UUID, asOf string) (*checkData, error) {
	actor := web.Actor(r)
	if _, err := s.Cmd.CanReadTeacher(r.Context(), actor, id); err != nil {
		if errors.Is(err, access.ErrForbidden) {
			return nil, fmt.Errorf("teacher %s: %w", id, domain.ErrNotFound)
		}
		return nil, err
	}
	d := &checkData{TeacherID: id, AsOf: asOf, Today: today()}
	if d.AsOf == "" {
		d.AsOf = d.Today
	}
	at, err := httpapi.ParseCheckAt(d.AsOf)
	if err != nil {
		return d, err
	}
	c, err := s.Cmd.CheckRegistration(r.Context(), actor, id, at)
	switch {
	case errors.Is(err, registration.ErrNotRegistered):
		d.State = "not_registered"
	case errors.Is(err, domain.ErrNotFound):
		d.State = "not_yet"
	case err != nil:
		return nil, err
	}
	c.IDNumber = maskID(c.IDNumber)
	d.Check, d.Class = c, outcomeClass(c.Outcome)
	if d.Status, err = s.Credits.RegistrationStatus(r.Context(), id); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	d.Status.IDNumber = maskID(d.Status.IDNumber)
	for _, dec := range d.Status.Decisions {
		row := decisionRow{RegistrationDecision: dec}
		if dec.CheckOutcome != "" {
			row.CheckLabel = registration.Outcome(dec.CheckOutcome).Label()
		}
		d.Decisions = append(d.Decisions, row)
	}
	d.CanDecide = d.State == "" && c.Outcome != registration.OutcomeNotDue && registration.CanDecide(actor, c.County)
	for _, o := range decisionOutcomes {
		d.Outcomes = append(d.Outcomes, web.Option{Value: string(o), Label: o.Label()})
	}
	if !c.Cycle.Start.IsZero() {
		d.CycleStart, d.CycleEnd = c.Cycle.Start.Format(time.DateOnly), c.Cycle.End.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	for _, y := range c.Evidence.CycleYears {
		d.CycleYears = append(d.CycleYears, cycleYearRow{CycleYearHours: y, From: y.From.Format(time.DateOnly),
			To: y.To.AddDate(0, 0, -1).Format(time.DateOnly), Short: y.Due && y.Hours.Less(y.Minimum)})
	}
	for _, y := range c.Evidence.Years {
		row := yearRow{YearEvidence: y}
		if y.Grade != "" {
			row.GradeLabel = y.Grade.Label()
		}
		d.Years = append(d.Years, row)
	}
	for _, e := range c.Evidence.Entries {
		d.Entries = append(d.Entries, entryRow{EntryEvidence: e, CategoryLabel: e.Category.Label(), LevelLabel: e.Level.Label(),
			StatusLabel: statusLabels[e.Status], RuleLabel: ruleLabels[e.Rule]})
	}
	return d, nil
}

// check shows one teacher's check: outcome, every reason, the evidence,
// the policy version; the decision form (registrar of the teacher's
// region, cycle due) or the first-registration form (no registration).
func (s *Section) check(w http.ResponseWriter, r *http.Request) {
	id, ok := s.teacherID(w, r)
	if !ok {
		return
	}
	asOf := strings.TrimSpace(r.URL.Query().Get("as_of"))
	d, err := s.load(r, id, asOf)
	page := web.Page{Title: "资格注册核查", Data: d, Form: url.Values{"as_of": {asOf}}}
	if err != nil {
		if d == nil {
			s.k.Fail(w, r, err)
			return
		}
		// A bad date: show the form with the reason, checked as of today.
		if d, _ = s.load(r, id, ""); d == nil {
			s.k.Fail(w, r, err)
			return
		}
		page.Data = d
		s.views.Form(w, r, "check", page, err)
		return
	}
	page.Form.Set("as_of", d.AsOf)
	s.views.Render(w, r, http.StatusOK, "check", page)
}

// refuse shows the check page again with a refused form's message.
func (s *Section) refuse(w http.ResponseWriter, r *http.Request, id uuid.UUID, err error) {
	d, lerr := s.load(r, id, "")
	if lerr != nil {
		s.k.Fail(w, r, lerr)
		return
	}
	form := url.Values{"as_of": {d.AsOf}}
	for k, v := range r.PostForm {
		form[k] = v
	}
	s.views.Form(w, r, "check", web.Page{Title: "资格注册核查", Data: d, Form: form}, err)
}

// decide records the registration authority's periodic decision (the
// API's POST /teachers/{id}/registration/decisions): made on today's check;
// an outcome other than the check's needs a reason.
func (s *Section) decide(w http.ResponseWriter, r *http.Request) {
	id, ok := s.teacherID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	outcome := registration.Outcome(r.PostFormValue("outcome"))
	res, chk, err := s.Cmd.DecideRegistration(r.Context(), web.Actor(r), id, outcome, r.PostFormValue("note"))
	if err != nil {
		s.refuse(w, r, id, err)
		return
	}
	if outcome == "" {
		outcome = chk.Outcome
	}
	s.k.Done(w, r, res.Position, "/registrar/check/"+id.String(), "已记录注册决定："+outcome.Label()+"。")
}

// first records a first registration (the API's POST
// /teachers/{id}/registration/first) for a teacher without one.
func (s *Section) first(w http.ResponseWriter, r *http.Request) {
	id, ok := s.teacherID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	on, err := ident.ParseDate("on", "注册日期", strings.TrimSpace(r.PostFormValue("on")))
	if err != nil {
		s.refuse(w, r, id, err)
		return
	}
	res, err := s.Cmd.RecordFirstRegistration(r.Context(), web.Actor(r), id, on, strings.TrimSpace(r.PostFormValue("note")))
	if err != nil {
		s.refuse(w, r, id, err)
		return
	}
	s.k.Done(w, r, res.Position, "/registrar/check/"+id.String(), "已记录首次注册（"+on.Format(time.DateOnly)+"）。")
}
