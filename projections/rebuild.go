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
// the events and moves the checkpoint (a batch with a failing event is
// redone event by event in savepoints, so only that event is retried and,
// if it keeps failing, parked). The live subscription needs no
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
	live, err := r.resetProjection(ctx, p)
	if err != nil {
		return err
	}
	n, err := r.catchUp(ctx, p, true)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	r.relive(name, live)
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

func (r *Runner) resetProjection(ctx context.Context, p *projection) (liveness, error) {
	tx, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := lockCheckpoint(ctx, tx, p.name); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if tables := p.Tables(); len(tables) > 0 {
		ids := make([]string, len(tables))
		for i, t := range tables {
			ids[i] = pgx.Identifier(strings.Split(t, ".")).Sanitize()
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(ids, ", ")); err != nil {
			return liveness{}, fmt.Errorf("rebuild %s: truncate: %w", p.name, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM projection_parked WHERE projection = $1`, p.name); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: clear parked: %w", p.name, err)
	}
	if err := storeCheckpoint(ctx, tx, p.name, eventstore.Start); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: commit reset: %w", p.name, err)
	}
	return r.reset(p.name), nil
}

// catchUp applies the feed after p's stored checkpoint in batches of
// Config.RebuildBatch, one transaction per batch, until ReadAll returns
// nothing, and returns how many events it read. The caller holds p's gate.
// Both a rebuild (after the reset) and Run (before the live subscription
// starts) use it: a backlog applied in batches costs one commit per batch
// instead of one per event.
//
// With strict unset (Run's catch-up), a checkpoint that another instance
// moved forward meanwhile is accepted: the events up to it are applied and
// the batch continues after it. A rebuild is strict: any other writer
// during a rebuild is an error.
func (r *Runner) catchUp(ctx context.Context, p *projection, strict bool) (int, error) {
	from, err := readCheckpoint(ctx, r.cfg.Pool, p.name)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		batch, err := r.cfg.Store.ReadAll(ctx, from, r.cfg.RebuildBatch)
		if err != nil {
			return total, fmt.Errorf("projection %s: read after %s: %w", p.name, from, err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		if err := r.replayBatch(ctx, p, from, batch, strict, false); err != nil {
			if ctx.Err() != nil {
				return total, err
			}
			// Find the failing event: apply one by one in savepoints,
			// retrying and, if it must be, parking.
			r.cfg.Logger.DebugContext(ctx, "projection batch failed, replaying it event by event", "projection", p.name, "error", err)
			if err := r.replayBatch(ctx, p, from, batch, strict, true); err != nil {
				return total, err
			}
		}
		total += len(batch)
		from = batch[len(batch)-1].Position
	}
}

// replayBatch applies batch, which follows from, in one transaction. With
// careful unset the first error aborts the batch; with careful set each
// event runs in a savepoint, is retried, and is parked if it keeps failing.
func (r *Runner) replayBatch(ctx context.Context, p *projection, from eventstore.Position, batch []eventstore.RecordedEvent, strict, careful bool) error {
	tx, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		return fmt.Errorf("projection %s: %w", p.name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	cp, err := lockCheckpoint(ctx, tx, p.name)
	if err != nil {
		return err
	}
	if cp != from && (strict || cp.Less(from)) {
		return fmt.Errorf("projection %s: checkpoint moved to %s while replaying from %s: another process writes this projection", p.name, cp, from)
	}
	for _, rec := range batch {
		if !cp.Less(rec.Position) {
			continue
		}
		if careful {
			err = r.replayOne(ctx, tx, p, rec)
		} else {
			err = r.applyRecovering(ctx, tx, p, rec)
		}
		if err != nil {
			return err
		}
	}
	last := batch[len(batch)-1].Position
	if last.Less(cp) {
		last = cp // never move another instance's progress back
	}
	if err := storeCheckpoint(ctx, tx, p.name, last); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("projection %s: commit batch to %s: %w", p.name, last, err)
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
				return fmt.Errorf("projection %s: %w", p.name, ctx.Err())
			}
			wait = min(time.Duration(float64(wait)*r.cfg.Retry.Multiplier), r.cfg.Retry.MaxInterval)
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return fmt.Errorf("projection %s: savepoint: %w", p.name, err)
		}
		lastErr = r.applyRecovering(ctx, sp, p, rec)
		if lastErr == nil {
			if err := sp.Commit(ctx); err != nil {
				return fmt.Errorf("projection %s: release savepoint: %w", p.name, err)
			}
			return nil
		}
		if err := sp.Rollback(ctx); err != nil {
			return fmt.Errorf("projection %s: rollback savepoint: %w (after %w)", p.name, err, lastErr)
		}
		if ctx.Err() != nil {
			return lastErr
		}
		if IsPermanent(lastErr) {
			break // no retry can mend it: park at once
		}
		r.cfg.Logger.WarnContext(ctx, "projection apply failed, retrying",
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
