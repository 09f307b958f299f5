package countypages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// quota is the county's share of a project: its own quota, or its city's
// shared by the city's counties; none when the project has quotas but
// none covers the county; unlimited when it has none at all.
type quota struct {
	Unlimited bool
	None      bool
	Shared    bool // the city's quota, shared with its other counties
	Total     int
	Used      int
	Left      int
}

func (s *Section) quotaOf(ctx context.Context, projectID uuid.UUID, county string) (quota, error) {
	p, err := s.Cmd.LoadProject(ctx, projectID)
	if err != nil {
		return quota{}, err
	}
	qs := p.Quotas()
	if len(qs) == 0 {
		return quota{Unlimited: true}, nil
	}
	var q quota
	found := false
	for _, region := range []string{county, county[:4]} {
		n, ok := qs[region]
		if !ok {
			continue
		}
		used := p.Reserved(region)
		left := max(n-used, 0)
		if !found || left < q.Left {
			q = quota{Shared: region != county, Total: n, Used: used, Left: left}
		}
		found = true
	}
	if !found {
		return quota{None: true}, nil
	}
	return q, nil
}

type projectRow struct {
	projections.ProjectView
	StatusLabel string
	Quota       quota
}

type projectsData struct {
	Open   []projectRow
	Others []projectRow
}

// projects lists the projects the county may nominate to, with its quota
// and the seats left, and the other projects it can see.
func (s *Section) projects(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	all, err := s.Enrollments.Projects(r.Context(), actor, projections.ProjectFilter{Limit: 200})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &projectsData{}
	for _, p := range all {
		row := projectRow{ProjectView: p, StatusLabel: project.Status(p.Status).Label()}
		if p.Status == string(project.StatusNominating) {
			if row.Quota, err = s.quotaOf(r.Context(), p.ID, county(r)); err != nil {
				s.k.Fail(w, r, err)
				return
			}
			d.Open = append(d.Open, row)
		} else {
			d.Others = append(d.Others, row)
		}
	}
	s.views.Render(w, r, http.StatusOK, "projects", web.Page{Title: "项目推荐", Data: d})
}

type nominationRow struct {
	projections.EnrollmentView
	CanWithdraw bool
}

type candidate struct {
	projections.RosterRow
	StageLabel string
	Nominated  bool
}

type projectData struct {
	P           projections.ProjectView
	StatusLabel string
	Open        bool
	Quota       quota
	Nominations []nominationRow
	Query       url.Values
	Searched    bool
	Candidates  []candidate
	Total       int
	Failed      string
	F           formState
}

func (s *Section) project(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.renderProject(w, r, id, http.StatusOK, "", formState{}, "", "")
}

func (s *Section) renderProject(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int, failed string, f formState, msg, flash string) {
	ctx, actor, own := r.Context(), web.Actor(r), county(r)
	p, err := s.Enrollments.Project(ctx, actor, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &projectData{P: p, StatusLabel: project.Status(p.Status).Label(), Open: p.Status == string(project.StatusNominating),
		Failed: failed, F: f, Query: url.Values{}}
	if d.Quota, err = s.quotaOf(ctx, id, own); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	roster, err := s.Enrollments.Roster(ctx, actor, id, uuid.Nil, "")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	active := map[uuid.UUID]bool{}
	for _, e := range roster {
		if !strings.HasPrefix(e.County, own) {
			continue
		}
		switch enrollment.Stage(e.Stage) {
		case enrollment.StageNominated, enrollment.StageCityApproved, enrollment.StageApproved, enrollment.StageNoticePublished:
			d.Nominations = append(d.Nominations, nominationRow{EnrollmentView: e, CanWithdraw: true})
			active[e.TeacherID] = true
		case enrollment.StageReported, enrollment.StageGraded:
			d.Nominations = append(d.Nominations, nominationRow{EnrollmentView: e})
			active[e.TeacherID] = true
		default:
			d.Nominations = append(d.Nominations, nominationRow{EnrollmentView: e})
		}
	}
	q := r.URL.Query()
	for _, k := range []string{"name", "id_number"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Query.Set(k, v)
			d.Searched = true
		}
	}
	page := web.Page{Title: p.Name + " · 推荐", Data: d, Error: msg, Flash: flash}
	if d.Open && d.Searched {
		res, err := s.Teachers.Roster(ctx, projections.RosterFilter{Jurisdiction: own, Name: d.Query.Get("name"),
			IDNumber: d.Query.Get("id_number"), Limit: 20})
		if err != nil {
			page.Form = q
			s.views.Form(w, r, "project", page, err)
			return
		}
		for _, row := range res.Rows {
			d.Candidates = append(d.Candidates, candidate{RosterRow: row.MaskedCopy(),
				StageLabel: ident.TeachingStage.Label(row.MainStage), Nominated: active[row.TeacherID]})
		}
		d.Total = res.Total
	}
	page.Form = q
	s.views.Render(w, r, status, "project", page)
}

// nominate puts the chosen teachers of the county forward (one seat each,
// as POST /api/v1/projects/{id}/nominations): those refused are listed
// with the reason, the others are nominated.
func (s *Section) nominate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	var ids []uuid.UUID
	for _, v := range r.PostForm["teacher_id"] {
		if tid, err := uuid.Parse(v); err == nil {
			ids = append(ids, tid)
		}
	}
	if len(ids) == 0 {
		f, m, status, _ := refused(r, "nominate", web.ValidationErrors(domain.FieldError{Field: "teacher_id", Reason: "请勾选要推荐的教师"}))
		s.renderProject(w, r, id, status, "", f, m, "")
		return
	}
	var pos eventstore.Position
	var problems []string
	done := 0
	for _, tid := range ids {
		res, err := s.Cmd.Nominate(r.Context(), web.Actor(r), id, tid)
		if err != nil {
			_, m, _, ok := web.Refused(err)
			if !ok {
				s.k.Fail(w, r, err)
				return
			}
			name := tid.String()
			if p, perr := s.Teachers.Profile(r.Context(), tid); perr == nil {
				name = p.Profile.Name
			}
			problems = append(problems, name+"："+m)
			continue
		}
		done++
		pos = res.Position
	}
	if len(problems) == 0 {
		s.k.Done(w, r, pos, "/county/projects/"+id.String(), "已推荐"+strconv.Itoa(done)+"名教师，等待上级审核。")
		return
	}
	s.k.Wait(r, pos)
	flash := ""
	if done > 0 {
		flash = "已推荐" + strconv.Itoa(done) + "名教师。"
	}
	s.renderProject(w, r, id, http.StatusUnprocessableEntity, "", formState{}, "以下教师未能推荐："+strings.Join(problems, "；"), flash)
}

// withdraw takes a nomination back, with a reason (the seat is released).
func (s *Section) withdraw(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	eid, err := pathID(r, "eid")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.Cmd.Withdraw(r.Context(), web.Actor(r), eid, r.PostFormValue("reason"))
	if err != nil {
		f, m, status, ok := refused(r, "withdraw", err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderProject(w, r, id, status, eid.String(), f, m, "")
		return
	}
	s.k.Done(w, r, res.Position, "/county/projects/"+id.String(), "已撤销推荐，名额已退回。")
}
