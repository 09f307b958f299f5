package unit

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/region"
)

// Stored event type names. Never rename.
const (
	TypeRegistered      = "unit.registered"
	TypeRenamed         = "unit.renamed"
	TypeAreaChanged     = "unit.area_changed"
	TypeCategoryChanged = "unit.category_changed"
	TypeStageChanged    = "unit.stage_changed"
)

// StreamName is the event stream of one unit.
func StreamName(id uuid.UUID) string { return "unit-" + id.String() }

// RegisterEvents adds every unit event type to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Registered{} })
	r.Register(func() event.Event { return &Renamed{} })
	r.Register(func() event.Event { return &AreaChanged{} })
	r.Register(func() event.Event { return &CategoryChanged{} })
	r.Register(func() event.Event { return &StageChanged{} })
}

// Registered: a county admin entered the school.
type Registered struct {
	UnitID    uuid.UUID   `json:"unit_id"`
	Name      string      `json:"name"`
	County    string      `json:"county"`
	City      string      `json:"city"`
	Area      string      `json:"area"`     // ident.SchoolArea
	Category  string      `json:"category"` // ident.SchoolCategory
	Stage     string      `json:"stage,omitempty"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

func (*Registered) EventType() string { return TypeRegistered }

// Change is the payload shared by the change events: old, new and why.
type Change struct {
	UnitID    uuid.UUID   `json:"unit_id"`
	Old       string      `json:"old"`
	New       string      `json:"new"`
	Reason    string      `json:"reason"`
	ActorID   uuid.UUID   `json:"actor_id"`
	ActorRole access.Role `json:"actor_role"`
}

// Renamed: the official name changed (a merger, a new seal).
type Renamed struct{ Change }

// AreaChanged: the school area changed, for all its teachers at once.
type AreaChanged struct{ Change }

// CategoryChanged: the school category changed, for all its teachers.
type CategoryChanged struct{ Change }

// StageChanged: the school's stage changed.
type StageChanged struct{ Change }

func (*Renamed) EventType() string         { return TypeRenamed }
func (*AreaChanged) EventType() string     { return TypeAreaChanged }
func (*CategoryChanged) EventType() string { return TypeCategoryChanged }
func (*StageChanged) EventType() string    { return TypeStageChanged }

// ErrNeedsCountyAdmin: a unit is registered and changed by an admin of its
// county (or the system actor, for imports).
var ErrNeedsCountyAdmin = fmt.Errorf("%w: a unit is managed by an admin of its county", access.ErrForbidden)

// ErrNotRegistered and ErrAlreadyRegistered are state conflicts.
var (
	ErrNotRegistered     = domain.Refusal("unit not registered", "该单位尚未登记")
	ErrAlreadyRegistered = domain.Refusal("unit already registered", "该单位已登记，不能重复登记")
)

// Unit is the aggregate.
type Unit struct {
	event.Root
	id         uuid.UUID
	registered bool
	name       string
	county     string
	area       string
	category   string
	stage      string
}

// Registration is the input of Register.
type Registration struct {
	Name     string
	County   string
	Area     string
	Category string
	Stage    string // optional, ident.TeachingStage
}

func New(id uuid.UUID) *Unit { return &Unit{id: id} }

// Load rebuilds a unit from its stream.
func Load(id uuid.UUID, history []event.Envelope) *Unit {
	u := New(id)
	u.Root.Load(u, history)
	return u
}

func (u *Unit) ID() uuid.UUID    { return u.id }
func (u *Unit) Registered() bool { return u.registered }
func (u *Unit) Name() string     { return u.name }
func (u *Unit) County() string   { return u.county }
func (u *Unit) City() string {
	if len(u.county) < 4 {
		return ""
	}
	return u.county[:4]
}
func (u *Unit) Area() string     { return u.area }
func (u *Unit) Category() string { return u.category }
func (u *Unit) Stage() string    { return u.stage }

func canManage(a access.Actor, county string) bool {
	return a.Role == access.RoleSystem || a.Role == access.RoleCountyAdmin && a.Covers(county)
}

// Register enters the school in its county.
func (u *Unit) Register(r Registration, actor access.Actor, now time.Time) error {
	if u.registered {
		return ErrAlreadyRegistered
	}
	if u.id == uuid.Nil {
		return domain.Invalid("unit_id", "缺少单位标识")
	}
	county := strings.TrimSpace(r.County)
	if _, ok := region.Default().County(county); !ok {
		return domain.Invalid("county", fmt.Sprintf("“%s”不是有效的区县代码", county))
	}
	if !canManage(actor, county) {
		return ErrNeedsCountyAdmin
	}
	var errs domain.ValidationError
	name, err := checkName(r.Name)
	addErr(&errs, err)
	area, err := ident.SchoolArea.Check("area", r.Area)
	addErr(&errs, err)
	category, err := ident.SchoolCategory.Check("category", r.Category)
	addErr(&errs, err)
	stage := strings.TrimSpace(r.Stage)
	if stage != "" {
		stage, err = ident.TeachingStage.Check("stage", stage)
		addErr(&errs, err)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	u.Record(u, &Registered{
		UnitID: u.id, Name: name, County: county, City: county[:4], Area: area,
		Category: category, Stage: stage, ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

func addErr(errs *domain.ValidationError, err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		errs.Fields = append(errs.Fields, ve.Fields...)
	}
}

// Official names are at least a place and a kind ("某某小学"); a shorter
// one is an abbreviation. The seal's name has no spaces.
const minNameLen, maxNameLen = 4, 60

func checkName(raw string) (string, error) {
	n := strings.TrimSpace(raw)
	switch c := utf8.RuneCountInString(n); {
	case c == 0:
		return "", domain.Invalid("name", "请填写单位全称")
	case c < minNameLen:
		return "", domain.Invalid("name", "单位名称须与公章一致，不能使用简称")
	case c > maxNameLen:
		return "", domain.Invalid("name", fmt.Sprintf("单位名称不能超过%d个字", maxNameLen))
	}
	if strings.ContainsFunc(n, unicode.IsSpace) {
		return "", domain.Invalid("name", "单位名称不能包含空格")
	}
	return n, nil
}

func reasonOf(reason string) (string, error) {
	r := strings.TrimSpace(reason)
	if r == "" {
		return "", domain.Invalid("reason", "请填写理由")
	}
	if utf8.RuneCountInString(r) > 500 {
		return "", domain.Invalid("reason", "理由不能超过500个字")
	}
	return r, nil
}

// decide is the common path of the change decisions.
func (u *Unit) decide(actor access.Actor, field, old, value, reason string, check func(string) (string, error), mk func(Change) event.Event) error {
	if !u.registered {
		return ErrNotRegistered
	}
	if !canManage(actor, u.county) {
		return ErrNeedsCountyAdmin
	}
	v, err := check(value)
	if err != nil {
		return err
	}
	if v == old {
		return domain.Invalid(field, "新值与原值相同")
	}
	r, err := reasonOf(reason)
	if err != nil {
		return err
	}
	u.Record(u, mk(Change{UnitID: u.id, Old: old, New: v, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role}))
	return nil
}

// Rename records a new official name.
func (u *Unit) Rename(actor access.Actor, name, reason string, now time.Time) error {
	return u.decide(actor, "name", u.name, name, reason, checkName,
		func(c Change) event.Event { return &Renamed{c} })
}

// ChangeArea sets the school area (ident.SchoolArea code).
func (u *Unit) ChangeArea(actor access.Actor, area, reason string, now time.Time) error {
	return u.decide(actor, "area", u.area, area, reason,
		func(v string) (string, error) { return ident.SchoolArea.Check("area", v) },
		func(c Change) event.Event { return &AreaChanged{c} })
}

// ChangeCategory sets the school category (ident.SchoolCategory code).
func (u *Unit) ChangeCategory(actor access.Actor, category, reason string, now time.Time) error {
	return u.decide(actor, "category", u.category, category, reason,
		func(v string) (string, error) { return ident.SchoolCategory.Check("category", v) },
		func(c Change) event.Event { return &CategoryChanged{c} })
}

// ChangeStage sets the school's stage (ident.TeachingStage code).
func (u *Unit) ChangeStage(actor access.Actor, stage, reason string, now time.Time) error {
	return u.decide(actor, "stage", u.stage, stage, reason,
		func(v string) (string, error) { return ident.TeachingStage.Check("stage", v) },
		func(c Change) event.Event { return &StageChanged{c} })
}

// Apply changes the state from one event.
func (u *Unit) Apply(e event.Event) {
	switch e := e.(type) {
	case *Registered:
		u.registered = true
		u.name, u.county, u.area, u.category, u.stage = e.Name, e.County, e.Area, e.Category, e.Stage
	case *Renamed:
		u.name = e.New
	case *AreaChanged:
		u.area = e.New
	case *CategoryChanged:
		u.category = e.New
	case *StageChanged:
		u.stage = e.New
	}
}

// Describe renders a unit event as a Chinese sentence for history pages.
func Describe(env event.Envelope) string {
	who := access.Role(env.Metadata.ActorRole).Label()
	if env.Metadata.ActorName != "" {
		who += " " + env.Metadata.ActorName
	}
	change := func(label string, c Change, lbl func(string) string) string {
		return fmt.Sprintf("%s 将 %s 由 “%s” 改为 “%s”，理由：%s", who, label, lbl(c.Old), lbl(c.New), c.Reason)
	}
	same := func(s string) string { return s }
	switch e := env.Event.(type) {
	case *Registered:
		return fmt.Sprintf("%s 登记了单位 %s（%s，%s，%s）", who, e.Name, region.Default().FullName(e.County),
			ident.SchoolArea.Label(e.Area), ident.SchoolCategory.Label(e.Category))
	case *Renamed:
		return change("单位名称", e.Change, same)
	case *AreaChanged:
		return change("学校所在区域", e.Change, ident.SchoolArea.Label)
	case *CategoryChanged:
		return change("学校类别", e.Change, ident.SchoolCategory.Label)
	case *StageChanged:
		return change("学段", e.Change, ident.TeachingStage.Label)
	}
	return who + " " + env.Type
}
