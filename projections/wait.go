package projections

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hbte/record/eventstore"
)

// observe records that name's checkpoint is at least pos and wakes waiters.
func (r *Runner) observe(name string, pos eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.progress[name].Less(pos) {
		r.progress[name] = pos
		close(r.changed)
		r.changed = make(chan struct{})
	}
}

func (r *Runner) clearLive() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.live)
	r.runs++
}

// behind lists the projections whose known checkpoint is before pos and a
// channel closed at the next change.
func (r *Runner) behind(pos eventstore.Position) ([]string, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.order {
		if r.progress[p.name].Less(pos) {
			out = append(out, fmt.Sprintf("%s at %s", p.name, r.progress[p.name]))
		}
	}
	return out, r.changed
}

// refresh raises the known checkpoints to the stored ones, which matters
// only when another process (or an earlier Runner) made the progress.
func (r *Runner) refresh(ctx context.Context) error {
	cps, err := readCheckpoints(ctx, r.cfg.Pool, r.Names())
	if err != nil {
		return err
	}
	for name, cp := range cps {
		r.observe(name, cp.Position)
	}
	return nil
}

// WaitFor blocks until every projection has applied (or skipped, or
// parked) the event at pos, typically the Position of an AppendResult, so a
// query that follows sees the write. It wakes on each commit of this
// runner, and re-reads the stored checkpoints every Config.PollInterval for
// progress made elsewhere. Bound it with a context deadline; its error then
// wraps ctx.Err() and names the projections still behind.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	if pos.IsZero() || len(r.order) == 0 {
		return nil
	}
	if lag, _ := r.behind(pos); len(lag) == 0 {
		return nil
	}
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	refresh := true
	for {
		if refresh {
			refresh = false
			if err := r.refresh(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("wait for %s: %w", pos, err)
			}
		}
		lag, changed := r.behind(pos)
		if len(lag) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-poll.C:
			refresh = true
		case <-ctx.Done():
			return fmt.Errorf("wait for %s (behind: %s): %w", pos, strings.Join(lag, ", "), ctx.Err())
		}
	}
}

// Status is one projection's progress.
type Status struct {
	Name       string
	Checkpoint eventstore.Position
	Updated    time.Time // when the checkpoint was last written; zero if never
	// Lag is the number of events in the store after the checkpoint,
	// counted up to StatusLagLimit; LagCapped says the real lag is larger.
	Lag       int
	LagCapped bool
	// Live is true once the projection has caught up with the feed in
	// this process's current Run (a rebuild builds shadow tables and leaves
	// it live).
	Live   bool
	Parked int
	// HeldBack counts, within Lag, the events already stored that the feed
	// does not deliver yet (held back by an open transaction).
	HeldBack int
	// Rebuild is the projection's rebuild: running (in any process), or
	// the latest of this process; nil when there is neither.
	Rebuild *RebuildState
}

// StatusLagLimit bounds how many events Status reads to count lag.
const StatusLagLimit = 10000

// Status reports every projection's stored checkpoint, lag and parked
// events, in registration order.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	names := r.Names()
	cps, err := readCheckpoints(ctx, r.cfg.Pool, names)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	parked := map[string]int{}
	rows, err := r.cfg.Pool.Query(ctx, `SELECT projection, count(*) FROM projection_parked WHERE projection = ANY($1) GROUP BY projection`, names)
	if err != nil {
		return nil, fmt.Errorf("status: parked: %w", err)
	}
	for rows.Next() {
		var n string
		var c int
		if err := rows.Scan(&n, &c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("status: parked: %w", err)
		}
		parked[n] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("status: parked: %w", err)
	}

	// One read from the oldest checkpoint serves every projection's count.
	from := eventstore.Position{}
	first := true
	for _, cp := range cps {
		if first || cp.Position.Less(from) {
			from, first = cp.Position, false
		}
	}
	var after []eventstore.Position
	capped := false
	for len(after) < StatusLagLimit {
		batch, err := r.cfg.Store.ReadAll(ctx, from, min(1000, StatusLagLimit-len(after)))
		if err != nil {
			return nil, fmt.Errorf("status: read feed: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			after = append(after, e.Position)
		}
		from = batch[len(batch)-1].Position
		if len(after) >= StatusLagLimit {
			capped = true
		}
	}
	h, _, err := r.Horizon(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	rebuilds, err := r.rebuildStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(names))
	for _, n := range names {
		cp := cps[n]
		s := Status{Name: n, Checkpoint: cp.Position, Updated: cp.Updated, Live: r.live[n], Parked: parked[n], LagCapped: capped,
			HeldBack: h.HeldBack, Lag: h.HeldBack, Rebuild: rebuilds[n]}
		for _, p := range after {
			if cp.Position.Less(p) {
				s.Lag++
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Horizon reports what holds the feed back, when the store can tell (ok
// false: it cannot, and nothing is held back that it knows of).
func (r *Runner) Horizon(ctx context.Context) (eventstore.Horizon, bool, error) {
	hr, ok := r.cfg.Store.(eventstore.HorizonReporter)
	if !ok {
		return eventstore.Horizon{}, false, nil
	}
	h, err := hr.Horizon(ctx)
	return h, true, err
}

// StallThreshold is how long the feed may be held back before the service
// says so in the log and the operations view (/readyz has its own,
// longer, threshold: READY_MAX_STALL).
const StallThreshold = 5 * time.Second

// Stalled describes a stall of the feed longer than after, or "" when
// there is none: events are held back and the oldest open transaction
// has been open that long.
func Stalled(h eventstore.Horizon, after time.Duration) string {
	if h.HeldBack == 0 || h.Blocker == nil || h.Blocker.Age < after {
		return ""
	}
	b := h.Blocker
	return fmt.Sprintf("%d events held back for %s by transaction pid %d (database %q, application %q, %s)",
		h.HeldBack, b.Age.Round(time.Second), b.PID, b.Database, b.Application, b.State)
}

// WatchStalls logs a warning every interval while the feed is stalled
// longer than StallThreshold, naming the blocking transaction, until ctx
// ends.
func (r *Runner) WatchStalls(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h, ok, err := r.Horizon(ctx)
		if err != nil || !ok {
			continue
		}
		if msg := Stalled(h, StallThreshold); msg != "" {
			r.cfg.Logger.WarnContext(ctx, "projections stalled: "+msg, "held_back", h.HeldBack,
				"blocker_pid", h.Blocker.PID, "blocker_database", h.Blocker.Database, "blocker_age", h.Blocker.Age.String())
		}
	}
}
