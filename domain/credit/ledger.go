package credit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// StreamName is the ledger stream of a teacher.
func StreamName(teacherID uuid.UUID) string { return "credits-" + teacherID.String() }

// FirstYear is the earliest year the record accepts: the platform started in
// 2018, and imports from earlier systems reach a little further back.
const FirstYear = 2000

// ErrAlreadyCounted: the activity behind a grant is already live in the
// ledger with different figures. Matches domain.ErrDuplicate.
var ErrAlreadyCounted = fmt.Errorf("credit: activity already counted: %w", domain.ErrDuplicate)

// ErrNoSuchEntry: nothing live under that source key.
var ErrNoSuchEntry = fmt.Errorf("credit: no live entry for that activity: %w", domain.ErrNotFound)

// Entry is one grant as the ledger holds it.
type Entry struct {
	ID          uuid.UUID `json:"id"`
	Key         string    `json:"key"`
	Year        int       `json:"year"`
	CompletedOn time.Time `json:"completed_on"`
	Level       Level     `json:"level"`
	Category    Category  `json:"category"`
	Hours       Quantity  `json:"hours"`
	Credits     Quantity  `json:"credits"`
	Title       string    `json:"title"`
	Source      Source    `json:"source"`
	GrantedAt   time.Time `json:"granted_at"`

	Revoked      bool      `json:"revoked"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`

	StartedOn time.Time `json:"started_on,omitzero"`
	// Held: a suspected duplicate of DuplicateOf awaiting the county's
	// decision; it does not count.
	Held        bool      `json:"held,omitempty"`
	DuplicateOf uuid.UUID `json:"duplicate_of,omitzero"`
	// Duplicate: the county confirmed it repeats DuplicateOf; it never
	// counts. DuplicateReason is the county's reason either way.
	Duplicate       bool   `json:"duplicate,omitempty"`
	DuplicateReason string `json:"duplicate_reason,omitempty"`
}

// Counts reports whether the entry counts toward totals.
func (e Entry) Counts() bool { return !e.Revoked && !e.Held && !e.Duplicate }

// Grant is the input of Ledger.Grant.
type Grant struct {
	EntryID uuid.UUID
	// Year is the training year the activity belongs to (a project's year);
	// CompletedOn is the day it was completed, which places it in a
	// registration cycle. Imports that know only a year should use the last
	// day of that year, the latest the activity can have happened.
	Year        int
	CompletedOn time.Time
	Level       Level
	Category    Category
	Hours       Quantity
	Credits     Quantity
	Title       string
	Source      Source
	At          time.Time
	// StartedOn is the training's first day, when known.
	StartedOn time.Time
	// Today is the granter's calendar date; zero: the UTC date of At. A
	// training completed after it, or of a later year, is refused (imports
	// and the credit bank; project grants follow the pipeline's order).
	Today time.Time
	// Limits are the plausibility limits of the registration policy in
	// force (policy data); zero figures are no limit.
	Limits Limits
}

// Limits bound what one grant and one training year may plausibly hold. A
// row of 100,000 hours is a typing error, not a training.
type Limits struct {
	// MaxEntryHours bounds the hours of one training.
	MaxEntryHours Quantity `json:"max_entry_hours,omitzero"`
	// MaxYearHours bounds the live hours of one training year.
	MaxYearHours Quantity `json:"max_year_hours,omitzero"`
}

func (g Grant) today() time.Time {
	if !g.Today.IsZero() {
		return dateOnly(g.Today)
	}
	return dateOnly(g.At)
}

// checked reports whether the plausibility rules apply to the source.
func (g Grant) checked() bool { return g.Source.Kind != SourceProject }

// Ledger is the credit record of one teacher.
type Ledger struct {
	event.Root
	teacherID uuid.UUID
	entries   []Entry
	live      map[string]int // source key -> index of the live entry
}

// NewLedger returns an empty ledger for teacherID; load history into it.
func NewLedger(teacherID uuid.UUID) *Ledger {
	return &Ledger{teacherID: teacherID, live: map[string]int{}}
}

// TeacherID is the owner of the ledger.
func (l *Ledger) TeacherID() uuid.UUID { return l.teacherID }

// Apply changes the state from an event; it never fails.
func (l *Ledger) Apply(e event.Event) {
	switch e := e.(type) {
	case *Granted:
		l.entries = append(l.entries, Entry{
			ID: e.EntryID, Key: e.Key, Year: e.Year, CompletedOn: e.CompletedOn,
			Level: e.Level, Category: e.Category, Hours: e.Hours, Credits: e.Credits,
			Title: e.Title, Source: e.Source, GrantedAt: e.GrantedAt,
			StartedOn: e.StartedOn, Held: e.SuspectedDuplicateOf != uuid.Nil, DuplicateOf: e.SuspectedDuplicateOf,
		})
		l.live[e.Key] = len(l.entries) - 1
	case *DuplicateCleared:
		if i := l.index(e.EntryID); i >= 0 {
			l.entries[i].Held, l.entries[i].DuplicateReason = false, e.Reason
		}
	case *DuplicateConfirmed:
		if i := l.index(e.EntryID); i >= 0 {
			l.entries[i].Held, l.entries[i].Duplicate, l.entries[i].DuplicateReason = false, true, e.Reason
		}
	case *Revoked:
		if i, ok := l.live[e.Key]; ok && l.entries[i].ID == e.EntryID {
			l.entries[i].Revoked = true
			l.entries[i].RevokeReason = e.Reason
			l.entries[i].RevokedAt = e.RevokedAt
			delete(l.live, e.Key)
		}
	}
}

func (l *Ledger) index(id uuid.UUID) int {
	return slices.IndexFunc(l.entries, func(e Entry) bool { return e.ID == id })
}

// CanGrant reports whether actor may grant from a source of kind k to a
// teacher of teacherCounty. Project grants follow a posted grade (the
// institution or the system reacting to it); credit bank grants follow the
// county's recognition; imports are data loads, done by the teacher's county
// admin (who knows the earlier systems of the county) or the province admin.
func CanGrant(actor access.Actor, k SourceKind, teacherCounty string) bool {
	if actor.Role == access.RoleSystem {
		return true
	}
	switch k {
	case SourceProject:
		return actor.Role == access.RoleInstitution
	case SourceCreditBank:
		return actor.Role == access.RoleCountyAdmin && actor.Covers(teacherCounty)
	case SourceImport:
		return (actor.Role == access.RoleCountyAdmin || actor.Role == access.RoleProvinceAdmin) && actor.Covers(teacherCounty)
	}
	return false
}

// Grant adds an entry. A grant for an activity already live in the ledger
// is a no-op (recorded false) when its figures are the same, so a retried
// command or a replayed trigger is harmless, and ErrAlreadyCounted when they
// differ: a changed figure needs a revocation first, never a silent edit.
// After a revocation the same activity may be granted again (a grade
// corrected back to a pass).
func (l *Ledger) Grant(actor access.Actor, teacherCounty string, g Grant) (recorded bool, err error) {
	if !CanGrant(actor, g.Source.Kind, teacherCounty) {
		return false, fmt.Errorf("credit: %s may not grant %s hours: %w", actor.Role, g.Source.Kind, access.ErrForbidden)
	}
	if err := g.validate(); err != nil {
		return false, err
	}
	key := g.Source.Key()
	if i, ok := l.live[key]; ok {
		if l.entries[i].sameFigures(g) {
			return false, nil
		}
		return false, ErrAlreadyCounted
	}
	for _, e := range l.entries {
		if e.ID == g.EntryID {
			return false, fmt.Errorf("credit: entry id %s reused: %w", g.EntryID, domain.ErrDuplicate)
		}
	}
	if err := l.CheckYearLimit(g); err != nil {
		return false, err
	}
	var dupOf uuid.UUID
	if e, ok := l.suspect(g); ok {
		dupOf = e.ID
	}
	var started time.Time
	if !g.StartedOn.IsZero() {
		started = dateOnly(g.StartedOn)
	}
	l.Record(l, &Granted{
		EntryID: g.EntryID, TeacherID: l.teacherID, Key: key, Year: g.Year,
		CompletedOn: dateOnly(g.CompletedOn), Level: g.Level, Category: g.Category,
		Hours: g.Hours, Credits: g.Credits, Title: strings.TrimSpace(g.Title),
		Source: g.Source, GrantedAt: g.At, StartedOn: started, SuspectedDuplicateOf: dupOf,
	})
	return true, nil
}

func (g Grant) validate() error {
	v := &domain.ValidationError{}
	if g.EntryID == uuid.Nil {
		v.Add("entry_id", "缺少记录编号")
	}
	if g.Year < FirstYear || g.Year > 9999 {
		v.Add("year", "年度不正确")
	}
	switch {
	case g.CompletedOn.IsZero():
		v.Add("completed_on", "缺少完成日期")
	case g.Year >= FirstYear && (g.CompletedOn.Year() < g.Year || g.CompletedOn.Year() > g.Year+1):
		// A project of one year may end early in the next; never before it.
		v.Add("completed_on", "完成日期与年度不符")
	}
	if !g.Level.Valid() {
		v.Add("level", "级别不正确")
	}
	if !g.Category.Valid() {
		v.Add("category", "类别不正确")
	}
	if g.Hours.Sign() < 0 {
		v.Add("hours", "学时不能为负数")
	}
	if g.Credits.Sign() < 0 {
		v.Add("credits", "学分不能为负数")
	}
	if g.Hours.IsZero() && g.Credits.IsZero() {
		v.Add("hours", "学时和学分不能都为零")
	}
	if !g.Hours.InputExact() {
		v.Add("hours", "学时最多保留一位小数")
	}
	if !g.Credits.InputExact() {
		v.Add("credits", "学分最多保留一位小数")
	}
	if strings.TrimSpace(g.Title) == "" {
		v.Add("title", "缺少名称")
	}
	if g.checked() && !g.At.IsZero() {
		today := g.today()
		if !g.CompletedOn.IsZero() && dateOnly(g.CompletedOn).After(today) {
			v.Add("completed_on", "完成日期不能晚于今天")
		} else if g.Year > today.Year() {
			v.Add("year", "年度不能晚于今年")
		}
		if m := g.Limits.MaxEntryHours; m.Sign() > 0 && m.Less(g.Hours) {
			v.Add("hours", fmt.Sprintf("学时%s超过单次培训的合理上限%s学时，请核对", g.Hours, m))
		}
	}
	if g.At.IsZero() {
		v.Add("at", "缺少记录时间")
	}
	g.Source.validate(v)
	return v.Err()
}

func (e Entry) sameFigures(g Grant) bool {
	return e.Year == g.Year && e.CompletedOn.Equal(dateOnly(g.CompletedOn)) &&
		e.Level == g.Level && e.Category == g.Category && e.Hours == g.Hours &&
		e.Credits == g.Credits && e.Title == strings.TrimSpace(g.Title)
}

// CheckYearLimit refuses a grant that would bring the live hours of its
// training year above g.Limits.MaxYearHours.
func (l *Ledger) CheckYearLimit(g Grant) error {
	m := g.Limits.MaxYearHours
	if !g.checked() || m.Sign() <= 0 {
		return nil
	}
	sum := g.Hours
	for _, e := range l.Live() {
		if e.Year == g.Year {
			sum = sum.Add(e.Hours)
		}
	}
	if m.Less(sum) {
		return domain.Invalid("hours", fmt.Sprintf("%d年度学时合计将达%s，超过每年的合理上限%s学时，请核对", g.Year, sum, m))
	}
	return nil
}

// Revoke takes the live entry of an activity out of every total. The reason
// is required: revocations are read by auditors and by the teacher.
func (l *Ledger) Revoke(actor access.Actor, teacherCounty, key, reason string, cause uuid.UUID, at time.Time) error {
	i, ok := l.live[key]
	if !ok {
		return ErrNoSuchEntry
	}
	entry := l.entries[i]
	if !canRevoke(actor, entry.Source.Kind, teacherCounty) {
		return fmt.Errorf("credit: %s may not revoke %s hours: %w", actor.Role, entry.Source.Kind, access.ErrForbidden)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return domain.Invalid("reason", "撤销学时必须说明原因")
	}
	if at.IsZero() {
		return domain.Invalid("at", "缺少记录时间")
	}
	l.Record(l, &Revoked{
		EntryID: entry.ID, TeacherID: l.teacherID, Key: key,
		Reason: reason, CauseEventID: cause, RevokedAt: at,
	})
	return nil
}

// canRevoke: whoever may grant from a source may take it back, and the
// teacher's county admin may revoke anything in their county (a wrong import,
// a recognition given in error).
func canRevoke(actor access.Actor, k SourceKind, teacherCounty string) bool {
	if actor.Role == access.RoleCountyAdmin && actor.Covers(teacherCounty) {
		return true
	}
	return CanGrant(actor, k, teacherCounty)
}

// Entries returns every entry, revoked ones included, in grant order.
func (l *Ledger) Entries() []Entry { return slices.Clone(l.entries) }

// Live returns the entries that count (not revoked, not held as a
// suspected duplicate, not a confirmed duplicate), in grant order.
func (l *Ledger) Live() []Entry {
	out := make([]Entry, 0, len(l.live))
	for _, e := range l.entries {
		if e.Counts() {
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the live entry of an activity.
func (l *Ledger) Lookup(key string) (Entry, bool) {
	i, ok := l.live[key]
	if !ok {
		return Entry{}, false
	}
	return l.entries[i], true
}

// Total sums live entries.
type Total struct {
	Hours      Quantity              `json:"hours"`
	Credits    Quantity              `json:"credits"`
	ByCategory map[Category]Quantity `json:"by_category"`
	ByLevel    map[Level]Quantity    `json:"by_level"`
}

func (t *Total) add(e Entry) {
	if t.ByCategory == nil {
		t.ByCategory = map[Category]Quantity{}
		t.ByLevel = map[Level]Quantity{}
	}
	t.Hours = t.Hours.Add(e.Hours)
	t.Credits = t.Credits.Add(e.Credits)
	t.ByCategory[e.Category] = t.ByCategory[e.Category].Add(e.Hours)
	t.ByLevel[e.Level] = t.ByLevel[e.Level].Add(e.Hours)
}

// YearTotal is the total of one training year.
type YearTotal struct {
	Year int `json:"year"`
	Total
}

// TotalsByYear sums live entries per training year, in year order.
func (l *Ledger) TotalsByYear() []YearTotal {
	by := map[int]*Total{}
	for _, e := range l.Live() {
		t, ok := by[e.Year]
		if !ok {
			t = &Total{}
			by[e.Year] = t
		}
		t.add(e)
	}
	out := make([]YearTotal, 0, len(by))
	for y, t := range by {
		out = append(out, YearTotal{Year: y, Total: *t})
	}
	slices.SortFunc(out, func(a, b YearTotal) int { return a.Year - b.Year })
	return out
}

// TotalBetween sums live entries completed on or after from and before to:
// a half-open period, so consecutive periods never count a day twice.
func (l *Ledger) TotalBetween(from, to time.Time) Total {
	var t Total
	for _, e := range l.Live() {
		if !e.CompletedOn.Before(dateOnly(from)) && e.CompletedOn.Before(dateOnly(to)) {
			t.add(e)
		}
	}
	return t
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
