package teacher

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
)

// requiredFields must never be empty once registered.
var requiredFields = []string{
	FieldName, FieldIDType, FieldIDNumber, FieldGender, FieldBirthDate,
	FieldCounty, FieldUnit, FieldWorkStart, FieldCertificateType, FieldCertificateNumber,
}

// rule is a check across fields; it runs when any of its fields changed, so
// an old record that breaks a rule does not block unrelated edits.
type rule struct {
	fields []string
	check  func(p *Profile, c *checkCtx)
}

type checkCtx struct {
	today      time.Time
	legacyCert bool // the certificate number was accepted by an admin override
	errs       domain.ValidationError
	warnings   []ident.Warning
	// idWarnings is false when the ID number did not change: its area-code
	// warning was shown when it was entered.
	idWarnings bool
}

func (c *checkCtx) add(field, reason string) { c.errs.Add(field, reason) }

func (c *checkCtx) addErr(err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		c.errs.Fields = append(c.errs.Fields, ve.Fields...)
		return
	}
	c.errs.Add("", err.Error())
}

var rules = []rule{
	{fields: []string{FieldIDType, FieldIDNumber, FieldGender, FieldBirthDate}, check: checkIdentity},
	{fields: []string{FieldCertificateType, FieldCertificateNumber}, check: checkCertificate},
	{fields: []string{FieldFundedNormal, FieldFundedNormalYear}, check: checkFundedNormal},
	{fields: []string{FieldSpecialPost, FieldSpecialPostYear}, check: checkSpecialPost},
	{fields: []string{FieldWorkStart, FieldBirthDate}, check: checkWorkAge},
	{fields: []string{FieldInitialEducation, FieldHighestEducation}, check: checkEducation},
}

// checkRules validates the candidate profile p after the fields in changed
// were set.
func checkRules(p *Profile, changed map[string]bool, legacyCert bool, today time.Time) ([]ident.Warning, error) {
	c := &checkCtx{today: today, legacyCert: legacyCert, idWarnings: changed[FieldIDNumber] || changed[FieldIDType]}
	for _, f := range requiredFields {
		// With a resident ID, gender and birth date follow it: checkIdentity
		// reports them, after the ID itself.
		if p.IDType == ident.IDTypeResident && (f == FieldGender || f == FieldBirthDate) {
			continue
		}
		if changed[f] && p.Get(f) == "" {
			c.add(f, "请填写"+FieldLabel(f))
		}
	}
	if len(c.errs.Fields) > 0 {
		return nil, c.errs.Err()
	}
	for _, r := range rules {
		for _, f := range r.fields {
			if changed[f] {
				r.check(p, c)
				break
			}
		}
	}
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	return c.warnings, nil
}

func checkIdentity(p *Profile, c *checkCtx) {
	if p.IDType != ident.IDTypeResident {
		if n := len(p.IDNumber); n != 0 && (n < 5 || n > 30) {
			c.add(FieldIDNumber, "身份证件号码应为5至30个字符")
		}
		return
	}
	if p.IDNumber == "" {
		return
	}
	id, warnings, err := ident.ParseResidentID(p.IDNumber, c.today)
	if err != nil {
		c.addErr(err)
		return
	}
	if c.idWarnings {
		c.warnings = append(c.warnings, warnings...)
	}
	for _, f := range []string{FieldGender, FieldBirthDate} {
		if p.Get(f) == "" {
			c.add(f, "请填写"+FieldLabel(f))
		}
	}
	if p.Gender != "" && p.Gender != id.Gender {
		c.add(FieldGender, fmt.Sprintf("性别与身份证号码不一致（身份证号码显示为%s）", ident.Gender.Label(id.Gender)))
	}
	if birth := id.BirthDate.Format(ident.DateLayout); p.BirthDate != "" && p.BirthDate != birth {
		c.add(FieldBirthDate, fmt.Sprintf("出生日期与身份证号码不一致（身份证号码显示为%s）", birth))
	}
}

func checkCertificate(p *Profile, c *checkCtx) {
	if c.legacyCert || p.CertificateNumber == "" {
		return
	}
	if _, err := ident.ParseCertificateNumber(p.CertificateNumber, p.CertificateType, c.today); err != nil {
		c.addErr(err)
	}
}

func checkFundedNormal(p *Profile, c *checkCtx) {
	from := map[string]int{"1": ident.FundedNormalNationalFrom, "2": ident.FundedNormalHebeiFrom}[p.FundedNormal]
	checkProgrammeYear(c, FieldFundedNormalYear, p.FundedNormalYear, from,
		fmt.Sprintf("%s自%d年开始实施", ident.FundedNormal.Label(p.FundedNormal), from))
}

func checkSpecialPost(p *Profile, c *checkCtx) {
	from := 0
	if p.SpecialPost == "1" {
		from = ident.SpecialPostFrom
	}
	checkProgrammeYear(c, FieldSpecialPostYear, p.SpecialPostYear, from,
		fmt.Sprintf("河北省特岗教师计划自%d年开始招聘", ident.SpecialPostFrom))
}

// checkProgrammeYear: from is 0 when the teacher is not in the programme,
// and then no year may be given.
func checkProgrammeYear(c *checkCtx, field, year string, from int, why string) {
	label := FieldLabel(field)
	if from == 0 {
		if year != "" {
			c.add(field, "未参加该计划时不应填写"+label)
		}
		return
	}
	if year == "" {
		c.add(field, "请填写"+label)
		return
	}
	if y, _ := strconv.Atoi(year); y < from {
		c.add(field, fmt.Sprintf("%s不能早于%d年：%s", label, from, why))
	}
}

// Nobody starts teaching before 16, the legal working age.
const minWorkingAge = 16

func checkWorkAge(p *Profile, c *checkCtx) {
	birth, err1 := time.Parse(ident.DateLayout, p.BirthDate)
	start, err2 := time.Parse(ident.MonthLayout, p.WorkStart)
	if err1 != nil || err2 != nil {
		return
	}
	if start.Before(time.Date(birth.Year()+minWorkingAge, birth.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		c.add(FieldWorkStart, fmt.Sprintf("参加工作年月早于%d周岁，请核对", minWorkingAge))
	}
}

func checkEducation(p *Profile, c *checkCtx) {
	if p.InitialEducation == "" || p.HighestEducation == "" {
		return
	}
	if ident.EducationRank(p.HighestEducation) < ident.EducationRank(p.InitialEducation) {
		c.add(FieldHighestEducation, "最高学历不能低于初始学历")
	}
}
