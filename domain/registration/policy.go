package registration

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
)

// Policy is one version of the re-registration rules for a region. Zero in
// an optional figure means "no such rule".
type Policy struct {
	// Version names the policy in every decision that used it; unique per scope.
	Version string `json:"version"`
	// Scope is the region the policy covers: "" for the national default, or
	// a 2-, 4- or 6-digit GB/T 2260 code.
	Scope         string    `json:"scope"`
	EffectiveFrom time.Time `json:"effective_from"`

	CycleYears    int             `json:"cycle_years"`
	MinCycleHours credit.Quantity `json:"min_cycle_hours"`
	// MinYearHours is a minimum for each completed cycle year.
	MinYearHours credit.Quantity `json:"min_year_hours,omitempty"`
	// MinCountyOrAboveHours: hours from county, city, provincial or national
	// training needed in the cycle.
	MinCountyOrAboveHours credit.Quantity `json:"min_county_or_above_hours,omitempty"`
	// SchoolBasedCapHours caps the school-based hours (category school_based
	// or level 60) that count toward the cycle.
	SchoolBasedCapHours credit.Quantity `json:"school_based_cap_hours,omitempty"`
	// DegreeStudyHoursPerYear and ClassTeacherHoursPerYear replace the
	// recorded hours of such entries with a flat figure once per training
	// year; zero counts the recorded hours.
	DegreeStudyHoursPerYear  credit.Quantity `json:"degree_study_hours_per_year,omitempty"`
	ClassTeacherHoursPerYear credit.Quantity `json:"class_teacher_hours_per_year,omitempty"`
	// HoursPerCredit converts the credits of entries recorded without hours;
	// zero leaves such entries out.
	HoursPerCredit credit.Quantity `json:"hours_per_credit,omitempty"`
	// MaxEntryHours and MaxYearHours are plausibility limits on what the
	// record accepts (one imported or recognised training, one training
	// year); zero takes the national default's figure.
	MaxEntryHours credit.Quantity `json:"max_entry_hours,omitzero"`
	MaxYearHours  credit.Quantity `json:"max_year_hours,omitzero"`
	// MakeUpMonths is how long after the cycle's end a deferred teacher may
	// make up hours (补修学时); zero takes DefaultMakeUpMonths.
	MakeUpMonths int `json:"make_up_months,omitempty"`
	// MaxUnapprovedAbsenceDays is the reading of "more than one semester".
	MaxUnapprovedAbsenceDays int `json:"max_unapproved_absence_days"`
	// Exemptions are teacher categories the policy does not check.
	Exemptions []Exemption `json:"exemptions,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// Exemption is a category of teacher exempt from the check.
type Exemption struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// NationalVersion names the national default policy.
const NationalVersion = "national-2013"

// NationalDefault is the 2013 national rule: five-year cycles, 360 hours.
// The flat 72 hours a year for degree study and 30 for class-teacher work are
// the figures most provinces use and the brief names; a province that does
// otherwise publishes its own policy.
func NationalDefault() Policy {
	return Policy{
		Version:                  NationalVersion,
		Scope:                    "",
		EffectiveFrom:            time.Date(2013, 8, 15, 0, 0, 0, 0, time.UTC),
		CycleYears:               5,
		MinCycleHours:            credit.Whole(360),
		DegreeStudyHoursPerYear:  credit.Whole(72),
		ClassTeacherHoursPerYear: credit.Whole(30),
		MaxUnapprovedAbsenceDays: 183,
		Note:                     "中小学教师资格定期注册暂行办法（教师〔2013〕9号）",
	}
}

// Validate reports every problem with p.
func (p Policy) Validate() error {
	v := &domain.ValidationError{}
	if strings.TrimSpace(p.Version) == "" {
		v.Add("version", "请填写版本号")
	}
	switch len(p.Scope) {
	case 0, 2, 4, 6:
		for _, c := range p.Scope {
			if c < '0' || c > '9' {
				v.Add("scope", "适用地区代码不正确")
				break
			}
		}
	default:
		v.Add("scope", "适用地区代码不正确")
	}
	if p.EffectiveFrom.IsZero() {
		v.Add("effective_from", "请填写生效日期")
	}
	if p.CycleYears < 1 || p.CycleYears > 10 {
		v.Add("cycle_years", "注册周期应为1至10年")
	}
	if p.MinCycleHours.Sign() < 0 {
		v.Add("min_cycle_hours", "学时要求不能为负数")
	}
	if p.MinYearHours.Sign() < 0 {
		v.Add("min_year_hours", "每年最低学时不能为负数")
	}
	if p.MinCountyOrAboveHours.Sign() < 0 || p.MinCycleHours.Less(p.MinCountyOrAboveHours) {
		v.Add("min_county_or_above_hours", "县级以上学时要求不正确")
	}
	if p.SchoolBasedCapHours.Sign() < 0 {
		v.Add("school_based_cap_hours", "校本研修上限不能为负数")
	}
	if p.DegreeStudyHoursPerYear.Sign() < 0 {
		v.Add("degree_study_hours_per_year", "学历提升折算学时不能为负数")
	}
	if p.ClassTeacherHoursPerYear.Sign() < 0 {
		v.Add("class_teacher_hours_per_year", "班主任工作折算学时不能为负数")
	}
	if p.HoursPerCredit.Sign() < 0 {
		v.Add("hours_per_credit", "学分折算学时不能为负数")
	}
	for _, f := range []struct {
		name string
		q    credit.Quantity
	}{
		{"min_cycle_hours", p.MinCycleHours}, {"min_year_hours", p.MinYearHours},
		{"min_county_or_above_hours", p.MinCountyOrAboveHours}, {"school_based_cap_hours", p.SchoolBasedCapHours},
		{"degree_study_hours_per_year", p.DegreeStudyHoursPerYear}, {"class_teacher_hours_per_year", p.ClassTeacherHoursPerYear},
		{"hours_per_credit", p.HoursPerCredit},
		{"max_entry_hours", p.MaxEntryHours}, {"max_year_hours", p.MaxYearHours},
	} {
		if !f.q.InputExact() {
			v.Add(f.name, "最多保留一位小数")
		}
	}
	if p.MaxEntryHours.Sign() < 0 || p.MaxYearHours.Sign() < 0 {
		v.Add("max_entry_hours", "学时上限不能为负数")
	}
	if p.MakeUpMonths < 0 || p.MakeUpMonths > 60 {
		v.Add("make_up_months", "补修期限应为0至60个月")
	}
	if p.MaxUnapprovedAbsenceDays < 1 {
		v.Add("max_unapproved_absence_days", "中止教学期限应大于零")
	}
	seen := map[string]bool{}
	for i, e := range p.Exemptions {
		if strings.TrimSpace(e.Code) == "" || strings.TrimSpace(e.Label) == "" {
			v.Add(fmt.Sprintf("exemptions[%d]", i), "豁免类别须有代码和名称")
		}
		if seen[e.Code] {
			v.Add(fmt.Sprintf("exemptions[%d]", i), "豁免类别重复")
		}
		seen[e.Code] = true
	}
	return v.Err()
}

// Exempts returns the first exemption matching one of the categories.
func (p Policy) Exempts(categories []string) (Exemption, bool) {
	for _, e := range p.Exemptions {
		if slices.Contains(categories, e.Code) {
			return e, true
		}
	}
	return Exemption{}, false
}

// Catalog is the set of published policies plus the national default.
type Catalog struct {
	policies []Policy // in publication order
}

// NewCatalog holds ps in publication order; the national default is always
// there as the last resort.
func NewCatalog(ps ...Policy) Catalog {
	return Catalog{policies: append([]Policy{NationalDefault()}, ps...)}
}

// InForce selects the policy for region on date: among policies whose scope
// contains the region and that are effective on or before date, the most
// specific scope wins, then the latest effective date, then the latest
// published. The national default always qualifies from 2013.
func (c Catalog) InForce(region string, date time.Time) Policy {
	best, found := Policy{}, false
	bestIdx := -1
	for i, p := range c.policies {
		if !strings.HasPrefix(region, p.Scope) || dateOf(p.EffectiveFrom).After(dateOf(date)) {
			continue
		}
		if !found || len(p.Scope) > len(best.Scope) ||
			len(p.Scope) == len(best.Scope) && !p.EffectiveFrom.Before(best.EffectiveFrom) && i > bestIdx {
			best, bestIdx, found = p, i, true
		}
	}
	if !found {
		return NationalDefault()
	}
	return best
}

// Version returns the published policy of a version and scope, to re-run or
// explain an old decision.
func (c Catalog) Version(scope, version string) (Policy, bool) {
	for _, p := range c.policies {
		if p.Scope == scope && p.Version == version {
			return p, true
		}
	}
	return Policy{}, false
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
