package adminpages

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// projectRow is a project as the lists show it.
type projectRow struct {
	projections.ProjectView
	StatusLabel string
	ModeLabel   string
	OwnerName   string
}

type projectQuery struct {
	Year   int
	Status string
	Name   string
	Limit  int
	Offset int
}

const pageSize = 20

// listProjects reads one page of the projects the actor may see; more
// says whether another page follows.
func (s *Section) listProjects(r *http.Request, q projectQuery) ([]projectRow, bool, error) {
	list, err := s.Enrollments.Projects(r.Context(), web.Actor(r), projections.ProjectFilter{Status: q.Status, Year: q.Year,
		Name: q.Name, Limit: q.Limit + 1, Offset: q.Offset})
	if err != nil {
		return nil, false, err
	}
	more := len(list) > q.Limit
	if more {
		list = list[:q.Limit]
	}
	out := make([]projectRow, 0, len(list))
	for _, p := range list {
		out = append(out, s.row(p))
	}
	return out, more, nil
}

func (s *Section) row(p projections.ProjectView) projectRow {
	return projectRow{ProjectView: p, StatusLabel: project.Status(p.Status).Label(), ModeLabel: project.Mode(p.Mode).Label(),
		OwnerName: s.k.RegionName(p.Owner)}
}

type projectsData struct {
	Province bool
	Items    []projectRow
	Query    url.Values
	Offset   int
	Prev     int
	Next     int
	More     bool
	Statuses []option
}

type option struct {
	Value, Label string
}

func statusOptions() []option {
	var out []option
	for _, st := range []project.Status{project.StatusDraft, project.StatusNominating, project.StatusInProgress, project.StatusFinished, project.StatusCancelled} {
		out = append(out, option{string(st), st.Label()})
	}
	return out
}

func (s *Section) projects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pq := projectQuery{Status: q.Get("status"), Name: strings.TrimSpace(q.Get("name")), Limit: pageSize}
	pq.Year, _ = strconv.Atoi(q.Get("year"))
	pq.Offset, _ = strconv.Atoi(q.Get("offset"))
	pq.Offset = max(pq.Offset, 0)
	items, more, err := s.listProjects(r, pq)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	base := url.Values{}
	for _, k := range []string{"year", "status", "name"} {
		if v := q.Get(k); v != "" {
			base.Set(k, v)
		}
	}
	s.views.Render(w, r, http.StatusOK, "projects", web.Page{Title: "培训项目", Data: projectsData{Province: isProvince(r),
		Items: items, Query: base, Offset: pq.Offset, Prev: max(pq.Offset-pageSize, 0), Next: pq.Offset + pageSize, More: more,
		Statuses: statusOptions()}})
}

// --- one project ---------------------------------------------------------------

type quotaRow struct {
	Region string
	Name   string
	Count  int
}

type classRow struct {
	project.Class
	Institution string
}

type regionGroup struct {
	Label   string
	Options []option
}

type projectData struct {
	P         projectRow
	Manage    bool
	Quotas    []quotaRow
	Classes   []classRow
	Regions   []regionGroup
	Register  []projections.InstitutionView // institutions not yet in the project
	CanOpen   bool
	CanStart  bool
	CanFinish bool
	CanCancel bool
	CanSetup  bool
}

func (s *Section) projectID(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.k.Fail(w, r, fmt.Errorf("project: %w", domain.ErrNotFound))
		return uuid.Nil, false
	}
	return id, true
}

func (s *Section) project(w http.ResponseWriter, r *http.Request) {
	s.renderProject(w, r, http.StatusOK, web.Page{})
}

func (s *Section) renderProject(w http.ResponseWriter, r *http.Request, status int, page web.Page) {
	id, ok := s.projectID(w, r)
	if !ok {
		return
	}
	ctx, actor := r.Context(), web.Actor(r)
	p, err := s.Enrollments.Project(ctx, actor, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := projectData{P: s.row(p), Manage: p.Owner == actor.Jurisdiction}
	st := project.Status(p.Status)
	d.CanSetup = d.Manage && (st == project.StatusDraft || st == project.StatusNominating)
	d.CanOpen = d.Manage && st == project.StatusDraft
	d.CanStart = d.Manage && st == project.StatusNominating
	d.CanFinish = d.Manage && st == project.StatusInProgress
	d.CanCancel = d.Manage && st != project.StatusFinished && st != project.StatusCancelled
	for region, n := range p.Quotas {
		d.Quotas = append(d.Quotas, quotaRow{Region: region, Name: s.k.RegionName(region), Count: n})
	}
	sort.Slice(d.Quotas, func(i, j int) bool { return d.Quotas[i].Region < d.Quotas[j].Region })
	names := map[uuid.UUID]string{}
	for _, i := range p.Institutions {
		names[i.ID] = i.Name
	}
	for _, c := range p.Classes {
		d.Classes = append(d.Classes, classRow{Class: c, Institution: names[c.InstitutionID]})
	}
	if d.CanSetup {
		d.Regions = s.regionGroups(p.Owner)
		if isProvince(r) {
			all, err := s.Enrollments.Institutions(ctx)
			if err != nil {
				s.k.Fail(w, r, err)
				return
			}
			for _, i := range all {
				if _, in := names[i.ID]; !in {
					d.Register = append(d.Register, i)
				}
			}
		}
	}
	page.Title, page.Data = p.Name, d
	s.views.Render(w, r, status, "project", page)
}

// regionGroups are the cities and counties under a project's owner, for
// the quota form: one group per city, the city itself first.
func (s *Section) regionGroups(owner string) []regionGroup {
	tree := s.k.Regions
	var out []regionGroup
	cities := tree.Children(owner)
	if len(owner) == 4 {
		cities = []string{owner}
	}
	for _, c := range cities {
		g := regionGroup{Label: tree.Name(c), Options: []option{{c, tree.Name(c) + "（全市）"}}}
		for _, county := range tree.CountiesOf(c) {
			g.Options = append(g.Options, option{county, tree.Name(county)})
		}
		out = append(out, g)
	}
	return out
}

// change runs one project change from a form of the project page; a
// refusal shows the page again with the reason next to that form.
func (s *Section) change(w http.ResponseWriter, r *http.Request, c commands.ProjectChange, msg string) {
	id, ok := s.projectID(w, r)
	if !ok {
		return
	}
	res, err := s.Cmd.ChangeProject(r.Context(), web.Actor(r), id, c)
	if err != nil {
		status, emsg, fields, ok := web.Refused(err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderProject(w, r, status, web.Page{Form: r.PostForm, Error: emsg, Fields: fields})
		return
	}
	s.k.Done(w, r, res.Position, "/admin/projects/"+id.String(), msg)
}

func (s *Section) addClass(w http.ResponseWriter, r *http.Request) {
	inst, _ := uuid.Parse(r.PostFormValue("institution_id"))
	s.change(w, r, commands.ProjectChange{Action: "add_class", InstitutionID: inst, ClassName: strings.TrimSpace(r.PostFormValue("class_name"))},
		"班级已添加。")
}

func (s *Section) addInstitution(w http.ResponseWriter, r *http.Request) {
	inst, err := uuid.Parse(r.PostFormValue("institution_id"))
	if err != nil {
		s.renderProject(w, r, http.StatusUnprocessableEntity, web.Page{Form: r.PostForm, Error: "请选择承培机构",
			Fields: map[string]string{"institution_id": "请选择承培机构"}})
		return
	}
	s.change(w, r, commands.ProjectChange{Action: "add_institution", InstitutionID: inst}, "承培机构已加入项目。")
}

func (s *Section) setQuota(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("count")))
	if err != nil {
		s.renderProject(w, r, http.StatusUnprocessableEntity, web.Page{Form: r.PostForm, Error: "名额应为整数",
			Fields: map[string]string{"count": "名额应为整数"}})
		return
	}
	s.change(w, r, commands.ProjectChange{Action: "quota", Region: r.PostFormValue("region"), Count: n}, "名额已设置。")
}

func (s *Section) lifecycle(w http.ResponseWriter, r *http.Request) {
	action := r.PostFormValue("action")
	msg := map[string]string{"open_nomination": "项目已开放遴选，区县可以推荐教师了。", "start": "项目已开班。", "finish": "项目已结束。"}[action]
	if msg == "" {
		s.k.Fail(w, r, fmt.Errorf("action %q: %w", action, domain.ErrNotFound))
		return
	}
	s.change(w, r, commands.ProjectChange{Action: action}, msg)
}

func (s *Section) cancel(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, commands.ProjectChange{Action: "cancel", Reason: strings.TrimSpace(r.PostFormValue("reason"))}, "项目已取消。")
}

// --- create --------------------------------------------------------------------

type newProjectData struct {
	Kinds        []option
	Categories   []option
	Modes        []option
	Institutions []projections.InstitutionView
	Picked       map[string]bool
}

func (s *Section) newProjectPage(r *http.Request) (newProjectData, error) {
	d := newProjectData{Picked: map[string]bool{}}
	for _, k := range project.Kinds {
		d.Kinds = append(d.Kinds, option{string(k), k.Label()})
	}
	for _, c := range []project.Category{project.CategoryNational, project.CategoryProvincial, project.CategoryCity,
		project.CategoryCounty, project.CategorySchool, project.CategoryOther} {
		d.Categories = append(d.Categories, option{strconv.Itoa(int(c)), strconv.Itoa(int(c)) + " " + c.Label()})
	}
	for _, m := range []project.Mode{project.ModeFullTime, project.ModeShortOnSite, project.ModeOnline, project.ModeBlended, project.ModeOther} {
		d.Modes = append(d.Modes, option{strconv.Itoa(int(m)), strconv.Itoa(int(m)) + " " + m.Label()})
	}
	var err error
	d.Institutions, err = s.Enrollments.Institutions(r.Context())
	return d, err
}

func (s *Section) newProject(w http.ResponseWriter, r *http.Request) {
	d, err := s.newProjectPage(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	year := strconv.Itoa(time.Now().In(web.ChinaTime).Year())
	form := url.Values{"year": {year}, "kind": {string(project.KindProvincial)}, "category": {"20"}, "mode": {"2"},
		"offline_weight": {"50"}, "online_weight": {"50"}, "pass_mark": {"60"}}
	s.views.Render(w, r, http.StatusOK, "project_new", web.Page{Title: "新建培训项目", Data: d, Form: form})
}

// projectInput reads the create form; numbers that do not parse are
// reported next to their fields together with the domain's own checks.
func projectInput(f url.Values, owner string) (commands.NewProjectInput, error) {
	var bad []domain.FieldError
	atoi := func(field, reason string) int {
		raw := strings.TrimSpace(f.Get(field))
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			bad = append(bad, domain.FieldError{Field: field, Reason: reason})
		}
		return n
	}
	atof := func(field, reason string) *float64 {
		raw := strings.TrimSpace(f.Get(field))
		if raw == "" {
			return nil
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			bad = append(bad, domain.FieldError{Field: field, Reason: reason})
			return nil
		}
		return &x
	}
	date := func(field string) time.Time {
		raw := strings.TrimSpace(f.Get(field))
		if raw == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			bad = append(bad, domain.FieldError{Field: "dates", Reason: "日期格式应为 YYYY-MM-DD"})
		}
		return t
	}
	in := commands.NewProjectInput{Kind: project.Kind(f.Get("kind")), Owner: owner}
	in.Category = project.Category(atoi("category", "请选择培训类别"))
	in.Details = project.Details{Name: strings.TrimSpace(f.Get("name")), Year: atoi("year", "年度应为四位数字"),
		Mode: project.Mode(atoi("mode", "请选择培训形式")), Start: date("start"), End: date("end"),
		Hours: atoi("hours", "学时应为整数"), RemoteURL: strings.TrimSpace(f.Get("remote_url"))}
	if c := atof("credits", "学分应为数字"); c != nil {
		in.Details.Credits = *c
	}
	pol := project.Policy{OfflineWeight: atoi("offline_weight", "权重应为0到100的整数"),
		OnlineWeight: atoi("online_weight", "权重应为0到100的整数"), OfflineMin: atof("offline_min", "最低分应为数字"),
		OnlineMin: atof("online_min", "最低分应为数字")}
	if pm := atof("pass_mark", "合格分数线应为数字"); pm != nil {
		pol.PassMark = *pm
	}
	in.Policy = &pol
	for _, raw := range f["institutions"] {
		id, err := uuid.Parse(raw)
		if err != nil {
			bad = append(bad, domain.FieldError{Field: "institutions", Reason: "承培机构无效"})
			continue
		}
		in.Institutions = append(in.Institutions, id)
	}
	if len(bad) > 0 {
		// Rename the policy fields as the domain names them.
		for i, b := range bad {
			switch b.Field {
			case "offline_weight", "online_weight", "pass_mark", "offline_min", "online_min":
				bad[i].Field = "policy." + b.Field
			}
		}
		return in, web.ValidationErrors(bad...)
	}
	return in, nil
}

func (s *Section) createProject(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	actor := web.Actor(r)
	in, err := projectInput(r.PostForm, actor.Jurisdiction)
	var res commands.Result
	if err == nil {
		res, err = s.Cmd.CreateProject(r.Context(), actor, in)
	}
	if err != nil {
		d, derr := s.newProjectPage(r)
		if derr != nil {
			s.k.Fail(w, r, derr)
			return
		}
		for _, id := range r.PostForm["institutions"] {
			d.Picked[id] = true
		}
		s.views.Form(w, r, "project_new", web.Page{Title: "新建培训项目", Data: d}, err)
		return
	}
	s.k.Done(w, r, res.Position, "/admin/projects/"+res.ID.String(), "项目已创建（草稿）。请添加班级、分配名额，然后开放遴选。")
}

// --- statistics ----------------------------------------------------------------

type statsRow struct {
	projections.CountyStats
	Name string
	// The chart's geometry: the row's top and the bars' widths.
	Y, NominatedW, ApprovedW, PassedW int
}

type statsTable struct {
	Rows   []statsRow
	Total  projections.CountyStats
	Height int
}

// chartWidth is the longest bar of the statistics chart, in pixels.
const chartWidth = 420

// statsTable counts a project's pipeline per county within the actor's
// reach, with the totals (as the API's statistics).
func (s *Section) statsTable(r *http.Request, p projections.ProjectView) (statsTable, error) {
	var t statsTable
	stats, err := s.Enrollments.Statistics(r.Context(), web.Actor(r), p.ID)
	if err != nil {
		return t, err
	}
	for _, c := range stats {
		t.Rows = append(t.Rows, statsRow{CountyStats: c, Name: s.k.RegionName(c.County)})
		t.Total.Nominated += c.Nominated
		t.Total.Approved += c.Approved
		t.Total.Rejected += c.Rejected
		t.Total.Withdrawn += c.Withdrawn
		t.Total.Graded += c.Graded
		t.Total.Passed += c.Passed
	}
	most := 1 // the scale is the largest county
	for _, c := range stats {
		most = max(most, c.Nominated)
	}
	for i := range t.Rows {
		row := &t.Rows[i]
		row.Y = 26 + 34*i
		row.NominatedW = row.Nominated * chartWidth / most
		row.ApprovedW = row.Approved * chartWidth / most
		row.PassedW = row.Passed * chartWidth / most
	}
	t.Height = 30 + 34*len(t.Rows)
	return t, nil
}

type statsData struct {
	Projects []projectRow
	Project  *projectRow
	Stats    statsTable
	Year     string
}

// stats shows one project's numbers per county; the project is chosen
// from the actor's projects (the newest first).
func (s *Section) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pq := projectQuery{Limit: 100}
	pq.Year, _ = strconv.Atoi(q.Get("year"))
	list, _, err := s.listProjects(r, pq)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := statsData{Projects: list, Year: q.Get("year")}
	want := q.Get("project_id")
	for i := range list {
		if list[i].ID.String() == want || (want == "" && i == 0) {
			d.Project = &list[i]
		}
	}
	if want != "" && d.Project == nil {
		// A project outside the list (an older one): read it by id, within reach.
		id, err := uuid.Parse(want)
		if err != nil {
			s.k.Fail(w, r, fmt.Errorf("project: %w", domain.ErrNotFound))
			return
		}
		p, err := s.Enrollments.Project(r.Context(), web.Actor(r), id)
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		row := s.row(p)
		d.Project = &row
	}
	if d.Project != nil {
		if d.Stats, err = s.statsTable(r, d.Project.ProjectView); err != nil {
			s.k.Fail(w, r, err)
			return
		}
	}
	s.views.Render(w, r, http.StatusOK, "stats", web.Page{Title: "分区县统计", Data: d})
}

// --- institutions (province) -----------------------------------------------------

type institutionsData struct {
	Items []projections.InstitutionView
	// Created is the account just opened, with its one-time password.
	Created *createdAccount
}

type createdAccount struct {
	Institution, Login, Password string
}

func (s *Section) institutions(w http.ResponseWriter, r *http.Request) {
	s.renderInstitutions(w, r, http.StatusOK, web.Page{}, nil)
}

func (s *Section) renderInstitutions(w http.ResponseWriter, r *http.Request, status int, page web.Page, created *createdAccount) {
	list, err := s.Enrollments.Institutions(r.Context())
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	page.Title, page.Data = "承培机构", institutionsData{Items: list, Created: created}
	s.views.Render(w, r, status, "institutions", page)
}

func (s *Section) registerInstitution(w http.ResponseWriter, r *http.Request) {
	res, err := s.Cmd.RegisterInstitution(r.Context(), web.Actor(r), institutionRegistration(r))
	if err != nil {
		status, msg, fields, ok := web.Refused(err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderInstitutions(w, r, status, web.Page{Form: r.PostForm, Error: msg, Fields: fields}, nil)
		return
	}
	s.k.Done(w, r, res.Position, "/admin/institutions", "机构已登记："+strings.TrimSpace(r.PostFormValue("name")))
}

// institutionAccount opens a login for an institution and shows its
// initial password once, on this response only (never in a redirect).
func (s *Section) institutionAccount(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.k.Fail(w, r, fmt.Errorf("institution: %w", domain.ErrNotFound))
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	res, pw, err := s.Cmd.CreateInstitutionAccount(r.Context(), web.Actor(r), id, login, strings.TrimSpace(r.PostFormValue("display_name")))
	if err != nil {
		status, msg, fields, ok := web.Refused(err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderInstitutions(w, r, status, web.Page{Form: r.PostForm, Error: msg, Fields: fields}, nil)
		return
	}
	s.k.Wait(r, res.Position)
	name := ""
	if list, err := s.Enrollments.Institutions(r.Context()); err == nil {
		for _, i := range list {
			if i.ID == id {
				name = i.Name
			}
		}
	}
	s.renderInstitutions(w, r, http.StatusOK, web.Page{Flash: "登录账号已开通。"}, &createdAccount{Institution: name, Login: login, Password: pw})
}

func institutionRegistration(r *http.Request) institution.Registration {
	return institution.Registration{Name: strings.TrimSpace(r.PostFormValue("name")), Code: strings.TrimSpace(r.PostFormValue("code")),
		Contact: strings.TrimSpace(r.PostFormValue("contact"))}
}
