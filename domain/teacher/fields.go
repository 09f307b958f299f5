package teacher

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/region"
)

// Field names: the JSON keys of Profile, stored in events. Never rename.
const (
	// key fields
	FieldName              = "name"
	FieldIDType            = "id_type"
	FieldIDNumber          = ident.FieldIDNumber
	FieldGender            = "gender"
	FieldBirthDate         = "birth_date"
	FieldCity              = "city"
	FieldCounty            = "county"
	FieldUnit              = "unit_id"
	FieldWorkStart         = "work_start"
	FieldCertificateType   = "certificate_type"
	FieldCertificateNumber = ident.FieldCertificateNumber

	// ordinary fields
	FieldFormerName        = "former_name"
	FieldEthnicity         = "ethnicity"
	FieldPoliticalStatus   = "political_status"
	FieldNativePlace       = "native_place"
	FieldMaritalStatus     = "marital_status"
	FieldMainStage         = "main_stage"
	FieldMainSubject       = "main_subject"
	FieldInitialEducation  = "initial_education"
	FieldHighestEducation  = "highest_education"
	FieldHighestDegree     = "highest_degree"
	FieldFundedNormal      = "funded_normal"
	FieldFundedNormalYear  = "funded_normal_year"
	FieldSpecialPost       = "special_post"
	FieldSpecialPostYear   = "special_post_year"
	FieldOnStaff           = "on_staff"
	FieldPostCategory      = "post_category"
	FieldProfessionalTitle = "professional_title"
	FieldBackboneLevel     = "backbone_level"
	FieldMobile            = ident.FieldMobile
	FieldEmail             = ident.FieldEmail
	FieldCertificatePhoto  = "certificate_photo"
	FieldAvatar            = "avatar"
)

// Profile is the basic information of a teacher. Every value is a string in
// its stored form: codes of the ident tables, dates as YYYY-MM-DD, the start
// of work as YYYY-MM, years as YYYY, file references as opaque keys. "" means
// not filled in.
type Profile struct {
	Name              string `json:"name"`
	IDType            string `json:"id_type"`
	IDNumber          string `json:"id_number"`
	Gender            string `json:"gender"`
	BirthDate         string `json:"birth_date"`
	City              string `json:"city"`
	County            string `json:"county"`
	UnitID            string `json:"unit_id"`
	WorkStart         string `json:"work_start"`
	CertificateType   string `json:"certificate_type"`
	CertificateNumber string `json:"certificate_number"`

	FormerName        string `json:"former_name,omitempty"`
	Ethnicity         string `json:"ethnicity,omitempty"`
	PoliticalStatus   string `json:"political_status,omitempty"`
	NativePlace       string `json:"native_place,omitempty"`
	MaritalStatus     string `json:"marital_status,omitempty"`
	MainStage         string `json:"main_stage,omitempty"`
	MainSubject       string `json:"main_subject,omitempty"`
	InitialEducation  string `json:"initial_education,omitempty"`
	HighestEducation  string `json:"highest_education,omitempty"`
	HighestDegree     string `json:"highest_degree,omitempty"`
	FundedNormal      string `json:"funded_normal,omitempty"`
	FundedNormalYear  string `json:"funded_normal_year,omitempty"`
	SpecialPost       string `json:"special_post,omitempty"`
	SpecialPostYear   string `json:"special_post_year,omitempty"`
	OnStaff           string `json:"on_staff,omitempty"`
	PostCategory      string `json:"post_category,omitempty"`
	ProfessionalTitle string `json:"professional_title,omitempty"`
	BackboneLevel     string `json:"backbone_level,omitempty"`
	Mobile            string `json:"mobile,omitempty"`
	Email             string `json:"email,omitempty"`
	CertificatePhoto  string `json:"certificate_photo,omitempty"`
	Avatar            string `json:"avatar,omitempty"`
}

type fieldSpec struct {
	name  string
	label string
	key   bool
	dict  *ident.Dict // codes; nil for free values
	ptr   func(*Profile) *string
	// norm checks and normalises a non-empty value of a free field.
	norm func(v string, today time.Time) (string, error)
	// derived fields follow another part of the record and are never set
	// directly (city and county follow the unit).
	derived bool
}

var fieldSpecs = []fieldSpec{
	{name: FieldName, label: "姓名", key: true, ptr: func(p *Profile) *string { return &p.Name }, norm: normName},
	{name: FieldIDType, label: "身份证件类型", key: true, dict: ident.IDType, ptr: func(p *Profile) *string { return &p.IDType }},
	{name: FieldIDNumber, label: "身份证件号码", key: true, ptr: func(p *Profile) *string { return &p.IDNumber }, norm: normDocNumber},
	{name: FieldGender, label: "性别", key: true, dict: ident.Gender, ptr: func(p *Profile) *string { return &p.Gender }},
	{name: FieldBirthDate, label: "出生日期", key: true, ptr: func(p *Profile) *string { return &p.BirthDate }, norm: normBirthDate},
	{name: FieldCity, label: "所在地区", key: true, derived: true, ptr: func(p *Profile) *string { return &p.City }},
	{name: FieldCounty, label: "所在区县", key: true, derived: true, ptr: func(p *Profile) *string { return &p.County }},
	{name: FieldUnit, label: "单位", key: true, derived: true, ptr: func(p *Profile) *string { return &p.UnitID }},
	{name: FieldWorkStart, label: "参加工作年月", key: true, ptr: func(p *Profile) *string { return &p.WorkStart }, norm: normWorkStart},
	{name: FieldCertificateType, label: "教师资格证种类", key: true, dict: ident.CertificateType, ptr: func(p *Profile) *string { return &p.CertificateType }},
	{name: FieldCertificateNumber, label: "教师资格证号码", key: true, ptr: func(p *Profile) *string { return &p.CertificateNumber }, norm: normCertNumber},

	{name: FieldFormerName, label: "曾用名", ptr: func(p *Profile) *string { return &p.FormerName }, norm: normFormerName},
	{name: FieldEthnicity, label: "民族", dict: ident.Ethnicity, ptr: func(p *Profile) *string { return &p.Ethnicity }},
	{name: FieldPoliticalStatus, label: "政治面貌", dict: ident.PoliticalStatus, ptr: func(p *Profile) *string { return &p.PoliticalStatus }},
	{name: FieldNativePlace, label: "籍贯", ptr: func(p *Profile) *string { return &p.NativePlace }, norm: normText(50)},
	{name: FieldMaritalStatus, label: "婚姻状况", dict: ident.MaritalStatus, ptr: func(p *Profile) *string { return &p.MaritalStatus }},
	{name: FieldMainStage, label: "主要任教学段", dict: ident.TeachingStage, ptr: func(p *Profile) *string { return &p.MainStage }},
	{name: FieldMainSubject, label: "主要任教学科", dict: ident.Subject, ptr: func(p *Profile) *string { return &p.MainSubject }},
	{name: FieldInitialEducation, label: "初始学历", dict: ident.Education, ptr: func(p *Profile) *string { return &p.InitialEducation }},
	{name: FieldHighestEducation, label: "最高学历", dict: ident.Education, ptr: func(p *Profile) *string { return &p.HighestEducation }},
	{name: FieldHighestDegree, label: "最高学位", dict: ident.Degree, ptr: func(p *Profile) *string { return &p.HighestDegree }},
	{name: FieldFundedNormal, label: "公费师范生", dict: ident.FundedNormal, ptr: func(p *Profile) *string { return &p.FundedNormal }},
	{name: FieldFundedNormalYear, label: "公费师范生入学年份", ptr: func(p *Profile) *string { return &p.FundedNormalYear }, norm: normYear},
	{name: FieldSpecialPost, label: "特岗教师", dict: ident.YesNo, ptr: func(p *Profile) *string { return &p.SpecialPost }},
	{name: FieldSpecialPostYear, label: "特岗教师招聘年份", ptr: func(p *Profile) *string { return &p.SpecialPostYear }, norm: normYear},
	{name: FieldOnStaff, label: "是否在编", dict: ident.YesNo, ptr: func(p *Profile) *string { return &p.OnStaff }},
	{name: FieldPostCategory, label: "岗位类别", dict: ident.PostCategory, ptr: func(p *Profile) *string { return &p.PostCategory }},
	{name: FieldProfessionalTitle, label: "专业技术职务", dict: ident.ProfessionalTitle, ptr: func(p *Profile) *string { return &p.ProfessionalTitle }},
	{name: FieldBackboneLevel, label: "骨干教师", dict: ident.BackboneLevel, ptr: func(p *Profile) *string { return &p.BackboneLevel }},
	{name: FieldMobile, label: "手机号码", ptr: func(p *Profile) *string { return &p.Mobile }, norm: func(v string, _ time.Time) (string, error) { return ident.NormalizeMobile(v) }},
	{name: FieldEmail, label: "电子邮箱", ptr: func(p *Profile) *string { return &p.Email }, norm: func(v string, _ time.Time) (string, error) { return ident.NormalizeEmail(v) }},
	{name: FieldCertificatePhoto, label: "证书照片", ptr: func(p *Profile) *string { return &p.CertificatePhoto }, norm: normFileRef},
	{name: FieldAvatar, label: "头像", ptr: func(p *Profile) *string { return &p.Avatar }, norm: normFileRef},
}

var specByName = func() map[string]*fieldSpec {
	m := make(map[string]*fieldSpec, len(fieldSpecs))
	for i := range fieldSpecs {
		m[fieldSpecs[i].name] = &fieldSpecs[i]
	}
	return m
}()

// Fields lists every field name in display order.
func Fields() []string {
	out := make([]string, len(fieldSpecs))
	for i, s := range fieldSpecs {
		out[i] = s.name
	}
	return out
}

// FieldLabel is the Chinese label of a field, the name itself when unknown.
func FieldLabel(field string) string {
	if s, ok := specByName[field]; ok {
		return s.label
	}
	return field
}

// IsKeyField reports whether field may be changed only by a county admin.
func IsKeyField(field string) bool {
	s, ok := specByName[field]
	return ok && s.key
}

// IsOrdinaryField reports whether the teacher may edit field directly.
func IsOrdinaryField(field string) bool {
	s, ok := specByName[field]
	return ok && !s.key
}

// FieldDict is the code table of a coded field (its options in a form),
// nil for a free-text field.
func FieldDict(field string) *ident.Dict {
	if s, ok := specByName[field]; ok {
		return s.dict
	}
	return nil
}

// CorrectableByRequest reports whether a teacher may ask for a correction
// of field: a key field that does not follow the unit.
func CorrectableByRequest(field string) bool { return correctableByRequest(field) }

// Get returns the stored value of field, "" for an unknown field.
func (p Profile) Get(field string) string {
	if s, ok := specByName[field]; ok {
		return *s.ptr(&p)
	}
	return ""
}

// ValueLabel renders a stored value for people: the label of a code, the
// masked form of an ID number or mobile, "（空）" for nothing.
func ValueLabel(field, value string) string {
	if value == "" {
		return "（空）"
	}
	switch field {
	case FieldIDNumber:
		return ident.MaskID(value)
	case FieldMobile:
		return ident.MaskMobile(value)
	case FieldCity, FieldCounty:
		if n := region.Default().FullName(value); n != "" {
			return n
		}
	}
	if s, ok := specByName[field]; ok && s.dict != nil {
		return s.dict.Label(value)
	}
	return value
}

// normalize checks one value of field on its own (cross-field rules are in
// checkRules). "" is returned as is: whether it is allowed is decided there.
func normalize(field, value string, today time.Time) (string, error) {
	s, ok := specByName[field]
	if !ok {
		return "", domain.Invalid(field, "未知字段")
	}
	v := strings.TrimSpace(value)
	if v == "" {
		return "", nil
	}
	if s.dict != nil {
		return s.dict.Check(field, v)
	}
	if s.norm != nil {
		n, err := s.norm(v, today)
		return n, nameField(err, field, s.label)
	}
	return v, nil
}

// nameField fills in the field of reasons from the shared normalisers, which
// do not know which field they check.
func nameField(err error, field, label string) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	for i := range ve.Fields {
		if ve.Fields[i].Field == "" {
			ve.Fields[i].Field = field
			ve.Fields[i].Reason = label + ve.Fields[i].Reason
		}
	}
	return ve
}

func normName(v string, _ time.Time) (string, error) {
	n := utf8.RuneCountInString(v)
	if n < 2 || n > 50 {
		return "", domain.Invalid(FieldName, "姓名应为2至50个字")
	}
	for _, r := range v {
		if !(unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || r == '·' || r == '•' || r == ' ') {
			return "", domain.Invalid(FieldName, "姓名须与身份证件完全一致，不能包含数字或符号")
		}
	}
	if strings.Contains(v, "  ") {
		return "", domain.Invalid(FieldName, "姓名中不能有连续空格")
	}
	return v, nil
}

func normFormerName(v string, t time.Time) (string, error) {
	if _, err := normName(v, t); err != nil {
		return "", domain.Invalid(FieldFormerName, "曾用名应为2至50个字，不能包含数字或符号")
	}
	return v, nil
}

// normDocNumber only tidies the number: which rule applies depends on the
// document type, checked in checkRules.
func normDocNumber(v string, _ time.Time) (string, error) {
	return strings.ToUpper(strings.Join(strings.Fields(v), "")), nil
}

func normCertNumber(v string, _ time.Time) (string, error) {
	return strings.Join(strings.Fields(v), ""), nil
}

func normBirthDate(v string, today time.Time) (string, error) {
	d, err := ident.ParseDate(FieldBirthDate, "出生日期", v)
	if err != nil {
		return "", err
	}
	if !d.Before(ident.Today(today)) || d.Year() < 1900 {
		return "", domain.Invalid(FieldBirthDate, "出生日期应在1900年之后、今天之前")
	}
	return d.Format(ident.DateLayout), nil
}

func normWorkStart(v string, today time.Time) (string, error) {
	d, err := ident.ParseMonth(FieldWorkStart, "参加工作年月", v)
	if err != nil {
		return "", err
	}
	if d.After(ident.Today(today)) || d.Year() < 1940 {
		return "", domain.Invalid(FieldWorkStart, "参加工作年月不能晚于本月")
	}
	return d.Format(ident.MonthLayout), nil
}

func normYear(v string, today time.Time) (string, error) {
	y, err := strconv.Atoi(v)
	if err != nil || len(v) != 4 || y < 1950 || y > today.Year() {
		return "", domain.Invalid("", fmt.Sprintf("应为1950至%d之间的四位年份", today.Year()))
	}
	return v, nil
}

func normText(max int) func(string, time.Time) (string, error) {
	return func(v string, _ time.Time) (string, error) {
		if utf8.RuneCountInString(v) > max {
			return "", domain.Invalid("", fmt.Sprintf("不能超过%d个字", max))
		}
		return v, nil
	}
}

// normFileRef accepts an opaque storage key from the file store: the domain
// never sees the file itself.
func normFileRef(v string, _ time.Time) (string, error) {
	if len(v) > 200 || strings.ContainsFunc(v, unicode.IsSpace) {
		return "", domain.Invalid("", "文件引用无效")
	}
	return v, nil
}
