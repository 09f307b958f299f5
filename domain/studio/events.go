package studio

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeCreated    = "studio.created"
	TypeClosed     = "studio.closed"
	TypeJoined     = "studio.joined"
	TypeLeft       = "studio.left"
	TypeFollowed   = "studio.followed"
	TypeUnfollowed = "studio.unfollowed"

	TypeLinkPublished = "links.published"
	TypeLinkWithdrawn = "links.withdrawn"
)

// Created opens a studio.
type Created struct {
	StudioID      uuid.UUID `json:"studio_id"`
	Name          string    `json:"name"`
	HostTeacherID uuid.UUID `json:"host_teacher_id"`
	HostName      string    `json:"host_name"`
	Region        string    `json:"region"`
	Subject       string    `json:"subject,omitempty"`
	Description   string    `json:"description,omitempty"`
	CreatedBy     uuid.UUID `json:"created_by"`
	At            time.Time `json:"at"`
}

func (*Created) EventType() string { return TypeCreated }

// Closed ends a studio; members and followers keep it in their history.
type Closed struct {
	StudioID uuid.UUID `json:"studio_id"`
	Reason   string    `json:"reason"`
	ClosedBy uuid.UUID `json:"closed_by"`
	At       time.Time `json:"at"`
}

func (*Closed) EventType() string { return TypeClosed }

// Membership is the payload of the join/leave/follow/unfollow events.
type Membership struct {
	StudioID  uuid.UUID `json:"studio_id"`
	TeacherID uuid.UUID `json:"teacher_id"`
	At        time.Time `json:"at"`
}

type Joined struct{ Membership }

func (*Joined) EventType() string { return TypeJoined }

type Left struct{ Membership }

func (*Left) EventType() string { return TypeLeft }

type Followed struct{ Membership }

func (*Followed) EventType() string { return TypeFollowed }

type Unfollowed struct{ Membership }

func (*Unfollowed) EventType() string { return TypeUnfollowed }

// LinkPublished adds a link to a list.
type LinkPublished struct {
	Link        Link      `json:"link"`
	PublishedBy uuid.UUID `json:"published_by"`
	At          time.Time `json:"at"`
}

func (*LinkPublished) EventType() string { return TypeLinkPublished }

// LinkWithdrawn takes a link off its list.
type LinkWithdrawn struct {
	Kind        ListKind  `json:"kind"`
	LinkID      uuid.UUID `json:"link_id"`
	WithdrawnBy uuid.UUID `json:"withdrawn_by"`
	At          time.Time `json:"at"`
}

func (*LinkWithdrawn) EventType() string { return TypeLinkWithdrawn }

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} })
	r.Register(func() event.Event { return &Closed{} })
	r.Register(func() event.Event { return &Joined{} })
	r.Register(func() event.Event { return &Left{} })
	r.Register(func() event.Event { return &Followed{} })
	r.Register(func() event.Event { return &Unfollowed{} })
	r.Register(func() event.Event { return &LinkPublished{} })
	r.Register(func() event.Event { return &LinkWithdrawn{} })
}
