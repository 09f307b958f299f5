package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// Rebuild empties the projection's tables and replays the whole feed into
// them.
//
// Design: the rebuild holds the projection's in-process gate for its whole
// duration, so the live handler of a running Runner pauses (between
// messages, never inside one) and the two never interleave. One transaction
// truncates the tables, clears the projection's parked events and resets
// its checkpoint to Start; then the replay reads the feed with ReadAll in
// batches of Config.RebuildBatch, one transaction per batch that applies
// the events and moves the checkpoint. The live subscription needs no
// restart: it is held at the message it was about to apply, which the
// replay has passed, so when the gate opens it skips (checkpoint >= its
// position) until it reaches events newer than the replay, and applies
// those in order.
//
// While it runs, readers see the read model partly built, and WaitFor waits
// for the replay. An event that still fails after the retries is parked.
// Rebuild guards against other writers in this process only; run
// RebuildAll from the CLI while the service is stopped.
func (r *Runner) Rebuild(ctx context.Context, name string) error {
	p, ok := r.byNm[name]
	if !ok {
		return fmt.Errorf("rebuild %q: %w", name, ErrUnknownProjection)
	}
	if err := p.hold(ctx); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	defer p.release()

	start := time.Now()
	if err := r.resetProjection(ctx, p); err != nil {
		return err
	}
	n, err := r.replay(ctx, p)
	if err != nil {
		return err
	}
	r.cfg.Logger.InfoContext(ctx, "projection rebuilt", "projection", name, "events", n, "took", time.Since(start))
	return nil
}

// RebuildAll rebuilds every projection in registration order. It needs no
// running Runner, so the CLI can call it on a runner built for the purpose.
func (r *Runner) RebuildAll(ctx context.Context) error {
	for _, p := range r.order {
		if err := r.Rebuild(ctx, p.name); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) resetProjection(ctx context.Context, p *projection) error {
	tx, err := r.cfg.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("rebuild %s: begin: %w", p.name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := lockCheckpoint(ctx, tx, p.name); err != nil {
		return fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if tables := p.Tables(); len(tables) > 0 {
		ids := make([]string, len(tables))
		for i, t := range tables {
			ids[i] = pgx.Identifier(strings.Split(t, ".")).Sanitize()
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(ids, ", ")); err != nil {
			return fmt.Errorf("rebuild %s: truncate: %w", p.name, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM projection_parked WHERE projection = $1`, p.name); err != nil {
		return fmt.Errorf("rebuild %s: clear parked: %w", p.name, err)
	}
	if err := storeCheckpoint(ctx, tx, p.name, eventstore.Start); err != nil {
		return fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("rebuild %s: commit reset: %w", p.name, err)
	}
	r.reset(p.name)
	return nil
}

// replay applies the feed from Start, batch by batch, and returns how many
// events it read.
func (r *Runner) replay(ctx context.Context, p *projection) (int, error) {
	from := eventstore.Start
	total := 0
	for {
		batch, err := r.cfg.Store.ReadAll(ctx, from, r.cfg.RebuildBatch)
		if err != nil {
			return total, fmt.Errorf("rebuild %s: read after %s: %w", p.name, from, err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		if err := r.replayBatch(ctx, p, from, batch); err != nil {
			return total, err
		}
		total += len(batch)
		from = batch[len(batch)-1].Position
	}
}

func (r *Runner) replayBatch(ctx context.Context, p *projection, from eventstore.Position, batch []eventstore.RecordedEvent) error {
	tx, err := r.cfg.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("rebuild %s: begin: %w", p.name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	cp, err := lockCheckpoint(ctx, tx, p.name)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if cp != from {
		return fmt.Errorf("rebuild %s: checkpoint moved to %s while replaying from %s: another process writes this projection", p.name, cp, from)
	}
	for _, rec := range batch {
		if err := r.replayOne(ctx, tx, p, rec); err != nil {
			return err
		}
	}
	last := batch[len(batch)-1].Position
	if err := storeCheckpoint(ctx, tx, p.name, last); err != nil {
		return fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("rebuild %s: commit batch to %s: %w", p.name, last, err)
	}
	r.observe(p.name, last)
	return nil
}

// replayOne applies rec inside a savepoint, retrying as the live path does,
// and parks it when it keeps failing, so a rebuild ends with the same
// contents a live run would have.
func (r *Runner) replayOne(ctx context.Context, tx pgx.Tx, p *projection, rec eventstore.RecordedEvent) error {
	wait := r.cfg.Retry.InitialInterval
	var lastErr error
	for attempt := 0; attempt <= r.cfg.Retry.MaxRetries; attempt++ {
		if attempt > 0 {
			if !sleep(ctx, wait) {
				return fmt.Errorf("rebuild %s: %w", p.name, ctx.Err())
			}
			wait = min(time.Duration(float64(wait)*r.cfg.Retry.Multiplier), r.cfg.Retry.MaxInterval)
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return fmt.Errorf("rebuild %s: savepoint: %w", p.name, err)
		}
		lastErr = r.applyRecovering(ctx, sp, p, rec)
		if lastErr == nil {
			if err := sp.Commit(ctx); err != nil {
				return fmt.Errorf("rebuild %s: release savepoint: %w", p.name, err)
			}
			return nil
		}
		if err := sp.Rollback(ctx); err != nil {
			return fmt.Errorf("rebuild %s: rollback savepoint: %w (after %w)", p.name, err, lastErr)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("rebuild %s: %w", p.name, lastErr)
		}
		r.cfg.Logger.WarnContext(ctx, "projection rebuild: apply failed, retrying",
			"projection", p.name, "event_id", rec.ID.String(), "attempt", attempt+1, "error", lastErr)
	}
	return r.park(ctx, tx, p.name, rec, lastErr.Error())
}

// applyRecovering is apply with a panic turned into an error, as the
// Recoverer middleware does on the live path.
func (r *Runner) applyRecovering(ctx context.Context, tx pgx.Tx, p *projection, rec eventstore.RecordedEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.Join(fmt.Errorf("panic occurred: %v", v), errors.New(string(debug.Stack())))
		}
	}()
	return r.apply(ctx, tx, p, rec)
}
