package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/domain/event"
)

// CreditAuditProjection keeps the sampled audits of credit claims
// (domain/creditaudit): each sample with its progress and each sampled
// entry with its re-review.
type CreditAuditProjection struct{}

func (CreditAuditProjection) Name() string { return "credit_audits" }
func (CreditAuditProjection) Tables() []string {
	return []string{"credit_audit_samples", "credit_audit_entries"}
}

func (CreditAuditProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	rev := int64(env.Revision)
	switch e := env.Event.(type) {
	case *creditaudit.Drawn:
		kinds := make([]string, len(e.Kinds))
		for i, k := range e.Kinds {
			kinds[i] = string(k)
		}
		var share *credit.Quantity
		if e.SharePercent.Sign() > 0 {
			share = &e.SharePercent
		}
		var from, to *time.Time
		if !e.From.IsZero() {
			from = &e.From
		}
		if !e.To.IsZero() {
			to = &e.To
		}
		_, err = tx.Exec(ctx, `INSERT INTO credit_audit_samples (sample_id, revision, scope, kinds, from_on, to_on, share_percent,
				requested_count, seed, algorithm, population_size, population_digest, sample_size, note, drawn_by, drawn_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (sample_id) DO NOTHING`,
			e.SampleID, rev, e.Scope, strings.Join(kinds, ","), from, to, share, e.Count, e.Seed, e.Algorithm,
			e.PopulationSize, e.PopulationDigest, len(e.Entries), e.Note, env.Metadata.ActorName, e.DrawnAt)
		for i, c := range e.Entries {
			if err != nil {
				break
			}
			_, err = tx.Exec(ctx, `INSERT INTO credit_audit_entries (sample_id, entry_id, position, teacher_id, key, source_kind)
				VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`, e.SampleID, c.EntryID, i+1, c.TeacherID, c.Key, string(c.Kind))
		}
	case *creditaudit.Upheld:
		err = applyAuditReview(ctx, tx, rev, e.SampleID, e.EntryID, creditaudit.OutcomeUpheld, e.Reason, env.Metadata.ActorName, e.ReviewedAt)
	case *creditaudit.Revoked:
		err = applyAuditReview(ctx, tx, rev, e.SampleID, e.EntryID, creditaudit.OutcomeRevoked, e.Reason, env.Metadata.ActorName, e.ReviewedAt)
	}
	if err != nil {
		return fmt.Errorf("credit_audits: %s: %w", env.Type, err)
	}
	return nil
}

// applyAuditReview records a review once (the revision guards a replay).
func applyAuditReview(ctx context.Context, tx pgx.Tx, rev int64, sampleID, entryID uuid.UUID, o creditaudit.Outcome, reason, by string, at time.Time) error {
	tag, err := execNow(ctx, tx, `UPDATE credit_audit_samples SET revision = $2, reviewed = reviewed + 1,
			upheld = upheld + $3, revoked = revoked + $4 WHERE sample_id = $1 AND revision < $2`,
		sampleID, rev, b2i(o == creditaudit.OutcomeUpheld), b2i(o == creditaudit.OutcomeRevoked))
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE credit_audit_entries SET outcome = $3, reason = $4, reviewed_by = $5, reviewed_at = $6
		WHERE sample_id = $1 AND entry_id = $2`, sampleID, entryID, string(o), reason, by, at)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreditAuditQueries read the audit samples and the population of a draw.
type CreditAuditQueries struct{ pool *pgxpool.Pool }

// NewCreditAuditQueries returns queries over pool.
func NewCreditAuditQueries(pool *pgxpool.Pool) *CreditAuditQueries {
	return &CreditAuditQueries{pool: pool}
}

// AuditPopulation is the population of a draw (domain/creditaudit): the
// counting entries (not revoked, not held, not a confirmed duplicate) of
// the kinds named, of the teachers whose county lies in scope, completed
// in [from, to) (zero: open), sorted by entry id.
func (q *CreditAuditQueries) AuditPopulation(ctx context.Context, scope string, kinds []credit.SourceKind, from, to time.Time) ([]creditaudit.Candidate, error) {
	lo, hi, err := regionRange("scope", scope)
	if err != nil {
		return nil, err
	}
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	var f, t *time.Time
	if !from.IsZero() {
		f = &from
	}
	if !to.IsZero() {
		t = &to
	}
	rows, err := q.pool.Query(ctx, `SELECT e.entry_id, e.teacher_id, e.key, e.source_kind
		FROM credit_entries e JOIN credit_teachers t USING (teacher_id)
		WHERE t.county >= $1 AND t.county < $2 AND e.source_kind = ANY($3)
			AND NOT e.revoked AND NOT e.held AND NOT e.duplicate
			AND ($4::date IS NULL OR e.completed_on >= $4) AND ($5::date IS NULL OR e.completed_on < $5)
		ORDER BY e.entry_id::text`, lo, hi, ks, f, t)
	if err != nil {
		return nil, fmt.Errorf("audit population: %w", err)
	}
	defer rows.Close()
	out := []creditaudit.Candidate{}
	for rows.Next() {
		var c creditaudit.Candidate
		var kind string
		if err := rows.Scan(&c.EntryID, &c.TeacherID, &c.Key, &kind); err != nil {
			return nil, fmt.Errorf("audit population: %w", err)
		}
		c.Kind = credit.SourceKind(kind)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreditAuditSample is one draw with its progress.
type CreditAuditSample struct {
	SampleID         uuid.UUID        `json:"sample_id"`
	Revision         int64            `json:"revision"`
	Scope            string           `json:"scope"`
	Kinds            []string         `json:"kinds"`
	From             string           `json:"from,omitempty"`
	To               string           `json:"to,omitempty"`
	SharePercent     *credit.Quantity `json:"share_percent,omitempty"`
	Count            int              `json:"count,omitempty"`
	Seed             string           `json:"seed"`
	Algorithm        string           `json:"algorithm"`
	PopulationSize   int              `json:"population_size"`
	PopulationDigest string           `json:"population_digest"`
	SampleSize       int              `json:"sample_size"`
	Reviewed         int              `json:"reviewed"`
	Upheld           int              `json:"upheld"`
	Revoked          int              `json:"revoked"`
	Note             string           `json:"note,omitempty"`
	DrawnBy          string           `json:"drawn_by"`
	DrawnAt          time.Time        `json:"drawn_at"`
}

// SampledEntry is one sampled entry, its figures and its re-review.
type SampledEntry struct {
	SampleID     uuid.UUID       `json:"sample_id"`
	Position     int             `json:"position"`
	EntryID      uuid.UUID       `json:"entry_id"`
	TeacherID    uuid.UUID       `json:"teacher_id"`
	TeacherName  string          `json:"teacher_name"`
	County       string          `json:"county"`
	SourceKind   string          `json:"source_kind"`
	SourceLabel  string          `json:"source_label"`
	SourceSystem string          `json:"source_system,omitempty"`
	ExternalID   string          `json:"external_id,omitempty"`
	Title        string          `json:"title"`
	Year         int             `json:"year"`
	CompletedOn  string          `json:"completed_on"`
	Hours        credit.Quantity `json:"hours"`
	Credits      credit.Quantity `json:"credits"`
	Outcome      string          `json:"outcome"`
	OutcomeLabel string          `json:"outcome_label"`
	Reason       string          `json:"reason,omitempty"`
	ReviewedBy   string          `json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time      `json:"reviewed_at,omitempty"`
}

const auditSampleColumns = `sample_id, revision, scope, kinds, from_on, to_on, share_percent, requested_count, seed, algorithm,
	population_size, population_digest, sample_size, reviewed, upheld, revoked, note, drawn_by, drawn_at`

func scanAuditSample(row pgx.Row) (CreditAuditSample, error) {
	var s CreditAuditSample
	var kinds string
	var from, to *time.Time
	if err := row.Scan(&s.SampleID, &s.Revision, &s.Scope, &kinds, &from, &to, &s.SharePercent, &s.Count, &s.Seed, &s.Algorithm,
		&s.PopulationSize, &s.PopulationDigest, &s.SampleSize, &s.Reviewed, &s.Upheld, &s.Revoked, &s.Note, &s.DrawnBy, &s.DrawnAt); err != nil {
		return s, err
	}
	s.Kinds = strings.Split(kinds, ",")
	if from != nil {
		s.From = from.Format(time.DateOnly)
	}
	if to != nil {
		s.To = to.Format(time.DateOnly)
	}
	s.DrawnAt = s.DrawnAt.UTC()
	return s, nil
}

// Samples lists the samples whose scope lies inside jurisdiction,
// newest first.
func (q *CreditAuditQueries) Samples(ctx context.Context, jurisdiction string, limit, offset int) ([]CreditAuditSample, error) {
	limit, offset, err := pageBounds(limit, offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `SELECT `+auditSampleColumns+` FROM credit_audit_samples
		WHERE scope >= $1 AND scope < $2 ORDER BY drawn_at DESC, sample_id LIMIT $3 OFFSET $4`, lo, hi, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("audit samples: %w", err)
	}
	defer rows.Close()
	out := []CreditAuditSample{}
	for rows.Next() {
		s, err := scanAuditSample(rows)
		if err != nil {
			return nil, fmt.Errorf("audit samples: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Sample returns one sample.
func (q *CreditAuditQueries) Sample(ctx context.Context, id uuid.UUID) (CreditAuditSample, error) {
	s, err := scanAuditSample(q.pool.QueryRow(ctx, `SELECT `+auditSampleColumns+` FROM credit_audit_samples WHERE sample_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("credit audit %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("credit audit %s: %w", id, err)
	}
	return s, nil
}

// Entries lists the entries of a sample in draw order; pendingOnly
// keeps those not yet reviewed (the admin's queue).
func (q *CreditAuditQueries) Entries(ctx context.Context, id uuid.UUID, pendingOnly bool) ([]SampledEntry, error) {
	rows, err := q.pool.Query(ctx, `SELECT a.sample_id, a.position, a.entry_id, a.teacher_id, coalesce(t.name, ''), coalesce(t.county, ''),
			a.source_kind, coalesce(e.source_system, ''), coalesce(e.external_id, ''), coalesce(e.title, ''), coalesce(e.year, 0),
			e.completed_on, coalesce(e.hours, 0), coalesce(e.credits, 0), a.outcome, a.reason, a.reviewed_by, a.reviewed_at
		FROM credit_audit_entries a LEFT JOIN credit_entries e USING (entry_id) LEFT JOIN credit_teachers t ON t.teacher_id = a.teacher_id
		WHERE a.sample_id = $1 AND (NOT $2 OR a.outcome = '') ORDER BY a.position`, id, pendingOnly)
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	defer rows.Close()
	out := []SampledEntry{}
	for rows.Next() {
		var e SampledEntry
		var completed *time.Time
		if err := rows.Scan(&e.SampleID, &e.Position, &e.EntryID, &e.TeacherID, &e.TeacherName, &e.County, &e.SourceKind,
			&e.SourceSystem, &e.ExternalID, &e.Title, &e.Year, &completed, &e.Hours, &e.Credits, &e.Outcome, &e.Reason,
			&e.ReviewedBy, &e.ReviewedAt); err != nil {
			return nil, fmt.Errorf("audit entries: %w", err)
		}
		if completed != nil {
			e.CompletedOn = completed.Format(time.DateOnly)
		}
		if e.ReviewedAt != nil {
			u := e.ReviewedAt.UTC()
			e.ReviewedAt = &u
		}
		e.SourceLabel = credit.SourceKind(e.SourceKind).Label()
		e.OutcomeLabel = creditaudit.Outcome(e.Outcome).Label()
		out = append(out, e)
	}
	return out, rows.Err()
}
