package growth

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeHonorAdded         = "growth.honor_added"
	TypeHonorEdited        = "growth.honor_edited"
	TypeHonorRemoved       = "growth.honor_removed"
	TypeAchievementAdded   = "growth.achievement_added"
	TypeAchievementEdited  = "growth.achievement_edited"
	TypeAchievementRemoved = "growth.achievement_removed"
)

// HonorAdded and HonorEdited carry the whole honor, so a reader never has
// to merge partial edits.
type HonorAdded struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	Honor     Honor     `json:"honor"`
	At        time.Time `json:"at"`
}

func (*HonorAdded) EventType() string { return TypeHonorAdded }

type HonorEdited struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	Honor     Honor     `json:"honor"`
	At        time.Time `json:"at"`
}

func (*HonorEdited) EventType() string { return TypeHonorEdited }

type HonorRemoved struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	HonorID   uuid.UUID `json:"honor_id"`
	At        time.Time `json:"at"`
}

func (*HonorRemoved) EventType() string { return TypeHonorRemoved }

type AchievementAdded struct {
	TeacherID   uuid.UUID   `json:"teacher_id"`
	Achievement Achievement `json:"achievement"`
	At          time.Time   `json:"at"`
}

func (*AchievementAdded) EventType() string { return TypeAchievementAdded }

type AchievementEdited struct {
	TeacherID   uuid.UUID   `json:"teacher_id"`
	Achievement Achievement `json:"achievement"`
	At          time.Time   `json:"at"`
}

func (*AchievementEdited) EventType() string { return TypeAchievementEdited }

type AchievementRemoved struct {
	TeacherID     uuid.UUID `json:"teacher_id"`
	AchievementID uuid.UUID `json:"achievement_id"`
	At            time.Time `json:"at"`
}

func (*AchievementRemoved) EventType() string { return TypeAchievementRemoved }

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &HonorAdded{} })
	r.Register(func() event.Event { return &HonorEdited{} })
	r.Register(func() event.Event { return &HonorRemoved{} })
	r.Register(func() event.Event { return &AchievementAdded{} })
	r.Register(func() event.Event { return &AchievementEdited{} })
	r.Register(func() event.Event { return &AchievementRemoved{} })
}
