package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
)

// RegistrationStatusProjection keeps every registration decision and, per
// teacher, the dates and outcome they add up to. Nothing else writes these
// rows: registration dates and outcomes are never entered by hand.
type RegistrationStatusProjection struct{}

func (RegistrationStatusProjection) Name() string { return "registration_status" }
func (RegistrationStatusProjection) Tables() []string {
	return []string{"registration_status", "registration_decisions"}
}

func (RegistrationStatusProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	d, ok := env.Event.(*registration.Decided)
	if !ok {
		return nil
	}
	reasons, err := json.Marshal(d.Reasons)
	if err != nil {
		return err
	}
	if d.Reasons == nil {
		reasons = []byte("[]")
	}
	tag, err := execNow(ctx, tx, `INSERT INTO registration_decisions (decision_id, teacher_id, county, kind, outcome, check_outcome,
			cycle_start, cycle_end, checked_as_of, policy_version, policy_scope, reasons, evidence_digest, note, decided_on,
			decided_by_name, recorded_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) ON CONFLICT (decision_id) DO NOTHING`,
		d.DecisionID, d.TeacherID, d.County, d.Kind, string(d.Outcome), string(d.CheckOutcome),
		nullDate(d.Cycle.Start), nullDate(d.Cycle.End), nullDate(d.CheckedAsOf), d.PolicyVersion, d.PolicyScope, reasons,
		d.EvidenceDigest, d.Note, d.DecidedOn, d.DecidedByName, d.RecordedAt)
	if err != nil {
		return fmt.Errorf("registration_status: decision: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil // a repeated event
	}
	// The same derivation as registration.Registration.Apply.
	var first, last any
	if d.Kind == registration.KindFirst {
		first = d.DecidedOn
	}
	if d.Outcome == registration.OutcomePass {
		last = d.DecidedOn
	}
	_, err = tx.Exec(ctx, `INSERT INTO registration_status (teacher_id, first_registered_on, last_registered_on, last_outcome,
			last_decided_on, last_policy_version, decisions)
		VALUES ($1, $2, $3, $4, $5, $6, 1)
		ON CONFLICT (teacher_id) DO UPDATE SET
			first_registered_on = COALESCE(registration_status.first_registered_on, $2),
			last_registered_on = COALESCE($3, registration_status.last_registered_on),
			last_outcome = $4, last_decided_on = $5, last_policy_version = $6,
			decisions = registration_status.decisions + 1`,
		d.TeacherID, first, last, string(d.Outcome), d.DecidedOn, d.PolicyVersion)
	if err != nil {
		return fmt.Errorf("registration_status: status: %w", err)
	}
	return nil
}

func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
