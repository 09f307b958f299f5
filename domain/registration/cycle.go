package registration

import (
	"time"

	"github.com/hbte/record/domain"
)

// Cycle is one registration period, half-open: [Start, End).
type Cycle struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// NewCycle is the cycle of years starting on the registration date start.
func NewCycle(start time.Time, years int) Cycle {
	s := dateOf(start)
	return Cycle{Start: s, End: s.AddDate(years, 0, 0)}
}

// IsZero reports whether c is unset.
func (c Cycle) IsZero() bool { return c.Start.IsZero() && c.End.IsZero() }

// Contains reports whether the day of t lies in c.
func (c Cycle) Contains(t time.Time) bool {
	d := dateOf(t)
	return !d.Before(c.Start) && d.Before(c.End)
}

// AppraisalYears are the calendar years whose 31 December falls in c: the
// years whose ethics and annual appraisal the cycle answers for.
func (c Cycle) AppraisalYears() []int {
	var out []int
	for y := c.Start.Year(); ; y++ {
		dec31 := time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
		if !dec31.Before(c.End) {
			return out
		}
		if !dec31.Before(c.Start) {
			out = append(out, y)
		}
	}
}

// History is what the decisions say about a teacher's registration so far.
// It is derived from decision events only, never entered by hand.
type History struct {
	// FirstRegisteredOn is the date of the first registration (首次注册).
	FirstRegisteredOn time.Time `json:"first_registered_on,omitzero"`
	// LastRegisteredOn is the date of the latest registration: the first, or
	// the latest periodic decision that passed. The current cycle runs from it.
	LastRegisteredOn time.Time `json:"last_registered_on,omitzero"`
	LastOutcome      Outcome   `json:"last_outcome,omitempty"`
	LastDecidedOn    time.Time `json:"last_decided_on,omitzero"`
}

// Registered reports whether the teacher has a registration whose cycle can
// be checked: one exists and no failed periodic registration ended it. A
// deferral keeps it open, since the teacher re-applies for the same cycle.
func (h History) Registered() bool {
	return !h.LastRegisteredOn.IsZero() && h.LastOutcome != OutcomeFail
}

// CurrentCycle is the cycle of the current registration. A deferral leaves
// it where it was: the teacher re-applies for the same cycle.
func (h History) CurrentCycle(years int) (Cycle, bool) {
	if !h.Registered() {
		return Cycle{}, false
	}
	return NewCycle(h.LastRegisteredOn, years), true
}

// PolicyDate is the day whose policy applies to a check of c made on asOf:
// the cycle's last day, or asOf when checking before the end.
func PolicyDate(c Cycle, asOf time.Time) time.Time {
	last := c.End.AddDate(0, 0, -1)
	if d := dateOf(asOf); d.Before(last) {
		return d
	}
	return last
}

// ErrNotRegistered: there is no current registration to check.
var ErrNotRegistered = domain.Refusal("registration: teacher has no current registration", "该教师尚无有效的首次注册记录，须先办理首次注册")

// Plan picks the cycle and the policy for checking a teacher of region on
// asOf: the cycle's length from the policy in force on its first day, the
// rules from the policy in force on PolicyDate.
func Plan(c Catalog, region string, h History, asOf time.Time) (Cycle, Policy, error) {
	if !h.Registered() {
		return Cycle{}, Policy{}, ErrNotRegistered
	}
	start := c.InForce(region, h.LastRegisteredOn)
	cycle, _ := h.CurrentCycle(start.CycleYears)
	return cycle, c.InForce(region, PolicyDate(cycle, asOf)), nil
}
