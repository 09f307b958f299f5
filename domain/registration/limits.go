package registration

import (
	"time"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/region"
)

// The national plausibility limits, used where a policy sets none: one
// training of more than 500 hours (a full-time semester of study) or a
// training year of more than 1,000 hours is a typing error to be checked,
// not a record. A province with other figures publishes them.
var (
	DefaultMaxEntryHours = credit.Whole(500)
	DefaultMaxYearHours  = credit.Whole(1000)
)

// FirstPolicyDate is the earliest effective date a published policy may
// have: the platform's record starts in 2018, and the national default
// covers everything before.
var FirstPolicyDate = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)

// Limits are the plausibility limits the record applies under p.
func (p Policy) Limits() credit.Limits {
	l := credit.Limits{MaxEntryHours: p.MaxEntryHours, MaxYearHours: p.MaxYearHours}
	if l.MaxEntryHours.IsZero() {
		l.MaxEntryHours = DefaultMaxEntryHours
	}
	if l.MaxYearHours.IsZero() {
		l.MaxYearHours = DefaultMaxYearHours
	}
	return l
}

// checkPublishable adds what a published (not the built-in) policy must
// also satisfy: a scope that is a real region, an effective date from 2018.
func checkPublishable(p Policy) map[string]string {
	bad := map[string]string{}
	if p.Scope != "" && len(p.Scope)%2 == 0 {
		if _, ok := region.Default().Lookup(p.Scope); !ok {
			bad["scope"] = "适用地区不存在（应为GB/T 2260行政区划代码）"
		}
	}
	if !p.EffectiveFrom.IsZero() && dateOf(p.EffectiveFrom).Before(FirstPolicyDate) {
		bad["effective_from"] = "生效日期不能早于2018年1月1日"
	}
	return bad
}

// DefaultMakeUpMonths is the make-up period of a policy that sets none: a
// deferred teacher has a year after the cycle's end to make up hours.
const DefaultMakeUpMonths = 12

// MakeUpUntil is the last day on which hours completed after c's end count
// as make-up hours for a deferred teacher.
func (p Policy) MakeUpUntil(c Cycle) time.Time {
	m := p.MakeUpMonths
	if m == 0 {
		m = DefaultMakeUpMonths
	}
	return c.End.AddDate(0, m, -1)
}
