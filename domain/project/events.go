package project

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
)

// Institution is a training institution (承培机构) taking part in a project.
type Institution struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// Class is one class (班级) run by one institution.
type Class struct {
	ID            uuid.UUID `json:"id"`
	InstitutionID uuid.UUID `json:"institution_id"`
	Name          string    `json:"name"`
}

// Details are the descriptive fields an owner may revise while the project
// has not started.
type Details struct {
	Name      string    `json:"name"`
	Year      int       `json:"year"`
	Mode      Mode      `json:"mode"`
	Start     time.Time `json:"start"` // date, UTC midnight
	End       time.Time `json:"end"`   // date, UTC midnight, inclusive
	Hours     int       `json:"hours"` // 学时
	Credits   float64   `json:"credits"`
	RemoteURL string    `json:"remote_url,omitempty"`
}

// Created starts the stream.
type Created struct {
	ProjectID    uuid.UUID     `json:"project_id"`
	Kind         Kind          `json:"kind"`
	Category     Category      `json:"category"`
	Owner        string        `json:"owner"` // region code of the owning jurisdiction
	Details      Details       `json:"details"`
	Institutions []Institution `json:"institutions"`
	Policy       Policy        `json:"policy"`
	At           time.Time     `json:"at"`
}

type DetailsChanged struct {
	Details Details   `json:"details"`
	At      time.Time `json:"at"`
}

type InstitutionAdded struct {
	Institution Institution `json:"institution"`
	At          time.Time   `json:"at"`
}

type ClassAdded struct {
	Class Class     `json:"class"`
	At    time.Time `json:"at"`
}

// QuotaSet sets the seats of one city or county; Count 0 removes the quota.
type QuotaSet struct {
	Region string    `json:"region"`
	Count  int       `json:"count"`
	At     time.Time `json:"at"`
}

type PolicySet struct {
	Policy Policy    `json:"policy"`
	At     time.Time `json:"at"`
}

type NominationOpened struct {
	At time.Time `json:"at"`
}

type Started struct {
	At time.Time `json:"at"`
}

type Finished struct {
	At time.Time `json:"at"`
}

type Cancelled struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// SeatReserved holds one seat of the county's (or its city's) quota for an
// enrollment. It is appended in the same command as the nomination.
type SeatReserved struct {
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	County       string    `json:"county"`
	At           time.Time `json:"at"`
}

// SeatReleased gives a seat back after a rejection or withdrawal.
type SeatReleased struct {
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	County       string    `json:"county"`
	Reason       string    `json:"reason,omitempty"`
	At           time.Time `json:"at"`
}

func (*Created) EventType() string          { return "project.created" }
func (*DetailsChanged) EventType() string   { return "project.details_changed" }
func (*InstitutionAdded) EventType() string { return "project.institution_added" }
func (*ClassAdded) EventType() string       { return "project.class_added" }
func (*QuotaSet) EventType() string         { return "project.quota_set" }
func (*PolicySet) EventType() string        { return "project.policy_set" }
func (*NominationOpened) EventType() string { return "project.nomination_opened" }
func (*Started) EventType() string          { return "project.started" }
func (*Finished) EventType() string         { return "project.finished" }
func (*Cancelled) EventType() string        { return "project.cancelled" }
func (*SeatReserved) EventType() string     { return "project.seat_reserved" }
func (*SeatReleased) EventType() string     { return "project.seat_released" }

// RegisterEvents adds this package's event types to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} })
	r.Register(func() event.Event { return &DetailsChanged{} })
	r.Register(func() event.Event { return &InstitutionAdded{} })
	r.Register(func() event.Event { return &ClassAdded{} })
	r.Register(func() event.Event { return &QuotaSet{} })
	r.Register(func() event.Event { return &PolicySet{} })
	r.Register(func() event.Event { return &NominationOpened{} })
	r.Register(func() event.Event { return &Started{} })
	r.Register(func() event.Event { return &Finished{} })
	r.Register(func() event.Event { return &Cancelled{} })
	r.Register(func() event.Event { return &SeatReserved{} })
	r.Register(func() event.Event { return &SeatReleased{} })
}
