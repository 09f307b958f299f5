package projections

import (
	"context"
	"fmt"
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
// the events and moves the checkpoint (a failing event is retried in its
// own transactions and, if it keeps failing, parked; see applyBatch). The live subscription needs no
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
	// The rebuilt read model is the connected store's: its checkpoint
	// adopts the store (checkStore then accepts it).
	id, err := r.cfg.Store.Identity(ctx)
	if err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if err := recordStore(ctx, r.cfg.Pool, id); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
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
	if err := adoptStore(ctx, tx, id, []string{p.name}); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: %w", p.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return liveness{}, fmt.Errorf("rebuild %s: commit reset: %w", p.name, err)
	}
	return r.reset(p.name), nil
}

// catchUp applies the feed after p's stored checkpoint in batches of
// Config.RebuildBatch, one transaction per batch (applyBatch), until
// ReadAll returns nothing, and returns how many events it read. The caller
// holds p's gate. A rebuild (after the reset), Run (before the live
// subscription starts) and the live handler (when it finds a gap before its
// batch) use it.
//
// With strict unset, a checkpoint that another instance moved forward
// meanwhile is accepted: the events up to it are skipped and the batch
// continues after it. A rebuild is strict: any other writer during a
// rebuild is an error.
func (r *Runner) catchUp(ctx context.Context, p *projection, strict bool) (int, error) {
	from, err := readCheckpoint(ctx, r.cfg.Pool, p.name)
	if err != nil {
		return 0, err
	}
	path := "catchup"
	if strict {
		path = "rebuild"
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
		if err := r.applyBatch(ctx, p, from, batch, strict, path); err != nil {
			return total, err
		}
		total += len(batch)
		from = batch[len(batch)-1].Position
		if !strict {
			// Another instance may be ahead: continue after it.
			if cp, err := readCheckpoint(ctx, r.cfg.Pool, p.name); err == nil && from.Less(cp) {
				from = cp
			}
		}
	}
}
