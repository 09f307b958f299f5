package appraisal

import (
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename: add a new version instead.
const (
	TypeEthicsRecorded  = "appraisal.ethics_recorded"
	TypeEthicsCorrected = "appraisal.ethics_corrected"
	TypeAnnualRecorded  = "appraisal.annual_recorded"
	TypeAnnualCorrected = "appraisal.annual_corrected"
	TypeUploadRecorded  = "appraisal.upload_recorded"
)

// EthicsRecorded is one year's ethics result from an upload.
type EthicsRecorded struct {
	TeacherID     uuid.UUID `json:"teacher_id"`
	Year          int       `json:"year"`
	Passed        bool      `json:"passed"`
	SeriousBreach bool      `json:"serious_breach"`
	Honors        string    `json:"honors,omitempty"`
	BatchID       uuid.UUID `json:"batch_id,omitempty"`
	Row           int       `json:"row,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
}

func (*EthicsRecorded) EventType() string { return TypeEthicsRecorded }

// EthicsCorrected replaces one year's ethics result; the reason is required.
type EthicsCorrected struct {
	TeacherID     uuid.UUID `json:"teacher_id"`
	Year          int       `json:"year"`
	Passed        bool      `json:"passed"`
	SeriousBreach bool      `json:"serious_breach"`
	Honors        string    `json:"honors,omitempty"`
	Reason        string    `json:"reason"`
	CorrectedAt   time.Time `json:"corrected_at"`
}

func (*EthicsCorrected) EventType() string { return TypeEthicsCorrected }

// AnnualRecorded is one year's annual appraisal from an upload.
type AnnualRecorded struct {
	TeacherID  uuid.UUID `json:"teacher_id"`
	Year       int       `json:"year"`
	Grade      Grade     `json:"grade"`
	BatchID    uuid.UUID `json:"batch_id,omitempty"`
	Row        int       `json:"row,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

func (*AnnualRecorded) EventType() string { return TypeAnnualRecorded }

// AnnualCorrected replaces one year's annual appraisal; the reason is required.
type AnnualCorrected struct {
	TeacherID   uuid.UUID `json:"teacher_id"`
	Year        int       `json:"year"`
	Grade       Grade     `json:"grade"`
	Reason      string    `json:"reason"`
	CorrectedAt time.Time `json:"corrected_at"`
}

func (*AnnualCorrected) EventType() string { return TypeAnnualCorrected }

// UploadRecorded is the upload batch itself: who uploaded which file and
// what became of its rows. The rejected rows' reasons (so the uploader can
// fix the file) are a stored report file, a JSON list of
// domain.FieldError, named by its SHA-256 in ErrorsReport: a refused file
// of 10,000 rows would otherwise make an event of megabytes, over
// EventStoreDB's 1 MiB append limit. Events recorded before the report
// carry the reasons in Errors instead; readers take either.
type UploadRecorded struct {
	BatchID    uuid.UUID           `json:"batch_id"`
	Kind       Kind                `json:"kind"`
	County     string              `json:"county"`
	FileName   string              `json:"file_name"`
	FileSHA256 string              `json:"file_sha256"`
	Rows       int                 `json:"rows"`
	Accepted   int                 `json:"accepted"`
	Rejected   int                 `json:"rejected"`
	Errors     []domain.FieldError `json:"errors,omitempty" legacy:"true"` // old events only; see ErrorsReport
	// ErrorsReport is the SHA-256 of the stored report of the rejected
	// rows (none when every row was accepted).
	ErrorsReport string    `json:"errors_report,omitempty"`
	UploadedBy   uuid.UUID `json:"uploaded_by"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

func (*UploadRecorded) EventType() string { return TypeUploadRecorded }

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &EthicsRecorded{} })
	r.Register(func() event.Event { return &EthicsCorrected{} })
	r.Register(func() event.Event { return &AnnualRecorded{} })
	r.Register(func() event.Event { return &AnnualCorrected{} })
	r.Register(func() event.Event { return &UploadRecorded{} })
}
