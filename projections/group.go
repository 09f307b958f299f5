package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/hbte/record/eventstore"
)

// groupTopicPrefix starts the Watermill topics of the live path: each
// group of projections follows the feed through its own topic,
// "_projections_<n>", from the earliest of its members' checkpoints (no
// projection is named so: names start with a letter).
const groupTopicPrefix = "_projections_"

// groups splits the projections into Config.LiveGroups groups, dealt in
// registration order, and returns them with their topics.
func (r *Runner) groups() map[string][]*projection {
	n := min(r.cfg.LiveGroups, len(r.order))
	out := make(map[string][]*projection, n)
	for i, p := range r.order {
		t := groupTopicPrefix + strconv.Itoa(i%n)
		out[t] = append(out[t], p)
	}
	return out
}

// The live path applies each batch of the feed to each group of projections
// in one transaction (Config.LiveGroups groups, applied side by side): one
// read of the feed a group, then BEGIN, one statement locking every
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

// groupStart returns the feed's StartFunc for groups: a group starts after
// its earliest checkpoint; a projection's own topic after its checkpoint.
func (r *Runner) groupStart(groups map[string][]*projection) StartFunc {
	return func(ctx context.Context, topic string) (eventstore.Position, error) {
		members, ok := groups[topic]
		if !ok {
			return r.startPosition(ctx, topic)
		}
		return r.earliest(ctx, members)
	}
}

// earliest is the earliest stored checkpoint of ps.
func (r *Runner) earliest(ctx context.Context, ps []*projection) (eventstore.Position, error) {
	var first eventstore.Position
	for i, p := range ps {
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
// projection of group.
func (r *Runner) groupHandler(group []*projection) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		b, err := BatchFromMessage(msg)
		if err != nil {
			return err
		}
		ctx := msg.Context()
		// The gates: a rebuild's swap or a test's handler never
		// interleaves with the live path of the same projection.
		for i, p := range group {
			if err := p.hold(ctx); err != nil {
				for _, q := range group[:i] {
					q.release()
				}
				return err
			}
		}
		defer func() {
			for _, p := range group {
				p.release()
			}
		}()
		if len(b.Events) > 0 {
			if err := r.applyGroup(ctx, group, b); err != nil {
				return err
			}
		}
		if b.CaughtUp {
			for _, p := range group {
				if err := r.caughtUp(ctx, p, b.Position); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// applyGroup applies b to every projection of group, in one transaction
// when it can.
func (r *Runner) applyGroup(ctx context.Context, group []*projection, b Batch) error {
	alone, err := r.applyGroupTx(ctx, group, b)
	var failed *groupApplyError
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.cfg.Logger.DebugContext(ctx, "projections: the group's transaction failed; applying the batch projection by projection",
			"after", b.Prev.String(), "events", len(b.Events), "err", err)
		alone = group
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
func (r *Runner) applyGroupTx(ctx context.Context, group []*projection, b Batch) (alone []*projection, err error) {
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

	names := make([]string, len(group))
	for i, p := range group {
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
	for _, p := range group {
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
