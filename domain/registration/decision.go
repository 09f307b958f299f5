package registration

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

// StreamName is the registration stream of a teacher.
func StreamName(teacherID uuid.UUID) string { return "registration-" + teacherID.String() }

// Decision kinds. Stored in events: never change.
const (
	KindFirst    = "first"    // 首次注册
	KindPeriodic = "periodic" // 定期注册
)

// Decided is a registration decision. Registration dates and outcomes are
// derived from these events only.
type Decided struct {
	DecisionID uuid.UUID `json:"decision_id"`
	TeacherID  uuid.UUID `json:"teacher_id"`
	County     string    `json:"county"`
	Kind       string    `json:"kind"`
	Outcome    Outcome   `json:"outcome"`
	// Cycle, CheckedAsOf, Reasons and EvidenceDigest describe the check the
	// decision rests on; empty for a first registration.
	Cycle          Cycle     `json:"cycle,omitzero"`
	CheckedAsOf    time.Time `json:"checked_as_of,omitzero"`
	CheckOutcome   Outcome   `json:"check_outcome,omitempty"`
	Reasons        []Reason  `json:"reasons,omitempty"`
	EvidenceDigest string    `json:"evidence_digest,omitempty"`
	PolicyVersion  string    `json:"policy_version"`
	PolicyScope    string    `json:"policy_scope"`
	// Note is the authority's remark; required when the decision departs
	// from the check.
	Note          string    `json:"note,omitempty"`
	DecidedOn     time.Time `json:"decided_on"`
	DecidedBy     uuid.UUID `json:"decided_by"`
	DecidedByName string    `json:"decided_by_name,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
}

func (*Decided) EventType() string { return TypeDecided }

// Registration is the decision history of one teacher.
type Registration struct {
	event.Root
	teacherID uuid.UUID
	decisions []Decided
	history   History
}

// NewRegistration returns an empty history; load events into it.
func NewRegistration(teacherID uuid.UUID) *Registration {
	return &Registration{teacherID: teacherID}
}

func (r *Registration) TeacherID() uuid.UUID { return r.teacherID }

// History is what the decisions say so far.
func (r *Registration) History() History { return r.history }

// Decisions returns every decision in order.
func (r *Registration) Decisions() []Decided { return slices.Clone(r.decisions) }

// Apply changes the state from an event; it never fails.
func (r *Registration) Apply(e event.Event) {
	d, ok := e.(*Decided)
	if !ok {
		return
	}
	r.decisions = append(r.decisions, *d)
	h := &r.history
	if d.Kind == KindFirst && h.FirstRegisteredOn.IsZero() {
		h.FirstRegisteredOn = d.DecidedOn
	}
	if d.Outcome == OutcomePass {
		h.LastRegisteredOn = d.DecidedOn
	}
	h.LastOutcome, h.LastDecidedOn = d.Outcome, d.DecidedOn
}

// CanDecide: the registration authority of the teacher's jurisdiction.
func CanDecide(actor access.Actor, teacherCounty string) bool {
	return actor.Role == access.RoleRegistrar && actor.Covers(teacherCounty)
}

// latestZone is the furthest ahead of UTC a civil date can be (UTC+14): a
// date later than the day of at there is in the future everywhere.
const latestZone = 14 * time.Hour

func (r *Registration) checkCommon(actor access.Actor, teacherCounty string, decisionID uuid.UUID, decidedOn, at time.Time) error {
	v := &domain.ValidationError{}
	if decisionID == uuid.Nil {
		v.Add("decision_id", "缺少决定编号")
	}
	if len(teacherCounty) != 6 {
		v.Add("county", "区县代码不正确")
	}
	if decidedOn.IsZero() {
		v.Add("decided_on", "请填写注册日期")
	} else if !r.history.LastDecidedOn.IsZero() && dateOf(decidedOn).Before(r.history.LastDecidedOn) {
		v.Add("decided_on", "注册日期早于上一次注册决定")
	} else if !at.IsZero() && dateOf(decidedOn).After(dateOf(at.Add(latestZone))) {
		v.Add("decided_on", "注册日期不能晚于今天")
	}
	if at.IsZero() {
		v.Add("at", "缺少记录时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, d := range r.decisions {
		if d.DecisionID == decisionID {
			return fmt.Errorf("registration: decision %s exists: %w", decisionID, domain.ErrDuplicate)
		}
	}
	return nil
}

// RecordFirst records the first registration (首次注册), which starts the
// first cycle. It is refused while a registration is current; after a failed
// periodic registration a teacher who qualifies again registers anew.
//
// Besides the authority, the system actor may record it: first registrations
// made before this platform are loaded from the national system.
func (r *Registration) RecordFirst(actor access.Actor, teacherCounty string, decisionID uuid.UUID, on time.Time, policy Policy, note string, at time.Time) error {
	if !CanDecide(actor, teacherCounty) && actor.Role != access.RoleSystem {
		return fmt.Errorf("registration: only the registration authority of the teacher's region registers: %w", access.ErrForbidden)
	}
	if err := r.checkCommon(actor, teacherCounty, decisionID, on, at); err != nil {
		return err
	}
	if r.history.Registered() {
		return domain.Refusal("registration: teacher is already registered", "该教师已办理首次注册，不能重复注册")
	}
	r.Record(r, &Decided{
		DecisionID: decisionID, TeacherID: r.teacherID, County: teacherCounty, Kind: KindFirst,
		Outcome: OutcomePass, PolicyVersion: policy.Version, PolicyScope: policy.Scope,
		Note: strings.TrimSpace(note), DecidedOn: dateOf(on),
		DecidedBy: actor.UserID, DecidedByName: actor.Name, RecordedAt: at,
	})
	return nil
}

// Decide records a periodic decision on the check res. The outcome is
// normally the check's; the authority may depart from it (it knows what the
// record does not, e.g. an illness certificate) but must then say why in
// note. A check that is not due cannot be decided; an exempt one may be
// recorded as exempt, which does not renew the registration.
func (r *Registration) Decide(actor access.Actor, teacherCounty string, decisionID uuid.UUID, res Result, outcome Outcome, note string, decidedOn, at time.Time) error {
	if !CanDecide(actor, teacherCounty) {
		return fmt.Errorf("registration: only the registration authority of the teacher's region decides: %w", access.ErrForbidden)
	}
	if err := r.checkCommon(actor, teacherCounty, decisionID, decidedOn, at); err != nil {
		return err
	}
	if !r.history.Registered() {
		return ErrNotRegistered
	}
	if res.TeacherID != r.teacherID {
		return domain.Invalid("teacher_id", "核查结果不属于该教师")
	}
	if !res.Cycle.Start.Equal(r.history.LastRegisteredOn) {
		return domain.Refusal(fmt.Sprintf("registration: check is for the cycle from %s, current cycle starts %s",
			res.Cycle.Start.Format(time.DateOnly), r.history.LastRegisteredOn.Format(time.DateOnly)),
			"核查结果针对自 "+res.Cycle.Start.Format(time.DateOnly)+" 起的周期，而当前注册周期自 "+
				r.history.LastRegisteredOn.Format(time.DateOnly)+" 起，请重新核查")
	}
	if res.Outcome == OutcomeNotDue {
		return domain.Refusal("registration: the cycle is not due", "当前注册周期尚未到期，不能作出定期注册结论")
	}
	// A decision dated before its check would start the next cycle inside
	// the hours window the check already counted.
	if dateOf(decidedOn).Before(res.AsOf) {
		return domain.Invalid("decided_on", "注册日期早于核查日期")
	}
	switch outcome {
	case OutcomePass, OutcomeDeferred, OutcomeFail, OutcomeExempt:
	default:
		return domain.Invalid("outcome", "注册结论应为合格、暂缓注册、不合格或免于注册")
	}
	note = strings.TrimSpace(note)
	if outcome != res.Outcome && note == "" {
		return domain.Invalid("note", "注册结论与核查结果不一致，必须说明理由")
	}
	if res.PolicyVersion == "" {
		return domain.Invalid("policy_version", "核查结果缺少政策版本")
	}
	r.Record(r, &Decided{
		DecisionID: decisionID, TeacherID: r.teacherID, County: teacherCounty, Kind: KindPeriodic,
		Outcome: outcome, Cycle: res.Cycle, CheckedAsOf: res.AsOf, CheckOutcome: res.Outcome,
		Reasons: slices.Clone(res.Reasons), EvidenceDigest: res.Digest(),
		PolicyVersion: res.PolicyVersion, PolicyScope: res.PolicyScope, Note: note,
		DecidedOn: dateOf(decidedOn), DecidedBy: actor.UserID, DecidedByName: actor.Name, RecordedAt: at,
	})
	return nil
}
