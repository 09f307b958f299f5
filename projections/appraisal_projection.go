package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/event"
)

// AppraisalProjection keeps each teacher's ethics and annual appraisal per
// year and the upload batches with their row reports.
type AppraisalProjection struct{}

func (AppraisalProjection) Name() string { return "appraisal_results" }
func (AppraisalProjection) Tables() []string {
	return []string{"appraisal_results", "appraisal_uploads"}
}

func (AppraisalProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	at := occurredAt(env)
	var err error
	switch e := env.Event.(type) {
	case *appraisal.EthicsRecorded:
		err = upsertEthics(ctx, tx, e.TeacherID, e.Year, e.Passed, e.SeriousBreach, e.Honors, correction{}, e.BatchID, at)
	case *appraisal.EthicsCorrected:
		err = upsertEthics(ctx, tx, e.TeacherID, e.Year, e.Passed, e.SeriousBreach, e.Honors, correctionOf(env, e.Reason, e.CorrectedAt), uuid.Nil, at)
	case *appraisal.AnnualRecorded:
		err = upsertAnnual(ctx, tx, e.TeacherID, e.Year, e.Grade, correction{}, e.BatchID, at)
	case *appraisal.AnnualCorrected:
		err = upsertAnnual(ctx, tx, e.TeacherID, e.Year, e.Grade, correctionOf(env, e.Reason, e.CorrectedAt), uuid.Nil, at)
	case *appraisal.UploadRecorded:
		var errs []byte
		errs, err = uploadErrors(ctx, tx, e)
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO appraisal_uploads (batch_id, kind, county, file_name, file_sha256, rows, accepted,
					rejected, errors, uploaded_by, uploader, uploaded_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (batch_id) DO NOTHING`,
				e.BatchID, string(e.Kind), e.County, e.FileName, e.FileSHA256, e.Rows, e.Accepted, e.Rejected, errs,
				e.UploadedBy, env.Metadata.ActorName, e.UploadedAt)
		}
	}
	if err != nil {
		return fmt.Errorf("appraisal_results: %s: %w", env.Type, err)
	}
	return nil
}

// correction is who corrected a result, under which role, when and why;
// the zero value for a result recorded by an upload.
type correction struct {
	by, role, reason string
	at               *time.Time
}

func correctionOf(env event.Envelope, reason string, at time.Time) correction {
	if at.IsZero() {
		at = occurredAt(env)
	}
	at = at.UTC()
	return correction{by: env.Metadata.ActorName, role: env.Metadata.ActorRole, reason: reason, at: &at}
}

// Both upserts set the columns of one kind of result and leave the other's.
func upsertEthics(ctx context.Context, tx pgx.Tx, teacherID uuid.UUID, year int, passed, serious bool, honors string, c correction, batch uuid.UUID, at any) error {
	_, err := tx.Exec(ctx, `INSERT INTO appraisal_results (teacher_id, year, ethics_recorded, ethics_passed, serious_breach, honors,
			ethics_corrected, ethics_batch_id, updated_at,
			ethics_corrected_by, ethics_corrected_by_role, ethics_correction_reason, ethics_corrected_at)
		VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (teacher_id, year) DO UPDATE SET ethics_recorded = true, ethics_passed = $3, serious_breach = $4,
			honors = $5, ethics_corrected = $6, ethics_batch_id = COALESCE($7, appraisal_results.ethics_batch_id), updated_at = $8,
			ethics_corrected_by = $9, ethics_corrected_by_role = $10, ethics_correction_reason = $11, ethics_corrected_at = $12`,
		teacherID, year, passed, serious, honors, c.at != nil, nullUUID(batch), at, c.by, c.role, c.reason, c.at)
	return err
}

func upsertAnnual(ctx context.Context, tx pgx.Tx, teacherID uuid.UUID, year int, g appraisal.Grade, c correction, batch uuid.UUID, at any) error {
	_, err := tx.Exec(ctx, `INSERT INTO appraisal_results (teacher_id, year, annual_grade, annual_corrected, annual_batch_id, updated_at,
			annual_corrected_by, annual_corrected_by_role, annual_correction_reason, annual_corrected_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (teacher_id, year) DO UPDATE SET annual_grade = $3, annual_corrected = $4,
			annual_batch_id = COALESCE($5, appraisal_results.annual_batch_id), updated_at = $6,
			annual_corrected_by = $7, annual_corrected_by_role = $8, annual_correction_reason = $9, annual_corrected_at = $10`,
		teacherID, year, string(g), c.at != nil, nullUUID(batch), at, c.by, c.role, c.reason, c.at)
	return err
}

// uploadErrors is the JSON list of a batch's row errors: its stored report
// (a content-addressed file, so a rebuild reads the same bytes), or the
// list an event recorded before the report carries.
func uploadErrors(ctx context.Context, tx pgx.Tx, e *appraisal.UploadRecorded) ([]byte, error) {
	if e.ErrorsReport == "" || e.Errors != nil {
		if e.Errors == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(e.Errors)
	}
	var data []byte
	if err := tx.QueryRow(ctx, `SELECT data FROM credit_files WHERE sha256 = $1`, e.ErrorsReport).Scan(&data); err != nil {
		return nil, fmt.Errorf("row errors' report %s: %w", e.ErrorsReport, err)
	}
	var list []domain.FieldError
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("row errors' report %s: %w", e.ErrorsReport, err)
	}
	return json.Marshal(list)
}
