package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// errGap says that a projection's checkpoint is before the position a batch
// follows: the events between were never applied (a rebuild stopped part
// way, say). The live handler then catches up from the checkpoint first.
var errGap = errors.New("checkpoint before the batch")

// errMoved says that a rebuild found its projection's checkpoint moved by
// another writer.
var errMoved = errors.New("another process writes this projection")

// BatchStats describes one committed transaction of a projection, for
// Config.OnBatch.
type BatchStats struct {
	Projection string
	// Events is how many events the transaction covered (applied, skipped
	// as not used, or parked); Position the checkpoint it stored.
	Events   int
	Position eventstore.Position
	Took     time.Duration
	// Path is "live", "catchup" or "rebuild".
	Path string
}

// applyBatch applies events, which follow from in feed order, to p and
// moves its checkpoint past them, in as few transactions as it can: one for
// the whole batch when every event applies. Events at or before the stored
// checkpoint are skipped (a redelivery, another instance's progress).
//
// When an event fails, the events before it are committed in one
// transaction, and the failing one is retried in transactions of its own,
// with the retry policy's pauses between them, outside any transaction (an
// open transaction would hold the whole feed back on a PostgreSQL store),
// until it applies or, after Retry.MaxRetries more attempts (none for a
// Permanent error), is parked. Then the rest of the batch goes on the same
// way. Every event is attempted 1+MaxRetries times at most, on every path.
//
// With strict set (a rebuild), a checkpoint other than the expected one is
// an error: another writer is at work. Otherwise a checkpoint ahead is
// accepted, and one behind from is errGap.
func (r *Runner) applyBatch(ctx context.Context, p *projection, from eventstore.Position, events []eventstore.RecordedEvent, strict bool, path string) error {
	for len(events) > 0 {
		done, failed, err := r.applyRun(ctx, p, from, events, strict, path)
		if err != nil {
			return err
		}
		if done == len(events) {
			return nil
		}
		if done > 0 {
			from = events[done-1].Position
		}
		bad := events[done]
		if err := r.retryOne(ctx, p, from, bad, failed, strict, path); err != nil {
			return err
		}
		from = bad.Position
		events = events[done+1:]
	}
	return nil
}

// applyRun applies events in one transaction. It returns how many it
// committed; when that is fewer than all, events[done] failed with failed.
func (r *Runner) applyRun(ctx context.Context, p *projection, from eventstore.Position, events []eventstore.RecordedEvent, strict bool, path string) (done int, failed error, err error) {
	start := time.Now()
	tx, cp, err := r.lockedTx(ctx, p, from, strict)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	k, aerr := r.applySeq(ctx, tx, p, events, cp)
	if aerr != nil {
		if ctx.Err() != nil {
			return 0, nil, aerr
		}
		if k == 0 {
			return 0, aerr, nil
		}
		// The transaction is aborted: redo the events before the failing
		// one in a fresh one.
		_ = tx.Rollback(context.WithoutCancel(ctx))
		if tx, cp, err = r.lockedTx(ctx, p, from, strict); err != nil {
			return 0, nil, err
		}
		if j, err := r.applySeq(ctx, tx, p, events[:k], cp); err != nil {
			return 0, nil, fmt.Errorf("projection %s: event %s failed on its second application: %w", p.name, events[j].ID, err)
		}
	} else {
		k = len(events)
	}
	last := events[k-1].Position
	if last.Less(cp) {
		last = cp // never move another instance's progress back
	}
	if err := flush(ctx, tx, p); err != nil {
		return 0, nil, err
	}
	if err := storeCheckpoint(ctx, tx, p.name, last); err != nil {
		return 0, nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, nil, fmt.Errorf("projection %s: commit to %s: %w", p.name, last, err)
	}
	r.observe(p.name, last)
	r.report(BatchStats{Projection: p.name, Events: k, Position: last, Took: time.Since(start), Path: path})
	return k, aerr, nil
}

// lockedTx begins a projection transaction and locks p's checkpoint, which
// must be from (strict) or not before it.
func (r *Runner) lockedTx(ctx context.Context, p *projection, from eventstore.Position, strict bool) (pgx.Tx, eventstore.Position, error) {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, eventstore.Position{}, fmt.Errorf("projection %s: %w", p.name, ctx.Err())
	}
	inner, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		<-r.slots
		return nil, eventstore.Position{}, fmt.Errorf("projection %s: %w", p.name, err)
	}
	tx := &slotTx{Tx: inner, release: func() { <-r.slots }}
	if p.schema != "" {
		err = setShadowPath(ctx, tx, p.schema)
	}
	var cp eventstore.Position
	if err == nil {
		cp, err = lockCheckpoint(ctx, tx, p.name)
	}
	if err == nil {
		switch {
		case strict && cp != from:
			err = fmt.Errorf("projection %s: checkpoint moved to %s while replaying from %s: %w", p.name, cp, from, errMoved)
		case cp.Less(from):
			err = fmt.Errorf("projection %s: checkpoint %s, batch after %s: %w", p.name, cp, from, errGap)
		}
	}
	if err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, eventstore.Position{}, err
	}
	return tx, cp, nil
}

// slotTx is a projection transaction holding one of the runner's slots
// until it commits or rolls back.
type slotTx struct {
	pgx.Tx
	once    sync.Once
	release func()
}

func (t *slotTx) Commit(ctx context.Context) error {
	defer t.once.Do(t.release)
	return t.Tx.Commit(ctx)
}

// Rollback releases the slot whatever it returns: a failed rollback
// closes the connection, so the transaction is over either way.
func (t *slotTx) Rollback(ctx context.Context) error {
	defer t.once.Do(t.release)
	return t.Tx.Rollback(ctx)
}

// applySeq applies the events after cp in order and returns the index of
// the first that fails. The projection's statements are pipelined
// (pipeTx): they reach PostgreSQL together, at the latest before applySeq
// returns, and a failing one is charged to the event that issued it.
func (r *Runner) applySeq(ctx context.Context, tx pgx.Tx, p *projection, events []eventstore.RecordedEvent, cp eventstore.Position) (int, error) {
	pt := &pipeTx{Tx: tx}
	for i, rec := range events {
		if !cp.Less(rec.Position) {
			continue
		}
		pt.cur = i
		if err := r.applyRecovering(ctx, pt, p, rec); err != nil {
			return failedEvent(err, i), err
		}
	}
	if err := pt.flush(ctx); err != nil {
		return failedEvent(err, len(events)-1), fmt.Errorf("projection %s: %w", p.name, err)
	}
	return len(events), nil
}

// retryOne retries rec, which follows from and failed once with first, in
// a transaction per attempt, and parks it when the retries are used up.
func (r *Runner) retryOne(ctx context.Context, p *projection, from eventstore.Position, rec eventstore.RecordedEvent, first error, strict bool, path string) error {
	lastErr := first
	wait := r.cfg.Retry.InitialInterval
	for attempt := 1; attempt <= r.cfg.Retry.MaxRetries && !IsPermanent(lastErr); attempt++ {
		r.cfg.Logger.WarnContext(ctx, "projection apply failed, retrying",
			"projection", p.name, "event_id", rec.ID.String(), "attempt", attempt, "error", lastErr)
		if !sleep(ctx, wait) {
			return fmt.Errorf("projection %s: %w (after %w)", p.name, ctx.Err(), lastErr)
		}
		wait = min(time.Duration(float64(wait)*r.cfg.Retry.Multiplier), r.cfg.Retry.MaxInterval)
		done, failed, err := r.applyRun(ctx, p, from, []eventstore.RecordedEvent{rec}, strict, path)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("projection %s: %w", p.name, errors.Join(ctx.Err(), err, failed))
		case errors.Is(err, errGap) || errors.Is(err, errMoved):
			return err
		case err != nil:
			lastErr = err // the database, not the event: an attempt all the same
		case done == 1:
			return nil
		default:
			lastErr = failed
		}
	}
	return r.parkOne(ctx, p, from, rec, lastErr, strict, path)
}

// parkOne records rec as parked for p and moves the checkpoint past it in
// one transaction.
func (r *Runner) parkOne(ctx context.Context, p *projection, from eventstore.Position, rec eventstore.RecordedEvent, reason error, strict bool, path string) error {
	start := time.Now()
	tx, cp, err := r.lockedTx(ctx, p, from, strict)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if !cp.Less(rec.Position) {
		r.observe(p.name, cp)
		return nil
	}
	if err := r.park(ctx, tx, p.name, rec, reason.Error()); err != nil {
		return err
	}
	if err := storeCheckpoint(ctx, tx, p.name, rec.Position); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("projection %s: park: commit: %w", p.name, err)
	}
	r.observe(p.name, rec.Position)
	r.report(BatchStats{Projection: p.name, Events: 1, Position: rec.Position, Took: time.Since(start), Path: path})
	return nil
}

// applyRecovering is apply with a panic turned into an error.
func (r *Runner) applyRecovering(ctx context.Context, tx pgx.Tx, p *projection, rec eventstore.RecordedEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.Join(fmt.Errorf("panic occurred: %v", v), errors.New(string(debug.Stack())))
		}
	}()
	return r.apply(ctx, tx, p, rec)
}

// report hands st to Config.OnBatch, if set.
func (r *Runner) report(st BatchStats) {
	if r.cfg.OnBatch != nil {
		r.cfg.OnBatch(st)
	}
}
