package adminpages

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// Teacher records as a city or province admin sees them: a search of the
// jurisdiction's roster and the record, read-only but for the province
// admin's erasure of personal data (docs/INTEGRITY.md section 6). The
// province admin also confirms or rejects transfers out of the province.

type teachersData struct {
	Name, IDNumber string
	Searched       bool
	Rows           []projections.RosterRow
	Total          int
}

// teachers searches the jurisdiction's teachers by name or ID number.
func (s *Section) teachers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := teachersData{Name: strings.TrimSpace(q.Get("name")), IDNumber: strings.TrimSpace(q.Get("id_number"))}
	page := web.Page{Title: "教师档案", Data: &d, Form: q}
	if d.Name != "" || d.IDNumber != "" {
		d.Searched = true
		res, err := s.Teachers.Roster(r.Context(), projections.RosterFilter{Jurisdiction: web.Principal(r).Jurisdiction,
			Name: d.Name, IDNumber: d.IDNumber, Limit: 50})
		if err != nil {
			s.views.Form(w, r, "teachers", page, err)
			return
		}
		d.Rows, d.Total = res.Rows, res.Total
	}
	s.views.Render(w, r, http.StatusOK, "teachers", page)
}

type teacherData struct {
	P        projections.TeacherProfile
	Profile  []web.ProfileRow
	History  []projections.HistoryEntry
	ReadOnly string
	Province bool
	F        web.FormState
}

// Rev is the revision the erasure form sends back as If-Match: the one
// the user saw, kept when the refused form is shown again.
func (d *teacherData) Rev() string {
	if v := d.F.Val("erase", "revision"); v != "" {
		return v
	}
	return strconv.FormatUint(d.P.Revision, 10)
}

func (s *Section) teacher(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.renderTeacher(w, r, id, http.StatusOK, web.FormState{}, "")
}

func (s *Section) renderTeacher(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int, f web.FormState, msg string) {
	ctx := r.Context()
	// Permission before state: outside the jurisdiction is a missing record.
	if _, err := s.Cmd.CanReadTeacher(ctx, web.Actor(r), id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	p, err := s.Teachers.Profile(ctx, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &teacherData{P: p.MaskedCopy(), ReadOnly: web.ReadOnlyReason(p), Province: isProvince(r), F: f}
	d.Profile = web.ProfileRows(d.P)
	if d.History, err = s.Teachers.History(ctx, id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	slices.Reverse(d.History)
	s.views.Render(w, r, status, "teacher", web.Page{Title: p.Profile.Name + " · 教师档案", Data: d, Error: msg})
}

// erase erases the teacher's personal data (province admin) against the
// revision seen, once the admin ticked the confirmation.
func (s *Section) erase(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.eraseCmd(r, id)
	if err != nil {
		f, m, status, ok := web.RefusedForm(r, "erase", err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderTeacher(w, r, id, status, f, m)
		return
	}
	s.k.Done(w, r, res.Position, "/admin/teachers/"+id.String(), "已删除该教师的个人信息，档案转为只读。")
}

func (s *Section) eraseCmd(r *http.Request, id uuid.UUID) (commands.Result, error) {
	if r.PostFormValue("confirm") != "1" {
		return commands.Result{}, web.ValidationErrors(domain.FieldError{Field: "confirm", Reason: "请勾选确认：删除后无法恢复"})
	}
	ctx, err := web.WithRevision(r)
	if err != nil {
		return commands.Result{}, err
	}
	return s.Cmd.EraseTeacher(ctx, web.Actor(r), id, r.PostFormValue("reason"))
}

type transfersData struct {
	Items  []projections.PendingTransfer
	Failed string
	F      web.FormState
}

// transfers is the province's queue of transfers out of the province.
func (s *Section) transfers(w http.ResponseWriter, r *http.Request) {
	s.renderTransfers(w, r, http.StatusOK, &transfersData{}, "")
}

func (s *Section) renderTransfers(w http.ResponseWriter, r *http.Request, status int, d *transfersData, msg string) {
	items, err := s.Teachers.PendingTransfers(r.Context(), web.Principal(r).Jurisdiction)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	for _, t := range items {
		if t.OutOfProvince {
			d.Items = append(d.Items, t)
		}
	}
	s.views.Render(w, r, status, "transfers", web.Page{Title: "调出本省", Data: d, Error: msg})
}

// confirmTransfer closes a transfer out of the province; the teacher's
// record becomes read-only and the open enrollments are withdrawn.
func (s *Section) confirmTransfer(w http.ResponseWriter, r *http.Request) {
	s.transferForm(w, r, "confirm", func(id, tid uuid.UUID) (commands.Result, string, error) {
		res, err := s.Cmd.ConfirmTransferOut(r.Context(), web.Actor(r), id, tid)
		return res, "已确认调出本省，档案转为只读，未结束的培训推荐已撤销。", err
	})
}

// rejectTransfer sends a transfer out of the province back, with a reason.
func (s *Section) rejectTransfer(w http.ResponseWriter, r *http.Request) {
	s.transferForm(w, r, "reject", func(id, tid uuid.UUID) (commands.Result, string, error) {
		res, err := s.Cmd.RejectTransfer(r.Context(), web.Actor(r), id, tid, r.PostFormValue("reason"))
		return res, "已退回调出申请。", err
	})
}

func (s *Section) transferForm(w http.ResponseWriter, r *http.Request, which string, run func(id, tid uuid.UUID) (commands.Result, string, error)) {
	id, err := web.PathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	tid, err := web.PathID(r, "tid")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, msg, err := run(id, tid)
	if err != nil {
		f, m, status, ok := web.RefusedForm(r, which, err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderTransfers(w, r, status, &transfersData{Failed: tid.String(), F: f}, m)
		return
	}
	s.k.Done(w, r, res.Position, "/admin/transfers", msg)
}
