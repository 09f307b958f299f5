package enrollment

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
)

// namespace makes enrollment ids deterministic; never change it, or existing
// streams become unreachable.
var namespace = uuid.MustParse("5b0c8f7e-3a51-5d6c-9d2e-6f1c2a7b8e40")

// ID is the enrollment of teacher in project: the same pair always gives the
// same stream, so a second nomination meets the first.
func ID(projectID, teacherID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(projectID.String()+"/"+teacherID.String()))
}

// StreamName is the event-store stream of enrollment id.
func StreamName(id uuid.UUID) string { return "enrollment-" + id.String() }

// Stage is where the enrollment stands in the pipeline.
type Stage string

const (
	StageNone             Stage = ""
	StageNominated        Stage = "nominated"
	StageCityApproved     Stage = "city_approved"
	StageCityRejected     Stage = "city_rejected"
	StageApproved         Stage = "approved" // by the owner, and assigned
	StageProvinceRejected Stage = "province_rejected"
	StageWithdrawn        Stage = "withdrawn"
	StageNoticePublished  Stage = "notice_published"
	StageReported         Stage = "reported"
	StageGraded           Stage = "graded"
)

// Label is the Chinese name of the stage.
func (s Stage) Label() string {
	switch s {
	case StageNominated:
		return "区县已推荐"
	case StageCityApproved:
		return "市级已审核"
	case StageCityRejected:
		return "市级退回"
	case StageApproved:
		return "省级已审核并分配"
	case StageProvinceRejected:
		return "省级退回"
	case StageWithdrawn:
		return "已撤销推荐"
	case StageNoticePublished:
		return "已发布开班通知"
	case StageReported:
		return "已报到"
	case StageGraded:
		return "已结业"
	}
	return "未推荐"
}

// Status is the personal-space list an enrollment appears in.
type Status string

const (
	StatusNotStarted Status = "not_started"
	StatusInProgress Status = "in_progress"
	StatusFinished   Status = "finished"
)

func (s Status) Label() string {
	switch s {
	case StatusInProgress:
		return "进行中"
	case StatusFinished:
		return "已完成"
	}
	return "未开始"
}

// Step is one line of the pipeline shown to the teacher.
type Step struct {
	Type   string    `json:"type"` // the event type
	Label  string    `json:"label"`
	By     By        `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Assignment is the institution and class of an approved trainee.
type Assignment struct {
	InstitutionID   uuid.UUID
	InstitutionName string
	ClassID         uuid.UUID
	ClassName       string
}

// Certificate is an issued completion certificate.
type Certificate struct {
	Number           string
	VerificationCode string
	IssuedAt         time.Time
}

// Enrollment is the aggregate.
type Enrollment struct {
	event.Root

	id        uuid.UUID
	projectID uuid.UUID
	teacherID uuid.UUID
	county    string // jurisdiction: the teacher's current county (FollowTeacher)
	owner     string

	nominatedBy string
	nominatedAt time.Time
	cityReview  bool
	attempt     int
	stage       Stage
	reason      string // of the last rejection or withdrawal
	assignment  Assignment
	notice      *Notice
	progress    Progress
	scores      *Scores
	granted     *CreditsGranted
	cert        *Certificate
	revoked     []RevokedCertificate
	steps       []Step
}

// RevokedCertificate is a certificate that was issued and later revoked
// (a grade corrected to a fail): a verification with its number and code
// says when and why.
type RevokedCertificate struct {
	Certificate
	RevokedAt time.Time
	Reason    string
}

// Errors beside their rules.
var (
	ErrNotCountyAdmin  = fmt.Errorf("%w: not the county administrator of the teacher's county", access.ErrForbidden)
	ErrNotCityAdmin    = fmt.Errorf("%w: not the city administrator covering the teacher's county", access.ErrForbidden)
	ErrNotOwner        = fmt.Errorf("%w: not an administrator of the project's owner", access.ErrForbidden)
	ErrNotInstitution  = fmt.Errorf("%w: not the assigned training institution", access.ErrForbidden)
	ErrNotParticipant  = fmt.Errorf("%w: neither the teacher nor the assigned institution", access.ErrForbidden)
	ErrNoSeat          = domain.Refusal("nomination needs a reserved seat in the project", "推荐须先占用项目名额")
	ErrWrongProject    = domain.Refusal("project does not match the enrollment", "报名记录与项目不符")
	ErrAlreadyEnrolled = fmt.Errorf("%w: teacher is already in this project's pipeline", domain.ErrDuplicate)
)

// ErrGradeFinal: a posted grade is final; only a correction with a reason
// changes it.
var ErrGradeFinal = domain.Refusal("a posted grade is final; correct it with a reason", "成绩已发布，发布的成绩为最终结果；如需修改，请提交成绩更正并说明原因")

// stateErr is the refusal of doing (a Chinese verb phrase, e.g. "发布成绩")
// at the enrollment's current stage; it names the stage, and the reason of
// a rejection or withdrawal, so the user sees why.
func (e *Enrollment) stateErr(doing string) error {
	msg := "该学员当前为“" + e.stage.Label() + "”"
	if e.reason != "" && (e.stage == StageWithdrawn || e.stage == StageCityRejected || e.stage == StageProvinceRejected) {
		msg += "（原因：" + e.reason + "）"
	}
	return domain.Refusal(fmt.Sprintf("cannot %s at stage %q", doing, e.stage), msg+"，不能"+doing)
}

// Authorization predicates. The system actor (imports, CLI) passes all.

// CanNominate: the county administrator of the teacher's county.
func CanNominate(a access.Actor, county string) bool {
	return a.Role == access.RoleSystem || (a.Role == access.RoleCountyAdmin && a.Covers(county))
}

// CanCityReview: the city administrator whose city contains the county.
func CanCityReview(a access.Actor, county string) bool {
	return a.Role == access.RoleSystem || (a.Role == access.RoleCityAdmin && a.Covers(county))
}

// CanDecide: an administrator covering the project's owner jurisdiction.
func CanDecide(a access.Actor, owner string) bool {
	return a.Role == access.RoleSystem || (a.Role.IsAdmin() && a.Covers(owner))
}

// CanWithdraw: the teacher's county administrator or the project's owner.
func CanWithdraw(a access.Actor, county, owner string) bool {
	return CanNominate(a, county) || CanDecide(a, owner)
}

// IsInstitution reports whether a is the institution the trainee is assigned to.
func (e *Enrollment) IsInstitution(a access.Actor) bool {
	if a.Role == access.RoleSystem {
		return true
	}
	return a.Role == access.RoleInstitution && a.InstitutionID != uuid.Nil && a.InstitutionID == e.assignment.InstitutionID
}

// IsTeacher reports whether a is the enrolled teacher.
func (e *Enrollment) IsTeacher(a access.Actor) bool {
	return a.Role == access.RoleTeacher && a.TeacherID != uuid.Nil && a.TeacherID == e.teacherID
}

// CanView: the teacher, the assigned institution, and administrators or
// auditors whose jurisdiction covers the teacher's county or the owner.
func (e *Enrollment) CanView(a access.Actor) bool {
	switch a.Role {
	case access.RoleTeacher:
		return e.IsTeacher(a)
	case access.RoleInstitution:
		return e.IsInstitution(a)
	case access.RoleSystem:
		return true
	case access.RoleCountyAdmin, access.RoleCityAdmin, access.RoleProvinceAdmin, access.RoleAuditor:
		return a.Covers(e.county) || a.Covers(e.owner)
	}
	return false
}

func requireReason(reason, label string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", domain.Invalid("reason", label+"须填写原因")
	}
	return reason, nil
}

// Nominate puts a teacher of county into the project. The project must be
// open for nomination and already hold a seat for this enrollment
// (p.ReserveSeat in the same command). A teacher who was rejected or
// withdrawn may be nominated again; one still in the pipeline may not.
func (e *Enrollment) Nominate(a access.Actor, p *project.Project, teacherID uuid.UUID, county string, at time.Time) error {
	if !CanNominate(a, county) {
		return ErrNotCountyAdmin
	}
	if teacherID == uuid.Nil || len(county) != 6 {
		return domain.Invalid("teacher", "教师和所在区县不能为空")
	}
	id := ID(p.ID(), teacherID)
	switch e.stage {
	case StageNone, StageCityRejected, StageProvinceRejected, StageWithdrawn:
	default:
		return ErrAlreadyEnrolled
	}
	if e.stage != StageNone && (e.id != id) {
		return ErrWrongProject
	}
	if p.Status() != project.StatusNominating {
		return project.ErrNotNominating
	}
	if !strings.HasPrefix(county, p.Owner()) {
		return domain.Invalid("county", "教师所在区县不在本项目范围内")
	}
	if !p.HoldsSeat(id) {
		return ErrNoSeat
	}
	e.Record(e, &Nominated{
		EnrollmentID: id, ProjectID: p.ID(), TeacherID: teacherID, County: county,
		ProjectOwner: p.Owner(), CityReview: len(p.Owner()) == 2,
		Attempt: e.attempt + 1, By: byOf(a), At: at,
	})
	return nil
}

// CityApprove submits the nomination to the province.
func (e *Enrollment) CityApprove(a access.Actor, at time.Time) error {
	if err := e.checkCityReview(a); err != nil {
		return err
	}
	e.Record(e, &CityApproved{By: byOf(a), At: at})
	return nil
}

// CityReject sends the nomination back to the county with a reason.
func (e *Enrollment) CityReject(a access.Actor, reason string, at time.Time) error {
	if err := e.checkCityReview(a); err != nil {
		return err
	}
	reason, err := requireReason(reason, "退回")
	if err != nil {
		return err
	}
	e.Record(e, &CityRejected{Reason: reason, By: byOf(a), At: at})
	return nil
}

func (e *Enrollment) checkCityReview(a access.Actor) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !CanCityReview(a, e.county) {
		return ErrNotCityAdmin
	}
	if !e.cityReview {
		return domain.Refusal("no city review for this project", "本项目不经市级审核，由项目主办方直接审核")
	}
	if e.stage != StageNominated {
		return e.stateErr("进行市级审核")
	}
	return nil
}

// awaitingOwner reports whether the owner's decision is the next step.
func (e *Enrollment) awaitingOwner() bool {
	return e.stage == StageCityApproved || (e.stage == StageNominated && !e.cityReview)
}

func (e *Enrollment) ownerDecision(a access.Actor, doing string) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !CanDecide(a, e.owner) {
		return ErrNotOwner
	}
	if e.stage == StageNominated && e.cityReview {
		return domain.Refusal("owner decision before city review", "该推荐尚未经市级审核，须先由市级审核通过")
	}
	if !e.awaitingOwner() {
		return e.stateErr(doing)
	}
	return nil
}

func (e *Enrollment) resolveAssignment(p *project.Project, institutionID, classID uuid.UUID) (Assignment, error) {
	if p.ID() != e.projectID {
		return Assignment{}, ErrWrongProject
	}
	inst, ok := p.Institution(institutionID)
	if !ok {
		return Assignment{}, fmt.Errorf("%w: %w", project.ErrUnknownInstitut, domain.Invalid("institution_id", "该承培机构不属于本项目"))
	}
	class, ok := p.Class(classID)
	if !ok || class.InstitutionID != institutionID {
		return Assignment{}, fmt.Errorf("%w: %w", project.ErrUnknownClass, domain.Invalid("class_id", "该班级不属于所选承培机构"))
	}
	return Assignment{InstitutionID: inst.ID, InstitutionName: inst.Name, ClassID: class.ID, ClassName: class.Name}, nil
}

// Approve is the owner's approval with the assignment to an institution's
// class, recorded together as ProvinceApproved and Assigned.
func (e *Enrollment) Approve(a access.Actor, p *project.Project, institutionID, classID uuid.UUID, at time.Time) error {
	if err := e.ownerDecision(a, "审核通过"); err != nil {
		return err
	}
	if s := p.Status(); s != project.StatusNominating && s != project.StatusInProgress {
		return p.StatusRefusal("approve")
	}
	asg, err := e.resolveAssignment(p, institutionID, classID)
	if err != nil {
		return err
	}
	e.Record(e, &ProvinceApproved{By: byOf(a), At: at})
	e.Record(e, assignedEvent(asg, a, at))
	return nil
}

func assignedEvent(asg Assignment, a access.Actor, at time.Time) *Assigned {
	return &Assigned{
		InstitutionID: asg.InstitutionID, InstitutionName: asg.InstitutionName,
		ClassID: asg.ClassID, ClassName: asg.ClassName, By: byOf(a), At: at,
	}
}

// Reject is the owner's refusal with a reason.
func (e *Enrollment) Reject(a access.Actor, reason string, at time.Time) error {
	if err := e.ownerDecision(a, "退回"); err != nil {
		return err
	}
	reason, err := requireReason(reason, "退回")
	if err != nil {
		return err
	}
	e.Record(e, &ProvinceRejected{Reason: reason, By: byOf(a), At: at})
	return nil
}

// Reassign moves an approved trainee to another class before they report;
// the old class notice no longer applies.
func (e *Enrollment) Reassign(a access.Actor, p *project.Project, institutionID, classID uuid.UUID, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !CanDecide(a, e.owner) {
		return ErrNotOwner
	}
	if e.stage != StageApproved && e.stage != StageNoticePublished {
		return e.stateErr("调整班级")
	}
	asg, err := e.resolveAssignment(p, institutionID, classID)
	if err != nil {
		return err
	}
	if asg == e.assignment {
		return nil
	}
	e.Record(e, assignedEvent(asg, a, at))
	return nil
}

// Withdraw takes the teacher out before they report.
func (e *Enrollment) Withdraw(a access.Actor, reason string, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !CanWithdraw(a, e.county, e.owner) {
		return fmt.Errorf("%w: %w", ErrNotCountyAdmin, ErrNotOwner)
	}
	switch e.stage {
	case StageNominated, StageCityApproved, StageApproved, StageNoticePublished:
	case StageReported:
		return domain.Refusal("withdraw after reporting", "学员已报到，不能撤销推荐；中途退出的按成绩记录（不合格）")
	default:
		return e.stateErr("撤销推荐")
	}
	reason, err := requireReason(reason, "撤销推荐")
	if err != nil {
		return err
	}
	e.Record(e, &Withdrawn{Reason: reason, By: byOf(a), At: at})
	return nil
}

// CancelWithProject withdraws an open enrollment of the cancelled project
// p, with the project's reason, by whoever cancelled it. Open means
// anything not yet graded and still in the pipeline, a teacher in training
// included: the training will not take place. A closed enrollment (graded,
// rejected, withdrawn) is left as it is and nothing is recorded.
func (e *Enrollment) CancelWithProject(a access.Actor, p *project.Project, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if p.ID() != e.projectID {
		return ErrWrongProject
	}
	if p.Status() != project.StatusCancelled {
		return domain.Refusal("project not cancelled", "项目未取消")
	}
	if !CanDecide(a, e.owner) {
		return ErrNotOwner
	}
	switch e.stage {
	case StageNominated, StageCityApproved, StageApproved, StageNoticePublished, StageReported:
	default:
		return nil
	}
	e.Record(e, &Withdrawn{Reason: "项目已取消：" + p.CancelReason(), ProjectCancelled: true, By: byOf(a), At: at})
	return nil
}

// TransferredOutReason is the reason of the withdrawals that follow a
// teacher's confirmed transfer out of the province.
const TransferredOutReason = "已调出本省"

// WithdrawTransferredOut withdraws an open enrollment of a teacher whose
// transfer out of the province was confirmed (teacher.transferred_out), by
// the province admin who confirmed it: the teacher no longer trains here,
// so the seat goes back. It follows from the stored event (the transfer-out
// process in commands), so no permission is checked again. Open means as in
// CancelWithProject; a closed enrollment is left as it is and nothing is
// recorded, so a replay changes nothing.
func (e *Enrollment) WithdrawTransferredOut(a access.Actor, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	switch e.stage {
	case StageNominated, StageCityApproved, StageApproved, StageNoticePublished, StageReported:
	default:
		return nil
	}
	e.Record(e, &Withdrawn{Reason: TransferredOutReason, By: byOf(a), At: at})
	return nil
}

// PublishNotice records the class notice; publishing again replaces it
// (a changed date or place) until the teacher reports.
func (e *Enrollment) PublishNotice(a access.Actor, n Notice, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsInstitution(a) { // permission before state
		return ErrNotInstitution
	}
	if e.stage != StageApproved && e.stage != StageNoticePublished {
		return e.stateErr("发布开班通知")
	}
	n.ReportPlace, n.Contact, n.Notes = strings.TrimSpace(n.ReportPlace), strings.TrimSpace(n.Contact), strings.TrimSpace(n.Notes)
	v := &domain.ValidationError{}
	if n.ReportDate.IsZero() {
		v.Add("report_date", "报到时间不能为空")
	}
	if n.ReportPlace == "" {
		v.Add("report_place", "报到地点不能为空")
	}
	if n.Contact == "" {
		v.Add("contact", "联系人及电话不能为空")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if e.notice != nil && sameNotice(*e.notice, n) {
		return nil
	}
	e.Record(e, &ClassNoticePublished{Notice: n, By: byOf(a), At: at})
	return nil
}

func sameNotice(a, b Notice) bool {
	return a.ReportDate.Equal(b.ReportDate) && a.ReportPlace == b.ReportPlace && a.Contact == b.Contact && a.Notes == b.Notes
}

// Report records that the teacher reported for training (the teacher
// themself or the institution at the desk). An online project may have no
// notice, so approval is enough.
func (e *Enrollment) Report(a access.Actor, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsTeacher(a) && !e.IsInstitution(a) {
		return ErrNotParticipant
	}
	if e.stage != StageApproved && e.stage != StageNoticePublished {
		return e.stateErr("报到")
	}
	e.Record(e, &Reported{By: byOf(a), At: at})
	return nil
}

// RecordProgress stores the latest study progress until the grade is posted.
func (e *Enrollment) RecordProgress(a access.Actor, pr Progress, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsInstitution(a) {
		return ErrNotInstitution
	}
	if e.stage != StageReported {
		return e.stateErr("记录学习进度")
	}
	v := &domain.ValidationError{}
	if math.IsNaN(pr.OnlinePercent) || pr.OnlinePercent < 0 || pr.OnlinePercent > 100 {
		v.Add("online_percent", "网络学习进度须在0到100之间")
	}
	if pr.SessionsTotal < 0 || pr.SessionsAttended < 0 || pr.SessionsAttended > pr.SessionsTotal {
		v.Add("sessions_attended", "出勤次数须在0与总次数之间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if pr == e.progress {
		return nil
	}
	e.Record(e, &ProgressRecorded{Progress: pr, By: byOf(a), At: at})
	return nil
}

// PostGrade grades by the project's policy; on a pass it grants the
// project's hours and credits at once. Issue the certificate afterwards
// with IssueCertificate (its serial comes from a counter).
func (e *Enrollment) PostGrade(a access.Actor, p *project.Project, offline, online *float64, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsInstitution(a) {
		return ErrNotInstitution
	}
	if e.stage == StageGraded {
		return ErrGradeFinal
	}
	if e.stage != StageReported {
		return e.stateErr("发布成绩")
	}
	if p.ID() != e.projectID {
		return ErrWrongProject
	}
	if err := TrainingStarted(p, at); err != nil {
		return err
	}
	s, err := grade(p, offline, online)
	if err != nil {
		return err
	}
	e.Record(e, &GradePosted{Scores: s, By: byOf(a), At: at})
	if s.Passed {
		e.Record(e, grant(p, a, at))
	}
	return nil
}

func grade(p *project.Project, offline, online *float64) (Scores, error) {
	total, passed, err := p.Policy().Grade(offline, online)
	if err != nil {
		return Scores{}, err
	}
	return Scores{Offline: copyF(offline), Online: copyF(online), Total: total, Passed: passed}, nil
}

func copyF(x *float64) *float64 {
	if x == nil {
		return nil
	}
	v := *x
	return &v
}

func grant(p *project.Project, a access.Actor, at time.Time) *CreditsGranted {
	d := p.Details()
	return &CreditsGranted{Hours: d.Hours, Credits: d.Credits, Year: d.Year, Level: p.Category(), By: byOf(a), At: at}
}

// CorrectGrade replaces a posted grade with a reason, by the institution or
// the project owner. A flip from pass to fail revokes the credits and the
// certificate; a flip from fail to pass grants the credits (then issue a
// certificate). The old scores stay in the stream.
func (e *Enrollment) CorrectGrade(a access.Actor, p *project.Project, offline, online *float64, reason string, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsInstitution(a) && !CanDecide(a, e.owner) {
		return fmt.Errorf("%w: %w", ErrNotInstitution, ErrNotOwner)
	}
	if e.stage != StageGraded {
		return e.stateErr("更正成绩（尚未发布成绩）")
	}
	if p.ID() != e.projectID {
		return ErrWrongProject
	}
	reason, err := requireReason(reason, "更正成绩")
	if err != nil {
		return err
	}
	s, err := grade(p, offline, online)
	if err != nil {
		return err
	}
	prev := *e.scores
	if sameScores(s, prev) {
		return domain.Invalid("scores", "更正后的成绩与原成绩相同")
	}
	e.Record(e, &GradeCorrected{Scores: s, Previous: prev, Reason: reason, By: byOf(a), At: at})
	switch {
	case prev.Passed && !s.Passed:
		if g := e.granted; g != nil {
			e.Record(e, &CreditsRevoked{Hours: g.Hours, Credits: g.Credits, Year: g.Year, Reason: reason, By: byOf(a), At: at})
		}
		if c := e.cert; c != nil {
			e.Record(e, &CertificateRevoked{Number: c.Number, Reason: reason, By: byOf(a), At: at})
		}
	case !prev.Passed && s.Passed && e.granted == nil:
		e.Record(e, grant(p, a, at))
	}
	return nil
}

func sameScores(a, b Scores) bool {
	eq := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return eq(a.Offline, b.Offline) && eq(a.Online, b.Online) && a.Total == b.Total && a.Passed == b.Passed
}

// IssueCertificate records the completion certificate of a passed trainee.
// number comes from CertificateNumber, code from VerificationCode.
// The class must have ended (ClassEnded).
func (e *Enrollment) IssueCertificate(a access.Actor, p *project.Project, number, code string, at time.Time) error {
	if e.stage == StageNone {
		return domain.ErrNotFound
	}
	if !e.IsInstitution(a) && !CanDecide(a, e.owner) {
		return fmt.Errorf("%w: %w", ErrNotInstitution, ErrNotOwner)
	}
	if e.stage != StageGraded || e.scores == nil {
		return e.stateErr("颁发结业证书（尚未发布成绩）")
	}
	if !e.scores.Passed || e.granted == nil {
		return domain.Refusal("certificate without a pass", "学员考核不合格，不能颁发结业证书")
	}
	if e.cert != nil {
		return fmt.Errorf("%w: certificate %s", domain.ErrDuplicate, e.cert.Number)
	}
	if p.ID() != e.projectID {
		return ErrWrongProject
	}
	if err := ClassEnded(p, at); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	if !ValidCertificateNumber(number) {
		v.Add("number", "证书编号格式错误")
	}
	if !validVerificationCode(code) {
		v.Add("verification_code", "验证码格式错误")
	}
	if err := v.Err(); err != nil {
		return err
	}
	e.Record(e, &CertificateIssued{Number: strings.ToUpper(number), VerificationCode: code, By: byOf(a), At: at})
	return nil
}

// Revoked finds a revoked certificate by its number.
func (e *Enrollment) Revoked(number string) (RevokedCertificate, bool) {
	for _, r := range e.revoked {
		if r.Number == number {
			return r, true
		}
	}
	return RevokedCertificate{}, false
}

// NeedsSeat reports whether the enrollment should hold a quota seat: true
// while it is in the pipeline, false once rejected or withdrawn (release
// it) or never nominated.
func (e *Enrollment) NeedsSeat() bool {
	switch e.stage {
	case StageNone, StageCityRejected, StageProvinceRejected, StageWithdrawn:
		return false
	}
	return true
}

// Apply changes state from one event; it never fails.
func (e *Enrollment) Apply(ev event.Event) {
	step := func(typ, label string, by By, at time.Time, reason string) {
		e.steps = append(e.steps, Step{Type: typ, Label: label, By: by, At: at, Reason: reason})
	}
	switch ev := ev.(type) {
	case *Nominated:
		e.id, e.projectID, e.teacherID, e.county = ev.EnrollmentID, ev.ProjectID, ev.TeacherID, ev.County
		e.nominatedBy, e.nominatedAt = ev.County, ev.At
		e.owner, e.cityReview, e.attempt = ev.ProjectOwner, ev.CityReview, ev.Attempt
		e.stage, e.reason = StageNominated, ""
		e.assignment, e.notice = Assignment{}, nil
		step(ev.EventType(), "区县推荐", ev.By, ev.At, "")
	case *CityApproved:
		e.stage = StageCityApproved
		step(ev.EventType(), "市级审核通过", ev.By, ev.At, "")
	case *CityRejected:
		e.stage, e.reason = StageCityRejected, ev.Reason
		step(ev.EventType(), "市级退回", ev.By, ev.At, ev.Reason)
	case *ProvinceApproved:
		e.stage = StageApproved
		step(ev.EventType(), "省级审核通过", ev.By, ev.At, "")
	case *ProvinceRejected:
		e.stage, e.reason = StageProvinceRejected, ev.Reason
		step(ev.EventType(), "省级退回", ev.By, ev.At, ev.Reason)
	case *Assigned:
		e.assignment = Assignment{InstitutionID: ev.InstitutionID, InstitutionName: ev.InstitutionName, ClassID: ev.ClassID, ClassName: ev.ClassName}
		if e.stage == StageNoticePublished {
			e.stage, e.notice = StageApproved, nil
		}
		step(ev.EventType(), "分配至"+ev.InstitutionName+ev.ClassName, ev.By, ev.At, "")
	case *Withdrawn:
		e.stage, e.reason = StageWithdrawn, ev.Reason
		step(ev.EventType(), "撤销推荐", ev.By, ev.At, ev.Reason)
	case *ClassNoticePublished:
		n := ev.Notice
		e.stage, e.notice = StageNoticePublished, &n
		step(ev.EventType(), "发布开班通知", ev.By, ev.At, "")
	case *Reported:
		e.stage = StageReported
		step(ev.EventType(), "报到", ev.By, ev.At, "")
	case *ProgressRecorded:
		e.progress = ev.Progress
	case *GradePosted:
		s := ev.Scores
		e.stage, e.scores = StageGraded, &s
		step(ev.EventType(), gradeLabel("成绩发布", s), ev.By, ev.At, "")
	case *GradeCorrected:
		s := ev.Scores
		e.scores = &s
		step(ev.EventType(), gradeLabel("成绩更正", s), ev.By, ev.At, ev.Reason)
	case *CreditsGranted:
		g := *ev
		e.granted = &g
		step(ev.EventType(), fmt.Sprintf("授予%d学时、%g学分", ev.Hours, ev.Credits), ev.By, ev.At, "")
	case *CreditsRevoked:
		e.granted = nil
		step(ev.EventType(), fmt.Sprintf("撤销%d学时、%g学分", ev.Hours, ev.Credits), ev.By, ev.At, ev.Reason)
	case *CertificateIssued:
		e.cert = &Certificate{Number: ev.Number, VerificationCode: ev.VerificationCode, IssuedAt: ev.At}
		step(ev.EventType(), "颁发结业证书"+ev.Number, ev.By, ev.At, "")
	case *CertificateRevoked:
		if e.cert != nil {
			e.revoked = append(e.revoked, RevokedCertificate{Certificate: *e.cert, RevokedAt: ev.At, Reason: ev.Reason})
		}
		e.cert = nil
		step(ev.EventType(), "撤销结业证书"+ev.Number, ev.By, ev.At, ev.Reason)
	}
}

func gradeLabel(prefix string, s Scores) string {
	result := "不合格"
	if s.Passed {
		result = "合格"
	}
	return fmt.Sprintf("%s：总成绩%g，%s", prefix, s.Total, result)
}

// Load rebuilds an enrollment from its stream.
func Load(history []event.Envelope) *Enrollment {
	e := &Enrollment{}
	e.Root.Load(e, history)
	return e
}

// Accessors.

func (e *Enrollment) ID() uuid.UUID          { return e.id }
func (e *Enrollment) ProjectID() uuid.UUID   { return e.projectID }
func (e *Enrollment) TeacherID() uuid.UUID   { return e.teacherID }
func (e *Enrollment) County() string         { return e.county }
func (e *Enrollment) ProjectOwner() string   { return e.owner }
func (e *Enrollment) Stage() Stage           { return e.stage }
func (e *Enrollment) Attempt() int           { return e.attempt }
func (e *Enrollment) Reason() string         { return e.reason }
func (e *Enrollment) Assignment() Assignment { return e.assignment }
func (e *Enrollment) Progress() Progress     { return e.progress }
func (e *Enrollment) Steps() []Step          { return append([]Step(nil), e.steps...) }

// Notice is the current class notice, if published.
func (e *Enrollment) Notice() (Notice, bool) {
	if e.notice == nil {
		return Notice{}, false
	}
	return *e.notice, true
}

// Scores are the current grade, if posted.
func (e *Enrollment) Scores() (Scores, bool) {
	if e.scores == nil {
		return Scores{}, false
	}
	return *e.scores, true
}

// Passed reports a current pass.
func (e *Enrollment) Passed() bool { return e.scores != nil && e.scores.Passed }

// Credits are the hours and credits currently granted, if any.
func (e *Enrollment) Credits() (CreditsGranted, bool) {
	if e.granted == nil {
		return CreditsGranted{}, false
	}
	return *e.granted, true
}

// Certificate is the valid certificate, if issued and not revoked.
func (e *Enrollment) Certificate() (Certificate, bool) {
	if e.cert == nil {
		return Certificate{}, false
	}
	return *e.cert, true
}

// Status is the personal-space list: not started until the teacher reports
// (including rejected and withdrawn ones, which show their reason), in
// progress while studying, finished once graded.
func (e *Enrollment) Status() Status {
	switch e.stage {
	case StageReported:
		return StatusInProgress
	case StageGraded:
		return StatusFinished
	}
	return StatusNotStarted
}

// CanEnterRemoteLearning: single sign-on is offered to the teacher while
// studying.
func (e *Enrollment) CanEnterRemoteLearning(a access.Actor) bool {
	return e.IsTeacher(a) && e.stage == StageReported
}
