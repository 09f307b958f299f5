// Package institutionpages is the training institution's workspace: its
// projects and classes with rosters (ID numbers masked), the class notice,
// progress and grades per trainee, the bulk grade upload with per-row
// errors, and the certificates that follow from a passing grade. Reads are
// limited to the institution by the queries; writes by the commands.
package institutionpages

import (
	"embed"
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
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Section is the institution's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the header's links for the role.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	if p.Role != access.RoleInstitution {
		return nil
	}
	return []web.NavItem{{Label: "我的班级", Href: "/institution"}}
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Route("/institution", func(r chi.Router) {
		r.Use(k.Only(func(p commands.Principal) bool {
			return p.Role == access.RoleInstitution && p.InstitutionID != uuid.Nil
		}))
		r.Get("/", s.home)
		r.Get("/projects/{pid}/classes/{cid}", s.class)
		r.Post("/projects/{pid}/classes/{cid}/notice", s.publishNotice)
		r.Post("/projects/{pid}/classes/{cid}/grades", s.uploadGrades)
		r.Get("/enrollments/{id}", s.trainee)
		r.Post("/enrollments/{id}/progress", s.progress)
		r.Post("/enrollments/{id}/grade", s.grade)
		r.Post("/enrollments/{id}/correction", s.correct)
	})
}

// --- home: projects and classes ---------------------------------------------------

type projectCard struct {
	projections.ProjectView
	StatusLabel string
	Classes     []project.Class // this institution's
}

func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	list, err := s.Enrollments.Projects(r.Context(), actor, projections.ProjectFilter{Limit: 100})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	var cards []projectCard
	for _, p := range list {
		c := projectCard{ProjectView: p, StatusLabel: project.Status(p.Status).Label()}
		for _, cl := range p.Classes {
			if cl.InstitutionID == actor.InstitutionID {
				c.Classes = append(c.Classes, cl)
			}
		}
		cards = append(cards, c)
	}
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "我的班级", Data: cards})
}

// --- one class ----------------------------------------------------------------------

type rosterRow struct {
	projections.EnrollmentView
	Gradable bool
	Result   string // pass, fail or "" (not graded)
}

func result(passed *bool) string {
	switch {
	case passed == nil:
		return ""
	case *passed:
		return "pass"
	}
	return "fail"
}

type classData struct {
	Project     projections.ProjectView
	Class       project.Class
	Roster      []rosterRow
	Awaiting    int // trainees a notice reaches
	Reported    int
	Passed      int
	Upload      *uploadResult
	TemplateURL string
}

type uploadResult struct {
	httpapi.GradeUploadResponse
	Rows []uploadError
}

type uploadError struct {
	Row           int
	Field, Reason string
}

func (s *Section) loadClass(r *http.Request) (classData, error) {
	var d classData
	pid, err1 := uuid.Parse(chi.URLParam(r, "pid"))
	cid, err2 := uuid.Parse(chi.URLParam(r, "cid"))
	if err1 != nil || err2 != nil {
		return d, fmt.Errorf("class: %w", domain.ErrNotFound)
	}
	ctx, actor := r.Context(), web.Actor(r)
	p, err := s.Enrollments.Project(ctx, actor, pid)
	if err != nil {
		return d, err
	}
	found := false
	for _, c := range p.Classes {
		if c.ID == cid && c.InstitutionID == actor.InstitutionID {
			d.Class, found = c, true
		}
	}
	if !found {
		// Another institution's class is answered like a missing one.
		return d, fmt.Errorf("class %s: %w", cid, domain.ErrNotFound)
	}
	d.Project = p
	roster, err := s.Enrollments.Roster(ctx, actor, pid, cid, "")
	if err != nil {
		return d, err
	}
	for _, e := range roster {
		st := enrollment.Stage(e.Stage)
		switch st {
		case enrollment.StageApproved, enrollment.StageNoticePublished:
			d.Awaiting++
		case enrollment.StageReported:
			d.Reported++
		}
		if e.Passed != nil && *e.Passed {
			d.Passed++
		}
		d.Roster = append(d.Roster, rosterRow{EnrollmentView: e, Gradable: st == enrollment.StageReported || st == enrollment.StageGraded,
			Result: result(e.Passed)})
	}
	d.TemplateURL = "/api/v1/projects/" + pid.String() + "/grades/template?class_id=" + cid.String()
	return d, nil
}

// noticeForm fills the notice form with the class's current notice, if any
// trainee has one, so republishing starts from what was sent.
func (s *Section) noticeForm(r *http.Request, d classData) map[string][]string {
	for _, e := range d.Roster {
		if e.Stage == string(enrollment.StageApproved) || e.Stage == string(enrollment.StageNominated) {
			continue
		}
		agg, err := s.Cmd.ViewEnrollment(r.Context(), web.Actor(r), e.ID)
		if err != nil {
			continue
		}
		if n, ok := agg.Notice(); ok {
			at := n.ReportDate.In(web.ChinaTime)
			return map[string][]string{"report_day": {at.Format(time.DateOnly)}, "report_time": {at.Format("15:04")},
				"report_place": {n.ReportPlace}, "contact": {n.Contact}, "notes": {n.Notes}}
		}
	}
	return nil
}

func (s *Section) class(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadClass(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "class", web.Page{Title: d.Class.Name, Data: d, Form: s.noticeForm(r, d)})
}

func (s *Section) classPath(d classData) string {
	return "/institution/projects/" + d.Project.ID.String() + "/classes/" + d.Class.ID.String()
}

// publishNotice sends one notice to every trainee of the class awaiting it.
func (s *Section) publishNotice(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadClass(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	n := enrollment.Notice{ReportPlace: r.PostFormValue("report_place"), Contact: r.PostFormValue("contact"), Notes: r.PostFormValue("notes")}
	day, clock := strings.TrimSpace(r.PostFormValue("report_day")), strings.TrimSpace(r.PostFormValue("report_time"))
	if clock == "" {
		clock = "08:00"
	}
	if day != "" {
		at, perr := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, web.ChinaTime)
		if perr != nil {
			s.views.Form(w, r, "class", web.Page{Title: d.Class.Name, Data: d},
				web.ValidationErrors(domain.FieldError{Field: "report_date", Reason: "报到日期或时间格式不正确"}))
			return
		}
		n.ReportDate = at.UTC()
	}
	var last eventstore.Position
	var sent, failed int
	var first error
	err = httpapi.PublishClassNotice(r.Context(), s.Cmd, s.Enrollments, web.Actor(r), d.Project.ID, d.Class.ID, n,
		func(_ string, res commands.Result, err error) {
			if err != nil {
				failed++
				if first == nil {
					first = err
				}
				return
			}
			sent++
			if last.Less(res.Position) {
				last = res.Position
			}
		})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	switch {
	case failed > 0:
		// The same notice fails the same way for everyone (a missing
		// field): the first refusal is the form's.
		s.k.Wait(r, last)
		s.views.Form(w, r, "class", web.Page{Title: d.Class.Name, Data: d}, first)
		return
	case sent == 0:
		s.views.Form(w, r, "class", web.Page{Title: d.Class.Name, Data: d},
			domain.Refusal("no trainee awaits a notice", "本班没有待发布报到通知的学员（学员报到后不再发送通知）"))
		return
	}
	s.k.Done(w, r, last, s.classPath(d), fmt.Sprintf("已向 %d 名学员发布报到通知。", sent))
}

// uploadGrades posts a grade file (the API's parsing and rules) and shows
// the outcome on the class page: counts, and each bad row with its number,
// column and reason, plus the downloadable error report.
func (s *Section) uploadGrades(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadClass(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	page := web.Page{Title: d.Class.Name, Data: d, Form: s.noticeForm(r, d)}
	name, data, err := httpapi.UploadFile(w, r)
	if err == nil && len(data) == 0 {
		err = web.ValidationErrors(domain.FieldError{Field: "file", Reason: "请选择要上传的成绩文件（.xlsx 或 .csv）"})
	}
	if err != nil {
		if _, body := httpapi.Classify(err); body.Error.Code == "missing_file" {
			err = web.ValidationErrors(domain.FieldError{Field: "file", Reason: "请选择要上传的成绩文件（.xlsx 或 .csv）"})
		}
		s.views.Form(w, r, "class", page, err)
		return
	}
	out, last, err := s.k.API.ImportGrades(r.Context(), s.Cmd, s.Enrollments, web.Actor(r), d.Project.ID, name, data)
	if err != nil {
		s.views.Form(w, r, "class", page, err)
		return
	}
	s.k.Wait(r, last)
	// Reload: the roster shows the grades and certificates just posted.
	if d, err = s.loadClass(r); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res := &uploadResult{GradeUploadResponse: out}
	for _, e := range out.Errors {
		field := ""
		if e.Field != "" {
			field = httpapi.GradeFieldLabel(e.Field)
		}
		res.Rows = append(res.Rows, uploadError{Row: e.Row, Field: field, Reason: e.Reason})
	}
	d.Upload = res
	page.Data = d
	status := http.StatusOK
	if out.Failed > 0 {
		page.Error = fmt.Sprintf("有 %d 行未能导入，请按下表修改后重新上传（已导入的行不受影响）。", out.Failed)
	} else {
		page.Flash = fmt.Sprintf("成绩已导入：新发布 %d 条，未变 %d 条。", out.Posted, out.Unchanged)
	}
	s.views.Render(w, r, status, "class", page)
}

// --- one trainee ----------------------------------------------------------------------

type traineeData struct {
	E          projections.EnrollmentView
	Project    projections.ProjectView
	ClassPath  string
	CanProgess bool
	CanGrade   bool
	CanCorrect bool
	Result     string
}

func (s *Section) loadTrainee(r *http.Request) (traineeData, error) {
	var d traineeData
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return d, fmt.Errorf("enrollment: %w", domain.ErrNotFound)
	}
	ctx, actor := r.Context(), web.Actor(r)
	if d.E, err = s.Enrollments.Enrollment(ctx, actor, id); err != nil {
		return d, err
	}
	if d.Project, err = s.Enrollments.Project(ctx, actor, d.E.ProjectID); err != nil {
		return d, err
	}
	d.Result = result(d.E.Passed)
	st := enrollment.Stage(d.E.Stage)
	d.CanProgess = st == enrollment.StageReported
	d.CanGrade = st == enrollment.StageReported
	d.CanCorrect = st == enrollment.StageGraded
	if d.E.ClassID != nil {
		d.ClassPath = "/institution/projects/" + d.E.ProjectID.String() + "/classes/" + d.E.ClassID.String()
	}
	return d, nil
}

func (s *Section) trainee(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadTrainee(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "trainee", web.Page{Title: d.E.TeacherName, Data: d})
}

// traineeCommand runs a command from a form of the trainee page; a
// refusal shows the page again with the reasons next to the fields.
func (s *Section) traineeCommand(w http.ResponseWriter, r *http.Request, run func(d traineeData) (commands.Result, error), msg string) {
	d, err := s.loadTrainee(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := run(d)
	if err != nil {
		s.views.Form(w, r, "trainee", web.Page{Title: d.E.TeacherName, Data: d}, err)
		return
	}
	s.k.Done(w, r, res.Position, "/institution/enrollments/"+d.E.ID.String(), msg)
}

// score reads an optional score field; a value that is not a number is
// reported next to the field.
func score(r *http.Request, field string, bad *[]domain.FieldError) *float64 {
	raw := strings.TrimSpace(r.PostFormValue(field))
	if raw == "" {
		return nil
	}
	x, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		*bad = append(*bad, domain.FieldError{Field: field, Reason: "成绩应为0到100之间的数字"})
		return nil
	}
	return &x
}

func (s *Section) progress(w http.ResponseWriter, r *http.Request) {
	s.traineeCommand(w, r, func(d traineeData) (commands.Result, error) {
		var bad []domain.FieldError
		pct := score(r, "online_percent", &bad)
		atoi := func(field string) int {
			n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
			if err != nil {
				bad = append(bad, domain.FieldError{Field: field, Reason: "应为整数"})
			}
			return n
		}
		pr := enrollment.Progress{SessionsAttended: atoi("sessions_attended"), SessionsTotal: atoi("sessions_total")}
		if pct != nil {
			pr.OnlinePercent = *pct
		}
		if len(bad) > 0 {
			return commands.Result{}, web.ValidationErrors(bad...)
		}
		return s.Cmd.RecordProgress(r.Context(), web.Actor(r), d.E.ID, pr)
	}, "学习进度已记录。")
}

func (s *Section) grade(w http.ResponseWriter, r *http.Request) {
	s.traineeCommand(w, r, func(d traineeData) (commands.Result, error) {
		var bad []domain.FieldError
		offline, online := score(r, "offline", &bad), score(r, "online", &bad)
		if len(bad) > 0 {
			return commands.Result{}, web.ValidationErrors(bad...)
		}
		res, _, err := s.Cmd.PostGrade(r.Context(), web.Actor(r), d.E.ID, offline, online)
		return res, err
	}, "成绩已发布。")
}

func (s *Section) correct(w http.ResponseWriter, r *http.Request) {
	s.traineeCommand(w, r, func(d traineeData) (commands.Result, error) {
		var bad []domain.FieldError
		offline, online := score(r, "offline", &bad), score(r, "online", &bad)
		if len(bad) > 0 {
			return commands.Result{}, web.ValidationErrors(bad...)
		}
		rev := d.E.Revision
		if raw := r.PostFormValue("revision"); raw != "" {
			if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
				rev = n
			}
		}
		ctx := commands.WithRequest(r.Context(), commands.Request{ExpectedRevision: &rev})
		return s.Cmd.CorrectGrade(ctx, web.Actor(r), d.E.ID, offline, online, strings.TrimSpace(r.PostFormValue("reason")))
	}, "成绩已更正。")
}
