package registration

import "github.com/hbte/record/domain/event"

// Stored event type names. Never rename: add a new version instead.
const (
	TypePolicyPublished = "registration.policy_published"
	TypeDecided         = "registration.decided"
)

// RegisterEvents adds this package's events to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &PolicyPublished{} })
	r.Register(func() event.Event { return &Decided{} })
	r.Register(func() event.Event { return &AbsenceRecorded{} })
	r.Register(func() event.Event { return &AbsenceWithdrawn{} })
	r.Register(func() event.Event { return &FitnessConfirmed{} })
	r.Register(func() event.Event { return &CertificateRevoked{} })
}
