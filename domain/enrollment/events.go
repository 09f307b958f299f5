package enrollment

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
)

// By is who took a step, copied into the event so the pipeline can be shown
// from the stream alone.
type By struct {
	UserID        uuid.UUID   `json:"user_id"`
	Role          access.Role `json:"role"`
	Name          string      `json:"name,omitempty"`
	Jurisdiction  string      `json:"jurisdiction,omitempty"`
	InstitutionID uuid.UUID   `json:"institution_id,omitzero"`
}

func byOf(a access.Actor) By {
	return By{UserID: a.UserID, Role: a.Role, Name: a.RecordedName(), Jurisdiction: a.Jurisdiction, InstitutionID: a.InstitutionID}
}

// Nominated starts (or, after a rejection or withdrawal, restarts) the pipeline.
type Nominated struct {
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	ProjectID    uuid.UUID `json:"project_id"`
	TeacherID    uuid.UUID `json:"teacher_id"`
	County       string    `json:"county"`
	ProjectOwner string    `json:"project_owner"`
	// CityReview is true when a city must review before the owner decides.
	CityReview bool      `json:"city_review"`
	Attempt    int       `json:"attempt"`
	By         By        `json:"by"`
	At         time.Time `json:"at"`
}

type CityApproved struct {
	By By        `json:"by"`
	At time.Time `json:"at"`
}

type CityRejected struct {
	Reason string    `json:"reason"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
}

// ProvinceApproved is the decision of the project owner (the province for a
// province project, the city or county for their own).
type ProvinceApproved struct {
	By By        `json:"by"`
	At time.Time `json:"at"`
}

type ProvinceRejected struct {
	Reason string    `json:"reason"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
}

// Assigned places the trainee in a class; recorded with the approval and
// again on a reassignment.
type Assigned struct {
	InstitutionID   uuid.UUID `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	ClassID         uuid.UUID `json:"class_id"`
	ClassName       string    `json:"class_name"`
	By              By        `json:"by"`
	At              time.Time `json:"at"`
}

// Withdrawn takes the enrollment out of the pipeline. ProjectCancelled
// marks the withdrawal made by the project's cancellation (Reason is then
// the project's reason); it may come after the teacher reported.
type Withdrawn struct {
	Reason           string    `json:"reason"`
	ProjectCancelled bool      `json:"project_cancelled,omitempty"`
	By               By        `json:"by"`
	At               time.Time `json:"at"`
}

// Notice is what the teacher shows the school to ask for leave.
type Notice struct {
	ReportDate  time.Time `json:"report_date"`
	ReportPlace string    `json:"report_place"`
	Contact     string    `json:"contact"`
	Notes       string    `json:"notes,omitempty"`
}

type ClassNoticePublished struct {
	Notice Notice    `json:"notice"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
}

type Reported struct {
	By By        `json:"by"`
	At time.Time `json:"at"`
}

// Progress is the latest study status: online percent 0..100 and offline
// sessions attended of total.
type Progress struct {
	OnlinePercent    float64 `json:"online_percent"`
	SessionsAttended int     `json:"sessions_attended"`
	SessionsTotal    int     `json:"sessions_total"`
}

type ProgressRecorded struct {
	Progress Progress  `json:"progress"`
	By       By        `json:"by"`
	At       time.Time `json:"at"`
}

// Scores are a posted or corrected grade.
type Scores struct {
	Offline *float64 `json:"offline,omitempty"`
	Online  *float64 `json:"online,omitempty"`
	Total   float64  `json:"total"`
	Passed  bool     `json:"passed"`
}

type GradePosted struct {
	Scores Scores    `json:"scores"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
}

type GradeCorrected struct {
	Scores   Scores    `json:"scores"`
	Previous Scores    `json:"previous"`
	Reason   string    `json:"reason"`
	By       By        `json:"by"`
	At       time.Time `json:"at"`
}

// CreditsGranted puts the project's hours and credits on the teacher's
// record for the project year; Level is the project's training category.
type CreditsGranted struct {
	Hours   int              `json:"hours"`
	Credits float64          `json:"credits"`
	Year    int              `json:"year"`
	Level   project.Category `json:"level"`
	By      By               `json:"by"`
	At      time.Time        `json:"at"`
}

type CreditsRevoked struct {
	Hours   int       `json:"hours"`
	Credits float64   `json:"credits"`
	Year    int       `json:"year"`
	Reason  string    `json:"reason"`
	By      By        `json:"by"`
	At      time.Time `json:"at"`
}

type CertificateIssued struct {
	Number           string    `json:"number"`
	VerificationCode string    `json:"verification_code"`
	By               By        `json:"by"`
	At               time.Time `json:"at"`
}

type CertificateRevoked struct {
	Number string    `json:"number"`
	Reason string    `json:"reason"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
}

func (*Nominated) EventType() string            { return "enrollment.nominated" }
func (*CityApproved) EventType() string         { return "enrollment.city_approved" }
func (*CityRejected) EventType() string         { return "enrollment.city_rejected" }
func (*ProvinceApproved) EventType() string     { return "enrollment.province_approved" }
func (*ProvinceRejected) EventType() string     { return "enrollment.province_rejected" }
func (*Assigned) EventType() string             { return "enrollment.assigned" }
func (*Withdrawn) EventType() string            { return "enrollment.withdrawn" }
func (*ClassNoticePublished) EventType() string { return "enrollment.class_notice_published" }
func (*Reported) EventType() string             { return "enrollment.reported" }
func (*ProgressRecorded) EventType() string     { return "enrollment.progress_recorded" }
func (*GradePosted) EventType() string          { return "enrollment.grade_posted" }
func (*GradeCorrected) EventType() string       { return "enrollment.grade_corrected" }
func (*CreditsGranted) EventType() string       { return "enrollment.credits_granted" }
func (*CreditsRevoked) EventType() string       { return "enrollment.credits_revoked" }
func (*CertificateIssued) EventType() string    { return "enrollment.certificate_issued" }
func (*CertificateRevoked) EventType() string   { return "enrollment.certificate_revoked" }

// RegisterEvents adds this package's event types to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Nominated{} })
	r.Register(func() event.Event { return &CityApproved{} })
	r.Register(func() event.Event { return &CityRejected{} })
	r.Register(func() event.Event { return &ProvinceApproved{} })
	r.Register(func() event.Event { return &ProvinceRejected{} })
	r.Register(func() event.Event { return &Assigned{} })
	r.Register(func() event.Event { return &Withdrawn{} })
	r.Register(func() event.Event { return &ClassNoticePublished{} })
	r.Register(func() event.Event { return &Reported{} })
	r.Register(func() event.Event { return &ProgressRecorded{} })
	r.Register(func() event.Event { return &GradePosted{} })
	r.Register(func() event.Event { return &GradeCorrected{} })
	r.Register(func() event.Event { return &CreditsGranted{} })
	r.Register(func() event.Event { return &CreditsRevoked{} })
	r.Register(func() event.Event { return &CertificateIssued{} })
	r.Register(func() event.Event { return &CertificateRevoked{} })
}
