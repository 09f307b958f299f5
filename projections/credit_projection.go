package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// CreditProjections are the read models of credits, appraisals,
// registration and studios, in the order wiring registers them.
func CreditProjections() []Projection {
	return []Projection{CreditTeachersProjection{}, CreditHistoryProjection{}, AppraisalProjection{}, RegistrationStatusProjection{}, StudioProjection{}, RegistrationInputsProjection{}}
}

// CreditTeachersProjection keeps who each teacher is (name, ID number,
// county, unit) for this area's lists, which filter by county and show
// names beside figures.
type CreditTeachersProjection struct{}

func (CreditTeachersProjection) Name() string     { return "credit_teachers" }
func (CreditTeachersProjection) Tables() []string { return []string{"credit_teachers"} }

func (CreditTeachersProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	switch e := env.Event.(type) {
	case *teacher.Registered:
		_, err = tx.Exec(ctx, `INSERT INTO credit_teachers (teacher_id, name, id_number, county, unit_name)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (teacher_id) DO NOTHING`,
			e.TeacherID, e.Profile.Name, e.Profile.IDNumber, e.Profile.County, e.UnitName)
	case *teacher.TransferAccepted:
		_, err = tx.Exec(ctx, `UPDATE credit_teachers SET county = $2, unit_name = $3 WHERE teacher_id = $1`,
			e.TeacherID, e.ToCounty, e.ToUnitName)
	case *teacher.KeyFieldCorrected:
		switch e.Field {
		case teacher.FieldName:
			_, err = tx.Exec(ctx, `UPDATE credit_teachers SET name = $2 WHERE teacher_id = $1`, e.TeacherID, e.New)
		case teacher.FieldIDNumber:
			_, err = tx.Exec(ctx, `UPDATE credit_teachers SET id_number = $2 WHERE teacher_id = $1`, e.TeacherID, e.New)
		case teacher.FieldUnit:
			if e.NewLabel != "" {
				_, err = tx.Exec(ctx, `UPDATE credit_teachers SET unit_name = $2 WHERE teacher_id = $1`, e.TeacherID, e.NewLabel)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("credit_teachers: %s: %w", env.Type, err)
	}
	return nil
}

// CreditHistoryProjection keeps every ledger entry (credit history since
// 2018 and totals per year are queries over it) and the credit bank
// requests (the teacher's list, the county's queue).
type CreditHistoryProjection struct{}

func (CreditHistoryProjection) Name() string { return "credit_history" }
func (CreditHistoryProjection) Tables() []string {
	return []string{"credit_entries", "credit_bank_requests"}
}

var insertCreditEntry = newBulkInsert("credit_entries",
	[]string{"entry_id", "teacher_id", "key", "year", "completed_on", "level", "category",
		"hours", "credits", "title", "source_kind", "source_system", "external_id", "source_id", "cause_event_id", "granted_at", "granted_by",
		"started_on", "held", "duplicate_of"},
	"ON CONFLICT (entry_id) DO NOTHING")

func (CreditHistoryProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	at := occurredAt(env)
	switch e := env.Event.(type) {
	case *credit.Granted:
		src := e.Source
		ref := src.EnrollmentID
		if src.Kind == credit.SourceCreditBank {
			ref = src.RequestID
		}
		var started *time.Time
		if !e.StartedOn.IsZero() {
			started = &e.StartedOn
		}
		err = insertRow(ctx, tx, insertCreditEntry,
			e.EntryID, e.TeacherID, e.Key, e.Year, e.CompletedOn, string(e.Level), string(e.Category), e.Hours, e.Credits,
			e.Title, string(src.Kind), src.System, src.ExternalID, nullUUID(ref), nullUUID(src.EventID), e.GrantedAt, env.Metadata.ActorName,
			started, e.SuspectedDuplicateOf != uuid.Nil, nullUUID(e.SuspectedDuplicateOf))
	case *credit.DuplicateCleared:
		_, err = tx.Exec(ctx, `UPDATE credit_entries SET held = false, duplicate_reason = $2, duplicate_by = $3, duplicate_at = $4 WHERE entry_id = $1`,
			e.EntryID, e.Reason, env.Metadata.ActorName, e.DecidedAt)
	case *credit.DuplicateConfirmed:
		_, err = tx.Exec(ctx, `UPDATE credit_entries SET held = false, duplicate = true, duplicate_reason = $2, duplicate_by = $3, duplicate_at = $4
			WHERE entry_id = $1`, e.EntryID, e.Reason, env.Metadata.ActorName, e.DecidedAt)
	case *credit.Revoked:
		_, err = tx.Exec(ctx, `UPDATE credit_entries SET revoked = true, revoke_reason = $2, revoked_at = $3, revoked_by = $4,
				revoked_by_role = $5 WHERE entry_id = $1`,
			e.EntryID, e.Reason, e.RevokedAt, env.Metadata.ActorName, env.Metadata.ActorRole)
	case *credit.BankSubmitted:
		var ev []byte
		ev, err = json.Marshal(e.Evidence)
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO credit_bank_requests (request_id, revision, teacher_id, county, kind, title, organiser,
					level, start_on, end_on, claimed_hours, evidence, status, submitted_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT (request_id) DO NOTHING`,
				e.RequestID, int64(env.Revision), e.TeacherID, e.County, string(e.Kind), e.Title, e.Organiser, string(e.Level),
				e.StartOn, e.EndOn, e.ClaimedHours, ev, string(credit.StatusPending), e.SubmittedAt)
		}
	case *credit.BankRecognised:
		_, err = tx.Exec(ctx, `UPDATE credit_bank_requests SET revision = $2, status = $3, decided_at = $4,
				recognised_hours = $5, recognised_credits = $6, reason = $7, level = $8
			WHERE request_id = $1 AND revision < $2`,
			e.RequestID, int64(env.Revision), string(credit.StatusRecognised), e.RecognisedAt, e.Hours, e.Credits, e.Note, string(e.Level))
	case *credit.BankRejected:
		_, err = tx.Exec(ctx, `UPDATE credit_bank_requests SET revision = $2, status = $3, decided_at = $4, reason = $5
			WHERE request_id = $1 AND revision < $2`,
			e.RequestID, int64(env.Revision), string(credit.StatusRejected), e.RejectedAt, e.Reason)
	case *credit.BankWithdrawn:
		_, err = tx.Exec(ctx, `UPDATE credit_bank_requests SET revision = $2, status = $3, decided_at = $4
			WHERE request_id = $1 AND revision < $2`,
			e.RequestID, int64(env.Revision), string(credit.StatusWithdrawn), at)
	}
	if err != nil {
		return fmt.Errorf("credit_history: %s: %w", env.Type, err)
	}
	return nil
}
