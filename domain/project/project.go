package project

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// StreamName is the event-store stream of project id.
func StreamName(id uuid.UUID) string { return "project-" + id.String() }

// Project is the aggregate. Build a new one with Create or an empty one to
// Load history into.
type Project struct {
	event.Root

	id           uuid.UUID
	kind         Kind
	category     Category
	owner        string
	details      Details
	institutions []Institution
	classes      []Class
	quotas       map[string]int
	policy       Policy
	status       Status
	cancelReason string
	// seats maps an enrollment holding a seat to its county; reserved
	// counts them per county.
	seats    map[uuid.UUID]string
	reserved map[string]int
}

// Errors beside their rules.
var (
	ErrNotOwner        = fmt.Errorf("%w: not an administrator of the project's owner jurisdiction", access.ErrForbidden)
	ErrCannotCreate    = fmt.Errorf("%w: may not create a project for this jurisdiction", access.ErrForbidden)
	ErrQuotaExhausted  = domain.Refusal("quota exhausted", "本地区的推荐名额已用完")
	ErrNoQuota         = domain.Refusal("no quota for this region", "本项目没有给该区县分配名额")
	ErrNotNominating   = domain.Refusal("project is not open for nomination", "项目当前不在推荐阶段，不能推荐")
	ErrUnknownClass    = domain.Invalid("class_id", "该班级不属于本项目")
	ErrUnknownInstitut = domain.Invalid("institution_id", "该承培机构不属于本项目")
)

// NewProject is the input of Create.
type NewProject struct {
	ID           uuid.UUID
	Kind         Kind
	Category     Category
	Owner        string
	Details      Details
	Institutions []Institution
	Policy       Policy
}

// CanCreate: the province admin creates province projects, a city or county
// admin projects of their own city or county, and the category must fit the
// owner's level (see Category.ownerLevels).
func CanCreate(actor access.Actor, owner string) bool {
	if actor.Role == access.RoleSystem {
		return true
	}
	return actor.Role.IsAdmin() && actor.Jurisdiction != "" && actor.Jurisdiction == owner
}

// Create validates in and records Created.
func Create(actor access.Actor, in NewProject, at time.Time) (*Project, error) {
	if !CanCreate(actor, in.Owner) {
		return nil, ErrCannotCreate
	}
	v := &domain.ValidationError{}
	if in.ID == uuid.Nil {
		v.Add("id", "项目标识不能为空")
	}
	if !in.Kind.Valid() {
		v.Add("kind", "项目性质无效")
	}
	switch {
	case !in.Category.Valid():
		v.Add("category", "培训类别代码无效")
	case in.Kind.Valid() && !containsCategory(in.Kind.Categories(), in.Category):
		v.Add("category", fmt.Sprintf("培训类别%d（%s）与项目性质“%s”不符", in.Category, in.Category.Label(), in.Kind.Label()))
	case !containsInt(in.Category.ownerLevels(), len(in.Owner)):
		v.Add("owner", fmt.Sprintf("%s项目不能由该级行政区划承办", in.Category.Label()))
	}
	validateDetails(v, in.Details)
	seen := map[uuid.UUID]bool{}
	for _, inst := range in.Institutions {
		validateInstitution(v, inst)
		if seen[inst.ID] {
			v.Add("institutions", "承培机构重复")
		}
		seen[inst.ID] = true
	}
	if err := in.Policy.Validate(); err != nil {
		var pv *domain.ValidationError
		if errors.As(err, &pv) {
			for _, f := range pv.Fields {
				v.Add("policy."+f.Field, f.Reason)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := &Project{}
	p.Record(p, &Created{
		ProjectID: in.ID, Kind: in.Kind, Category: in.Category, Owner: in.Owner,
		Details: normalizeDetails(in.Details), Institutions: append([]Institution(nil), in.Institutions...),
		Policy: in.Policy, At: at,
	})
	return p, nil
}

func containsCategory(cs []Category, c Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func validateDetails(v *domain.ValidationError, d Details) {
	name := strings.TrimSpace(d.Name)
	switch {
	case name == "":
		v.Add("name", "项目名称不能为空")
	case utf8.RuneCountInString(name) > 100:
		v.Add("name", "项目名称不能超过100个字")
	}
	if d.Year < 2018 || d.Year > 2100 {
		v.Add("year", "项目年度须在2018年以后")
	}
	if !d.Mode.Valid() {
		v.Add("mode", "培训形式代码无效")
	}
	switch {
	case d.Start.IsZero() || d.End.IsZero():
		v.Add("dates", "开始和结束日期不能为空")
	case dateOf(d.End).Before(dateOf(d.Start)):
		v.Add("dates", "结束日期不能早于开始日期")
	case d.Start.Year() != d.Year && d.End.Year() != d.Year:
		v.Add("year", "项目年度须与培训日期一致")
	}
	if d.Hours <= 0 || d.Hours > 2000 {
		v.Add("hours", "学时须为1到2000之间的整数")
	}
	if d.Credits < 0 || d.Credits > 100 {
		v.Add("credits", "学分须在0到100之间")
	}
	if d.RemoteURL != "" {
		u, err := url.Parse(d.RemoteURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.Add("remote_url", "远程学习地址须为http或https网址")
		}
	}
}

func validateInstitution(v *domain.ValidationError, inst Institution) {
	if inst.ID == uuid.Nil || strings.TrimSpace(inst.Name) == "" {
		v.Add("institutions", "承培机构标识和名称不能为空")
	}
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func normalizeDetails(d Details) Details {
	d.Name = strings.TrimSpace(d.Name)
	d.Start, d.End = dateOf(d.Start), dateOf(d.End)
	return d
}

// Apply changes state from one event; it never fails.
func (p *Project) Apply(e event.Event) {
	switch e := e.(type) {
	case *Created:
		p.id, p.kind, p.category, p.owner = e.ProjectID, e.Kind, e.Category, e.Owner
		p.details, p.policy = e.Details, e.Policy
		p.institutions = append([]Institution(nil), e.Institutions...)
		p.quotas = map[string]int{}
		p.seats = map[uuid.UUID]string{}
		p.reserved = map[string]int{}
		p.status = StatusDraft
	case *DetailsChanged:
		p.details = e.Details
	case *InstitutionAdded:
		p.institutions = append(p.institutions, e.Institution)
	case *ClassAdded:
		p.classes = append(p.classes, e.Class)
	case *QuotaSet:
		if e.Count == 0 {
			delete(p.quotas, e.Region)
		} else {
			p.quotas[e.Region] = e.Count
		}
	case *PolicySet:
		p.policy = e.Policy
	case *NominationOpened:
		p.status = StatusNominating
	case *Started:
		p.status = StatusInProgress
	case *Finished:
		p.status = StatusFinished
	case *Cancelled:
		p.status, p.cancelReason = StatusCancelled, e.Reason
	case *SeatReserved:
		p.seats[e.EnrollmentID] = e.County
		p.reserved[e.County]++
	case *SeatReleased:
		if c, ok := p.seats[e.EnrollmentID]; ok {
			delete(p.seats, e.EnrollmentID)
			p.reserved[c]--
		}
	}
}

// Load rebuilds a project from its stream.
func Load(history []event.Envelope) *Project {
	p := &Project{}
	p.Root.Load(p, history)
	return p
}

// Accessors.

func (p *Project) ID() uuid.UUID      { return p.id }
func (p *Project) Kind() Kind         { return p.kind }
func (p *Project) Category() Category { return p.category }
func (p *Project) Owner() string      { return p.owner }
func (p *Project) Details() Details   { return p.details }
func (p *Project) Policy() Policy     { return p.policy }
func (p *Project) Status() Status     { return p.status }
func (p *Project) Exists() bool       { return p.status != StatusNone }

func (p *Project) Institutions() []Institution { return append([]Institution(nil), p.institutions...) }
func (p *Project) Classes() []Class            { return append([]Class(nil), p.classes...) }

// Quotas returns a copy of the region -> seats map.
func (p *Project) Quotas() map[string]int {
	out := make(map[string]int, len(p.quotas))
	for k, v := range p.quotas {
		out[k] = v
	}
	return out
}

// Institution looks an institution up by id.
func (p *Project) Institution(id uuid.UUID) (Institution, bool) {
	for _, inst := range p.institutions {
		if inst.ID == id {
			return inst, true
		}
	}
	return Institution{}, false
}

// Class looks a class up by id.
func (p *Project) Class(id uuid.UUID) (Class, bool) {
	for _, c := range p.classes {
		if c.ID == id {
			return c, true
		}
	}
	return Class{}, false
}

// CanManage: an administrator whose jurisdiction covers the owner's, so the
// province oversees city and county projects but a city cannot touch a
// province project.
func (p *Project) CanManage(actor access.Actor) bool {
	if actor.Role == access.RoleSystem {
		return true
	}
	return actor.Role.IsAdmin() && actor.Covers(p.owner)
}

func (p *Project) manage(actor access.Actor, allowed ...Status) error {
	if !p.Exists() {
		return domain.ErrNotFound
	}
	if !p.CanManage(actor) {
		return ErrNotOwner
	}
	for _, s := range allowed {
		if p.status == s {
			return nil
		}
	}
	return p.StatusRefusal("manage")
}

// StatusRefusal is the refusal of an action the project's status does not
// allow, naming the status (and a cancellation's reason) for the user.
func (p *Project) StatusRefusal(doing string) error {
	if p.status == StatusCancelled {
		return domain.Refusal("project cancelled: cannot "+doing, "项目已取消（原因："+p.cancelReason+"），不能再办理")
	}
	verb, ok := refusedDoings[doing]
	if !ok {
		verb = "办理此事项"
	}
	return domain.Refusal(fmt.Sprintf("project is %s: cannot %s", p.status, doing), "项目当前状态为“"+p.status.Label()+"”，不能"+verb)
}

// refusedDoings names, for users, what StatusRefusal refuses.
var refusedDoings = map[string]string{
	"post a grade":         "发布成绩",
	"approve":              "审核推荐",
	"manage":               "办理这项变更",
	"nominate":             "推荐",
	"cancel":               "取消项目",
	"act on an enrollment": "办理报名",
}

// CancelReason is the reason given when the project was cancelled.
func (p *Project) CancelReason() string { return p.cancelReason }

// SeatHolders are the enrollments holding a seat, in no particular order:
// every enrollment still in the pipeline (a cancellation withdraws them).
func (p *Project) SeatHolders() []uuid.UUID {
	out := make([]uuid.UUID, 0, len(p.seats))
	for id := range p.seats {
		out = append(out, id)
	}
	return out
}

// ChangeDetails revises the descriptive fields before the project starts.
func (p *Project) ChangeDetails(actor access.Actor, d Details, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	validateDetails(v, d)
	if err := v.Err(); err != nil {
		return err
	}
	d = normalizeDetails(d)
	if sameDetails(d, p.details) {
		return nil
	}
	p.Record(p, &DetailsChanged{Details: d, At: at})
	return nil
}

// AddInstitution adds an institution while the project is not over.
func (p *Project) AddInstitution(actor access.Actor, inst Institution, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating, StatusInProgress); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	validateInstitution(v, inst)
	if err := v.Err(); err != nil {
		return err
	}
	if _, ok := p.Institution(inst.ID); ok {
		return fmt.Errorf("%w: institution %s", domain.ErrDuplicate, inst.ID)
	}
	inst.Name = strings.TrimSpace(inst.Name)
	p.Record(p, &InstitutionAdded{Institution: inst, At: at})
	return nil
}

// AddClass adds a class of one of the project's institutions.
func (p *Project) AddClass(actor access.Actor, c Class, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating, StatusInProgress); err != nil {
		return err
	}
	c.Name = strings.TrimSpace(c.Name)
	if c.ID == uuid.Nil || c.Name == "" {
		return domain.Invalid("class", "班级标识和名称不能为空")
	}
	if _, ok := p.Institution(c.InstitutionID); !ok {
		return fmt.Errorf("%w: %w", ErrUnknownInstitut, domain.Invalid("institution_id", "该承培机构不属于本项目"))
	}
	if _, ok := p.Class(c.ID); ok {
		return fmt.Errorf("%w: class %s", domain.ErrDuplicate, c.ID)
	}
	for _, x := range p.classes {
		if x.InstitutionID == c.InstitutionID && x.Name == c.Name {
			return fmt.Errorf("%w: class name %q", domain.ErrDuplicate, c.Name)
		}
	}
	p.Record(p, &ClassAdded{Class: c, At: at})
	return nil
}

// SetQuota sets the seats of a city (4-digit) or county (6-digit) inside the
// owner's jurisdiction. It refuses to go below the seats already reserved:
// cutting a quota under existing nominations would silently invalidate them;
// reject nominations first.
func (p *Project) SetQuota(actor access.Actor, region string, count int, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating); err != nil {
		return err
	}
	if (len(region) != 4 && len(region) != 6) || !strings.HasPrefix(region, p.owner) || !digits(region) {
		return domain.Invalid("region", "名额须分配到本项目范围内的市或区县")
	}
	if count < 0 {
		return domain.Invalid("count", "名额不能为负数")
	}
	if count > 0 && count < p.Reserved(region) {
		return domain.Invalid("count", fmt.Sprintf("名额不能少于已推荐人数%d", p.Reserved(region)))
	}
	if p.quotas[region] == count {
		return nil
	}
	p.Record(p, &QuotaSet{Region: region, Count: count, At: at})
	return nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// SetPolicy replaces the grading policy before the project starts, so every
// trainee of a project is graded by one rule.
func (p *Project) SetPolicy(actor access.Actor, policy Policy, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating); err != nil {
		return err
	}
	if err := policy.Validate(); err != nil {
		return err
	}
	if samePolicy(policy, p.policy) {
		return nil
	}
	p.Record(p, &PolicySet{Policy: policy, At: at})
	return nil
}

// sameDetails compares with time.Equal: a replayed time may carry another
// *Location than a fresh one for the same instant.
func sameDetails(a, b Details) bool {
	at, bt := a, b
	at.Start, at.End, bt.Start, bt.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return at == bt && a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

func samePolicy(a, b Policy) bool {
	eq := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return a.OfflineWeight == b.OfflineWeight && a.OnlineWeight == b.OnlineWeight &&
		a.PassMark == b.PassMark && eq(a.OfflineMin, b.OfflineMin) && eq(a.OnlineMin, b.OnlineMin)
}

// OpenNomination lets counties nominate. A project without an institution
// could not place anyone, so it cannot open.
func (p *Project) OpenNomination(actor access.Actor, at time.Time) error {
	if err := p.manage(actor, StatusDraft); err != nil {
		return err
	}
	if len(p.institutions) == 0 {
		return domain.Invalid("institutions", "项目至少需要一个承培机构")
	}
	p.Record(p, &NominationOpened{At: at})
	return nil
}

// Start closes nomination: the training is under way.
func (p *Project) Start(actor access.Actor, at time.Time) error {
	if err := p.manage(actor, StatusNominating); err != nil {
		return err
	}
	p.Record(p, &Started{At: at})
	return nil
}

// Finish ends the project.
func (p *Project) Finish(actor access.Actor, at time.Time) error {
	if err := p.manage(actor, StatusInProgress); err != nil {
		return err
	}
	p.Record(p, &Finished{At: at})
	return nil
}

// Cancel stops a project that has not finished; the reason is shown to
// everyone nominated.
func (p *Project) Cancel(actor access.Actor, reason string, at time.Time) error {
	if err := p.manage(actor, StatusDraft, StatusNominating, StatusInProgress); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return domain.Invalid("reason", "取消项目须填写原因")
	}
	p.Record(p, &Cancelled{Reason: reason, At: at})
	return nil
}

// Reserved counts the seats held in region (a city counts its counties).
func (p *Project) Reserved(region string) int {
	n := 0
	for county, c := range p.reserved {
		if strings.HasPrefix(county, region) {
			n += c
		}
	}
	return n
}

// HoldsSeat reports whether enrollmentID holds a seat.
func (p *Project) HoldsSeat(enrollmentID uuid.UUID) bool { _, ok := p.seats[enrollmentID]; return ok }

// CheckQuota is the quota rule on its own, for callers that count elsewhere:
// with no quotas at all the project is unlimited; otherwise the county needs
// a quota of its own or of its city, and every quota covering it must have a
// free seat (a city quota caps the sum of its counties). reserved returns the
// seats already held in a region.
func CheckQuota(quotas map[string]int, county string, reserved func(region string) int) error {
	if len(quotas) == 0 {
		return nil
	}
	covered := false
	for _, region := range []string{county, prefix(county, 4)} {
		q, ok := quotas[region]
		if !ok {
			continue
		}
		covered = true
		if used := reserved(region); used >= q {
			return fmt.Errorf("%w: %s has %d of %d", ErrQuotaExhausted, region, used, q)
		}
	}
	if !covered {
		return fmt.Errorf("%w: %s", ErrNoQuota, county)
	}
	return nil
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// ReserveSeat holds a seat for an enrollment of a teacher in county. Append
// the resulting SeatReserved with the project's expected revision in the
// same command as the nomination: a concurrent nomination then conflicts,
// reloads and sees the seat taken. Reserving again for the same enrollment
// is a no-op, so a command retried after a crash between the two appends
// does not take a second seat (enrollment ids are deterministic).
func (p *Project) ReserveSeat(county string, enrollmentID uuid.UUID, at time.Time) error {
	if !p.Exists() {
		return domain.ErrNotFound
	}
	if p.status == StatusCancelled {
		return p.StatusRefusal("nominate")
	}
	if p.status != StatusNominating {
		return ErrNotNominating
	}
	if len(county) != 6 || !strings.HasPrefix(county, p.owner) || !digits(county) {
		return domain.Invalid("county", "教师所在区县不在本项目范围内")
	}
	if held, ok := p.seats[enrollmentID]; ok {
		if held != county {
			return domain.Refusal("enrollment holds a seat in "+held, "该推荐已占用区县"+held+"的名额")
		}
		return nil
	}
	if err := CheckQuota(p.quotas, county, p.Reserved); err != nil {
		return err
	}
	p.Record(p, &SeatReserved{EnrollmentID: enrollmentID, County: county, At: at})
	return nil
}

// ReleaseSeat gives the seat of an enrollment back (rejection, withdrawal).
// Releasing a seat not held is a no-op so compensations can be retried.
func (p *Project) ReleaseSeat(enrollmentID uuid.UUID, reason string, at time.Time) error {
	if !p.Exists() {
		return domain.ErrNotFound
	}
	county, ok := p.seats[enrollmentID]
	if !ok {
		return nil
	}
	p.Record(p, &SeatReleased{EnrollmentID: enrollmentID, County: county, Reason: reason, At: at})
	return nil
}
