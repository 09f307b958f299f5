package adminpages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// classOption is a class a province admin may assign a trainee to.
type classOption struct {
	ProjectID uuid.UUID
	ClassID   uuid.UUID
	Label     string // "机构 · 班级"
}

type queueData struct {
	Province bool
	// Owned marks the projects the actor's jurisdiction owns: approving
	// their nominations assigns a class.
	Owned map[uuid.UUID]bool
	// AnyOwned: the bulk form asks for a class.
	AnyOwned bool
	Items    []projections.EnrollmentView
	// Classes per project (province: approve assigns a class).
	Classes map[uuid.UUID][]classOption
	// AllClasses is every class of the queue's projects (the bulk form).
	AllClasses []classOption
	Projects   []projections.ProjectView
	ProjectID  string
	Failures   []string
}

// queue is the actor's approval work: the city's nominations awaiting its
// review, the province's awaiting the owner's decision.
func (s *Section) queue(w http.ResponseWriter, r *http.Request) {
	s.renderQueue(w, r, http.StatusOK, web.Page{})
}

func (s *Section) renderQueue(w http.ResponseWriter, r *http.Request, status int, page web.Page) {
	d, err := s.queueData(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if f, ok := page.Data.([]string); ok {
		d.Failures = f
	}
	page.Title, page.Data = "审核队列", d
	s.views.Render(w, r, status, "queue", page)
}

func (s *Section) queueData(r *http.Request) (queueData, error) {
	ctx, actor := r.Context(), web.Actor(r)
	d := queueData{Province: isProvince(r), Classes: map[uuid.UUID][]classOption{}, Owned: map[uuid.UUID]bool{},
		ProjectID: r.URL.Query().Get("project_id")}
	var filter uuid.UUID
	if d.ProjectID != "" {
		id, err := uuid.Parse(d.ProjectID)
		if err != nil {
			return d, fmt.Errorf("project_id: %w", domain.ErrNotFound)
		}
		filter = id
	}
	items, err := s.Enrollments.Queue(ctx, actor, filter)
	if err != nil {
		return d, err
	}
	d.Items = items
	seen := map[uuid.UUID]bool{}
	for _, e := range items {
		if seen[e.ProjectID] {
			continue
		}
		seen[e.ProjectID] = true
		p, err := s.Enrollments.Project(ctx, actor, e.ProjectID)
		if err != nil {
			return d, err
		}
		d.Projects = append(d.Projects, p)
		if p.Owner != actor.Jurisdiction {
			continue // a city reviewing for a superior's project assigns nothing
		}
		d.Owned[p.ID], d.AnyOwned = true, true
		d.Classes[p.ID] = classOptions(p)
		d.AllClasses = append(d.AllClasses, classOptions(p)...)
	}
	if len(d.Projects) > 1 {
		for i := range d.AllClasses {
			for _, p := range d.Projects {
				if p.ID == d.AllClasses[i].ProjectID {
					d.AllClasses[i].Label = p.Name + " · " + d.AllClasses[i].Label
				}
			}
		}
	}
	return d, nil
}

func classOptions(p projections.ProjectView) []classOption {
	names := map[uuid.UUID]string{}
	for _, i := range p.Institutions {
		names[i.ID] = i.Name
	}
	var out []classOption
	for _, c := range p.Classes {
		out = append(out, classOption{ProjectID: p.ID, ClassID: c.ID, Label: names[c.InstitutionID] + " · " + c.Name})
	}
	return out
}

// decision builds one decision of a queue form. An approval by the
// project's owner assigns the trainee to a class, and with it to the
// class's institution, both read from the project, never from the form.
func (s *Section) decision(ctx context.Context, actor access.Actor, eid uuid.UUID, verdict, reason, class string) (httpapi.EnrollmentDecision, error) {
	d := httpapi.EnrollmentDecision{EnrollmentID: eid, Decision: verdict, Reason: strings.TrimSpace(reason)}
	if verdict != "approve" {
		return d, nil
	}
	e, err := s.Enrollments.Enrollment(ctx, actor, eid)
	if err != nil {
		return d, err
	}
	p, err := s.Enrollments.Project(ctx, actor, e.ProjectID)
	if err != nil {
		return d, err
	}
	if p.Owner != actor.Jurisdiction {
		return d, nil // the city's review: no class
	}
	classID, err := uuid.Parse(class)
	if err != nil {
		return d, errNoClass
	}
	for _, c := range p.Classes {
		if c.ID == classID {
			d.InstitutionID, d.ClassID = c.InstitutionID, c.ID
			return d, nil
		}
	}
	return d, web.ValidationErrors(domain.FieldError{Field: "class_id", Reason: "该班级不属于本项目"})
}

// errNoClass: the owner's approval names no class.
var errNoClass = web.ValidationErrors(domain.FieldError{Field: "class_id", Reason: "请选择分配的班级"})

func verdictLabel(v string) string {
	if v == "approve" {
		return "通过"
	}
	return "退回"
}

// decideOne is a row's own form: approve (with the class for the
// province) or reject with a reason.
func (s *Section) decideOne(w http.ResponseWriter, r *http.Request) {
	ctx, actor := r.Context(), web.Actor(r)
	eid, err := uuid.Parse(r.PostFormValue("enrollment_id"))
	if err != nil {
		s.k.Fail(w, r, fmt.Errorf("enrollment: %w", domain.ErrNotFound))
		return
	}
	verdict := r.PostFormValue("decision")
	d, err := s.decision(ctx, actor, eid, verdict, r.PostFormValue("reason"), r.PostFormValue("class_id"))
	if err == nil && verdict == "reject" && d.Reason == "" {
		err = web.ValidationErrors(domain.FieldError{Field: "reason", Reason: "退回须填写原因"})
	}
	var res commands.Result
	if err == nil {
		res, err = httpapi.DecideEnrollment(ctx, s.Cmd, actor, d)
	}
	if err != nil {
		s.refuseQueue(w, r, err)
		return
	}
	name := ""
	if e, err := s.Enrollments.Enrollment(ctx, actor, eid); err == nil {
		name = e.TeacherName
	}
	s.k.Done(w, r, res.Position, queuePath(r), "已"+verdictLabel(verdict)+"："+name)
}

// refuseQueue shows the queue again with the reason; the row that was
// submitted keeps what was typed.
func (s *Section) refuseQueue(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, fields, ok := web.Refused(err)
	if !ok {
		s.k.Fail(w, r, err)
		return
	}
	s.renderQueue(w, r, status, web.Page{Form: r.PostForm, Error: msg, Fields: fields})
}

func queuePath(r *http.Request) string {
	if p := r.PostFormValue("project_id"); p != "" {
		return "/admin/queue?" + url.Values{"project_id": {p}}.Encode()
	}
	return "/admin/queue"
}

// decideMany applies one decision to every ticked row: each is decided on
// its own, and the page names the rows that could not be decided and why.
func (s *Section) decideMany(w http.ResponseWriter, r *http.Request) {
	ctx, actor := r.Context(), web.Actor(r)
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	ids := r.PostForm["ids"]
	verdict := r.PostFormValue("decision")
	reason := strings.TrimSpace(r.PostFormValue("bulk_reason"))
	switch {
	case len(ids) == 0:
		s.refuseQueue(w, r, web.ValidationErrors(domain.FieldError{Field: "ids", Reason: "请先勾选要审核的记录"}))
		return
	case len(ids) > httpapi.MaxBulk:
		s.refuseQueue(w, r, web.ValidationErrors(domain.FieldError{Field: "ids", Reason: fmt.Sprintf("一次最多审核%d条", httpapi.MaxBulk)}))
		return
	case verdict == "reject" && reason == "":
		s.refuseQueue(w, r, web.ValidationErrors(domain.FieldError{Field: "bulk_reason", Reason: "批量退回须填写原因"}))
		return
	}
	// Build every decision first: a class missing for the owner's
	// approval is the form's error, not each row's.
	type item struct {
		name string
		d    httpapi.EnrollmentDecision
		err  error
	}
	var items []item
	for _, raw := range ids {
		eid, err := uuid.Parse(raw)
		if err != nil {
			continue
		}
		it := item{name: raw}
		if e, err := s.Enrollments.Enrollment(ctx, actor, eid); err == nil {
			it.name = e.TeacherName
		}
		it.d, it.err = s.decision(ctx, actor, eid, verdict, reason, r.PostFormValue("bulk_class_id"))
		if errors.Is(it.err, errNoClass) && r.PostFormValue("bulk_class_id") == "" {
			s.refuseQueue(w, r, web.ValidationErrors(domain.FieldError{Field: "bulk_class_id", Reason: "请选择分配的班级"}))
			return
		}
		items = append(items, it)
	}
	var last eventstore.Position
	var done int
	var failures []string
	for _, it := range items {
		err := it.err
		if err == nil {
			var res commands.Result
			res, err = httpapi.DecideEnrollment(ctx, s.Cmd, actor, it.d)
			if err == nil && last.Less(res.Position) {
				last = res.Position
			}
		}
		if err != nil {
			_, msg, fields, ok := web.Refused(err)
			if !ok {
				status, body := httpapi.Classify(err)
				if status >= 500 {
					s.k.Log.ErrorContext(ctx, "admin: bulk decision failed", "enrollment", it.d.EnrollmentID, "err", err)
				}
				msg = body.Error.Message
			}
			for _, f := range fields {
				msg += "；" + f
			}
			failures = append(failures, it.name+"："+msg)
			continue
		}
		done++
	}
	msg := fmt.Sprintf("已%s %d 条。", verdictLabel(verdict), done)
	if len(failures) == 0 {
		s.k.Done(w, r, last, queuePath(r), msg)
		return
	}
	s.k.Wait(r, last)
	s.renderQueue(w, r, http.StatusOK, web.Page{Error: msg + fmt.Sprintf("%d 条未能办理，原因见下。", len(failures)), Data: failures})
}
