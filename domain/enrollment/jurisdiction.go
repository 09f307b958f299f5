package enrollment

import (
	"time"

	"github.com/hbte/record/domain/event"
)

// FollowTeacher sets the county whose administrators hold the enrollment
// now: the teacher's current county (the command layer reads it from the
// teacher's stream before every decision and view). The county stored in
// Nominated stays the nominating county (NominatedCounty); jurisdiction
// follows the teacher, so after an accepted transfer the receiving county
// withdraws, the city over it reviews, and the sending county keeps only
// the read-only view of LoadUntil.
func (e *Enrollment) FollowTeacher(county string) {
	if county != "" {
		e.county = county
	}
}

// NominatedCounty is the county that made the latest nomination.
func (e *Enrollment) NominatedCounty() string { return e.nominatedBy }

// NominatedAt is when the latest nomination was made (zero before one).
func (e *Enrollment) NominatedAt() time.Time { return e.nominatedAt }

// LoadUntil rebuilds the enrollment as it stood before until: the view a
// county keeps of an enrollment of a teacher who left it (what happened
// while the teacher was its own, nothing after).
func LoadUntil(history []event.Envelope, until time.Time) *Enrollment {
	n := 0
	for n < len(history) {
		at := history[n].Metadata.OccurredAt
		if at.IsZero() {
			at = history[n].RecordedAt
		}
		if !at.Before(until) {
			break
		}
		n++
	}
	return Load(history[:n])
}
