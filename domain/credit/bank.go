package credit

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/file"
)

// BankStreamName is the stream of one credit bank request.
func BankStreamName(requestID uuid.UUID) string { return "creditbank-" + requestID.String() }

// BankKind is the kind of learning a teacher asks the county to recognise.
// Stored in events: never change.
type BankKind string

const (
	BankSchoolBased  BankKind = "school_based"  // 校本研修
	BankDegreeStudy  BankKind = "degree_study"  // 学历提升
	BankClassTeacher BankKind = "class_teacher" // 班主任工作
	BankOffPlatform  BankKind = "off_platform"  // 平台外培训 (e.g. a conference, a course run elsewhere)
	BankOther        BankKind = "other"
)

// Valid reports whether k is known.
func (k BankKind) Valid() bool {
	switch k {
	case BankSchoolBased, BankDegreeStudy, BankClassTeacher, BankOffPlatform, BankOther:
		return true
	}
	return false
}

// Label is the Chinese name shown to users.
func (k BankKind) Label() string {
	switch k {
	case BankSchoolBased:
		return "校本研修"
	case BankDegreeStudy:
		return "学历提升"
	case BankClassTeacher:
		return "班主任工作"
	case BankOffPlatform:
		return "平台外培训"
	case BankOther:
		return "其他学习"
	}
	return string(k)
}

// Category is the ledger category the recognised hours are filed under.
func (k BankKind) Category() Category {
	switch k {
	case BankSchoolBased:
		return CategorySchoolBased
	case BankDegreeStudy:
		return CategoryDegreeStudy
	case BankClassTeacher:
		return CategoryClassTeacher
	case BankOffPlatform:
		return CategoryTraining
	}
	return CategoryOther
}

// BankStatus is where a request stands.
type BankStatus string

const (
	StatusNew        BankStatus = ""
	StatusPending    BankStatus = "pending"
	StatusRecognised BankStatus = "recognised"
	StatusRejected   BankStatus = "rejected"
	StatusWithdrawn  BankStatus = "withdrawn"
)

// Label is the Chinese name shown to users.
func (s BankStatus) Label() string {
	switch s {
	case StatusPending:
		return "待认定"
	case StatusRecognised:
		return "已认定"
	case StatusRejected:
		return "未通过"
	case StatusWithdrawn:
		return "已撤回"
	}
	return ""
}

// MaxEvidence bounds the files of one request; more is a sign of a dump,
// not of evidence.
const MaxEvidence = 20

// Submission is the input of Request.Submit.
type Submission struct {
	TeacherID uuid.UUID
	// County is the teacher's county at submission; the county admin who
	// decides is checked against the county at decision time.
	County       string
	Kind         BankKind
	Title        string
	Organiser    string
	Level        Level
	StartOn      time.Time
	EndOn        time.Time
	ClaimedHours Quantity
	Evidence     []file.FileRef
	At           time.Time
	// Today is the submitter's calendar date (a date at UTC midnight, like
	// StartOn and EndOn); learning ending today may be submitted. Zero: the
	// UTC date of At.
	Today time.Time
	// Limits of the policy in force; the claim may not exceed one entry's.
	Limits Limits
}

func (s Submission) today() time.Time {
	if !s.Today.IsZero() {
		return dateOnly(s.Today)
	}
	return dateOnly(s.At)
}

// Request is one credit bank request.
type Request struct {
	event.Root
	id        uuid.UUID
	status    BankStatus
	submitted BankSubmitted
	decision  event.Event // *BankRecognised or *BankRejected once decided
}

// NewRequest returns an empty request with the given id; load history into
// it or call Submit.
func NewRequest(id uuid.UUID) *Request { return &Request{id: id} }

func (r *Request) ID() uuid.UUID            { return r.id }
func (r *Request) Status() BankStatus       { return r.status }
func (r *Request) Submitted() BankSubmitted { return r.submitted }
func (r *Request) TeacherID() uuid.UUID     { return r.submitted.TeacherID }
func (r *Request) Recognition() *BankRecognised {
	if e, ok := r.decision.(*BankRecognised); ok {
		c := *e
		return &c
	}
	return nil
}

// RejectReason is the county's reason when the request was rejected.
func (r *Request) RejectReason() string {
	if e, ok := r.decision.(*BankRejected); ok {
		return e.Reason
	}
	return ""
}

// Apply changes the state from an event; it never fails.
func (r *Request) Apply(e event.Event) {
	switch e := e.(type) {
	case *BankSubmitted:
		r.id = e.RequestID
		r.submitted = *e
		r.status = StatusPending
	case *BankRecognised:
		r.status = StatusRecognised
		r.decision = e
	case *BankRejected:
		r.status = StatusRejected
		r.decision = e
	case *BankWithdrawn:
		r.status = StatusWithdrawn
	}
}

// Submit opens the request. Only the teacher may ask for their own record.
func (r *Request) Submit(actor access.Actor, s Submission) error {
	if r.status != StatusNew {
		return domain.Refusal("credit: request already submitted", "该学分银行申请已提交，不能重复提交")
	}
	if actor.Role != access.RoleTeacher || actor.TeacherID != s.TeacherID || s.TeacherID == uuid.Nil {
		return fmt.Errorf("credit: only the teacher may submit their own request: %w", access.ErrForbidden)
	}
	v := &domain.ValidationError{}
	if r.id == uuid.Nil {
		v.Add("request_id", "缺少申请编号")
	}
	if len(s.County) != 6 {
		v.Add("county", "区县代码不正确")
	}
	if !s.Kind.Valid() {
		v.Add("kind", "学习类型不正确")
	}
	if strings.TrimSpace(s.Title) == "" {
		v.Add("title", "请填写学习名称")
	}
	if strings.TrimSpace(s.Organiser) == "" {
		v.Add("organiser", "请填写组织单位")
	}
	if !s.Level.Valid() {
		v.Add("level", "级别不正确")
	}
	switch {
	case s.StartOn.IsZero() || s.EndOn.IsZero():
		v.Add("end_on", "请填写起止日期")
	case s.EndOn.Before(s.StartOn):
		v.Add("end_on", "结束日期早于开始日期")
	case s.EndOn.After(s.today()):
		v.Add("end_on", "学习尚未结束，不能申请认定")
	case s.StartOn.Year() < FirstYear:
		v.Add("start_on", "开始日期过早")
	}
	if s.ClaimedHours.Sign() <= 0 {
		v.Add("claimed_hours", "申请学时应大于零")
	} else if !s.ClaimedHours.InputExact() {
		v.Add("claimed_hours", "学时最多保留一位小数")
	} else if m := s.Limits.MaxEntryHours; m.Sign() > 0 && m.Less(s.ClaimedHours) {
		v.Add("claimed_hours", fmt.Sprintf("申请学时超过单次学习的合理上限%s学时，请核对", m))
	}
	if len(s.Evidence) == 0 {
		v.Add("evidence", "请上传证明材料")
	}
	if len(s.Evidence) > MaxEvidence {
		v.Add("evidence", fmt.Sprintf("证明材料不能超过%d个", MaxEvidence))
	}
	for i, f := range s.Evidence {
		v.Fields = append(v.Fields, file.ValidateFile(fmt.Sprintf("evidence[%d]", i), f)...)
	}
	if s.At.IsZero() {
		v.Add("at", "缺少提交时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	r.Record(r, &BankSubmitted{
		RequestID: r.id, TeacherID: s.TeacherID, County: s.County, Kind: s.Kind,
		Title: strings.TrimSpace(s.Title), Organiser: strings.TrimSpace(s.Organiser),
		Level: s.Level, StartOn: dateOnly(s.StartOn), EndOn: dateOnly(s.EndOn),
		ClaimedHours: s.ClaimedHours, Evidence: append([]file.FileRef(nil), s.Evidence...),
		SubmittedAt: s.At,
	})
	return nil
}

// Recognition is the input of Request.Recognise.
type Recognition struct {
	Hours   Quantity
	Credits Quantity
	// Level may correct the teacher's claim; empty keeps it.
	Level Level
	Note  string
	At    time.Time
	// Limits of the policy in force; the recognised hours may not exceed
	// one entry's.
	Limits Limits
}

func (r *Request) checkDecider(actor access.Actor, teacherCounty string) error {
	if r.status != StatusPending {
		return r.notPending()
	}
	if actor.Role != access.RoleCountyAdmin || access.JurisdictionLevel(actor.Jurisdiction) != "county" || !actor.Covers(teacherCounty) {
		return fmt.Errorf("credit: only the county admin of the teacher's county decides: %w", access.ErrForbidden)
	}
	return nil
}

// Recognise accepts the request. teacherCounty is the teacher's county now
// (a transfer since submission moves the decision to the new county).
func (r *Request) Recognise(actor access.Actor, teacherCounty string, rc Recognition) error {
	if err := r.checkDecider(actor, teacherCounty); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	if rc.Hours.Sign() <= 0 {
		v.Add("hours", "认定学时应大于零")
	}
	if rc.Hours.Sign() > 0 && !rc.Hours.InputExact() {
		v.Add("hours", "学时最多保留一位小数")
	}
	if m := rc.Limits.MaxEntryHours; m.Sign() > 0 && m.Less(rc.Hours) {
		v.Add("hours", fmt.Sprintf("认定学时超过单次学习的合理上限%s学时，请核对", m))
	}
	if rc.Credits.Sign() < 0 {
		v.Add("credits", "学分不能为负数")
	} else if !rc.Credits.InputExact() {
		v.Add("credits", "学分最多保留一位小数")
	}
	if rc.Level != "" && !rc.Level.Valid() {
		v.Add("level", "级别不正确")
	}
	if rc.At.IsZero() {
		v.Add("at", "缺少认定时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	level := rc.Level
	if level == "" {
		level = r.submitted.Level
	}
	r.Record(r, &BankRecognised{
		RequestID: r.id, TeacherID: r.submitted.TeacherID, Hours: rc.Hours, Credits: rc.Credits,
		// The learning belongs to the year it ended in, like a project.
		Year: r.submitted.EndOn.Year(), Level: level, Note: strings.TrimSpace(rc.Note),
		RecognisedBy: actor.UserID, RecognisedAt: rc.At,
	})
	return nil
}

// Reject refuses the request with a reason for the teacher.
func (r *Request) Reject(actor access.Actor, teacherCounty, reason string, at time.Time) error {
	if err := r.checkDecider(actor, teacherCounty); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return domain.Invalid("reason", "请填写不予认定的原因")
	}
	if at.IsZero() {
		return domain.Invalid("at", "缺少时间")
	}
	r.Record(r, &BankRejected{
		RequestID: r.id, TeacherID: r.submitted.TeacherID, Reason: reason,
		RejectedBy: actor.UserID, RejectedAt: at,
	})
	return nil
}

// Withdraw lets the teacher take back a pending request.
func (r *Request) Withdraw(actor access.Actor, at time.Time) error {
	if r.status != StatusPending {
		return r.notPending()
	}
	if actor.Role != access.RoleTeacher || actor.TeacherID != r.submitted.TeacherID {
		return fmt.Errorf("credit: only the teacher may withdraw: %w", access.ErrForbidden)
	}
	r.Record(r, &BankWithdrawn{RequestID: r.id, TeacherID: r.submitted.TeacherID, WithdrawnAt: at})
	return nil
}

// LedgerGrant is the grant a recognised request produces; the command layer
// appends it to the teacher's ledger with the request id as the source key,
// so recognising twice (or retrying) can never count twice. recognisedEventID
// is the stored id of the BankRecognised event.
func (r *Request) LedgerGrant(entryID, recognisedEventID uuid.UUID) (Grant, error) {
	rc := r.Recognition()
	if rc == nil {
		return Grant{}, domain.Refusal("credit: request not recognised", "该学分银行申请尚未认定，不能计入学时")
	}
	return Grant{
		EntryID: entryID, Year: rc.Year, CompletedOn: r.submitted.EndOn,
		Level: rc.Level, Category: r.submitted.Kind.Category(),
		Hours: rc.Hours, Credits: rc.Credits, Title: r.submitted.Title, StartedOn: r.submitted.StartOn,
		Source: Source{Kind: SourceCreditBank, RequestID: r.id, EventID: recognisedEventID},
		At:     rc.RecognisedAt,
	}, nil
}

// notPending refuses a decision or a withdrawal of a request already
// decided or withdrawn, naming what became of it.
func (r *Request) notPending() error {
	state := r.status.Label()
	if state == "" {
		state = "尚未提交"
	}
	return domain.Refusal(fmt.Sprintf("credit: request is %q, not pending", r.status),
		"该学分银行申请"+state+"，不能再办理")
}
