package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/hbte/record/eventstore"
)

// groupTopic is the one Watermill topic of the live path: every projection
// of the runner follows the feed through it, from the earliest of their
// checkpoints (no projection is named so: names start with a letter).
const groupTopic = "_projections"

// The live path applies each batch of the feed to every projection in one
// transaction: one read of the feed, then BEGIN, one statement locking every
// projection's checkpoint row, each projection's Apply of the batch (events
// at or before its own checkpoint skipped), the Flushers, one statement
// moving every checkpoint, COMMIT. A batch of one event, the usual case when
// clients write one at a time, costs one commit for all the projections
// instead of one each; with one subscription instead of one a projection,
// the feed is read once instead of once a projection.
//
// Exactly once holds as before: each projection's checkpoint moves in the
// transaction that changes its read model. When anything in the group's
// transaction fails (an event a projection cannot apply, the database), it
// is rolled back and the batch is applied projection by projection
// (applyLive: its own transactions, retries and parking), so one bad event
// holds back only the projection that cannot apply it, as before. A
// projection whose checkpoint is before the batch (a rebuild swapped in
// tables that end earlier) is left out of the group and caught up alone.

// groupStart is the feed's StartFunc: the group starts after the earliest
// checkpoint; a projection's own topic starts after its checkpoint.
func (r *Runner) groupStart(ctx context.Context, topic string) (eventstore.Position, error) {
	if topic != groupTopic {
		return r.startPosition(ctx, topic)
	}
	var first eventstore.Position
	for i, p := range r.order {
		pos, err := r.startPosition(ctx, p.name)
		if err != nil {
			return eventstore.Position{}, err
		}
		if i == 0 || pos.Less(first) {
			first = pos
		}
	}
	return first, nil
}

// groupHandler applies one feed message (a batch of events) to every
// projection.
func (r *Runner) groupHandler() message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		b, err := BatchFromMessage(msg)
		if err != nil {
			return err
		}
		ctx := msg.Context()
		// The gates: a rebuild's swap or a test's handler never
		// interleaves with the live path of the same projection.
		for i, p := range r.order {
			if err := p.hold(ctx); err != nil {
				for _, q := range r.order[:i] {
					q.release()
				}
				return err
			}
		}
		defer func() {
			for _, p := range r.order {
				p.release()
			}
		}()
		if len(b.Events) > 0 {
			if err := r.applyGroup(ctx, b); err != nil {
				return err
			}
		}
		if b.CaughtUp {
			for _, p := range r.order {
				if err := r.caughtUp(ctx, p, b.Position); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// applyGroup applies b to every projection, in one transaction when it can.
func (r *Runner) applyGroup(ctx context.Context, b Batch) error {
	alone, err := r.applyGroupTx(ctx, b)
	var failed *groupApplyError
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.cfg.Logger.DebugContext(ctx, "projections: the group's transaction failed; applying the batch projection by projection",
			"after", b.Prev.String(), "events", len(b.Events), "err", err)
		alone = r.order
		errors.As(err, &failed)
	}
	for _, p := range alone {
		if failed != nil && failed.p == p {
			// That attempt counts: the event is retried RetryPolicy
			// times more, or parked at once when the error is Permanent.
			if err := r.applyLiveAfter(ctx, p, b, failed.k, failed.err); err != nil {
				return err
			}
			continue
		}
		if err := r.applyLive(ctx, p, b); err != nil {
			return err
		}
	}
	return nil
}

// groupApplyError is an event the group's transaction could not apply to
// one projection: b.Events[k] failed with err.
type groupApplyError struct {
	p   *projection
	k   int
	err error
}

func (e *groupApplyError) Error() string {
	return fmt.Sprintf("event %d of the batch: %v", e.k, e.err)
}

func (e *groupApplyError) Unwrap() error { return e.err }

// applyLiveAfter is applyLive for a batch whose event k already failed once
// for p (in the group's transaction): the events before it are applied, it
// is retried or parked (retryOne), then the rest follow.
func (r *Runner) applyLiveAfter(ctx context.Context, p *projection, b Batch, k int, failed error) error {
	from := b.Prev
	if k > 0 {
		if err := r.applyBatch(ctx, p, from, b.Events[:k], false, "live"); err != nil {
			return err
		}
		from = b.Events[k-1].Position
	}
	if err := r.retryOne(ctx, p, from, b.Events[k], failed, false, "live"); err != nil {
		return err
	}
	return r.applyBatch(ctx, p, b.Events[k].Position, b.Events[k+1:], false, "live")
}

// applyGroupTx applies b to the projections whose checkpoint is not before
// b.Prev in one transaction, and returns the others. An error means nothing
// was committed.
func (r *Runner) applyGroupTx(ctx context.Context, b Batch) (alone []*projection, err error) {
	start := time.Now()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("projections: %w", ctx.Err())
	}
	inner, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		<-r.slots
		return nil, fmt.Errorf("projections: %w", err)
	}
	tx := &slotTx{Tx: inner, release: func() { <-r.slots }}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	names := make([]string, len(r.order))
	for i, p := range r.order {
		names[i] = p.name
	}
	cps, err := lockCheckpoints(ctx, tx, names)
	if err != nil {
		return nil, err
	}
	type moved struct {
		p    *projection
		last eventstore.Position
		n    int
	}
	var done []moved
	for _, p := range r.order {
		cp := cps[p.name]
		if cp.Less(b.Prev) {
			alone = append(alone, p) // a gap: caught up alone (applyLive)
			continue
		}
		k, aerr := r.applySeq(ctx, tx, p, b.Events, cp)
		if aerr != nil {
			return nil, &groupApplyError{p: p, k: k, err: aerr}
		}
		if err := flush(ctx, tx, p); err != nil {
			return nil, err
		}
		last := b.Events[len(b.Events)-1].Position
		if last.Less(cp) {
			last = cp // never move another instance's progress back
		}
		done = append(done, moved{p: p, last: last, n: len(b.Events)})
	}
	if len(done) > 0 {
		upd := make(map[string]eventstore.Position, len(done))
		for _, m := range done {
			upd[m.p.name] = m.last
		}
		if err := storeCheckpoints(ctx, tx, upd); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("projections: commit to %s: %w", b.Position, err)
	}
	took := time.Since(start)
	for _, m := range done {
		r.observe(m.p.name, m.last)
		r.report(BatchStats{Projection: m.p.name, Events: m.n, Position: m.last, Took: took, Path: "live"})
	}
	return alone, nil
}

// errNoCheckpoint says a checkpoint row the group locks is missing (Run
// creates them all before the live path starts).
var errNoCheckpoint = errors.New("checkpoint row missing")
