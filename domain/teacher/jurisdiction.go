package teacher

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// TransferredOut: the province admin confirmed a transfer out of the
// province. The record stays with its last Hebei county, read-only; no
// transfer is open any more.
type TransferredOut struct {
	TeacherID  uuid.UUID   `json:"teacher_id"`
	TransferID uuid.UUID   `json:"transfer_id"`
	FromCounty string      `json:"from_county"`
	FromUnitID string      `json:"from_unit_id"`
	ToCounty   string      `json:"to_county"`
	ActorID    uuid.UUID   `json:"actor_id"`
	ActorRole  access.Role `json:"actor_role"`
}

func (*TransferredOut) EventType() string { return TypeTransferredOut }

// Spell is a stretch of time in which one county held the teacher: from
// the registration or the accepted transfer in, until the accepted transfer
// out (zero Until: the current county).
type Spell struct {
	County      string
	From, Until time.Time
}

// Current reports the spell still running.
func (s Spell) Current() bool { return s.Until.IsZero() }

// Covers reports whether t lies inside the spell.
func (s Spell) Covers(t time.Time) bool {
	return !t.Before(s.From) && (s.Until.IsZero() || t.Before(s.Until))
}

// Spells reads the counties that held the teacher, oldest first, from the
// teacher's stream. A county correction (KeyFieldCorrected of county) fixes
// an error and so rewrites the running spell; only an accepted transfer
// starts a new one. A transfer out of the province ends no spell: the last
// Hebei county keeps the read-only record.
func Spells(history []event.Envelope) []Spell {
	var out []Spell
	for _, env := range history {
		at := env.Metadata.OccurredAt
		if at.IsZero() {
			at = env.RecordedAt
		}
		switch e := env.Event.(type) {
		case *Registered:
			out = append(out[:0], Spell{County: e.Profile.County, From: at})
		case *KeyFieldCorrected:
			if e.Field == FieldCounty && len(out) > 0 {
				out[len(out)-1].County = e.New
			}
		case *TransferAccepted:
			if len(out) > 0 {
				out[len(out)-1].Until = at
			}
			out = append(out, Spell{County: e.ToCounty, From: at})
		}
	}
	return out
}

// FormerSpell is the jurisdiction an actor keeps over a teacher who left
// one of its counties: the latest ended spell of a county the actor covers,
// when the actor does not cover the current one. Within it the actor reads
// what happened while the teacher was its own (dated inside the spell) and
// changes nothing; the current county has everything else.
func FormerSpell(actor access.Actor, spells []Spell) (Spell, bool) {
	if len(spells) == 0 || actor.Covers(spells[len(spells)-1].County) {
		return Spell{}, false
	}
	for i := len(spells) - 2; i >= 0; i-- {
		if actor.Covers(spells[i].County) {
			return spells[i], true
		}
	}
	return Spell{}, false
}
