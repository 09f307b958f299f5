package countypages

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// keyFields are the key fields a county admin corrects directly; city,
// county and unit follow the unit (unit change, transfer).
var keyFields = []string{
	teacher.FieldName, teacher.FieldIDType, teacher.FieldIDNumber, teacher.FieldGender, teacher.FieldBirthDate,
	teacher.FieldWorkStart, teacher.FieldCertificateType, teacher.FieldCertificateNumber,
}

// keyRow is one line of the key-field correction form.
type keyRow struct {
	Field, Label, Current, Placeholder string
	Options                            []option // a select when set
}

type teacherData struct {
	P           projections.TeacherProfile
	Revealed    bool
	Profile     []web.ProfileRow
	ReadOnly    string // why the record takes no changes; "" when it does
	KeyRows     []keyRow
	Units       []projections.Unit
	Cities      []cityOption
	History     []projections.HistoryEntry
	Corrections []projections.PendingCorrection
	Transfer    *projections.PendingTransfer
	F           formState
}

type cityOption struct {
	Name     string
	Counties []option
}

// Rev is the revision the forms send back as If-Match: the one the user
// saw, kept when a refused form is shown again (so a stale page stays
// stale until reloaded).
func (d *teacherData) Rev(which string) string {
	if v := d.F.Val(which, "revision"); v != "" {
		return v
	}
	return strconv.FormatUint(d.P.Revision, 10)
}

func (s *Section) teacher(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	reveal := r.URL.Query().Get("reveal") == "1"
	s.renderTeacher(w, r, id, http.StatusOK, formState{}, "", reveal)
}

// renderTeacher shows the record; a refused form passes its state.
func (s *Section) renderTeacher(w http.ResponseWriter, r *http.Request, id uuid.UUID, status int, f formState, msg string, reveal bool) {
	ctx := r.Context()
	actor := web.Actor(r)
	// Permission before state: outside the county is refused like the API.
	if _, err := s.Cmd.CanReadTeacher(ctx, actor, id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	p, err := s.Teachers.Profile(ctx, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &teacherData{P: p, F: f, ReadOnly: web.ReadOnlyReason(p)}
	if reveal && commands.RevealsPersonalData(actor) {
		s.k.API.Audit(r, commands.ActionRevealPersonal, "teacher:"+id.String(), "id_number,mobile")
		d.Revealed = true
	} else {
		d.P = p.MaskedCopy()
	}
	d.Profile = web.ProfileRows(d.P)
	for _, field := range keyFields {
		kr := keyRow{Field: field, Label: teacher.FieldLabel(field)}
		switch field {
		case teacher.FieldIDNumber:
			kr.Current = d.P.Profile.IDNumber
		default:
			kr.Current = teacher.ValueLabel(field, d.P.Profile.Get(field))
		}
		switch field {
		case teacher.FieldIDType:
			kr.Options = dictOptions(ident.IDType)
		case teacher.FieldGender:
			kr.Options = dictOptions(ident.Gender)
		case teacher.FieldCertificateType:
			kr.Options = dictOptions(ident.CertificateType)
		case teacher.FieldBirthDate:
			kr.Placeholder = "YYYY-MM-DD"
		case teacher.FieldWorkStart:
			kr.Placeholder = "YYYY-MM"
		}
		d.KeyRows = append(d.KeyRows, kr)
	}
	if d.Units, err = s.units(ctx, county(r)); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d.Cities = s.cityOptions(county(r))
	hist, err := s.Teachers.History(ctx, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	slices.Reverse(hist)
	d.History = hist
	pcs, err := s.Teachers.PendingCorrections(ctx, p.Profile.County)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	for _, c := range pcs {
		if c.TeacherID == id {
			d.Corrections = append(d.Corrections, c)
		}
	}
	if p.OpenTransferID != nil {
		pts, err := s.Teachers.PendingTransfers(ctx, county(r))
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		for i := range pts {
			if pts[i].TransferID == *p.OpenTransferID {
				d.Transfer = &pts[i]
			}
		}
	}
	s.views.Render(w, r, status, "teacher", web.Page{Title: p.Profile.Name + " · 教师档案", Data: d, Error: msg})
}

// cityOptions are Hebei's counties by city, without the admin's own, for
// the transfer's destination.
func (s *Section) cityOptions(own string) []cityOption {
	tree := s.k.Regions
	var out []cityOption
	for _, city := range tree.Children(own[:2]) {
		c := cityOption{Name: tree.Name(city)}
		for _, code := range tree.CountiesOf(city) {
			if code != own {
				c.Counties = append(c.Counties, option{Code: code, Label: tree.Name(city) + tree.Name(code)})
			}
		}
		if len(c.Counties) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// teacherForm runs a command of the record page: on success it waits for
// the read models and goes to next with a message; a refused form is shown
// again with what was typed and why.
func (s *Section) teacherForm(w http.ResponseWriter, r *http.Request, which string,
	run func(id uuid.UUID) (commands.Result, string, string, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, next, msg, err := run(id)
	if err != nil {
		f, m, status, ok := refused(r, which, err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderTeacher(w, r, id, status, f, m, false)
		return
	}
	if next == "" {
		next = "/county/teachers/" + id.String()
	}
	s.k.Done(w, r, res.Position, next, msg)
}

// correctKeyFields: the admin changes key fields directly, with a reason,
// against the revision they saw (as POST .../key-field-corrections with
// If-Match).
func (s *Section) correctKeyFields(w http.ResponseWriter, r *http.Request) {
	s.teacherForm(w, r, "key", func(id uuid.UUID) (commands.Result, string, string, error) {
		changes := map[string]string{}
		var labels []string
		for _, f := range keyFields {
			if v := strings.TrimSpace(r.PostFormValue(f)); v != "" {
				changes[f] = v
				labels = append(labels, teacher.FieldLabel(f))
			}
		}
		if len(changes) == 0 {
			return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "changes", Reason: "请至少填写一项更正后的值"})
		}
		ctx, err := withRevision(r)
		if err != nil {
			return commands.Result{}, "", "", err
		}
		res, err := s.Cmd.CorrectKeyFields(ctx, web.Actor(r), id, changes, r.PostFormValue("reason"), strings.TrimSpace(r.PostFormValue("certificate_override")))
		return res, "", "已更正" + strings.Join(labels, "、") + "。", err
	})
}

// resetPassword sets the teacher's password back to the initial one (as
// POST .../password-reset, recorded in the security audit).
func (s *Section) resetPassword(w http.ResponseWriter, r *http.Request) {
	s.teacherForm(w, r, "password", func(id uuid.UUID) (commands.Result, string, string, error) {
		res, err := s.Cmd.ResetTeacherPassword(r.Context(), web.Actor(r), id)
		if err == nil {
			s.k.API.Audit(r, commands.ActionPasswordReset, "teacher:"+id.String(), "")
		}
		return res, "", "密码已重置为初始密码（证件号码后六位），教师下次登录时须修改。", err
	})
}

// changeUnit moves the teacher to another school of the county.
func (s *Section) changeUnit(w http.ResponseWriter, r *http.Request) {
	s.teacherForm(w, r, "unit", func(id uuid.UUID) (commands.Result, string, string, error) {
		unitID, err := uuid.Parse(r.PostFormValue("unit_id"))
		if err != nil {
			return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "unit_id", Reason: "请选择新单位"})
		}
		ctx, err := withRevision(r)
		if err != nil {
			return commands.Result{}, "", "", err
		}
		res, err := s.Cmd.ChangeTeacherUnit(ctx, web.Actor(r), id, unitID, r.PostFormValue("reason"))
		return res, "", "已变更单位。", err
	})
}

// startTransfer sends the teacher to another county, whose admin accepts.
func (s *Section) startTransfer(w http.ResponseWriter, r *http.Request) {
	s.teacherForm(w, r, "transfer", func(id uuid.UUID) (commands.Result, string, string, error) {
		to := r.PostFormValue("to_county")
		if to == "" {
			return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "to_county", Reason: "请选择调入区县"})
		}
		if to == "out" { // out of the province: the province admin confirms
			to = strings.TrimSpace(r.PostFormValue("to_county_other"))
			if to == "" {
				return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "to_county_other", Reason: "调出本省须填写调入地的区县代码"})
			}
			if strings.HasPrefix(to, "13") {
				return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "to_county_other", Reason: "该代码属于本省，请在上方选择区县"})
			}
		}
		res, _, err := s.Cmd.StartTransfer(r.Context(), web.Actor(r), id, to, uuid.Nil, r.PostFormValue("reason"))
		if err != nil {
			var v *domain.ValidationError
			if r.PostFormValue("to_county") == "out" && errors.As(err, &v) {
				for i := range v.Fields { // the typed code is the field the user filled
					if v.Fields[i].Field == "to_county" {
						v.Fields[i].Field = "to_county_other"
					}
				}
			}
			return res, "", "", err
		}
		if !strings.HasPrefix(to, "13") {
			return res, "/county/transfers", "已发起调出本省（调往" + s.k.RegionName(to) + "），等待省级管理员确认。", nil
		}
		return res, "/county/transfers", "已发起调出，等待" + s.k.RegionName(to) + "接收。", nil
	})
}
