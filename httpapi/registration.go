package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/projections"
)

// RegistrationArea is certificate re-registration: the versioned policies
// (published by the province admin), the facts the check needs besides
// credits and appraisals (absences, fitness, revocation), the check of one
// teacher "as of" a date, batch checks exported as CSV/XLSX, the
// registration authority's decisions, and the status they add up to.
type RegistrationArea struct {
	Cmd *commands.Handlers
	Q   *projections.CreditQueries
	s   *Server
}

func (a *RegistrationArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Get("/registration-policies", s.H(a.policies))
	r.Post("/registration-policies", s.H(a.publish))
	r.Get("/registration/status", s.H(a.statuses))
	r.Get("/registration/checks", s.H(a.batchCounty))
	r.Post("/registration/checks", s.H(a.batchList))
	r.Get("/teachers/{id}/registration", s.H(a.status))
	r.Get("/teachers/{id}/registration/check", s.H(a.check))
	r.Post("/teachers/{id}/registration/first", s.H(a.first))
	r.Post("/teachers/{id}/registration/decisions", s.H(a.decide))
	r.Post("/teachers/{id}/absences", s.H(a.recordAbsence))
	r.Post("/teachers/{id}/absences/{aid}/withdraw", s.H(a.withdrawAbsence))
	r.Post("/teachers/{id}/fitness", s.H(a.confirmFitness))
	r.Post("/teachers/{id}/certificate-revocation", s.H(a.revokeCertificate))
}

func (a *RegistrationArea) policies(w http.ResponseWriter, r *http.Request) error {
	region := r.URL.Query().Get("region")
	if region == "" {
		region = ActorOf(r).Jurisdiction
	}
	ps, err := a.Cmd.Policies(r.Context(), region)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ps})
	return nil
}

// policyRequest is a Policy with its effective date as a plain date.
type policyRequest struct {
	Version                  string                   `json:"version"`
	Scope                    string                   `json:"scope"`
	EffectiveFrom            string                   `json:"effective_from"`
	CycleYears               int                      `json:"cycle_years"`
	MinCycleHours            credit.Quantity          `json:"min_cycle_hours"`
	MinYearHours             credit.Quantity          `json:"min_year_hours"`
	MinCountyOrAboveHours    credit.Quantity          `json:"min_county_or_above_hours"`
	SchoolBasedCapHours      credit.Quantity          `json:"school_based_cap_hours"`
	DegreeStudyHoursPerYear  credit.Quantity          `json:"degree_study_hours_per_year"`
	ClassTeacherHoursPerYear credit.Quantity          `json:"class_teacher_hours_per_year"`
	HoursPerCredit           credit.Quantity          `json:"hours_per_credit"`
	MaxEntryHours            credit.Quantity          `json:"max_entry_hours"`
	MaxYearHours             credit.Quantity          `json:"max_year_hours"`
	MakeUpMonths             int                      `json:"make_up_months"`
	MaxUnapprovedAbsenceDays int                      `json:"max_unapproved_absence_days"`
	Exemptions               []registration.Exemption `json:"exemptions"`
	Note                     string                   `json:"note"`
}

func (a *RegistrationArea) publish(w http.ResponseWriter, r *http.Request) error {
	var req policyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	from, err := creditParseDate("effective_from", req.EffectiveFrom)
	if err != nil {
		return err
	}
	res, err := a.Cmd.PublishPolicy(r.Context(), ActorOf(r), registration.Policy{
		Version: req.Version, Scope: req.Scope, EffectiveFrom: from, CycleYears: req.CycleYears,
		MinCycleHours: req.MinCycleHours, MinYearHours: req.MinYearHours, MinCountyOrAboveHours: req.MinCountyOrAboveHours,
		SchoolBasedCapHours: req.SchoolBasedCapHours, DegreeStudyHoursPerYear: req.DegreeStudyHoursPerYear,
		ClassTeacherHoursPerYear: req.ClassTeacherHoursPerYear, HoursPerCredit: req.HoursPerCredit,
		MaxEntryHours: req.MaxEntryHours, MaxYearHours: req.MaxYearHours, MakeUpMonths: req.MakeUpMonths,
		MaxUnapprovedAbsenceDays: req.MaxUnapprovedAbsenceDays, Exemptions: req.Exemptions, Note: req.Note,
	})
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

// registrationCheckAt reads ?as_of=: a date checks on that day with the
// record as it stood at the day's end in China (users are there: an entry
// made at 23:30 China time counts, one made at 00:30 the next day does not);
// an RFC 3339 instant checks on its China date with the record as it stood
// at that instant; none is today's check.
func registrationCheckAt(r *http.Request) (commands.CheckAt, error) {
	return ParseCheckAt(r.URL.Query().Get("as_of"))
}

// ParseCheckAt reads an as_of value as registrationCheckAt does (the pages
// share it): a date, an RFC 3339 instant, or "" for today.
func ParseCheckAt(v string) (commands.CheckAt, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return commands.CheckAt{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return commands.CheckOnDate(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return commands.CheckAt{}, domain.Invalid("as_of", "核查时点应为日期（2006-01-02）或时间（RFC 3339）")
	}
	return commands.CheckAtInstant(t), nil
}

func (a *RegistrationArea) check(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	at, err := registrationCheckAt(r)
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	c, err := a.Cmd.CheckRegistration(r.Context(), actor, id, at)
	if err != nil {
		return err
	}
	// The teacher sees their own number; others see it masked unless their
	// role needs it and asks, and the reveal is recorded.
	switch {
	case actor.Role == access.RoleTeacher:
	case commands.RevealsPersonalData(actor) && r.URL.Query().Get("reveal") == "true":
		a.s.Audit(r, commands.ActionRevealPersonal, "teacher:"+id.String(), "id_number")
	default:
		c.IDNumber = ident.MaskID(c.IDNumber)
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *RegistrationArea) status(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	if _, err := a.Cmd.CanReadTeacher(r.Context(), actor, id); err != nil {
		return err
	}
	st, err := a.Q.RegistrationStatus(r.Context(), id)
	if err != nil {
		return err
	}
	if actor.Role != access.RoleTeacher {
		st.IDNumber = ident.MaskID(st.IDNumber)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (a *RegistrationArea) statuses(w http.ResponseWriter, r *http.Request) error {
	j, err := creditJurisdiction(r, ActorOf(r))
	if err != nil {
		return err
	}
	limit, err := creditQueryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	offset, err := creditQueryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	items, err := a.Q.RegistrationStatuses(r.Context(), projections.RegistrationFilter{Jurisdiction: j,
		Outcome: r.URL.Query().Get("outcome"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	for i := range items {
		items[i].IDNumber = ident.MaskID(items[i].IDNumber)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type firstRegistrationRequest struct {
	On   string `json:"on"`
	Note string `json:"note"`
}

func (a *RegistrationArea) first(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req firstRegistrationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	on, err := creditParseDate("on", req.On)
	if err != nil {
		return err
	}
	res, err := a.Cmd.RecordFirstRegistration(r.Context(), ActorOf(r), id, on, req.Note)
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

type decisionRequestBody struct {
	// Outcome is pass, deferred, fail or exempt; empty takes the check's.
	Outcome registration.Outcome `json:"outcome"`
	Note    string               `json:"note"`
}

// DecisionResponse is a recorded decision and the check it rests on.
type DecisionResponse struct {
	CommandResponse
	Check commands.RegistrationCheck `json:"check"`
}

func (a *RegistrationArea) decide(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req decisionRequestBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, chk, err := a.Cmd.DecideRegistration(r.Context(), ActorOf(r), id, req.Outcome, req.Note)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	writeJSON(w, http.StatusCreated, DecisionResponse{
		CommandResponse: CommandResponse{ID: res.ID, Revision: res.Revision, Position: res.Position.String()}, Check: chk})
	return nil
}

type absenceRequest struct {
	From     string `json:"from"`
	Until    string `json:"until"`
	Approved bool   `json:"approved"`
	Note     string `json:"note"`
}

func (a *RegistrationArea) recordAbsence(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req absenceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	from, err := creditParseDate("from", req.From)
	if err != nil {
		return err
	}
	var until time.Time
	if req.Until != "" {
		if until, err = creditParseDate("until", req.Until); err != nil {
			return err
		}
	}
	res, aid, err := a.Cmd.RecordAbsence(r.Context(), ActorOf(r), id, registration.Absence{From: from, Until: until, Approved: req.Approved, Note: req.Note})
	if err != nil {
		return err
	}
	res.ID = aid
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *RegistrationArea) withdrawAbsence(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := PathID(r, "aid")
	if err != nil {
		return err
	}
	var req creditReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.WithdrawAbsence(r.Context(), ActorOf(r), id, aid, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type datedNoteRequest struct {
	On     string `json:"on"`
	Note   string `json:"note"`
	Reason string `json:"reason"`
}

func (a *RegistrationArea) confirmFitness(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req datedNoteRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	on, err := creditParseDate("on", req.On)
	if err != nil {
		return err
	}
	res, err := a.Cmd.ConfirmFitness(r.Context(), ActorOf(r), id, on, req.Note)
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *RegistrationArea) revokeCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req datedNoteRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	on, err := creditParseDate("on", req.On)
	if err != nil {
		return err
	}
	res, err := a.Cmd.RevokeCertificate(r.Context(), ActorOf(r), id, on, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

// MaxBatchCheck bounds one synchronous batch check: a county of a
// province of a million teachers has at most some 15,000; a whole city
// fits (BatchChecks reads a thousand teachers at a time; BENCHMARKS.md).
const MaxBatchCheck = 100_000

// BatchRow is one teacher of a batch check.
type BatchRow struct {
	Line          int                   `json:"line,omitempty"`
	TeacherID     uuid.UUID             `json:"teacher_id,omitzero"`
	Name          string                `json:"name"`
	IDNumber      string                `json:"id_number"`
	County        string                `json:"county"`
	Outcome       registration.Outcome  `json:"outcome,omitempty"`
	OutcomeLabel  string                `json:"outcome_label"`
	CycleStart    string                `json:"cycle_start,omitempty"`
	CycleEnd      string                `json:"cycle_end,omitempty"`
	PolicyVersion string                `json:"policy_version,omitempty"`
	Hours         credit.Quantity       `json:"hours"`
	Required      credit.Quantity       `json:"required"`
	Reasons       []registration.Reason `json:"reasons"`
}

// NotInReach is the row of a teacher the caller may not check, and of an
// ID number no teacher has: the two must not be told apart.
const NotInReach = appraisal.NotInReach

// BatchCheck is one teacher's row of a batch check: a teacher the check
// cannot judge (no registration, outside the actor's jurisdiction, not yet
// registered at the date) is a row that says so, not an error.
func BatchCheck(ctx context.Context, cmd *commands.Handlers, actor access.Actor, id uuid.UUID, at commands.CheckAt) (BatchRow, error) {
	c, err := cmd.CheckRegistration(ctx, actor, id, at)
	return batchRowOf(id, c, err)
}

// BatchChecks is BatchCheck for many teachers at once, in their order
// (commands.CheckRegistrations: the streams of a thousand teachers in one
// read, each policy once).
func BatchChecks(ctx context.Context, cmd *commands.Handlers, actor access.Actor, ids []uuid.UUID, at commands.CheckAt) ([]BatchRow, error) {
	checked, err := cmd.CheckRegistrations(ctx, actor, ids, at)
	if err != nil {
		return nil, err
	}
	rows := make([]BatchRow, len(checked))
	for i, c := range checked {
		if rows[i], err = batchRowOf(c.TeacherID, c.Check, c.Err); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// batchRowOf is the row of one teacher's check, or of its refusal.
func batchRowOf(id uuid.UUID, c commands.RegistrationCheck, err error) (BatchRow, error) {
	row := BatchRow{TeacherID: id, Name: c.Name, IDNumber: c.IDNumber, County: c.County, Reasons: []registration.Reason{}}
	switch {
	case errors.Is(err, registration.ErrNotRegistered):
		row.OutcomeLabel = "无注册记录"
		return row, nil
	case errors.Is(err, access.ErrForbidden):
		// Outside the caller's reach: the same row as for a teacher the
		// system does not have, with nothing read from the record.
		return BatchRow{OutcomeLabel: NotInReach, Reasons: []registration.Reason{}}, nil
	case errors.Is(err, domain.ErrNotFound):
		row.OutcomeLabel = "该时点尚无此教师"
		return row, nil
	case err != nil:
		return row, err
	}
	row.Outcome, row.OutcomeLabel = c.Outcome, c.OutcomeLabel
	row.CycleStart, row.CycleEnd = c.Cycle.Start.Format(time.DateOnly), c.Cycle.End.AddDate(0, 0, -1).Format(time.DateOnly)
	row.PolicyVersion, row.Hours, row.Required, row.Reasons = c.PolicyVersion, c.Progress.Hours, c.Progress.Required, c.Reasons
	return row, nil
}

func (a *RegistrationArea) batchCounty(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	j, err := creditJurisdiction(r, actor)
	if err != nil {
		return err
	}
	at, err := registrationCheckAt(r)
	if err != nil {
		return err
	}
	ids, err := a.Q.TeachersIn(r.Context(), j, MaxBatchCheck)
	if err != nil {
		return err
	}
	if len(ids) > MaxBatchCheck {
		return domain.Invalid("county", fmt.Sprintf("一次最多核查%d名教师，请按区县分批核查", MaxBatchCheck))
	}
	rows, err := BatchChecks(r.Context(), a.Cmd, actor, ids, at)
	if err != nil {
		return err
	}
	return a.writeBatch(w, r, actor, "注册核查-"+j, rows)
}

// idListSchema is an uploaded list of ID numbers.
var idListSchema = tabular.Schema{Fields: []tabular.Field{
	{Key: "id_number", Label: "身份证件号码", Aliases: []string{"身份证号", "身份证号码", "证件号码"}, Required: true},
	{Key: "name", Label: "姓名"},
}}

func (a *RegistrationArea) batchList(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role == access.RoleTeacher || actor.Role == access.RoleInstitution || actor.Jurisdiction == "" {
		return fmt.Errorf("batch check: %w", access.ErrForbidden)
	}
	at, err := registrationCheckAt(r)
	if err != nil {
		return err
	}
	name, _, data, _, err := creditReadUpload(w, r)
	if err != nil {
		return err
	}
	t, err := ReadIDList(name, data)
	if err != nil {
		return err
	}
	rows, err := BatchCheckLines(r.Context(), a.Cmd, actor, t.Rows, at)
	if err != nil {
		return err
	}
	return a.writeBatch(w, r, actor, "注册核查-名单", rows)
}

// ReadIDList parses an uploaded list of ID numbers (CSV or XLSX, at most
// MaxBatchCheck rows) for a batch check.
func ReadIDList(name string, data []byte) (*tabular.Table, error) {
	return tabular.Read(bytes.NewReader(data), name, idListSchema, tabular.Limits{MaxRows: MaxBatchCheck})
}

// BatchCheckLine is the row of a batch check for one line of an uploaded
// list: a line without an ID number, or with one no teacher has, is a row
// that says so.
func BatchCheckLine(ctx context.Context, cmd *commands.Handlers, actor access.Actor, line tabular.Row, at commands.CheckAt) (BatchRow, error) {
	idNumber := appraisal.NormalizeID(line.Get("id_number"))
	row := BatchRow{Line: line.Line, IDNumber: idNumber, Name: line.Get("name"), Reasons: []registration.Reason{}}
	if idNumber == "" {
		row.OutcomeLabel = "缺少证件号码"
		return row, nil
	}
	id, err := cmd.TeacherByIDNumber(ctx, idNumber)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		row.OutcomeLabel = NotInReach
		return row, nil
	case err != nil:
		return row, err
	}
	checked, err := BatchCheck(ctx, cmd, actor, id, at)
	if err != nil {
		return row, err
	}
	return lineRow(row, checked), nil
}

// BatchCheckLines is BatchCheckLine for every line of a list at once: the
// ID-number claims in one read per thousand lines
// (commands.TeachersByIDNumbers), then BatchChecks.
func BatchCheckLines(ctx context.Context, cmd *commands.Handlers, actor access.Actor, lines []tabular.Row, at commands.CheckAt) ([]BatchRow, error) {
	numbers := make([]string, len(lines))
	for i, line := range lines {
		numbers[i] = appraisal.NormalizeID(line.Get("id_number"))
	}
	owners, err := cmd.TeachersByIDNumbers(ctx, numbers)
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, n := range numbers {
		if id, ok := owners[n]; ok && n != "" {
			ids = append(ids, id)
		}
	}
	checked, err := BatchChecks(ctx, cmd, actor, ids, at)
	if err != nil {
		return nil, err
	}
	rows := make([]BatchRow, len(lines))
	for i, line := range lines {
		idNumber := numbers[i]
		row := BatchRow{Line: line.Line, IDNumber: idNumber, Name: line.Get("name"), Reasons: []registration.Reason{}}
		_, ok := owners[idNumber]
		switch {
		case idNumber == "":
			row.OutcomeLabel = "缺少证件号码"
		case !ok:
			row.OutcomeLabel = NotInReach
		default:
			row = lineRow(row, checked[0])
			checked = checked[1:]
		}
		rows[i] = row
	}
	return rows, nil
}

// lineRow is the row of an uploaded line whose number teacher id holds,
// checked: a teacher out of reach shows the line as uploaded.
func lineRow(uploaded BatchRow, checked BatchRow) BatchRow {
	if checked.OutcomeLabel == NotInReach {
		uploaded.OutcomeLabel = NotInReach // as if the number were unknown: the line as uploaded
		return uploaded
	}
	row := checked
	row.Line = uploaded.Line
	if row.IDNumber == "" {
		row.IDNumber = uploaded.IDNumber
	}
	return row
}

// writeBatch sends the rows as JSON, CSV or XLSX (?format=). ID numbers are
// masked unless the role may see them and asks to (?reveal=true), which is
// recorded.
func (a *RegistrationArea) writeBatch(w http.ResponseWriter, r *http.Request, actor access.Actor, filename string, rows []BatchRow) error {
	reveal := commands.RevealsPersonalData(actor) && r.URL.Query().Get("reveal") == "true"
	for i := range rows {
		if !reveal {
			rows[i].IDNumber = ident.MaskID(rows[i].IDNumber)
		}
	}
	if reveal {
		a.s.Audit(r, commands.ActionRevealPersonal, "registration-batch", "id_number: "+strconv.Itoa(len(rows))+" rows")
	}
	format := r.URL.Query().Get("format")
	if format == "" || format == "json" {
		writeJSON(w, http.StatusOK, map[string]any{"items": rows})
		return nil
	}
	return WriteBatchSheet(w, format, filename, rows)
}

// WriteBatchSheet sends the rows of a batch check as CSV or XLSX (format
// "csv" or "xlsx"), as they are: the caller masks ID numbers.
func WriteBatchSheet(w http.ResponseWriter, format, filename string, rows []BatchRow) error {
	header := []string{"行号", "姓名", "身份证件号码", "区县", "核查结论", "注册周期开始", "注册周期结束", "政策版本", "周期内学时", "要求学时", "原因"}
	out := make([][]string, len(rows))
	for i, b := range rows {
		reasons := make([]string, len(b.Reasons))
		for j, rs := range b.Reasons {
			reasons[j] = rs.Message
		}
		line := ""
		if b.Line > 0 {
			line = strconv.Itoa(b.Line)
		}
		out[i] = []string{line, b.Name, b.IDNumber, b.County, b.OutcomeLabel, b.CycleStart, b.CycleEnd, b.PolicyVersion,
			b.Hours.String(), b.Required.String(), strings.Join(reasons, "；")}
	}
	return creditWriteSheet(w, format, filename, header, out)
}
