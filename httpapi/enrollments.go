package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/projections"
)

// ItemResult is the outcome of one item of a bulk request: the status and
// error body it would have had as a request of its own.
type ItemResult struct {
	Index    int          `json:"index"`
	Key      string       `json:"key"` // what the item named: a teacher, an ID number (masked), an enrollment
	ID       uuid.UUID    `json:"id,omitzero"`
	Status   int          `json:"status"`
	Revision *int64       `json:"revision,omitempty"`
	Error    *ErrorDetail `json:"error,omitempty"`
}

// BulkResponse reports every item; the request succeeds as a whole even
// when some items fail, because each item is its own decision and a bad
// one must not hold up the rest.
type BulkResponse struct {
	Succeeded int          `json:"succeeded"`
	Failed    int          `json:"failed"`
	Results   []ItemResult `json:"results"`
	Position  string       `json:"position,omitempty"`
}

type bulk struct {
	s    *Server
	resp BulkResponse
	last eventstore.Position
}

func (b *bulk) add(key string, res commands.Result, err error) {
	it := ItemResult{Index: len(b.resp.Results), Key: key}
	if err != nil {
		status, body := b.s.classify(err)
		if status >= 500 {
			b.s.log.Error("bulk item failed", "key", key, "err", err)
		}
		it.Status, it.Error = status, &body.Error
		b.resp.Failed++
	} else {
		rev := res.Revision
		it.Status, it.ID, it.Revision = http.StatusOK, res.ID, &rev
		b.resp.Succeeded++
		if b.last.Less(res.Position) {
			b.last = res.Position
		}
	}
	b.resp.Results = append(b.resp.Results, it)
}

// write answers a one-item request that failed with that item's own error
// (a single nomination behaves like a plain command); anything else with
// the per-item report.
func (b *bulk) write(w http.ResponseWriter, single error) error {
	if len(b.resp.Results) == 1 && single != nil {
		return single
	}
	WritePosition(w, b.last)
	if !b.last.IsZero() {
		b.resp.Position = b.last.String()
	}
	writeJSON(w, http.StatusOK, b.resp)
	return nil
}

// --- nomination -----------------------------------------------------------------

type nominateRequest struct {
	TeacherIDs []uuid.UUID `json:"teacher_ids"`
	IDNumbers  []string    `json:"id_numbers"`
}

// MaxBulk bounds the items of one bulk request.
const MaxBulk = 1000

func (a *ProjectArea) nominate(w http.ResponseWriter, r *http.Request) error {
	projectID, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req nominateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n := len(req.TeacherIDs) + len(req.IDNumbers)
	if n == 0 {
		return domain.Invalid("teacher_ids", "请选择要推荐的教师")
	}
	if n > MaxBulk {
		return domain.Invalid("teacher_ids", fmt.Sprintf("一次最多推荐%d人", MaxBulk))
	}
	actor := ActorOf(r)
	ctx := commands.WithRequest(r.Context(), rowRequest(r.Context()))
	b := &bulk{s: a.s}
	var last error
	for _, id := range req.TeacherIDs {
		res, err := a.Cmd.Nominate(ctx, actor, projectID, id)
		b.add(id.String(), res, err)
		last = err
	}
	for _, num := range req.IDNumbers {
		num = strings.ToUpper(strings.TrimSpace(num))
		id, err := a.Cmd.TeacherByIDNumber(ctx, num)
		var res commands.Result
		if err == nil {
			res, err = a.Cmd.Nominate(ctx, actor, projectID, id)
		}
		b.add(maskedLogin(num), res, err)
		last = err
	}
	return b.write(w, last)
}

// --- decisions --------------------------------------------------------------------

// EnrollmentDecision is one approval-queue decision (the API's bulk item,
// the pages' queue forms).
type EnrollmentDecision struct {
	EnrollmentID  uuid.UUID `json:"enrollment_id"`
	Decision      string    `json:"decision"` // approve | reject
	Reason        string    `json:"reason,omitempty"`
	InstitutionID uuid.UUID `json:"institution_id,omitzero"`
	ClassID       uuid.UUID `json:"class_id,omitzero"`
}

type enrollmentDecisions struct {
	Items []EnrollmentDecision `json:"items"`
}

// DecideEnrollment applies one approval-queue decision at the level the
// actor reviews: a city admin reviewing a nomination to a project it does
// not own acts as the city level, every other admin as the project's owner.
func DecideEnrollment(ctx context.Context, cmd *commands.Handlers, actor access.Actor, d EnrollmentDecision) (commands.Result, error) {
	e, err := cmd.LoadEnrollment(ctx, d.EnrollmentID)
	if err != nil {
		return commands.Result{}, err
	}
	cityLevel := actor.Role == access.RoleCityAdmin && e.ProjectOwner() != actor.Jurisdiction
	switch {
	case d.Decision == "approve" && cityLevel:
		return cmd.CityApprove(ctx, actor, d.EnrollmentID)
	case d.Decision == "reject" && cityLevel:
		return cmd.CityReject(ctx, actor, d.EnrollmentID, d.Reason)
	case d.Decision == "approve":
		return cmd.Approve(ctx, actor, d.EnrollmentID, d.InstitutionID, d.ClassID)
	case d.Decision == "reject":
		return cmd.Reject(ctx, actor, d.EnrollmentID, d.Reason)
	}
	return commands.Result{}, domain.Invalid("decision", "应为 approve 或 reject")
}

func (a *ProjectArea) decideMany(w http.ResponseWriter, r *http.Request) error {
	var req enrollmentDecisions
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Items) == 0 || len(req.Items) > MaxBulk {
		return domain.Invalid("items", fmt.Sprintf("一次须审核1到%d条", MaxBulk))
	}
	ctx := commands.WithRequest(r.Context(), rowRequest(r.Context()))
	b := &bulk{s: a.s}
	var last error
	for _, d := range req.Items {
		res, err := DecideEnrollment(ctx, a.Cmd, ActorOf(r), d)
		b.add(d.EnrollmentID.String(), res, err)
		last = err
	}
	return b.write(w, last)
}

func (a *ProjectArea) queue(w http.ResponseWriter, r *http.Request) error {
	projectID, err := optionalID(r, "project_id")
	if err != nil {
		return err
	}
	list, err := a.Q.Queue(r.Context(), ActorOf(r), projectID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (a *ProjectArea) enrollment(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Q.Enrollment(r.Context(), ActorOf(r), id)
	if errors.Is(err, domain.ErrNotFound) {
		return a.formerEnrollment(w, r, id, err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf("%q", fmt.Sprint(v.Revision)))
	writeJSON(w, http.StatusOK, v)
	return nil
}

// formerEnrollmentView is the enrollment as a county the teacher left
// keeps it: as it stood when the teacher left (AsOf), read-only.
type formerEnrollmentView struct {
	projections.EnrollmentView
	AsOf     time.Time `json:"as_of"`
	ReadOnly bool      `json:"read_only"`
}

// formerEnrollment answers a county the teacher left (commands.
// FormerEnrollment) with the enrollment as it stood then; anyone else
// gets the read model's not-found.
func (a *ProjectArea) formerEnrollment(w http.ResponseWriter, r *http.Request, id uuid.UUID, notFound error) error {
	e, spell, err := a.Cmd.FormerEnrollment(r.Context(), ActorOf(r), id)
	if err != nil {
		return notFound
	}
	v, err := a.Q.Enrollment(r.Context(), access.Actor{Role: access.RoleSystem}, id)
	if err != nil {
		return err
	}
	v.Revision, v.County = e.Version(), e.NominatedCounty()
	v.Stage, v.StageLabel, v.Status, v.Reason = string(e.Stage()), e.Stage().Label(), string(e.Status()), e.Reason()
	v.Steps = e.Steps()
	if _, ok := e.Scores(); !ok {
		v.Offline, v.Online, v.Total, v.Passed = nil, nil, nil, nil
	}
	if g, ok := e.Credits(); ok {
		v.HoursGranted, v.CreditsGranted = g.Hours, g.Credits
	} else {
		v.HoursGranted, v.CreditsGranted = 0, 0
	}
	if c, ok := e.Certificate(); ok {
		v.CertNumber = &c.Number
	} else {
		v.CertNumber = nil
	}
	v.CanEnterRemote, v.CanPrintCert = false, false
	writeJSON(w, http.StatusOK, formerEnrollmentView{EnrollmentView: v, AsOf: spell.Until.UTC(), ReadOnly: true})
	return nil
}

// --- single transitions ---------------------------------------------------------

type enrollmentReason struct {
	Reason string `json:"reason"`
}

type assignmentRequest struct {
	InstitutionID uuid.UUID `json:"institution_id"`
	ClassID       uuid.UUID `json:"class_id"`
}

// transition adapts a one-enrollment command with a JSON body.
func enrollmentStep[T any](run func(ctx context.Context, actor access.Actor, id uuid.UUID, body T) (commands.Result, error)) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		var body T
		if err := decodeOptional(w, r, &body); err != nil {
			return err
		}
		res, err := run(r.Context(), ActorOf(r), id, body)
		if err != nil {
			return err
		}
		Done(w, http.StatusOK, res)
		return nil
	}
}

func (a *ProjectArea) cityApprove(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, _ struct{}) (commands.Result, error) {
		return a.Cmd.CityApprove(ctx, actor, id)
	})(w, r)
}

func (a *ProjectArea) cityReject(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b enrollmentReason) (commands.Result, error) {
		return a.Cmd.CityReject(ctx, actor, id, b.Reason)
	})(w, r)
}

func (a *ProjectArea) approve(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b assignmentRequest) (commands.Result, error) {
		return a.Cmd.Approve(ctx, actor, id, b.InstitutionID, b.ClassID)
	})(w, r)
}

func (a *ProjectArea) reject(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b enrollmentReason) (commands.Result, error) {
		return a.Cmd.Reject(ctx, actor, id, b.Reason)
	})(w, r)
}

func (a *ProjectArea) reassign(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b assignmentRequest) (commands.Result, error) {
		return a.Cmd.Reassign(ctx, actor, id, b.InstitutionID, b.ClassID)
	})(w, r)
}

func (a *ProjectArea) withdraw(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b enrollmentReason) (commands.Result, error) {
		return a.Cmd.Withdraw(ctx, actor, id, b.Reason)
	})(w, r)
}

func (a *ProjectArea) report(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, _ struct{}) (commands.Result, error) {
		return a.Cmd.Report(ctx, actor, id)
	})(w, r)
}

type noticeRequest struct {
	ReportDate  time.Time `json:"report_date"`
	ReportPlace string    `json:"report_place"`
	Contact     string    `json:"contact"`
	Notes       string    `json:"notes,omitempty"`
}

func (n noticeRequest) notice() enrollment.Notice {
	return enrollment.Notice{ReportDate: n.ReportDate, ReportPlace: n.ReportPlace, Contact: n.Contact, Notes: n.Notes}
}

func (a *ProjectArea) publishNotice(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b noticeRequest) (commands.Result, error) {
		return a.Cmd.PublishNotice(ctx, actor, id, b.notice())
	})(w, r)
}

type progressRequest struct {
	OnlinePercent    float64 `json:"online_percent"`
	SessionsAttended int     `json:"sessions_attended"`
	SessionsTotal    int     `json:"sessions_total"`
}

func (a *ProjectArea) progress(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b progressRequest) (commands.Result, error) {
		return a.Cmd.RecordProgress(ctx, actor, id, enrollment.Progress{OnlinePercent: b.OnlinePercent,
			SessionsAttended: b.SessionsAttended, SessionsTotal: b.SessionsTotal})
	})(w, r)
}

type gradeRequest struct {
	Offline *float64 `json:"offline_score"`
	Online  *float64 `json:"online_score"`
	Reason  string   `json:"reason,omitempty"`
}

func (a *ProjectArea) postGrade(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b gradeRequest) (commands.Result, error) {
		if b.Reason != "" {
			return commands.Result{}, domain.Invalid("reason", "发布成绩不需要原因；更正成绩请使用 grade-corrections")
		}
		res, _, err := a.Cmd.PostGrade(ctx, actor, id, b.Offline, b.Online)
		return res, err
	})(w, r)
}

func (a *ProjectArea) correctGrade(w http.ResponseWriter, r *http.Request) error {
	return enrollmentStep(func(ctx context.Context, actor access.Actor, id uuid.UUID, b gradeRequest) (commands.Result, error) {
		return a.Cmd.CorrectGrade(ctx, actor, id, b.Offline, b.Online, b.Reason)
	})(w, r)
}

// publishClassNotice publishes one notice to every trainee of a class who
// awaits it (approved, or with an older notice).
func (a *ProjectArea) publishClassNotice(w http.ResponseWriter, r *http.Request) error {
	projectID, err := PathID(r, "id")
	if err != nil {
		return err
	}
	classID, err := PathID(r, "class_id")
	if err != nil {
		return err
	}
	var req noticeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	b := &bulk{s: a.s}
	if err := PublishClassNotice(r.Context(), a.Cmd, a.Q, ActorOf(r), projectID, classID, req.notice(), b.add); err != nil {
		return err
	}
	return b.write(w, nil)
}

// PublishClassNotice publishes one notice to every trainee of a class who
// awaits it (approved, or with an older notice), as the institution actor;
// each reports every trainee's outcome (key: the enrollment id). The API
// and the institution's page both call it.
func PublishClassNotice(ctx context.Context, cmd *commands.Handlers, q *projections.EnrollmentQueries, actor access.Actor,
	projectID, classID uuid.UUID, n enrollment.Notice, each func(key string, res commands.Result, err error)) error {
	if err := institutionServes(ctx, q, actor, projectID, classID); err != nil {
		return err
	}
	roster, err := q.Roster(ctx, actor, projectID, classID, "")
	if err != nil {
		return err
	}
	for _, e := range roster {
		if e.Stage != string(enrollment.StageApproved) && e.Stage != string(enrollment.StageNoticePublished) {
			continue
		}
		res, err := cmd.PublishNotice(commands.WithRequest(ctx, rowRequest(ctx)), actor, e.ID, n)
		each(e.ID.String(), res, err)
	}
	return nil
}

// --- personal space ----------------------------------------------------------------

// NotStartedItem: project name and time; the pipeline steps with who and when.
type NotStartedItem struct {
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	ProjectName  string    `json:"project_name"`
	Start        string    `json:"start"`
	End          string    `json:"end"`
	Stage        string    `json:"stage"`
	StageLabel   string    `json:"stage_label"`
	Reason       string    `json:"reason,omitempty"`
	// A cancelled project says so, with the owner's reason.
	ProjectStatus string            `json:"project_status"`
	CancelReason  string            `json:"project_cancel_reason,omitempty"`
	NoticePDF     string            `json:"notice_pdf,omitempty"`
	Steps         []enrollment.Step `json:"steps"`
}

// InProgressItem: name, year, nature, institution, start, end, hours and
// the remote-learning action.
type InProgressItem struct {
	EnrollmentID   uuid.UUID `json:"enrollment_id"`
	ProjectName    string    `json:"project_name"`
	Year           int       `json:"year"`
	Nature         string    `json:"nature"`
	Institution    string    `json:"institution"`
	Start          string    `json:"start"`
	End            string    `json:"end"`
	Hours          int       `json:"hours"`
	RemoteLearning string    `json:"remote_learning"` // POST here to enter
}

// FinishedItem: name, institution, start, end, hours, offline, online and
// total scores, and the print-certificate action.
type FinishedItem struct {
	EnrollmentID     uuid.UUID `json:"enrollment_id"`
	ProjectName      string    `json:"project_name"`
	Institution      string    `json:"institution"`
	Start            string    `json:"start"`
	End              string    `json:"end"`
	Hours            int       `json:"hours"`
	Offline          *float64  `json:"offline_score"`
	Online           *float64  `json:"online_score"`
	Total            *float64  `json:"total_score"`
	Passed           bool      `json:"passed"`
	CertificateNo    string    `json:"certificate_number,omitempty"`
	PrintCertificate string    `json:"print_certificate,omitempty"`
}

// trainings is the personal space's three lists, searchable by project
// name (q) and a time window (from, to: YYYY-MM-DD) the training overlaps.
func (a *ProjectArea) trainings(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleTeacher || actor.TeacherID == uuid.Nil {
		return fmt.Errorf("%w: the personal space is the teacher's", access.ErrForbidden)
	}
	q := r.URL.Query()
	f := projections.TrainingFilter{Status: enrollment.Status(q.Get("status")), Name: strings.TrimSpace(q.Get("q"))}
	v := &domain.ValidationError{}
	for _, x := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if raw := q.Get(x.name); raw != "" {
			t, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				v.Add(x.name, "日期格式应为 YYYY-MM-DD")
			}
			*x.dst = t
		}
	}
	switch f.Status {
	case "", enrollment.StatusNotStarted, enrollment.StatusInProgress, enrollment.StatusFinished:
	default:
		v.Add("status", "应为 not_started、in_progress 或 finished")
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Q.Trainings(r.Context(), actor.TeacherID, f)
	if err != nil {
		return err
	}
	out := struct {
		NotStarted []NotStartedItem `json:"not_started"`
		InProgress []InProgressItem `json:"in_progress"`
		Finished   []FinishedItem   `json:"finished"`
	}{[]NotStartedItem{}, []InProgressItem{}, []FinishedItem{}}
	base := "/api/v1/enrollments/"
	for _, e := range list {
		switch enrollment.Status(e.Status) {
		case enrollment.StatusNotStarted:
			it := NotStartedItem{EnrollmentID: e.ID, ProjectName: e.ProjectName, Start: e.Start, End: e.End,
				Stage: e.Stage, StageLabel: e.StageLabel, Reason: e.Reason, Steps: e.Steps,
				ProjectStatus: e.ProjectStatus, CancelReason: e.CancelReason}
			if e.Stage == string(enrollment.StageNoticePublished) {
				it.NoticePDF = base + e.ID.String() + "/notice.pdf"
			}
			out.NotStarted = append(out.NotStarted, it)
		case enrollment.StatusInProgress:
			out.InProgress = append(out.InProgress, InProgressItem{EnrollmentID: e.ID, ProjectName: e.ProjectName, Year: e.Year,
				Nature: e.KindLabel, Institution: e.Institution, Start: e.Start, End: e.End, Hours: e.Hours,
				RemoteLearning: base + e.ID.String() + "/remote-learning"})
		case enrollment.StatusFinished:
			it := FinishedItem{EnrollmentID: e.ID, ProjectName: e.ProjectName, Institution: e.Institution, Start: e.Start, End: e.End,
				Hours: e.Hours, Offline: e.Offline, Online: e.Online, Total: e.Total, Passed: e.Passed != nil && *e.Passed}
			if e.CertNumber != nil {
				it.CertificateNo = *e.CertNumber
				it.PrintCertificate = base + e.ID.String() + "/certificate.pdf"
			}
			out.Finished = append(out.Finished, it)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
