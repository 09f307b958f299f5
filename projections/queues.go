package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/teacher"
)

// QueuesProjection keeps the county admins' work queues: correction
// requests awaiting a decision (pending_corrections) and open transfers
// (pending_transfers). A row leaves its queue when the request is approved,
// rejected or withdrawn, or the transfer accepted, rejected or cancelled.
type QueuesProjection struct{}

func (QueuesProjection) Name() string { return "teacher_queues" }
func (QueuesProjection) Tables() []string {
	return []string{"pending_corrections", "pending_transfers", "queue_teachers"}
}

type queueTeacher struct {
	revision     int64
	name, county string
	unitName     string
}

func (QueuesProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	id, ok := streamID(env.Stream, "teacher")
	if !ok {
		return nil
	}
	rev := int64(env.Revision)
	var st queueTeacher
	err := tx.QueryRow(ctx, `SELECT revision, name, county, unit_name FROM queue_teachers WHERE teacher_id = $1`, id).
		Scan(&st.revision, &st.name, &st.county, &st.unitName)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("queues: teacher %s: %w", id, err)
	}
	if found && rev <= st.revision {
		return nil // applied already
	}
	if _, ok := env.Event.(*teacher.Registered); !ok && !found {
		return fmt.Errorf("queues: %s for teacher %s, who is not registered", env.Type, id)
	}
	if err := st.apply(ctx, tx, env, id); err != nil {
		return fmt.Errorf("queues: %s for teacher %s: %w", env.Type, id, err)
	}
	st.revision = rev
	_, err = tx.Exec(ctx, `
		INSERT INTO queue_teachers (teacher_id, revision, name, county, unit_name) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (teacher_id) DO UPDATE SET revision = $2, name = $3, county = $4, unit_name = $5`,
		id, st.revision, st.name, st.county, st.unitName)
	if err != nil {
		return fmt.Errorf("queues: save teacher %s: %w", id, err)
	}
	return nil
}

func (st *queueTeacher) apply(ctx context.Context, tx pgx.Tx, env event.Envelope, id uuid.UUID) error {
	at := occurredAt(env)
	var err error
	switch e := env.Event.(type) {
	case *teacher.Registered:
		st.name, st.county, st.unitName = e.Profile.Name, e.Profile.County, e.UnitName
	case *teacher.KeyFieldCorrected:
		switch e.Field {
		case teacher.FieldName:
			st.name = e.New
			if _, err = tx.Exec(ctx, `UPDATE pending_corrections SET teacher_name = $2 WHERE teacher_id = $1`, id, st.name); err == nil {
				_, err = tx.Exec(ctx, `UPDATE pending_transfers SET teacher_name = $2 WHERE teacher_id = $1`, id, st.name)
			}
		case teacher.FieldUnit:
			st.unitName = e.NewLabel
			_, err = tx.Exec(ctx, `UPDATE pending_corrections SET unit_name = $2 WHERE teacher_id = $1`, id, st.unitName)
		}
	case *teacher.CorrectionRequested:
		county := e.County
		if county == "" {
			county = st.county
		}
		evidence := e.Evidence
		if evidence == nil {
			evidence = []string{}
		}
		pid, _ := payloadActor(e)
		by, _ := actorOf(env, pid, "")
		_, err = tx.Exec(ctx, `
			INSERT INTO pending_corrections (correction_id, teacher_id, teacher_name, county, unit_name, field, field_label,
				current_value, proposed_value, reason, evidence, requested_at, requested_by, requested_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (correction_id) DO NOTHING`,
			e.CorrectionID, id, st.name, county, st.unitName, e.Field, teacher.FieldLabel(e.Field),
			e.Current, e.Proposed, e.Reason, evidence, at, by, env.Metadata.ActorName)
	case *teacher.CorrectionApproved:
		_, err = tx.Exec(ctx, `DELETE FROM pending_corrections WHERE correction_id = $1`, e.CorrectionID)
	case *teacher.CorrectionRejected:
		_, err = tx.Exec(ctx, `DELETE FROM pending_corrections WHERE correction_id = $1`, e.CorrectionID)
	case *teacher.CorrectionWithdrawn:
		_, err = tx.Exec(ctx, `DELETE FROM pending_corrections WHERE correction_id = $1`, e.CorrectionID)
	case *teacher.TransferStarted:
		pid, _ := payloadActor(e)
		by, _ := actorOf(env, pid, "")
		_, err = tx.Exec(ctx, `
			INSERT INTO pending_transfers (transfer_id, teacher_id, teacher_name, from_county, from_unit_id, from_unit_name,
				to_county, to_unit_id, to_unit_name, reason, started_at, started_by, started_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (transfer_id) DO NOTHING`,
			e.TransferID, id, st.name, e.FromCounty, e.FromUnitID, e.FromUnitName,
			e.ToCounty, e.ToUnitID, e.ToUnitName, e.Reason, at, by, env.Metadata.ActorName)
	case *teacher.TransferAccepted:
		st.county, st.unitName = e.ToCounty, e.ToUnitName
		if _, err = tx.Exec(ctx, `DELETE FROM pending_transfers WHERE transfer_id = $1`, e.TransferID); err == nil {
			// A correction still pending is now decided by the new county.
			_, err = tx.Exec(ctx, `UPDATE pending_corrections SET county = $2, unit_name = $3 WHERE teacher_id = $1`,
				id, st.county, st.unitName)
		}
	case *teacher.TransferRejected:
		_, err = tx.Exec(ctx, `DELETE FROM pending_transfers WHERE transfer_id = $1`, e.TransferID)
	case *teacher.TransferCancelled:
		_, err = tx.Exec(ctx, `DELETE FROM pending_transfers WHERE transfer_id = $1`, e.TransferID)
	case *teacher.TransferredOut:
		_, err = tx.Exec(ctx, `DELETE FROM pending_transfers WHERE transfer_id = $1`, e.TransferID)
	}
	return err
}

// PendingCorrection is a teacher's request awaiting the county admin.
// Values are in full: the admin must compare them with the evidence.
type PendingCorrection struct {
	CorrectionID    uuid.UUID `json:"correction_id"`
	TeacherID       uuid.UUID `json:"teacher_id"`
	TeacherName     string    `json:"teacher_name"`
	County          string    `json:"county"`
	CountyName      string    `json:"county_name"`
	UnitName        string    `json:"unit_name"`
	Field           string    `json:"field"`
	FieldLabel      string    `json:"field_label"`
	Current         string    `json:"current"`
	Proposed        string    `json:"proposed"`
	Reason          string    `json:"reason"`
	Evidence        []string  `json:"evidence"`
	RequestedAt     time.Time `json:"requested_at"`
	RequestedBy     uuid.UUID `json:"requested_by"`
	RequestedByName string    `json:"requested_by_name"`
}

// PendingCorrections lists the requests of teachers whose county lies in
// jurisdiction ("" for all), oldest first.
func (q *TeacherQueries) PendingCorrections(ctx context.Context, jurisdiction string) ([]PendingCorrection, error) {
	lo, hi, err := regionRange("jurisdiction", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `
		SELECT correction_id, teacher_id, teacher_name, county, unit_name, field, field_label, current_value,
		       proposed_value, reason, evidence, requested_at, requested_by, requested_by_name
		FROM pending_corrections WHERE county >= $1 AND county < $2
		ORDER BY requested_at, correction_id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("pending corrections: %w", err)
	}
	defer rows.Close()
	out := []PendingCorrection{}
	for rows.Next() {
		var c PendingCorrection
		if err := rows.Scan(&c.CorrectionID, &c.TeacherID, &c.TeacherName, &c.County, &c.UnitName, &c.Field,
			&c.FieldLabel, &c.Current, &c.Proposed, &c.Reason, &c.Evidence, &c.RequestedAt, &c.RequestedBy,
			&c.RequestedByName); err != nil {
			return nil, fmt.Errorf("pending corrections: %w", err)
		}
		c.CountyName = regionName(c.County)
		c.RequestedAt = c.RequestedAt.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending corrections: %w", err)
	}
	return out, nil
}

// PendingTransfer is an open transfer. Outgoing: the sending county lies
// in the jurisdiction asked for (its admin may cancel); Incoming: the
// receiving county does (its admin may accept or reject). A city or the
// province may see both set.
type PendingTransfer struct {
	TransferID     uuid.UUID `json:"transfer_id"`
	TeacherID      uuid.UUID `json:"teacher_id"`
	TeacherName    string    `json:"teacher_name"`
	FromCounty     string    `json:"from_county"`
	FromCountyName string    `json:"from_county_name"`
	FromUnitID     string    `json:"from_unit_id"`
	FromUnitName   string    `json:"from_unit_name"`
	ToCounty       string    `json:"to_county"`
	ToCountyName   string    `json:"to_county_name"`
	ToUnitID       string    `json:"to_unit_id"`
	ToUnitName     string    `json:"to_unit_name"`
	Reason         string    `json:"reason"`
	StartedAt      time.Time `json:"started_at"`
	StartedBy      uuid.UUID `json:"started_by"`
	StartedByName  string    `json:"started_by_name"`
	Outgoing       bool      `json:"outgoing"`
	Incoming       bool      `json:"incoming"`
	// OutOfProvince: the transfer leaves Hebei; the province admin
	// confirms or rejects it (Incoming is true for the province then).
	OutOfProvince bool `json:"out_of_province"`
}

// PendingTransfers lists open transfers leaving or entering jurisdiction
// ("" for all), oldest first.
func (q *TeacherQueries) PendingTransfers(ctx context.Context, jurisdiction string) ([]PendingTransfer, error) {
	lo, hi, err := regionRange("jurisdiction", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `
		SELECT transfer_id, teacher_id, teacher_name, from_county, from_unit_id, from_unit_name, to_county,
		       to_unit_id, to_unit_name, reason, started_at, started_by, started_by_name,
		       from_county >= $1 AND from_county < $2,
		       (to_county >= $1 AND to_county < $2) OR (NOT starts_with(to_county, $3) AND $4),
		       NOT starts_with(to_county, $3)
		FROM pending_transfers
		WHERE (from_county >= $1 AND from_county < $2) OR (to_county >= $1 AND to_county < $2)
		ORDER BY started_at, transfer_id`, lo, hi, region.HebeiCode, provinceWide(jurisdiction))
	if err != nil {
		return nil, fmt.Errorf("pending transfers: %w", err)
	}
	defer rows.Close()
	out := []PendingTransfer{}
	for rows.Next() {
		var t PendingTransfer
		if err := rows.Scan(&t.TransferID, &t.TeacherID, &t.TeacherName, &t.FromCounty, &t.FromUnitID,
			&t.FromUnitName, &t.ToCounty, &t.ToUnitID, &t.ToUnitName, &t.Reason, &t.StartedAt, &t.StartedBy,
			&t.StartedByName, &t.Outgoing, &t.Incoming, &t.OutOfProvince); err != nil {
			return nil, fmt.Errorf("pending transfers: %w", err)
		}
		t.FromCountyName, t.ToCountyName = regionName(t.FromCounty), regionName(t.ToCounty)
		t.StartedAt = t.StartedAt.UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending transfers: %w", err)
	}
	return out, nil
}

// provinceWide reports a jurisdiction covering the whole province (or
// everything): the province admin decides transfers out of it.
func provinceWide(jurisdiction string) bool {
	return jurisdiction == "" || jurisdiction == region.HebeiCode
}
