package creditaudit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
)

// StreamName is the stream of one sample.
func StreamName(id uuid.UUID) string { return "creditaudit-" + id.String() }

// ErrAlreadyReviewed: the entry's re-review is on record; it is not
// reviewed twice.
var ErrAlreadyReviewed = domain.Refusal("credit audit: entry already reviewed", "该条目已经复核，不能重复复核")

// ErrNotSampled: the entry is not in the sample.
var ErrNotSampled = fmt.Errorf("credit audit: entry not in the sample: %w", domain.ErrNotFound)

// ErrAlreadyDrawn: a sample is drawn once.
var ErrAlreadyDrawn = domain.Refusal("credit audit: sample already drawn", "该抽查样本已经抽取")

// Outcome of an entry's re-review; "" while pending.
type Outcome string

const (
	OutcomePending Outcome = ""
	OutcomeUpheld  Outcome = "upheld"
	OutcomeRevoked Outcome = "revoked"
)

// Label is the Chinese name shown to users.
func (o Outcome) Label() string {
	switch o {
	case OutcomeUpheld:
		return "维持"
	case OutcomeRevoked:
		return "撤销"
	}
	return "待复核"
}

// Draw is the input of Sample.Draw. The population is read by the caller
// (see the package doc for what belongs to it).
type Draw struct {
	Scope        string
	Kinds        []credit.SourceKind
	From, To     time.Time
	SharePercent credit.Quantity
	Count        int
	Seed         string
	Note         string
	Population   []Candidate
	At           time.Time
}

// Item is one sampled entry and its review.
type Item struct {
	Candidate
	Outcome Outcome
	Reason  string
}

// Sample is one draw and its reviews.
type Sample struct {
	event.Root
	id    uuid.UUID
	drawn *Drawn
	items []Item
}

// New returns an empty sample; load history into it.
func New(id uuid.UUID) *Sample { return &Sample{id: id} }

// ID is the sample's id.
func (s *Sample) ID() uuid.UUID { return s.id }

// Drawn is the draw event (nil before the draw).
func (s *Sample) Drawn() *Drawn { return s.drawn }

// Scope is the region the sample audits.
func (s *Sample) Scope() string {
	if s.drawn == nil {
		return ""
	}
	return s.drawn.Scope
}

// Items are the sampled entries in draw order with their reviews.
func (s *Sample) Items() []Item { return slices.Clone(s.items) }

// Item returns the sampled entry entryID.
func (s *Sample) Item(entryID uuid.UUID) (Item, bool) {
	i := s.index(entryID)
	if i < 0 {
		return Item{}, false
	}
	return s.items[i], true
}

func (s *Sample) index(entryID uuid.UUID) int {
	return slices.IndexFunc(s.items, func(it Item) bool { return it.EntryID == entryID })
}

// Apply changes the state from an event; it never fails.
func (s *Sample) Apply(e event.Event) {
	switch e := e.(type) {
	case *Drawn:
		s.id, s.drawn = e.SampleID, e
		s.items = make([]Item, len(e.Entries))
		for i, c := range e.Entries {
			s.items[i] = Item{Candidate: c}
		}
	case *Upheld:
		if i := s.index(e.EntryID); i >= 0 {
			s.items[i].Outcome, s.items[i].Reason = OutcomeUpheld, e.Reason
		}
	case *Revoked:
		if i := s.index(e.EntryID); i >= 0 {
			s.items[i].Outcome, s.items[i].Reason = OutcomeRevoked, e.Reason
		}
	}
}

// CanDraw reports whether actor may draw a sample of scope: an admin
// whose jurisdiction covers it.
func CanDraw(actor access.Actor, scope string) bool {
	return actor.Role.IsAdmin() && access.JurisdictionLevel(scope) != "" && actor.Covers(scope)
}

// CanRead reports whether actor may read and review the sample: an admin
// whose jurisdiction covers its scope. Anyone else is told it does not
// exist.
func (s *Sample) CanRead(actor access.Actor) bool {
	return s.drawn != nil && actor.Role.IsAdmin() && actor.Covers(s.drawn.Scope)
}

// Draw records the draw: the sample is Select(seed, population,
// SampleSize(...)).
func (s *Sample) Draw(actor access.Actor, d Draw) error {
	if s.drawn != nil {
		return ErrAlreadyDrawn
	}
	v := &domain.ValidationError{}
	if access.JurisdictionLevel(d.Scope) == "" {
		v.Add("scope", "抽查范围应为省、市或区县的行政区划代码")
	} else if !CanDraw(actor, d.Scope) {
		return fmt.Errorf("credit audit: %s may not draw for %s: %w", actor.Role, d.Scope, access.ErrForbidden)
	}
	kinds := slices.Clone(d.Kinds)
	if len(kinds) == 0 {
		kinds = []credit.SourceKind{credit.SourceCreditBank, credit.SourceImport}
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	for _, k := range kinds {
		if k != credit.SourceCreditBank && k != credit.SourceImport {
			v.Add("kinds", "抽查对象只能是学分银行认定或导入的学时")
			break
		}
	}
	if !d.From.IsZero() && !d.To.IsZero() && !d.From.Before(d.To) {
		v.Add("to", "截止日期应晚于起始日期")
	}
	switch {
	case d.SharePercent.Sign() > 0 && d.Count > 0:
		v.Add("share_percent", "抽查比例和抽查数量只能填写一项")
	case d.SharePercent.Sign() < 0 || 0 < d.SharePercent.Cmp(credit.Whole(100)):
		v.Add("share_percent", "抽查比例应在0到100之间")
	case !d.SharePercent.InputExact():
		v.Add("share_percent", "抽查比例最多保留一位小数")
	case d.Count < 0 || d.Count > MaxSample:
		v.Add("count", fmt.Sprintf("抽查数量应在1到%d之间", MaxSample))
	case d.SharePercent.Sign() == 0 && d.Count == 0:
		v.Add("share_percent", "请填写抽查比例或抽查数量")
	}
	seed := strings.TrimSpace(d.Seed)
	switch {
	case seed == "":
		v.Add("seed", "缺少随机种子")
	case len(seed) > 200:
		v.Add("seed", "随机种子过长（最多200个字符）")
	}
	if len([]rune(d.Note)) > 500 {
		v.Add("note", "说明过长（最多500字）")
	}
	if d.At.IsZero() {
		v.Add("at", "缺少记录时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	pop := canonical(d.Population)
	k := SampleSize(len(pop), d.SharePercent, d.Count)
	var from, to time.Time
	if !d.From.IsZero() {
		from = dateOnly(d.From)
	}
	if !d.To.IsZero() {
		to = dateOnly(d.To)
	}
	s.Record(s, &Drawn{
		SampleID: s.id, Scope: d.Scope, Kinds: kinds, From: from, To: to,
		SharePercent: d.SharePercent, Count: d.Count, Seed: seed, Algorithm: Algorithm,
		PopulationSize: len(pop), PopulationDigest: PopulationDigest(pop),
		Entries: Select(seed, pop, k), Note: strings.TrimSpace(d.Note), DrawnAt: d.At,
	})
	return nil
}

// Review records the re-review of a sampled entry: upheld (revoke false)
// or revoked, with a required reason. Reviewing an entry twice is refused.
func (s *Sample) Review(actor access.Actor, entryID uuid.UUID, revoke bool, reason string, at time.Time) error {
	if !s.CanRead(actor) {
		return fmt.Errorf("credit audit %s: %w", s.id, domain.ErrNotFound)
	}
	i := s.index(entryID)
	if i < 0 {
		return ErrNotSampled
	}
	if s.items[i].Outcome != OutcomePending {
		return ErrAlreadyReviewed
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return domain.Invalid("reason", "复核结论必须说明理由")
	case len([]rune(reason)) > 500:
		return domain.Invalid("reason", "理由过长（最多500字）")
	}
	if at.IsZero() {
		return domain.Invalid("at", "缺少记录时间")
	}
	it := s.items[i]
	if revoke {
		s.Record(s, &Revoked{SampleID: s.id, EntryID: entryID, TeacherID: it.TeacherID, Key: it.Key, Reason: reason, ReviewedAt: at})
	} else {
		s.Record(s, &Upheld{SampleID: s.id, EntryID: entryID, TeacherID: it.TeacherID, Reason: reason, ReviewedAt: at})
	}
	return nil
}

// Progress is how many sampled entries are reviewed, of how many.
func (s *Sample) Progress() (reviewed, total int) {
	for _, it := range s.items {
		if it.Outcome != OutcomePending {
			reviewed++
		}
	}
	return reviewed, len(s.items)
}

// RevocationReason is the reason the ledger's revocation carries.
func RevocationReason(reason string) string {
	return "抽查复核撤销：" + strings.TrimSpace(reason)
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
