package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
)

// CreditQueries read the credit, appraisal, registration and studio read
// models. Authorization is the caller's: every query takes the teacher or
// the jurisdiction the caller was allowed.
type CreditQueries struct {
	pool *pgxpool.Pool
}

// NewCreditQueries panics on a nil pool: a wiring mistake.
func NewCreditQueries(pool *pgxpool.Pool) *CreditQueries {
	if pool == nil {
		panic("projections: NewCreditQueries needs a pool")
	}
	return &CreditQueries{pool: pool}
}

// CreditEntry is one ledger entry as the history shows it.
type CreditEntry struct {
	EntryID       uuid.UUID       `json:"entry_id"`
	Key           string          `json:"key"`
	Year          int             `json:"year"`
	CompletedOn   string          `json:"completed_on"`
	Level         string          `json:"level"`
	LevelLabel    string          `json:"level_label"`
	Category      string          `json:"category"`
	CategoryLabel string          `json:"category_label"`
	Hours         credit.Quantity `json:"hours"`
	Credits       credit.Quantity `json:"credits"`
	Title         string          `json:"title"`
	SourceKind    string          `json:"source_kind"`
	SourceLabel   string          `json:"source_label"`
	Imported      bool            `json:"imported"`
	SourceSystem  string          `json:"source_system,omitempty"`
	ExternalID    string          `json:"external_id,omitempty"`
	SourceID      *uuid.UUID      `json:"source_id,omitempty"`
	CauseEventID  *uuid.UUID      `json:"cause_event_id,omitempty"`
	GrantedAt     time.Time       `json:"granted_at"`
	GrantedBy     string          `json:"granted_by,omitempty"`
	Revoked       bool            `json:"revoked"`
	RevokeReason  string          `json:"revoke_reason,omitempty"`
	RevokedAt     *time.Time      `json:"revoked_at,omitempty"`
	// RevokedBy and RevokedByRole name who revoked the entry.
	RevokedBy      string `json:"revoked_by,omitempty"`
	RevokedByRole  string `json:"revoked_by_role,omitempty"`
	RevokedByLabel string `json:"revoked_by_role_label,omitempty"`
	// Held: a suspected duplicate of DuplicateOf awaiting the county's
	// decision; Duplicate: confirmed as one. Neither counts.
	Held            bool       `json:"held,omitempty"`
	Duplicate       bool       `json:"duplicate,omitempty"`
	DuplicateOf     *uuid.UUID `json:"duplicate_of,omitempty"`
	DuplicateReason string     `json:"duplicate_reason,omitempty"`
}

// YearTotal sums the live entries of one training year.
type YearTotal struct {
	Year    int             `json:"year"`
	Hours   credit.Quantity `json:"hours"`
	Credits credit.Quantity `json:"credits"`
	Entries int             `json:"entries"`
}

// CycleTotal sums the live entries completed inside a registration cycle.
type CycleTotal struct {
	Start   string          `json:"start"`
	End     string          `json:"end"`
	Hours   credit.Quantity `json:"hours"`
	Credits credit.Quantity `json:"credits"`
}

// CreditHistory is a teacher's credit history since a year.
type CreditHistory struct {
	TeacherID uuid.UUID     `json:"teacher_id"`
	Since     int           `json:"since"`
	Entries   []CreditEntry `json:"entries"`
	Years     []YearTotal   `json:"years"`
	Cycles    []CycleTotal  `json:"cycles"`
	Total     YearTotal     `json:"total"`
}

// CreditHistory returns the entries of training years >= since (revoked
// ones included, marked), totals per year and per given cycle.
func (q *CreditQueries) CreditHistory(ctx context.Context, teacherID uuid.UUID, since int, cycles []registration.Cycle) (CreditHistory, error) {
	return q.CreditHistoryBefore(ctx, teacherID, since, cycles, time.Time{})
}

// CreditHistoryBefore is CreditHistory limited to the entries granted
// before before (zero: all): what a county the teacher left still reads.
func (q *CreditQueries) CreditHistoryBefore(ctx context.Context, teacherID uuid.UUID, since int, cycles []registration.Cycle, before time.Time) (CreditHistory, error) {
	out := CreditHistory{TeacherID: teacherID, Since: since, Entries: []CreditEntry{}, Years: []YearTotal{}, Cycles: []CycleTotal{}}
	var cut *time.Time
	if !before.IsZero() {
		cut = &before
	}
	rows, err := q.pool.Query(ctx, `SELECT entry_id, key, year, completed_on, level, category, hours, credits, title,
			source_kind, source_system, external_id, source_id, cause_event_id, granted_at, granted_by, revoked, revoke_reason, revoked_at,
			held, duplicate, duplicate_of, duplicate_reason, revoked_by, revoked_by_role
		FROM credit_entries WHERE teacher_id = $1 AND year >= $2 AND ($3::timestamptz IS NULL OR granted_at < $3)
		ORDER BY completed_on, granted_at, entry_id`, teacherID, since, cut)
	if err != nil {
		return out, fmt.Errorf("credit history: %w", err)
	}
	defer rows.Close()
	years := map[int]*YearTotal{}
	var order []int
	for rows.Next() {
		var e CreditEntry
		var completed time.Time
		if err := rows.Scan(&e.EntryID, &e.Key, &e.Year, &completed, &e.Level, &e.Category, &e.Hours, &e.Credits, &e.Title,
			&e.SourceKind, &e.SourceSystem, &e.ExternalID, &e.SourceID, &e.CauseEventID, &e.GrantedAt, &e.GrantedBy,
			&e.Revoked, &e.RevokeReason, &e.RevokedAt, &e.Held, &e.Duplicate, &e.DuplicateOf, &e.DuplicateReason,
			&e.RevokedBy, &e.RevokedByRole); err != nil {
			return out, fmt.Errorf("credit history: %w", err)
		}
		if e.RevokedByRole != "" {
			e.RevokedByLabel = access.Role(e.RevokedByRole).Label()
		}
		if cut != nil && e.Revoked && e.RevokedAt != nil && !e.RevokedAt.Before(*cut) {
			// As it stood then: the revocation came later.
			e.Revoked, e.RevokeReason, e.RevokedAt = false, "", nil
			e.RevokedBy, e.RevokedByRole, e.RevokedByLabel = "", "", ""
		}
		e.CompletedOn = completed.Format(time.DateOnly)
		e.LevelLabel = credit.Level(e.Level).Label()
		e.CategoryLabel = credit.Category(e.Category).Label()
		e.SourceLabel = credit.SourceKind(e.SourceKind).Label()
		e.Imported = e.SourceKind == string(credit.SourceImport)
		e.GrantedAt = e.GrantedAt.UTC()
		out.Entries = append(out.Entries, e)
		if e.Revoked || e.Held || e.Duplicate {
			continue
		}
		y, ok := years[e.Year]
		if !ok {
			y = &YearTotal{Year: e.Year}
			years[e.Year] = y
			order = append(order, e.Year)
		}
		y.Hours = y.Hours.Add(e.Hours)
		y.Credits = y.Credits.Add(e.Credits)
		y.Entries++
		out.Total.Hours = out.Total.Hours.Add(e.Hours)
		out.Total.Credits = out.Total.Credits.Add(e.Credits)
		out.Total.Entries++
		for i, c := range cycles {
			if !completed.Before(c.Start) && completed.Before(c.End) {
				if len(out.Cycles) == 0 {
					for _, c := range cycles {
						out.Cycles = append(out.Cycles, CycleTotal{Start: c.Start.Format(time.DateOnly), End: c.End.Format(time.DateOnly)})
					}
				}
				out.Cycles[i].Hours = out.Cycles[i].Hours.Add(e.Hours)
				out.Cycles[i].Credits = out.Cycles[i].Credits.Add(e.Credits)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("credit history: %w", err)
	}
	if len(out.Cycles) == 0 {
		for _, c := range cycles {
			out.Cycles = append(out.Cycles, CycleTotal{Start: c.Start.Format(time.DateOnly), End: c.End.Format(time.DateOnly)})
		}
	}
	// Every year from since to this year (or the last year recorded, if
	// later) is listed, a year without records as 0: a gap is visible.
	last := time.Now().In(ident.ChinaTime).Year()
	for _, y := range order {
		last = max(last, y)
	}
	for y := max(since, credit.FirstYear); y <= last; y++ {
		if _, ok := years[y]; !ok {
			years[y] = &YearTotal{Year: y}
			order = append(order, y)
		}
	}
	slices.Sort(order)
	for _, y := range order {
		out.Years = append(out.Years, *years[y])
	}
	return out, nil
}

// BankRequest is a credit bank request as lists show it.
type BankRequest struct {
	RequestID         uuid.UUID        `json:"request_id"`
	Revision          int64            `json:"revision"`
	TeacherID         uuid.UUID        `json:"teacher_id"`
	TeacherName       string           `json:"teacher_name"`
	County            string           `json:"county"`
	Kind              string           `json:"kind"`
	KindLabel         string           `json:"kind_label"`
	Title             string           `json:"title"`
	Organiser         string           `json:"organiser"`
	Level             string           `json:"level"`
	StartOn           string           `json:"start_on"`
	EndOn             string           `json:"end_on"`
	ClaimedHours      credit.Quantity  `json:"claimed_hours"`
	Evidence          []file.FileRef   `json:"evidence"`
	Status            string           `json:"status"`
	StatusLabel       string           `json:"status_label"`
	SubmittedAt       time.Time        `json:"submitted_at"`
	DecidedAt         *time.Time       `json:"decided_at,omitempty"`
	RecognisedHours   *credit.Quantity `json:"recognised_hours,omitempty"`
	RecognisedCredits *credit.Quantity `json:"recognised_credits,omitempty"`
	Reason            string           `json:"reason,omitempty"`
}

// BankFilter selects requests: those of one teacher, or a jurisdiction's.
type BankFilter struct {
	TeacherID    uuid.UUID
	Jurisdiction string
	Status       string
	Limit        int
	Offset       int
}

// BankRequests lists requests, oldest first (a queue is worked in order).
func (q *CreditQueries) BankRequests(ctx context.Context, f BankFilter) ([]BankRequest, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return nil, err
	}
	where, args := "r.county >= $1 AND r.county < $2", []any{lo, hi}
	if f.TeacherID != uuid.Nil {
		args = append(args, f.TeacherID)
		where += fmt.Sprintf(" AND r.teacher_id = $%d", len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where += fmt.Sprintf(" AND r.status = $%d", len(args))
	}
	args = append(args, limit, offset)
	rows, err := q.pool.Query(ctx, `SELECT r.request_id, r.revision, r.teacher_id, COALESCE(t.name, ''), r.county, r.kind, r.title,
			r.organiser, r.level, r.start_on, r.end_on, r.claimed_hours, r.evidence, r.status, r.submitted_at, r.decided_at,
			r.recognised_hours, r.recognised_credits, r.reason
		FROM credit_bank_requests r LEFT JOIN credit_teachers t USING (teacher_id)
		WHERE `+where+fmt.Sprintf(` ORDER BY r.submitted_at, r.request_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("credit bank: %w", err)
	}
	defer rows.Close()
	out := []BankRequest{}
	for rows.Next() {
		var b BankRequest
		var start, end time.Time
		var ev []byte
		if err := rows.Scan(&b.RequestID, &b.Revision, &b.TeacherID, &b.TeacherName, &b.County, &b.Kind, &b.Title, &b.Organiser,
			&b.Level, &start, &end, &b.ClaimedHours, &ev, &b.Status, &b.SubmittedAt, &b.DecidedAt, &b.RecognisedHours,
			&b.RecognisedCredits, &b.Reason); err != nil {
			return nil, fmt.Errorf("credit bank: %w", err)
		}
		if err := json.Unmarshal(ev, &b.Evidence); err != nil {
			return nil, fmt.Errorf("credit bank evidence: %w", err)
		}
		b.StartOn, b.EndOn = start.Format(time.DateOnly), end.Format(time.DateOnly)
		b.KindLabel = credit.BankKind(b.Kind).Label()
		b.StatusLabel = credit.BankStatus(b.Status).Label()
		out = append(out, b)
	}
	return out, rows.Err()
}

// AppraisalYear is one teacher's ethics and annual appraisal of one year.
type AppraisalYear struct {
	TeacherID       uuid.UUID `json:"teacher_id"`
	Name            string    `json:"name,omitempty"`
	IDNumber        string    `json:"id_number,omitempty"`
	County          string    `json:"county,omitempty"`
	Unit            string    `json:"unit,omitempty"`
	Year            int       `json:"year"`
	EthicsRecorded  bool      `json:"ethics_recorded"`
	EthicsPassed    bool      `json:"ethics_passed"`
	EthicsLabel     string    `json:"ethics_label"`
	SeriousBreach   bool      `json:"serious_breach"`
	Honors          string    `json:"honors,omitempty"`
	EthicsCorrected bool      `json:"ethics_corrected"`
	AnnualGrade     string    `json:"annual_grade,omitempty"`
	AnnualLabel     string    `json:"annual_label,omitempty"`
	AnnualCorrected bool      `json:"annual_corrected"`
	UpdatedAt       time.Time `json:"updated_at"`
	// EthicsCorrection and AnnualCorrection say who corrected the result,
	// under which role, when and why (nil when it was not corrected).
	EthicsCorrection *Correction `json:"ethics_correction,omitempty"`
	AnnualCorrection *Correction `json:"annual_correction,omitempty"`
}

// Correction is who replaced a recorded result, when and why.
type Correction struct {
	By        string    `json:"by"`
	Role      string    `json:"role"`
	RoleLabel string    `json:"role_label"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

func correctionFrom(corrected bool, by, role, reason string, at *time.Time) *Correction {
	if !corrected || at == nil {
		return nil
	}
	return &Correction{By: by, Role: role, RoleLabel: access.Role(role).Label(), Reason: reason, At: at.UTC()}
}

// AppraisalFilter selects results: one teacher's, or a jurisdiction's of a
// year.
type AppraisalFilter struct {
	TeacherID    uuid.UUID
	Jurisdiction string
	Year         int
	Limit        int
	Offset       int
}

// Appraisals lists results by year, county and name.
func (q *CreditQueries) Appraisals(ctx context.Context, f AppraisalFilter) ([]AppraisalYear, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return nil, err
	}
	where, args := "t.county >= $1 AND t.county < $2", []any{lo, hi}
	if f.TeacherID != uuid.Nil {
		args = append(args, f.TeacherID)
		where += fmt.Sprintf(" AND a.teacher_id = $%d", len(args))
	}
	if f.Year != 0 {
		args = append(args, f.Year)
		where += fmt.Sprintf(" AND a.year = $%d", len(args))
	}
	args = append(args, limit, offset)
	rows, err := q.pool.Query(ctx, `SELECT a.teacher_id, t.name, t.id_number, t.county, t.unit_name, a.year, a.ethics_recorded,
			a.ethics_passed, a.serious_breach, a.honors, a.ethics_corrected, a.annual_grade, a.annual_corrected, a.updated_at,
			a.ethics_corrected_by, a.ethics_corrected_by_role, a.ethics_correction_reason, a.ethics_corrected_at,
			a.annual_corrected_by, a.annual_corrected_by_role, a.annual_correction_reason, a.annual_corrected_at
		FROM appraisal_results a JOIN credit_teachers t USING (teacher_id)
		WHERE `+where+fmt.Sprintf(` ORDER BY a.year, t.county, t.name, a.teacher_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("appraisals: %w", err)
	}
	defer rows.Close()
	out := []AppraisalYear{}
	for rows.Next() {
		var a AppraisalYear
		var eBy, eRole, eReason, aBy, aRole, aReason string
		var eAt, aAt *time.Time
		if err := rows.Scan(&a.TeacherID, &a.Name, &a.IDNumber, &a.County, &a.Unit, &a.Year, &a.EthicsRecorded, &a.EthicsPassed,
			&a.SeriousBreach, &a.Honors, &a.EthicsCorrected, &a.AnnualGrade, &a.AnnualCorrected, &a.UpdatedAt,
			&eBy, &eRole, &eReason, &eAt, &aBy, &aRole, &aReason, &aAt); err != nil {
			return nil, fmt.Errorf("appraisals: %w", err)
		}
		a.EthicsCorrection = correctionFrom(a.EthicsCorrected, eBy, eRole, eReason, eAt)
		a.AnnualCorrection = correctionFrom(a.AnnualCorrected, aBy, aRole, aReason, aAt)
		switch {
		case !a.EthicsRecorded:
		case a.EthicsPassed:
			a.EthicsLabel = "达标"
		case a.SeriousBreach:
			a.EthicsLabel = "不达标（严重违反师德）"
		default:
			a.EthicsLabel = "不达标"
		}
		if a.AnnualGrade != "" {
			a.AnnualLabel = appraisal.Grade(a.AnnualGrade).Label()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UploadBatch is an upload as lists show it.
type UploadBatch struct {
	BatchID    uuid.UUID           `json:"batch_id"`
	Kind       string              `json:"kind"`
	KindLabel  string              `json:"kind_label"`
	County     string              `json:"county"`
	FileName   string              `json:"file_name"`
	FileSHA256 string              `json:"file_sha256"`
	Rows       int                 `json:"rows"`
	Accepted   int                 `json:"accepted"`
	Rejected   int                 `json:"rejected"`
	Errors     []domain.FieldError `json:"errors"`
	UploadedBy uuid.UUID           `json:"uploaded_by"`
	Uploader   string              `json:"uploader"`
	UploadedAt time.Time           `json:"uploaded_at"`
}

const uploadColumns = `batch_id, kind, county, file_name, file_sha256, rows, accepted, rejected, errors, uploaded_by, uploader, uploaded_at`

func scanUpload(row pgx.Row) (UploadBatch, error) {
	var u UploadBatch
	var errs []byte
	if err := row.Scan(&u.BatchID, &u.Kind, &u.County, &u.FileName, &u.FileSHA256, &u.Rows, &u.Accepted, &u.Rejected, &errs,
		&u.UploadedBy, &u.Uploader, &u.UploadedAt); err != nil {
		return UploadBatch{}, err
	}
	if err := json.Unmarshal(errs, &u.Errors); err != nil {
		return UploadBatch{}, err
	}
	u.KindLabel = appraisal.Kind(u.Kind).Label()
	return u, nil
}

// Uploads lists a jurisdiction's batches, newest first.
func (q *CreditQueries) Uploads(ctx context.Context, jurisdiction string, limit, offset int) ([]UploadBatch, error) {
	limit, offset, err := pageBounds(limit, offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `SELECT `+uploadColumns+` FROM appraisal_uploads WHERE county >= $1 AND county < $2
		ORDER BY uploaded_at DESC, batch_id LIMIT $3 OFFSET $4`, lo, hi, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	defer rows.Close()
	out := []UploadBatch{}
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("uploads: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Upload returns one batch.
func (q *CreditQueries) Upload(ctx context.Context, id uuid.UUID) (UploadBatch, error) {
	u, err := scanUpload(q.pool.QueryRow(ctx, `SELECT `+uploadColumns+` FROM appraisal_uploads WHERE batch_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return UploadBatch{}, fmt.Errorf("upload %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return UploadBatch{}, fmt.Errorf("upload %s: %w", id, err)
	}
	return u, nil
}

// HeldDuplicate is an entry held as a suspected duplicate, beside the
// counting entry it looks like: the county admin's queue.
type HeldDuplicate struct {
	TeacherID   uuid.UUID   `json:"teacher_id"`
	TeacherName string      `json:"teacher_name"`
	County      string      `json:"county"`
	Entry       CreditEntry `json:"entry"`
	Of          CreditEntry `json:"of"`
}

// HeldDuplicates lists the held entries of teachers in jurisdiction, oldest
// first.
func (q *CreditQueries) HeldDuplicates(ctx context.Context, jurisdiction string, limit, offset int) ([]HeldDuplicate, error) {
	limit, offset, err := pageBounds(limit, offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `SELECT t.teacher_id, t.name, t.county,
			e.entry_id, e.title, e.year, e.completed_on, e.hours, e.credits, e.source_kind, e.source_system, e.external_id, e.granted_at,
			o.entry_id, o.title, o.year, o.completed_on, o.hours, o.credits, o.source_kind, o.source_system, o.external_id, o.granted_at
		FROM credit_entries e JOIN credit_teachers t USING (teacher_id) JOIN credit_entries o ON o.entry_id = e.duplicate_of
		WHERE e.held AND NOT e.revoked AND t.county >= $1 AND t.county < $2
		ORDER BY e.granted_at, e.entry_id LIMIT $3 OFFSET $4`, lo, hi, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("held duplicates: %w", err)
	}
	defer rows.Close()
	out := []HeldDuplicate{}
	for rows.Next() {
		var d HeldDuplicate
		var ec, oc time.Time
		if err := rows.Scan(&d.TeacherID, &d.TeacherName, &d.County,
			&d.Entry.EntryID, &d.Entry.Title, &d.Entry.Year, &ec, &d.Entry.Hours, &d.Entry.Credits, &d.Entry.SourceKind,
			&d.Entry.SourceSystem, &d.Entry.ExternalID, &d.Entry.GrantedAt,
			&d.Of.EntryID, &d.Of.Title, &d.Of.Year, &oc, &d.Of.Hours, &d.Of.Credits, &d.Of.SourceKind,
			&d.Of.SourceSystem, &d.Of.ExternalID, &d.Of.GrantedAt); err != nil {
			return nil, fmt.Errorf("held duplicates: %w", err)
		}
		for _, x := range []struct {
			e *CreditEntry
			c time.Time
		}{{&d.Entry, ec}, {&d.Of, oc}} {
			x.e.CompletedOn = x.c.Format(time.DateOnly)
			x.e.SourceLabel = credit.SourceKind(x.e.SourceKind).Label()
			x.e.Imported = x.e.SourceKind == string(credit.SourceImport)
			x.e.GrantedAt = x.e.GrantedAt.UTC()
		}
		d.Entry.Held = true
		out = append(out, d)
	}
	return out, rows.Err()
}
