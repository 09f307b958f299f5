package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// parkedTopic names the poison queue; the parker ignores it and reads the
// projection from the message's poisoned-topic metadata.
const parkedTopic = "projection_parked"

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

// parker is the poison queue's publisher: it parks the message's event and
// moves the checkpoint past it in one transaction, so the event is neither
// retried for ever nor dropped silently.
type parker struct{ r *Runner }

var _ message.Publisher = (*parker)(nil)

func (pk *parker) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		if err := pk.publish(msg); err != nil {
			return err
		}
	}
	return nil
}

func (pk *parker) publish(msg *message.Message) error {
	r := pk.r
	ctx := msg.Context()
	name := msg.Metadata.Get(middleware.PoisonedTopicKey)
	if _, ok := r.byNm[name]; !ok {
		return fmt.Errorf("park message %s: %w: %q", msg.UUID, ErrUnknownProjection, name)
	}
	rec, isEvent, err := RecordedEventFromMessage(msg)
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	if !isEvent {
		// A caught-up marker holds no event; failing to record it only
		// delays the checkpoint until the next event.
		r.cfg.Logger.Error("projection caught-up marker failed", "projection", name, "error", msg.Metadata.Get(middleware.ReasonForPoisonedKey))
		return nil
	}
	tx, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		return fmt.Errorf("projection %s: park: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	cp, err := lockCheckpoint(ctx, tx, name)
	if err != nil {
		return err
	}
	if !cp.Less(rec.Position) {
		r.observe(name, cp)
		return nil
	}
	if err := r.park(ctx, tx, name, rec, msg.Metadata.Get(middleware.ReasonForPoisonedKey)); err != nil {
		return err
	}
	if err := storeCheckpoint(ctx, tx, name, rec.Position); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("projection %s: park: commit: %w", name, err)
	}
	r.observe(name, rec.Position)
	return nil
}

func (pk *parker) Close() error { return nil }
