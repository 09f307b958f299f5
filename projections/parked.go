package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// maxErrorText bounds the stored error, which may carry a panic's stack.
const maxErrorText = 8000

// ParkedEvent is an event a projection could not apply after its retries.
// The projection's checkpoint has moved past it, so its read model lacks
// this event until it is rebuilt (a rebuild clears the projection's parked
// events and parks again whatever still fails).
type ParkedEvent struct {
	Projection string
	EventID    uuid.UUID
	Position   eventstore.Position
	Type       string
	Stream     string
	Revision   uint64
	Error      string
	ParkedAt   time.Time
}

// Parked lists every parked event, by projection then position.
func (r *Runner) Parked(ctx context.Context) ([]ParkedEvent, error) {
	rows, err := r.cfg.Pool.Query(ctx, `
		SELECT projection, event_id, commit_position, prepare_position, event_type, stream, revision, error, parked_at
		FROM projection_parked
		ORDER BY projection, commit_position, prepare_position`)
	if err != nil {
		return nil, fmt.Errorf("list parked events: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ParkedEvent, error) {
		var e ParkedEvent
		var c, p, rev int64
		if err := row.Scan(&e.Projection, &e.EventID, &c, &p, &e.Type, &e.Stream, &rev, &e.Error, &e.ParkedAt); err != nil {
			return ParkedEvent{}, fmt.Errorf("list parked events: %w", err)
		}
		e.Position = eventstore.Position{Commit: uint64(c), Prepare: uint64(p)}
		e.Revision = uint64(rev)
		return e, nil
	})
}

// park records rec as parked for name inside tx, which must hold name's
// checkpoint lock, and logs it at error level.
func (r *Runner) park(ctx context.Context, tx pgx.Tx, name string, rec eventstore.RecordedEvent, reason string) error {
	c, p, err := sqlPosition(rec.Position)
	if err != nil {
		return fmt.Errorf("projection %s: park: %w", name, err)
	}
	if len(reason) > maxErrorText {
		reason = reason[:maxErrorText]
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO projection_parked (projection, event_id, commit_position, prepare_position, event_type, stream, revision, error, parked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
		ON CONFLICT (projection, event_id) DO UPDATE
		SET error = EXCLUDED.error, parked_at = EXCLUDED.parked_at`,
		name, rec.ID, c, p, rec.Type, rec.Stream, int64(rec.Revision), reason)
	if err != nil {
		return fmt.Errorf("projection %s: park %s: %w", name, rec.ID, err)
	}
	r.cfg.Logger.ErrorContext(ctx, "projection event parked",
		"projection", name, "event_id", rec.ID.String(), "event_type", rec.Type,
		"stream", rec.Stream, "revision", rec.Revision, "position", rec.Position.String(),
		"error", reason)
	return nil
}
