package countypages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type homeData struct {
	County string
	Counts queueCounts
}

func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	c := s.counts(r.Context(), web.Actor(r), true)
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "工作台", Data: homeData{County: county(r), Counts: c}})
}

type rosterData struct {
	Query     url.Values
	Rows      []rosterRow
	Total     int
	Capped    bool // more than Total match
	Limit     int
	Offset    int
	After     string // this page's cursor
	FirstURL  string // the first page, when this is not it
	NextURL   string // the following page (a cursor), if any
	Units     []projections.Unit
	ExportURL string
	Searched  bool
}

// rosterRow is a roster line with its codes as labels.
type rosterRow struct {
	projections.RosterRow
	GenderLabel, StageLabel, SubjectLabel string
}

// rosterPageSize is the roster's page; ?limit= may ask for 1..200.
const rosterPageSize = 20

// roster lists the county's teachers, searched by name, ID-number tail and
// unit, a page at a time; ID numbers and mobiles masked.
func (s *Section) roster(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := paging(r, rosterPageSize)
	d := rosterData{Query: url.Values{}, Limit: limit, Offset: offset}
	for _, k := range []string{"name", "id_number", "unit_id"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Query.Set(k, v)
			d.Searched = true
		}
	}
	if limit != rosterPageSize {
		d.Query.Set("limit", q.Get("limit"))
	}
	units, err := s.units(r.Context(), county(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d.Units = units
	d.After = q.Get("after")
	f := projections.RosterFilter{Jurisdiction: county(r), Name: d.Query.Get("name"), IDNumber: d.Query.Get("id_number"), After: d.After, Limit: limit, Offset: offset}
	page := web.Page{Title: "教师名册", Data: &d, Form: q}
	if v := d.Query.Get("unit_id"); v != "" {
		if f.UnitID, err = uuid.Parse(v); err != nil {
			s.views.Form(w, r, "teachers", page, web.ValidationErrors(domain.FieldError{Field: "unit_id", Reason: "请选择本区县的单位"}))
			return
		}
	}
	p, err := s.Teachers.Roster(r.Context(), f)
	if err != nil {
		s.views.Form(w, r, "teachers", page, err)
		return
	}
	for _, row := range p.Rows {
		row = row.MaskedCopy() // lists always mask
		d.Rows = append(d.Rows, rosterRow{RosterRow: row, GenderLabel: ident.Gender.Label(row.Gender),
			StageLabel: ident.TeachingStage.Label(row.MainStage), SubjectLabel: ident.Subject.Label(row.MainSubject)})
	}
	d.Total, d.Capped = p.Total, p.TotalCapped
	// Pages follow the cursor: the same cost however deep.
	if d.After != "" || offset > 0 {
		d.FirstURL = "/county/teachers?" + d.Query.Encode()
	}
	if p.Next != "" {
		next := url.Values{"after": {p.Next}}
		for k, v := range d.Query {
			next[k] = v
		}
		d.NextURL = "/county/teachers?" + next.Encode()
	}
	exp := url.Values{"format": {"xlsx"}}
	for _, k := range []string{"name", "id_number", "unit_id"} {
		if v := d.Query.Get(k); v != "" {
			exp.Set(k, v)
		}
	}
	d.ExportURL = "/api/v1/teachers?" + exp.Encode()
	s.views.Render(w, r, http.StatusOK, "teachers", page)
}

// option is one choice of a select.
type option struct{ Code, Label string }

func dictOptions(d *ident.Dict) []option {
	var out []option
	for _, e := range d.Entries() {
		out = append(out, option{e.Code, e.Label})
	}
	return out
}

type registerData struct {
	Units            []projections.Unit
	IDTypes          []option
	Genders          []option
	CertificateTypes []option
	Stages           []option
	Subjects         []option
}

func (s *Section) registerData(r *http.Request) (*registerData, error) {
	units, err := s.units(r.Context(), county(r))
	if err != nil {
		return nil, err
	}
	return &registerData{Units: units, IDTypes: dictOptions(ident.IDType), Genders: dictOptions(ident.Gender),
		CertificateTypes: dictOptions(ident.CertificateType), Stages: dictOptions(ident.TeachingStage), Subjects: dictOptions(ident.Subject)}, nil
}

func (s *Section) registerPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.registerData(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "register", web.Page{Title: "登记教师", Data: d, Form: url.Values{"id_type": {ident.IDTypeResident}}})
}

// register enters a new teacher of the county (RegisterTeacher, as POST
// /api/v1/teachers) and opens the teacher's account.
func (s *Section) register(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	f := r.PostForm
	p := teacher.Profile{Name: f.Get("name"), IDType: f.Get("id_type"), IDNumber: f.Get("id_number"), Gender: f.Get("gender"),
		BirthDate: f.Get("birth_date"), WorkStart: f.Get("work_start"), CertificateType: f.Get("certificate_type"),
		CertificateNumber: f.Get("certificate_number"), MainStage: f.Get("main_stage"), MainSubject: f.Get("main_subject"),
		Mobile: f.Get("mobile")}
	fail := func(err error) {
		d, derr := s.registerData(r)
		if derr != nil {
			s.k.Fail(w, r, derr)
			return
		}
		s.views.Form(w, r, "register", web.Page{Title: "登记教师", Data: d}, err)
	}
	unitID, err := uuid.Parse(f.Get("unit_id"))
	if err != nil {
		fail(web.ValidationErrors(domain.FieldError{Field: "unit_id", Reason: "请选择单位"}))
		return
	}
	out, err := s.Cmd.RegisterTeacher(r.Context(), web.Actor(r), commands.RegisterTeacher{Profile: p, UnitID: unitID,
		CertificateOverride: strings.TrimSpace(f.Get("certificate_override"))})
	if err != nil {
		fail(err)
		return
	}
	msg := "已登记教师" + strings.TrimSpace(p.Name) + "，登录账号为证件号码，初始密码为证件号码后六位（首次登录须修改）。"
	for _, warn := range out.Warnings {
		msg += "提示：" + warn.Reason + "。"
	}
	s.k.Done(w, r, out.Position, "/county/teachers/"+out.ID.String(), msg)
}
