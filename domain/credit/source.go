package credit

import (
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
)

// Source identifies the activity an entry is for and the event that granted
// it. Its Key is what makes an activity count once.
type Source struct {
	Kind SourceKind `json:"kind"`
	// EnrollmentID and ProjectID are set for SourceProject.
	EnrollmentID uuid.UUID `json:"enrollment_id,omitempty"`
	ProjectID    uuid.UUID `json:"project_id,omitempty"`
	// RequestID is set for SourceCreditBank.
	RequestID uuid.UUID `json:"request_id,omitempty"`
	// System and ExternalID are set for SourceImport: the earlier system's
	// name and its own identifier of the record.
	System     string `json:"system,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	// EventID is the stored event that caused the grant (the passing grade,
	// the recognition, the import batch), so an auditor can walk back.
	EventID uuid.UUID `json:"event_id,omitempty"`
}

// Key is the idempotency key of the activity: an enrollment, a credit bank
// request or an imported record. An enrollment is one activity however often
// its grade is corrected, hence no grade or event in the key.
func (s Source) Key() string {
	switch s.Kind {
	case SourceProject:
		return "enrollment:" + s.EnrollmentID.String()
	case SourceCreditBank:
		return "creditbank:" + s.RequestID.String()
	case SourceImport:
		return "import:" + strings.TrimSpace(s.System) + ":" + strings.TrimSpace(s.ExternalID)
	}
	return ""
}

func (s Source) validate(v *domain.ValidationError) {
	switch s.Kind {
	case SourceProject:
		if s.EnrollmentID == uuid.Nil {
			v.Add("source.enrollment_id", "缺少报名记录")
		}
		if s.ProjectID == uuid.Nil {
			v.Add("source.project_id", "缺少培训项目")
		}
	case SourceCreditBank:
		if s.RequestID == uuid.Nil {
			v.Add("source.request_id", "缺少学分银行申请")
		}
	case SourceImport:
		if strings.TrimSpace(s.System) == "" {
			v.Add("source.system", "缺少数据来源系统名称")
		}
		if strings.TrimSpace(s.ExternalID) == "" {
			v.Add("source.external_id", "缺少来源系统中的记录编号")
		}
	default:
		v.Add("source.kind", "未知的学时来源")
	}
}
