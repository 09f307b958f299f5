package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/project"
)

// EnrollmentQueries reads the pipeline read models. Every list takes the
// actor and applies its reach in SQL: a teacher sees their own enrollments,
// an institution only the trainees assigned to it, an administrator or
// auditor those of teachers in their jurisdiction or of projects their
// jurisdiction owns.
type EnrollmentQueries struct {
	pool *pgxpool.Pool
}

// NewEnrollmentQueries panics on a nil pool: a wiring mistake.
func NewEnrollmentQueries(pool *pgxpool.Pool) *EnrollmentQueries {
	if pool == nil {
		panic("projections: NewEnrollmentQueries needs a pool")
	}
	return &EnrollmentQueries{pool: pool}
}

// scope returns the SQL condition on enrollments e limiting rows to the
// actor's reach, with its argument appended to args.
func scope(a access.Actor, args []any) (string, []any) {
	n := strconv.Itoa(len(args) + 1)
	switch {
	case a.Role == access.RoleSystem:
		return "true", args
	case a.Role == access.RoleTeacher && a.TeacherID != uuid.Nil:
		return "e.teacher_id = $" + n, append(args, a.TeacherID)
	case a.Role == access.RoleInstitution && a.InstitutionID != uuid.Nil:
		return "e.institution_id = $" + n, append(args, a.InstitutionID)
	case (a.Role.IsAdmin() || a.Role == access.RoleAuditor) && a.Jurisdiction != "":
		// LIKE on a "C"-collated column with a constant prefix can use the
		// (project, county) and (stage, county) indexes; starts_with cannot.
		return "(e.county LIKE $" + n + " || '%' OR e.owner LIKE $" + n + " || '%')", append(args, likeEscape(a.Jurisdiction))
	}
	return "false", args
}

// ProjectView is a project as lists and the detail page show it.
type ProjectView struct {
	ID            uuid.UUID             `json:"id"`
	Revision      int64                 `json:"revision"`
	Name          string                `json:"name"`
	Year          int                   `json:"year"`
	Kind          string                `json:"kind"`
	KindLabel     string                `json:"kind_label"`
	Category      int                   `json:"category"`
	CategoryLabel string                `json:"category_label"`
	Mode          int                   `json:"mode"`
	Owner         string                `json:"owner"`
	Status        string                `json:"status"`
	Start         string                `json:"start"`
	End           string                `json:"end"`
	Hours         int                   `json:"hours"`
	Credits       float64               `json:"credits"`
	RemoteURL     string                `json:"remote_url,omitempty"`
	Policy        project.Policy        `json:"policy"`
	Institutions  []project.Institution `json:"institutions"`
	Classes       []project.Class       `json:"classes"`
	Quotas        map[string]int        `json:"quotas"`
	CancelReason  string                `json:"cancel_reason,omitempty"`
}

const projectCols = `p.project_id, p.revision, p.name, p.year, p.kind, p.category, p.mode, p.owner, p.status,
	p.start_date, p.end_date, p.hours, p.credits, p.remote_url, p.policy, p.institutions, p.classes, p.quotas, p.cancel_reason`

func scanProject(row pgx.Row) (ProjectView, error) {
	var v ProjectView
	var start, end time.Time
	var pol, insts, classes, quotas []byte
	if err := row.Scan(&v.ID, &v.Revision, &v.Name, &v.Year, &v.Kind, &v.Category, &v.Mode, &v.Owner, &v.Status,
		&start, &end, &v.Hours, &v.Credits, &v.RemoteURL, &pol, &insts, &classes, &quotas, &v.CancelReason); err != nil {
		return v, err
	}
	v.Start, v.End = start.Format(time.DateOnly), end.Format(time.DateOnly)
	v.KindLabel = project.Kind(v.Kind).Label()
	v.CategoryLabel = project.Category(v.Category).Label()
	for _, x := range []struct {
		raw []byte
		dst any
	}{{pol, &v.Policy}, {insts, &v.Institutions}, {classes, &v.Classes}, {quotas, &v.Quotas}} {
		if err := json.Unmarshal(x.raw, x.dst); err != nil {
			return v, fmt.Errorf("project %s: %w", v.ID, err)
		}
	}
	return v, nil
}

// projectScope: administrators see projects their jurisdiction owns, those
// owned above them (a county nominates to province projects) and those
// owned below; institutions the projects they take part in.
func projectScope(a access.Actor, args []any) (string, []any) {
	n := strconv.Itoa(len(args) + 1)
	switch {
	case a.Role == access.RoleSystem:
		return "true", args
	case a.Role == access.RoleInstitution && a.InstitutionID != uuid.Nil:
		return "p.institutions @> jsonb_build_array(jsonb_build_object('id', $" + n + "::text))", append(args, a.InstitutionID.String())
	case (a.Role.IsAdmin() || a.Role == access.RoleAuditor) && a.Jurisdiction != "":
		return "(starts_with(p.owner, $" + n + ") OR starts_with($" + n + ", p.owner))", append(args, a.Jurisdiction)
	}
	return "false", args
}

// ProjectFilter narrows the project list.
type ProjectFilter struct {
	Status string
	Year   int
	Name   string
	Limit  int
	Offset int
}

// Projects lists the projects the actor may see, newest year first.
func (q *EnrollmentQueries) Projects(ctx context.Context, a access.Actor, f ProjectFilter) ([]ProjectView, error) {
	cond, args := projectScope(a, nil)
	if f.Status != "" {
		args = append(args, f.Status)
		cond += " AND p.status = $" + strconv.Itoa(len(args))
	}
	if f.Year != 0 {
		args = append(args, f.Year)
		cond += " AND p.year = $" + strconv.Itoa(len(args))
	}
	if f.Name != "" {
		args = append(args, "%"+likeEscape(f.Name)+"%")
		cond += " AND p.name ILIKE $" + strconv.Itoa(len(args))
	}
	args = append(args, limit(f.Limit), max(f.Offset, 0))
	rows, err := q.pool.Query(ctx, `SELECT `+projectCols+` FROM projects p WHERE `+cond+
		` ORDER BY p.year DESC, p.start_date DESC, p.project_id LIMIT $`+strconv.Itoa(len(args)-1)+` OFFSET $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	defer rows.Close()
	out := []ProjectView{}
	for rows.Next() {
		v, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Project returns one project the actor may see.
func (q *EnrollmentQueries) Project(ctx context.Context, a access.Actor, id uuid.UUID) (ProjectView, error) {
	cond, args := projectScope(a, []any{id})
	v, err := scanProject(q.pool.QueryRow(ctx, `SELECT `+projectCols+` FROM projects p WHERE p.project_id = $1 AND `+cond, args...))
	if err == pgx.ErrNoRows {
		return v, fmt.Errorf("project %s: %w", id, domain.ErrNotFound)
	}
	return v, err
}

func limit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// EnrollmentView is one enrollment with its project and teacher as lists
// show it. Scores are nil until posted.
type EnrollmentView struct {
	ID               uuid.UUID         `json:"id"`
	Revision         int64             `json:"revision"`
	ProjectID        uuid.UUID         `json:"project_id"`
	ProjectName      string            `json:"project_name"`
	Year             int               `json:"year"`
	Kind             string            `json:"kind"`
	KindLabel        string            `json:"kind_label"`
	Start            string            `json:"start"`
	End              string            `json:"end"`
	Hours            int               `json:"hours"`
	ProjectStatus    string            `json:"project_status"`
	CancelReason     string            `json:"project_cancel_reason,omitempty"`
	TeacherID        uuid.UUID         `json:"teacher_id"`
	TeacherName      string            `json:"teacher_name"`
	IDNumber         string            `json:"id_number"` // masked
	Unit             string            `json:"unit"`
	County           string            `json:"county"`
	Stage            string            `json:"stage"`
	StageLabel       string            `json:"stage_label"`
	Status           string            `json:"status"`
	Reason           string            `json:"reason,omitempty"`
	Attempt          int               `json:"attempt"`
	InstitutionID    *uuid.UUID        `json:"institution_id,omitempty"`
	Institution      string            `json:"institution,omitempty"`
	ClassID          *uuid.UUID        `json:"class_id,omitempty"`
	ClassName        string            `json:"class_name,omitempty"`
	OnlinePercent    float64           `json:"online_percent"`
	SessionsAttended int               `json:"sessions_attended"`
	SessionsTotal    int               `json:"sessions_total"`
	Offline          *float64          `json:"offline_score,omitempty"`
	Online           *float64          `json:"online_score,omitempty"`
	Total            *float64          `json:"total_score,omitempty"`
	Passed           *bool             `json:"passed,omitempty"`
	HoursGranted     int               `json:"hours_granted"`
	CreditsGranted   float64           `json:"credits_granted"`
	CertNumber       *string           `json:"certificate_number,omitempty"`
	Steps            []enrollment.Step `json:"steps"`
	NominatedAt      time.Time         `json:"nominated_at"`
	// Actions the personal space offers on this row.
	CanEnterRemote bool `json:"can_enter_remote_learning"`
	CanPrintCert   bool `json:"can_print_certificate"`
}

const enrollmentCols = `e.enrollment_id, e.revision, e.project_id, p.name, p.year, p.kind, p.start_date, p.end_date, p.hours, p.status, p.cancel_reason,
	e.teacher_id, coalesce(t.name, ''), coalesce(t.id_masked, ''), coalesce(t.unit_name, ''), e.county,
	e.stage, e.status, e.reason, e.attempt, e.institution_id, e.institution_name, e.class_id, e.class_name,
	e.online_percent, e.sessions_attended, e.sessions_total, e.offline_score, e.online_score, e.total_score, e.passed,
	e.hours_granted, e.credits_granted, e.cert_number, e.steps, e.nominated_at`

const enrollmentFrom = ` FROM enrollments e JOIN projects p ON p.project_id = e.project_id
	LEFT JOIN enrollment_teachers t ON t.teacher_id = e.teacher_id`

func scanEnrollment(row pgx.Row) (EnrollmentView, error) {
	var v EnrollmentView
	var start, end time.Time
	var steps []byte
	if err := row.Scan(&v.ID, &v.Revision, &v.ProjectID, &v.ProjectName, &v.Year, &v.Kind, &start, &end, &v.Hours, &v.ProjectStatus, &v.CancelReason,
		&v.TeacherID, &v.TeacherName, &v.IDNumber, &v.Unit, &v.County,
		&v.Stage, &v.Status, &v.Reason, &v.Attempt, &v.InstitutionID, &v.Institution, &v.ClassID, &v.ClassName,
		&v.OnlinePercent, &v.SessionsAttended, &v.SessionsTotal, &v.Offline, &v.Online, &v.Total, &v.Passed,
		&v.HoursGranted, &v.CreditsGranted, &v.CertNumber, &steps, &v.NominatedAt); err != nil {
		return v, err
	}
	v.Start, v.End = start.Format(time.DateOnly), end.Format(time.DateOnly)
	v.KindLabel = project.Kind(v.Kind).Label()
	v.StageLabel = enrollment.Stage(v.Stage).Label()
	if err := json.Unmarshal(steps, &v.Steps); err != nil {
		return v, fmt.Errorf("enrollment %s steps: %w", v.ID, err)
	}
	v.CanEnterRemote = v.Stage == string(enrollment.StageReported)
	v.CanPrintCert = v.CertNumber != nil
	return v, nil
}

func (q *EnrollmentQueries) enrollments(ctx context.Context, cond string, args []any, order string) ([]EnrollmentView, error) {
	rows, err := q.pool.Query(ctx, `SELECT `+enrollmentCols+enrollmentFrom+` WHERE `+cond+` ORDER BY `+order+` LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("enrollments: %w", err)
	}
	defer rows.Close()
	out := []EnrollmentView{}
	for rows.Next() {
		v, err := scanEnrollment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Enrollment returns one enrollment the actor may see.
func (q *EnrollmentQueries) Enrollment(ctx context.Context, a access.Actor, id uuid.UUID) (EnrollmentView, error) {
	cond, args := scope(a, []any{id})
	v, err := scanEnrollment(q.pool.QueryRow(ctx, `SELECT `+enrollmentCols+enrollmentFrom+` WHERE e.enrollment_id = $1 AND `+cond, args...))
	if err == pgx.ErrNoRows {
		return v, fmt.Errorf("enrollment %s: %w", id, domain.ErrNotFound)
	}
	return v, err
}

// TrainingFilter is the personal space's search: list, project name and a
// time window the training overlaps.
type TrainingFilter struct {
	Status   enrollment.Status
	Name     string
	From, To time.Time
}

// Trainings are a teacher's enrollments in one of the personal space's
// three lists.
func (q *EnrollmentQueries) Trainings(ctx context.Context, teacherID uuid.UUID, f TrainingFilter) ([]EnrollmentView, error) {
	args := []any{teacherID}
	cond := "e.teacher_id = $1"
	if f.Status != "" {
		args = append(args, string(f.Status))
		cond += " AND e.status = $" + strconv.Itoa(len(args))
	}
	if f.Name != "" {
		args = append(args, "%"+likeEscape(f.Name)+"%")
		cond += " AND p.name ILIKE $" + strconv.Itoa(len(args))
	}
	if !f.From.IsZero() {
		args = append(args, f.From)
		cond += " AND p.end_date >= $" + strconv.Itoa(len(args))
	}
	if !f.To.IsZero() {
		args = append(args, f.To)
		cond += " AND p.start_date <= $" + strconv.Itoa(len(args))
	}
	return q.enrollments(ctx, cond, args, "p.start_date DESC, e.enrollment_id")
}

// Queue is the actor's approval work: for a city admin the nominations of
// its counties awaiting city review; for an owner's administrator those
// awaiting the owner's decision; for a county admin its nominations still
// under review (to follow them up or withdraw).
func (q *EnrollmentQueries) Queue(ctx context.Context, a access.Actor, projectID uuid.UUID) ([]EnrollmentView, error) {
	if !a.Role.IsAdmin() || a.Jurisdiction == "" {
		return nil, fmt.Errorf("%w: approval queues are for administrators", access.ErrForbidden)
	}
	args := []any{a.Jurisdiction}
	var parts []string
	switch a.Role {
	case access.RoleCountyAdmin:
		parts = append(parts, "(e.county LIKE $1 || '%' AND e.stage IN ('nominated', 'city_approved'))")
	case access.RoleCityAdmin:
		parts = append(parts, "(e.county LIKE $1 || '%' AND e.stage = 'nominated' AND e.city_review)")
	}
	// Any admin may own projects (a city or county project has no city
	// review): the owner's queue. Only the owner's own level: a superior
	// may step in through the domain, but the work is the owner's.
	parts = append(parts, "(e.owner = $1 AND (e.stage = 'city_approved' OR (e.stage = 'nominated' AND NOT e.city_review)))")
	cond := "(" + strings.Join(parts, " OR ") + ")"
	if projectID != uuid.Nil {
		args = append(args, projectID)
		cond += " AND e.project_id = $2"
	}
	return q.enrollments(ctx, cond, args, "e.nominated_at, e.enrollment_id")
}

// Roster lists the trainees of a project (optionally one class) within the
// actor's reach: an institution sees only its own classes.
func (q *EnrollmentQueries) Roster(ctx context.Context, a access.Actor, projectID, classID uuid.UUID, stage string) ([]EnrollmentView, error) {
	cond, args := scope(a, []any{projectID})
	cond = "e.project_id = $1 AND " + cond
	if classID != uuid.Nil {
		args = append(args, classID)
		cond += " AND e.class_id = $" + strconv.Itoa(len(args))
	}
	if stage != "" {
		args = append(args, stage)
		cond += " AND e.stage = $" + strconv.Itoa(len(args))
	}
	return q.enrollments(ctx, cond, args, "e.class_name, t.name, e.enrollment_id")
}

// CountyStats are one county's numbers in one project.
type CountyStats struct {
	County    string `json:"county"`
	Nominated int    `json:"nominated"` // every teacher ever nominated
	Approved  int    `json:"approved"`  // approved in their current attempt
	Rejected  int    `json:"rejected"`
	Withdrawn int    `json:"withdrawn"`
	Graded    int    `json:"graded"`
	Passed    int    `json:"passed"`
}

// Statistics counts a project's pipeline per county within the actor's reach.
func (q *EnrollmentQueries) Statistics(ctx context.Context, a access.Actor, projectID uuid.UUID) ([]CountyStats, error) {
	cond, args := scope(a, []any{projectID})
	rows, err := q.pool.Query(ctx, `
		SELECT e.county, count(*),
			count(*) FILTER (WHERE e.approved),
			count(*) FILTER (WHERE e.stage IN ('city_rejected', 'province_rejected')),
			count(*) FILTER (WHERE e.stage = 'withdrawn'),
			count(*) FILTER (WHERE e.stage = 'graded'),
			count(*) FILTER (WHERE e.passed)
		FROM enrollments e WHERE e.project_id = $1 AND `+cond+`
		GROUP BY e.county ORDER BY e.county`, args...)
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	defer rows.Close()
	out := []CountyStats{}
	for rows.Next() {
		var s CountyStats
		if err := rows.Scan(&s.County, &s.Nominated, &s.Approved, &s.Rejected, &s.Withdrawn, &s.Graded, &s.Passed); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CertificateHolder is what the public verification needs: the enrollment
// holding a certificate number and its code.
type CertificateHolder struct {
	EnrollmentID uuid.UUID
	Code         string
}

// CertificateByNumber finds the enrollment holding a valid certificate.
func (q *EnrollmentQueries) CertificateByNumber(ctx context.Context, number string) (CertificateHolder, error) {
	var h CertificateHolder
	err := q.pool.QueryRow(ctx, `SELECT enrollment_id, cert_code FROM enrollments WHERE cert_number = $1`, number).Scan(&h.EnrollmentID, &h.Code)
	if err == pgx.ErrNoRows {
		return h, fmt.Errorf("certificate: %w", domain.ErrNotFound)
	}
	return h, err
}

// RevokedCertificateByNumber finds the enrollment whose certificate with
// this number was revoked (the stream has the date and the reason).
func (q *EnrollmentQueries) RevokedCertificateByNumber(ctx context.Context, number string) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.pool.QueryRow(ctx, `SELECT enrollment_id FROM certificate_revocations WHERE cert_number = $1`, number).Scan(&id)
	if err == pgx.ErrNoRows {
		return id, fmt.Errorf("revoked certificate: %w", domain.ErrNotFound)
	}
	return id, err
}

// InstitutionView is one registered institution.
type InstitutionView struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Code    string    `json:"code"`
	Contact string    `json:"contact"`
}

// Institutions lists the register by name.
func (q *EnrollmentQueries) Institutions(ctx context.Context) ([]InstitutionView, error) {
	rows, err := q.pool.Query(ctx, `SELECT institution_id, name, code, contact FROM institutions ORDER BY name, institution_id`)
	if err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	defer rows.Close()
	out := []InstitutionView{}
	for rows.Next() {
		var v InstitutionView
		if err := rows.Scan(&v.ID, &v.Name, &v.Code, &v.Contact); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
