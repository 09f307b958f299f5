package teacherpages

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// fieldGroup is one card of the basic information: the profile's fields
// grouped as the platform's manual describes them.
type fieldGroup struct {
	Title  string
	Fields []string
}

var groups = []fieldGroup{
	{"身份", []string{teacher.FieldName, teacher.FieldFormerName, teacher.FieldIDType, teacher.FieldIDNumber, teacher.FieldGender,
		teacher.FieldBirthDate, teacher.FieldEthnicity, teacher.FieldPoliticalStatus, teacher.FieldNativePlace, teacher.FieldMaritalStatus}},
	{"任职", []string{teacher.FieldCity, teacher.FieldCounty, teacher.FieldUnit, schoolArea, schoolCategory, teacher.FieldWorkStart,
		teacher.FieldMainStage, teacher.FieldMainSubject, teacher.FieldOnStaff, teacher.FieldPostCategory, teacher.FieldProfessionalTitle,
		teacher.FieldBackboneLevel, teacher.FieldSpecialPost, teacher.FieldSpecialPostYear}},
	{"学历", []string{teacher.FieldInitialEducation, teacher.FieldHighestEducation, teacher.FieldHighestDegree,
		teacher.FieldFundedNormal, teacher.FieldFundedNormalYear}},
	{"教师资格", []string{teacher.FieldCertificateType, teacher.FieldCertificateNumber}},
	{"联系方式与其他", []string{teacher.FieldMobile, teacher.FieldEmail, teacher.FieldCertificatePhoto, teacher.FieldAvatar}},
}

// School area and category are properties of the unit, shown with the
// teacher's fields.
const (
	schoolArea     = "school_area"
	schoolCategory = "school_category"
)

// contactFields change only with a confirmation code; fileFields hold file
// references. Neither is in the ordinary edit form.
func inEditForm(f string) bool {
	switch f {
	case teacher.FieldMobile, teacher.FieldEmail, teacher.FieldCertificatePhoto, teacher.FieldAvatar:
		return false
	}
	return teacher.IsOrdinaryField(f)
}

// shownField is one line of the basic information.
type shownField struct {
	Name, Label, Value string
	Key                bool // read-only: a correction is asked for
	Correctable        bool
	Pending            bool // a correction request is waiting
	Hint               string
	Photo              string // a stored image's hash
}

type shownGroup struct {
	Title  string
	Fields []shownField
}

type pendingCorrection struct {
	ID                  uuid.UUID
	Field, Label        string
	Current, Proposed   string
	Reason              string
	RequestedAt         time.Time
	Status, StatusLabel string
	Evidence            []string
}

type basicData struct {
	Profile     projections.TeacherProfile
	Groups      []shownGroup
	Corrections []pendingCorrection
	Mobile      string // masked
	Email       string
}

func valueOf(p projections.TeacherProfile, f string) string {
	switch f {
	case schoolArea:
		return p.SchoolAreaLabel
	case schoolCategory:
		return p.SchoolCategoryLabel
	case teacher.FieldUnit:
		return p.UnitName
	case teacher.FieldCity:
		return p.CityName
	case teacher.FieldCounty:
		return p.CountyName
	case teacher.FieldCertificatePhoto, teacher.FieldAvatar:
		if p.Profile.Get(f) != "" {
			return "已上传"
		}
		return ""
	}
	v := p.Profile.Get(f)
	if v == "" {
		return ""
	}
	// ValueLabel masks the ID number and mobile and labels the codes.
	return teacher.ValueLabel(f, v)
}

func labelOf(f string) string {
	switch f {
	case schoolArea:
		return "学校所在区域"
	case schoolCategory:
		return "学校类别"
	}
	return teacher.FieldLabel(f)
}

// myCorrections are the teacher's open requests. The queue is kept per
// county; it is read only when the record says a request is open.
func (s *Section) myCorrections(r *http.Request, p projections.TeacherProfile) ([]pendingCorrection, error) {
	if p.OpenCorrections == 0 {
		return nil, nil
	}
	all, err := s.Teachers.PendingCorrections(r.Context(), p.Profile.County)
	if err != nil {
		return nil, err
	}
	var out []pendingCorrection
	for _, c := range all {
		if c.TeacherID != p.TeacherID {
			continue
		}
		out = append(out, pendingCorrection{ID: c.CorrectionID, Field: c.Field, Label: c.FieldLabel,
			Current: teacher.ValueLabel(c.Field, c.Current), Proposed: teacher.ValueLabel(c.Field, c.Proposed),
			Reason: c.Reason, RequestedAt: c.RequestedAt, Status: string(teacher.CorrectionStatusPending),
			StatusLabel: teacher.CorrectionStatusPending.Label(), Evidence: c.Evidence})
	}
	return out, nil
}

func (s *Section) basic(w http.ResponseWriter, r *http.Request) {
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	cs, err := s.myCorrections(r, p)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	pending := map[string]bool{}
	for _, c := range cs {
		pending[c.Field] = true
	}
	d := basicData{Profile: p, Corrections: cs, Mobile: ident.MaskMobile(p.Profile.Mobile), Email: p.Profile.Email}
	for _, g := range groups {
		sg := shownGroup{Title: g.Title}
		for _, f := range g.Fields {
			sf := shownField{Name: f, Label: labelOf(f), Value: valueOf(p, f), Key: teacher.IsKeyField(f) || f == schoolArea || f == schoolCategory,
				Correctable: teacher.CorrectableByRequest(f), Pending: pending[f]}
			if photoField(f) {
				sf.Photo = p.Profile.Get(f)
			}
			switch f {
			case teacher.FieldCity, teacher.FieldCounty, teacher.FieldUnit:
				sf.Hint = "有误请联系区县管理员"
			case schoolArea, schoolCategory:
				sf.Hint = "随单位，全校统一"
			}
			sg.Fields = append(sg.Fields, sf)
		}
		d.Groups = append(d.Groups, sg)
	}
	s.views.Render(w, r, http.StatusOK, "basic", web.Page{Title: "基本信息", Data: d})
}

// editField is one input of the edit form.
type editField struct {
	Name, Label string
	Options     []ident.Entry // a select; nil for a text input
	Placeholder string
}

type editGroup struct {
	Title  string
	Fields []editField
}

type editData struct {
	Revision uint64
	Groups   []editGroup
}

func editGroups(p teacher.Profile) []editGroup {
	var out []editGroup
	for _, g := range groups {
		eg := editGroup{Title: g.Title}
		for _, f := range g.Fields {
			if !inEditForm(f) {
				continue
			}
			ef := editField{Name: f, Label: teacher.FieldLabel(f)}
			if d := teacher.FieldDict(f); d != nil {
				ef.Options = d.Entries()
				// A code of an older table still shows (and is kept).
				if v := p.Get(f); v != "" && !d.Valid(v) {
					ef.Options = append(ef.Options, ident.Entry{Code: v, Label: v})
				}
			}
			switch f {
			case teacher.FieldFundedNormalYear, teacher.FieldSpecialPostYear:
				ef.Placeholder = "如 2012"
			}
			eg.Fields = append(eg.Fields, ef)
		}
		if len(eg.Fields) > 0 {
			out = append(out, eg)
		}
	}
	return out
}

func (s *Section) editPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	form := url.Values{}
	for _, f := range teacher.Fields() {
		if inEditForm(f) {
			form.Set(f, p.Profile.Get(f))
		}
	}
	s.views.Render(w, r, http.StatusOK, "edit", web.Page{Title: "修改基本信息", Form: form,
		Data: editData{Revision: p.Revision, Groups: editGroups(p.Profile)}})
}

// revision reads the hidden revision the form was rendered with.
func revision(r *http.Request) (*int64, error) {
	rev, err := strconv.ParseInt(r.PostFormValue("revision"), 10, 64)
	if err != nil || rev < 0 {
		return nil, web.ValidationErrors(domain.FieldError{Field: "revision", Reason: "页面已过期，请刷新后重新填写"})
	}
	return &rev, nil
}

func (s *Section) edit(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := me(r)
	page := func() web.Page {
		p, err := s.Teachers.Profile(r.Context(), id)
		d := editData{Revision: 0}
		if err == nil {
			d.Groups = editGroups(p.Profile)
		} else {
			d.Groups = editGroups(teacher.Profile{})
		}
		// The revision stays the one the user saw: a conflict must be
		// reloaded, not overwritten by pressing save again.
		if rev, err := strconv.ParseUint(r.PostFormValue("revision"), 10, 64); err == nil {
			d.Revision = rev
		}
		return web.Page{Title: "修改基本信息", Data: d}
	}
	rev, err := revision(r)
	if err != nil {
		s.views.Form(w, r, "edit", page(), err)
		return
	}
	changes := map[string]string{}
	for _, f := range teacher.Fields() {
		if inEditForm(f) {
			if vs, ok := r.PostForm[f]; ok {
				changes[f] = strings.TrimSpace(vs[0])
			}
		}
	}
	ctx := commands.WithRequest(r.Context(), commands.Request{ExpectedRevision: rev})
	res, err := s.Cmd.EditTeacher(ctx, web.Actor(r), id, changes, "", nil)
	if err != nil {
		s.views.Form(w, r, "edit", page(), err)
		return
	}
	msg := "基本信息已保存。"
	if res.Position.IsZero() {
		msg = "没有需要保存的修改。"
	}
	s.k.Done(w, r, res.Position, "/me", msg)
}

// correctionData is the request form of one key field.
type correctionData struct {
	Field   string
	Label   string
	Current string
	Options []ident.Entry // the field's codes; nil for a text value
	Input   string        // the input type of a free value
	Hint    string
	Choices []ident.Entry // the fields that may be corrected, when none is chosen
}

func correctionChoices() []ident.Entry {
	var out []ident.Entry
	for _, f := range teacher.Fields() {
		if teacher.CorrectableByRequest(f) {
			out = append(out, ident.Entry{Code: f, Label: teacher.FieldLabel(f)})
		}
	}
	return out
}

func (s *Section) correctionData(r *http.Request, field string) (correctionData, error) {
	d := correctionData{Choices: correctionChoices()}
	if field == "" {
		return d, nil
	}
	if !teacher.CorrectableByRequest(field) {
		return d, domain.ErrNotFound
	}
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		return d, err
	}
	d.Field, d.Label, d.Current = field, teacher.FieldLabel(field), valueOf(p, field)
	if dict := teacher.FieldDict(field); dict != nil {
		d.Options = dict.Entries()
	}
	d.Input = "text"
	switch field {
	case teacher.FieldBirthDate:
		d.Input, d.Hint = "date", "格式：1980-05-15"
	case teacher.FieldWorkStart:
		d.Input, d.Hint = "month", "格式：2003-08"
	case teacher.FieldIDNumber:
		d.Hint = "请填写与身份证件完全一致的号码"
	case teacher.FieldName:
		d.Hint = "须与身份证件上的姓名完全一致"
	case teacher.FieldCertificateNumber:
		d.Hint = "17位教师资格证号码"
	}
	return d, nil
}

func (s *Section) correctionPage(w http.ResponseWriter, r *http.Request) {
	field := r.URL.Query().Get("field")
	d, err := s.correctionData(r, field)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "correction", web.Page{Title: "申请更正关键信息", Data: d,
		Form: url.Values{"field": {field}}})
}

func (s *Section) requestCorrection(w http.ResponseWriter, r *http.Request) {
	up, uerr := parseUpload(w, r, "evidence")
	field := r.PostFormValue("field")
	d, err := s.correctionData(r, field)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	page := web.Page{Title: "申请更正关键信息", Data: d}
	if uerr != nil {
		s.views.Form(w, r, "correction", page, uerr)
		return
	}
	var evidence []string
	if up != nil {
		ref, err := s.store(r, "evidence", up)
		if err != nil {
			s.views.Form(w, r, "correction", page, err)
			return
		}
		evidence = append(evidence, ref.SHA256)
	}
	res, _, err := s.Cmd.RequestCorrection(r.Context(), web.Actor(r), me(r), field,
		strings.TrimSpace(r.PostFormValue("proposed_value")), r.PostFormValue("reason"), evidence)
	if err != nil {
		s.views.Form(w, r, "correction", page, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me", "更正申请已提交，等待区县管理员审核。")
}

func (s *Section) withdrawCorrection(w http.ResponseWriter, r *http.Request) {
	cid, err := pathID(r, "cid")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.Cmd.WithdrawCorrection(r.Context(), web.Actor(r), me(r), cid)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me", "更正申请已撤回。")
}

// contactData is the two-step change of the mobile or e-mail: the new
// value, then the code sent to it.
type contactData struct {
	Field, Label string
	Current      string // masked
	Input        string
	// Sent: the code went out; the page asks for it.
	Sent     bool
	SentTo   string // masked
	Revision uint64
}

func contactField(f string) (string, bool) {
	switch f {
	case teacher.FieldMobile, teacher.FieldEmail:
		return f, true
	}
	return "", false
}

func (s *Section) contactData(r *http.Request, field string) (contactData, error) {
	f, ok := contactField(field)
	if !ok {
		return contactData{}, domain.ErrNotFound
	}
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		return contactData{}, err
	}
	d := contactData{Field: f, Label: teacher.FieldLabel(f), Current: valueOf(p, f), Input: "tel", Revision: p.Revision}
	if f == teacher.FieldEmail {
		d.Input = "email"
	}
	return d, nil
}

// normalContact is the stored form of a checked mobile or e-mail.
func normalContact(field, v string) string {
	n, err := ident.NormalizeMobile(v)
	if field == teacher.FieldEmail {
		n, err = ident.NormalizeEmail(v)
	}
	if err != nil {
		return v
	}
	return n
}

func maskContact(field, v string) string {
	if field == teacher.FieldMobile {
		return ident.MaskMobile(v)
	}
	return v
}

func (s *Section) contactPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.contactData(r, r.URL.Query().Get("field"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "contact", web.Page{Title: "修改" + d.Label, Data: d})
}

// contactCode sends a code to the new value and shows the page that asks
// for it. The new value travels in the form, never in a URL.
func (s *Section) contactCode(w http.ResponseWriter, r *http.Request) {
	d, err := s.contactData(r, r.PostFormValue("field"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	page := web.Page{Title: "修改" + d.Label, Data: d}
	value := strings.TrimSpace(r.PostFormValue("value"))
	if err := s.Cmd.RequestContactCode(r.Context(), web.Principal(r), d.Field, value); err != nil {
		s.views.Form(w, r, "contact", page, renameField(err, "value", "field", d.Field))
		return
	}
	value = normalContact(d.Field, value)
	d.Sent, d.SentTo = true, maskContact(d.Field, value)
	page.Data = d
	page.Form = url.Values{"value": {value}}
	page.Flash = "验证码已发送至 " + d.SentTo + "，10 分钟内有效。"
	s.views.Render(w, r, http.StatusOK, "contact", page)
}

func (s *Section) confirmContact(w http.ResponseWriter, r *http.Request) {
	d, err := s.contactData(r, r.PostFormValue("field"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	value := strings.TrimSpace(r.PostFormValue("value"))
	d.Sent, d.SentTo = true, maskContact(d.Field, value)
	page := web.Page{Title: "修改" + d.Label, Data: d}
	if rev, err := strconv.ParseUint(r.PostFormValue("revision"), 10, 64); err == nil {
		d.Revision = rev
		page.Data = d
	}
	rev, err := revision(r)
	if err != nil {
		s.views.Form(w, r, "contact", page, err)
		return
	}
	ctx := commands.WithRequest(r.Context(), commands.Request{ExpectedRevision: rev})
	res, err := s.Cmd.EditTeacher(ctx, web.Actor(r), me(r), map[string]string{d.Field: value}, "",
		map[string]string{d.Field: strings.TrimSpace(r.PostFormValue("code"))})
	if err != nil {
		s.views.Form(w, r, "contact", page, renameField(err, "value", d.Field))
		return
	}
	s.k.Done(w, r, res.Position, "/me", d.Label+"已修改。")
}

// renameField moves the reasons of domain fields (and of none) onto the
// form's input named to.
func renameField(err error, to string, from ...string) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &domain.ValidationError{}
	for _, f := range ve.Fields {
		if f.Field == "" || slices.Contains(from, f.Field) {
			f.Field = to
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

// photoData is the upload of the certificate photo or the avatar.
type photoData struct {
	Field, Label string
	Current      string // the stored file's hash, "" for none
	Hint         string
	Revision     uint64
}

func photoField(f string) bool {
	return f == teacher.FieldCertificatePhoto || f == teacher.FieldAvatar
}

func (s *Section) photoData(r *http.Request, field string) (photoData, error) {
	if !photoField(field) {
		return photoData{}, domain.ErrNotFound
	}
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		return photoData{}, err
	}
	d := photoData{Field: field, Label: teacher.FieldLabel(field), Current: p.Profile.Get(field), Revision: p.Revision}
	if field == teacher.FieldCertificatePhoto {
		d.Hint = "一寸蓝底免冠证件照片，JPG 或 PNG，不要使用全身照片。部分培训项目（如骨干教师培训）的合格证书需打印照片。"
	} else {
		d.Hint = "JPG 或 PNG 图片。"
	}
	return d, nil
}

func (s *Section) photoPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.photoData(r, r.URL.Query().Get("field"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "photo", web.Page{Title: "上传" + d.Label, Data: d})
}

// uploadPhoto stores the image and points the record at it.
func (s *Section) uploadPhoto(w http.ResponseWriter, r *http.Request) {
	up, uerr := parseUpload(w, r, "photo")
	d, err := s.photoData(r, r.PostFormValue("field"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	page := web.Page{Title: "上传" + d.Label, Data: d}
	if uerr == nil && up == nil {
		uerr = web.ValidationErrors(domain.FieldError{Field: "photo", Reason: "请选择照片文件"})
	}
	if uerr == nil && up.ContentType != "image/jpeg" && up.ContentType != "image/png" {
		uerr = web.ValidationErrors(domain.FieldError{Field: "photo", Reason: "照片应为 JPG 或 PNG 图片"})
	}
	if uerr != nil {
		s.views.Form(w, r, "photo", page, uerr)
		return
	}
	ref, err := s.store(r, "photo", up)
	if err != nil {
		s.views.Form(w, r, "photo", page, err)
		return
	}
	rev, err := revision(r)
	if err != nil {
		s.views.Form(w, r, "photo", page, err)
		return
	}
	ctx := commands.WithRequest(r.Context(), commands.Request{ExpectedRevision: rev})
	res, err := s.Cmd.EditTeacher(ctx, web.Actor(r), me(r), map[string]string{d.Field: ref.SHA256}, "", nil)
	if err != nil {
		s.views.Form(w, r, "photo", page, renameField(err, "photo", d.Field))
		return
	}
	s.k.Done(w, r, res.Position, "/me", d.Label+"已上传。")
}
