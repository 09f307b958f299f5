package credit

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// Duplicates across sources. The source key makes one activity count once
// within a source (an enrollment, a credit bank request, a record of an
// earlier system), but the same training can reach the ledger from two
// sources: imported from two former systems, or imported and then
// recognised through the credit bank. A grant that looks like a live entry
// of another source (Likely) is recorded held: it counts nowhere until the
// county admin of the teacher decides, with a reason, that it is a distinct
// training (DuplicateCleared: it counts from then on) or the same
// (DuplicateConfirmed: it never counts; the entry it repeats keeps
// counting). Project grants are never held: an enrollment is the platform's
// own record of the training, so it is the other source that gets held.

// Stored event type names. Never rename.
const (
	TypeDuplicateCleared   = "credit.duplicate_cleared"
	TypeDuplicateConfirmed = "credit.duplicate_confirmed"
)

// DuplicateCleared: the county admin found a held entry to be a distinct
// training; it counts from now on.
type DuplicateCleared struct {
	EntryID   uuid.UUID `json:"entry_id"`
	TeacherID uuid.UUID `json:"teacher_id"`
	// DuplicateOf is the entry it was suspected to repeat.
	DuplicateOf uuid.UUID `json:"duplicate_of"`
	Reason      string    `json:"reason"`
	DecidedBy   uuid.UUID `json:"decided_by"`
	DecidedAt   time.Time `json:"decided_at"`
}

func (*DuplicateCleared) EventType() string { return TypeDuplicateCleared }

// DuplicateConfirmed: the county admin found a held entry to repeat
// DuplicateOf; it never counts.
type DuplicateConfirmed struct {
	EntryID     uuid.UUID `json:"entry_id"`
	TeacherID   uuid.UUID `json:"teacher_id"`
	DuplicateOf uuid.UUID `json:"duplicate_of"`
	Reason      string    `json:"reason"`
	DecidedBy   uuid.UUID `json:"decided_by"`
	DecidedAt   time.Time `json:"decided_at"`
}

func (*DuplicateConfirmed) EventType() string { return TypeDuplicateConfirmed }

// Candidate is what duplicate detection compares: a training's title, its
// days and its hours.
type Candidate struct {
	Title   string
	StartOn time.Time // zero: the completion day
	EndOn   time.Time
	Hours   Quantity
}

func (e Entry) candidate() Candidate {
	return Candidate{Title: e.Title, StartOn: e.StartedOn, EndOn: e.CompletedOn, Hours: e.Hours}
}

func (g Grant) candidate() Candidate {
	return Candidate{Title: g.Title, StartOn: g.StartedOn, EndOn: g.CompletedOn, Hours: g.Hours}
}

// NormalizeTitle folds a training's title for comparison: compatibility
// forms (full-width letters and digits) folded, letters lower-cased, and
// everything but letters and digits dropped (spaces, punctuation, book-title
// marks, quotes), so "《大单元教学》专题培训（2023）" and "大单元教学专题培训2023"
// are the same.
func NormalizeTitle(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// similarTitles: equal after normalisation, or one contains the other and
// the shorter has at least four letters (a title with a suffix such as
// "培训" or "（线上）" added by one system).
func similarTitles(a, b string) bool {
	a, b = NormalizeTitle(a), NormalizeTitle(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	if len([]rune(a)) > len([]rune(b)) {
		a, b = b, a
	}
	return len([]rune(a)) >= 4 && strings.Contains(b, a)
}

func (c Candidate) span() (time.Time, time.Time) {
	end := dateOnly(c.EndOn)
	start := end
	if !c.StartOn.IsZero() && !dateOnly(c.StartOn).After(end) {
		start = dateOnly(c.StartOn)
	}
	return start, end
}

// Likely reports whether a and b look like the same training: the same
// hours, overlapping days and similar titles.
func Likely(a, b Candidate) bool {
	if a.Hours != b.Hours || a.Hours.IsZero() {
		return false
	}
	as, ae := a.span()
	bs, be := b.span()
	if as.After(be) || bs.After(ae) {
		return false
	}
	return similarTitles(a.Title, b.Title)
}

// LikelyDuplicates are the counting entries that c looks like, for a
// warning before it is submitted (the credit bank form).
func (l *Ledger) LikelyDuplicates(c Candidate) []Entry {
	var out []Entry
	for _, e := range l.Live() {
		if !e.Held && Likely(e.candidate(), c) {
			out = append(out, e)
		}
	}
	return out
}

// suspect is the counting entry of another source that g looks like.
func (l *Ledger) suspect(g Grant) (Entry, bool) {
	if g.Source.Kind == SourceProject {
		return Entry{}, false
	}
	key := g.Source.Key()
	for _, e := range l.Live() {
		if e.Key != key && !e.Held && Likely(e.candidate(), g.candidate()) {
			return e, true
		}
	}
	return Entry{}, false
}

// Held returns the entries held as suspected duplicates, awaiting a decision.
func (l *Ledger) Held() []Entry {
	var out []Entry
	for _, e := range l.entries {
		if e.Held && !e.Revoked {
			out = append(out, e)
		}
	}
	return out
}

// ErrNotHeld: the entry is not awaiting a duplicate decision.
var ErrNotHeld = domain.Refusal("credit: entry is not held as a suspected duplicate", "该学时记录不是待认定的疑似重复记录，或已作出认定")

// DecideDuplicate records the county admin's decision on a held entry:
// distinct (it counts) or duplicate (it never counts), with a reason.
func (l *Ledger) DecideDuplicate(actor access.Actor, teacherCounty string, entryID uuid.UUID, duplicate bool, reason string, at time.Time) error {
	if actor.Role != access.RoleCountyAdmin || !actor.Covers(teacherCounty) {
		return fmt.Errorf("credit: only the county admin of the teacher's county decides duplicates: %w", access.ErrForbidden)
	}
	i := slices.IndexFunc(l.entries, func(e Entry) bool { return e.ID == entryID })
	if i < 0 {
		return ErrNoSuchEntry
	}
	e := l.entries[i]
	if !e.Held || e.Revoked {
		return ErrNotHeld
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return domain.Invalid("reason", "请说明判断依据")
	}
	if at.IsZero() {
		return domain.Invalid("at", "缺少记录时间")
	}
	if duplicate {
		l.Record(l, &DuplicateConfirmed{EntryID: e.ID, TeacherID: l.teacherID, DuplicateOf: e.DuplicateOf, Reason: reason, DecidedBy: actor.UserID, DecidedAt: at})
	} else {
		l.Record(l, &DuplicateCleared{EntryID: e.ID, TeacherID: l.teacherID, DuplicateOf: e.DuplicateOf, Reason: reason, DecidedBy: actor.UserID, DecidedAt: at})
	}
	return nil
}
