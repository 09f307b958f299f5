package registration

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
)

// Subject is everything a check reads of one teacher besides the policies:
// the teacher record's county, name, ID number and exemption categories,
// the decisions, the ledger, the appraisal record and the facts. The
// commands gather it by replaying the teacher's streams (a check as of an
// instant); a read model keeps it for a check of the record as it stands
// (projections.RegistrationInputsProjection). Either way the check is the
// same function of it (commands: Plan, then Evaluate).
type Subject struct {
	TeacherID uuid.UUID
	// Registered: the teacher record exists (teacher.registered applied).
	Registered bool
	County     string
	Name       string
	IDNumber   string
	Categories []string
	History    History
	// Entries in grant order. A read model may leave out entries the check
	// cannot count: completed before the current cycle's start or on or
	// after the check date.
	Entries []credit.Entry
	Annual  []appraisal.Annual
	Ethics  []appraisal.Ethics
	// Absences live, in recording order.
	Absences []Absence
	// Fitness are the days fitness to teach was confirmed.
	Fitness []time.Time
	Revoked bool
}

// FitIn reports whether fitness was confirmed on a day of c up to the day
// of asOf.
func (s Subject) FitIn(c Cycle, asOf time.Time) bool { return fitIn(s.Fitness, c, asOf) }

func fitIn(fitness []time.Time, c Cycle, asOf time.Time) bool {
	last := dateOf(asOf)
	for _, on := range fitness {
		if !on.Before(c.Start) && !dateOf(on).After(last) {
			return true
		}
	}
	return false
}
