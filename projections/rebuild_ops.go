package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Rebuilds started by an operator (the ops API) run in the background of
// the service; Status shows them, and a rebuild by any process through its
// lock (rebuild.go).

// ErrStopped is returned by StartRebuild once StopRebuilds was called.
var ErrStopped = errors.New("projection runner stopped")

// RebuildState is a projection's rebuild as Status reports it.
type RebuildState struct {
	// Running: a rebuild of the projection holds its lock, in this
	// process or another; Holder names that session.
	Running bool
	Holder  string
	// Of the latest rebuild in this process: when it started, how many
	// events it has replayed into the shadow so far, whether it is
	// swapping the shadow in, and when it finished and with which error.
	Started  time.Time
	Events   int
	Swapping bool
	Finished time.Time
	Error    string
}

// rebuildProgress is one projection's latest rebuild in this process.
type rebuildProgress struct {
	started  time.Time
	events   atomic.Int64
	swapping atomic.Bool
	finished time.Time // under Runner.mu
	err      string    // under Runner.mu
}

// rebuildBackground is the lifetime of the rebuilds StartRebuild runs.
type rebuildBackground struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

func (r *Runner) rebuildStarted(ps []*projection) map[string]*rebuildProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rebuilds == nil {
		r.rebuilds = map[string]*rebuildProgress{}
	}
	out := make(map[string]*rebuildProgress, len(ps))
	for _, p := range ps {
		pr := &rebuildProgress{started: time.Now()}
		r.rebuilds[p.name] = pr
		out[p.name] = pr
	}
	return out
}

func (r *Runner) rebuildEnded(ps []*projection, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		if pr := r.rebuilds[p.name]; pr != nil {
			pr.finished = time.Now()
			if err != nil {
				pr.err = err.Error()
			}
		}
	}
}

// StartRebuild takes the rebuild locks of the named projections and
// rebuilds them blue/green in the background, until it ends or
// StopRebuilds; ctx bounds only the taking of the locks. It returns
// ErrUnknownProjection for a name the runner does not have and
// ErrRebuildRunning, naming the holder, when any of them is being rebuilt
// (by this process or another); then nothing is started. Status shows the
// progress; the outcome is logged.
func (r *Runner) StartRebuild(ctx context.Context, names []string) error {
	bg := &r.background
	bg.mu.Lock()
	defer bg.mu.Unlock()
	if bg.stopped {
		return fmt.Errorf("rebuild: %w", ErrStopped)
	}
	if bg.ctx == nil {
		bg.ctx, bg.cancel = context.WithCancel(context.Background())
	}
	run, err := r.lockRebuild(ctx, names, "record rebuild (ops)")
	if err != nil || run == nil {
		return err
	}
	bg.wg.Add(1)
	go func() {
		defer bg.wg.Done()
		start := time.Now()
		if err := run(bg.ctx); err != nil {
			r.cfg.Logger.ErrorContext(bg.ctx, "projections: rebuild failed", "projections", names, "err", err)
			return
		}
		r.cfg.Logger.InfoContext(bg.ctx, "projections: rebuild done", "projections", names, "took", time.Since(start))
	}()
	return nil
}

// StopRebuilds cancels the rebuilds StartRebuild runs and waits for them
// to end (each drops its shadow; the live tables stay as they were).
// StartRebuild refuses afterwards.
func (r *Runner) StopRebuilds() {
	bg := &r.background
	bg.mu.Lock()
	bg.stopped = true
	if bg.cancel != nil {
		bg.cancel()
	}
	bg.mu.Unlock()
	bg.wg.Wait()
}

// rebuildStates returns the rebuild state of each projection that has one:
// a lock held by any process, or a rebuild of this process.
func (r *Runner) rebuildStates(ctx context.Context) (map[string]*RebuildState, error) {
	out := map[string]*RebuildState{}
	rows, err := r.cfg.Pool.Query(ctx, `
		SELECT l.objid::int, format('held by pid %s %s from %s since %s', a.pid, a.application_name,
		       coalesce(host(a.client_addr), 'local'), to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = $1::int::oid AND l.objsubid = 2`, rebuildLockClass)
	if err != nil {
		return nil, fmt.Errorf("rebuild locks: %w", err)
	}
	held := map[int32]string{}
	for rows.Next() {
		var key int32
		var holder string
		if err := rows.Scan(&key, &holder); err != nil {
			rows.Close()
			return nil, fmt.Errorf("rebuild locks: %w", err)
		}
		held[key] = holder
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rebuild locks: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.order {
		st := &RebuildState{}
		holder, running := held[rebuildLockKey(p.name)]
		if running {
			st.Running, st.Holder = true, holder
		}
		pr := r.rebuilds[p.name]
		if pr != nil {
			st.Started, st.Events, st.Swapping = pr.started, int(pr.events.Load()), pr.swapping.Load()
			st.Finished, st.Error = pr.finished, pr.err
		}
		if running || pr != nil {
			out[p.name] = st
		}
	}
	return out, nil
}
