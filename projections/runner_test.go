package projections

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
)

func forEachStore(t *testing.T, f func(t *testing.T, sf storeFactory)) {
	for _, sf := range storeFactories() {
		t.Run(sf.name, func(t *testing.T) { f(t, sf) })
	}
}

func TestRunnerAppliesEveryEventOnceInOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		a, b := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
		createToyTables(t, e.pool, a.name)
		createToyTables(t, e.pool, b.name)
		w := newFeedWriter(t, e.store, 5)
		w.append(120) // backlog before the runner starts
		r := e.runner(a, b)
		start(t, r)

		// More events while it runs, from two writers at once.
		writers := []*feedWriter{newFeedWriter(t, e.store, 3), newFeedWriter(t, e.store, 3)}
		var wg sync.WaitGroup
		for _, wr := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 40 {
					wr.append(1)
				}
			}()
		}
		wg.Wait()
		final := w.append(3) // after both writers, so it is the last position
		waitFor(t, r, final)
		// WaitFor promises the events are applied, not that the feed's
		// caught-up marker, which follows the last event, was handled.
		waitLive(t, r, a.name)
		waitLive(t, r, b.name)

		wantLog, wantCounts := expectedLog(t, e.store, nil)
		for _, name := range []string{a.name, b.name} {
			if got := dumpLog(t, e.pool, name); !reflect.DeepEqual(got, wantLog) {
				t.Errorf("%s log: got %d rows, want %d (same order, once each)\n got %v\nwant %v", name, len(got), len(wantLog), got, wantLog)
			}
			if got := dumpCounts(t, e.pool, name); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("%s counts = %v, want %v", name, got, wantCounts)
			}
		}
		st, err := r.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if s.Checkpoint != final || s.Lag != 0 || s.Parked != 0 || !s.Live {
				t.Errorf("status %+v, want checkpoint %s, lag 0, no parked, live", s, final)
			}
		}
	})
}

func TestRunnerRestartLosesAndDuplicatesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		w := newFeedWriter(t, e.store, 4)
		w.append(100)

		// Each round stops the runner abruptly after a different number of
		// applies: the cancel lands inside Apply, so that transaction rolls
		// back. Rounds marked live let the runner finish its batched
		// catch-up first, so the stop hits the live, message-by-message
		// path; the others stop it wherever it is.
		rounds := []struct {
			k    int64
			live bool
		}{{1, false}, {7, true}, {15, false}, {3, true}, {11, false}, {12, true}, {0, false}}
		var final eventstore.Position
		for i, round := range rounds {
			var applied atomic.Int64
			var armed atomic.Bool
			armed.Store(!round.live)
			ctx, cancel := context.WithCancel(context.Background())
			p := &toyProjection{name: "toy", hook: func(context.Context, event.Envelope) error {
				if armed.Load() && applied.Add(1) == round.k {
					cancel()
				}
				return nil
			}}
			r := e.runner(p)
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			if round.live {
				waitLive(t, r, "toy")
				armed.Store(true)
			}
			final = w.append(25)
			if round.k == 0 {
				waitFor(t, r, final)
				cancel()
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: Run: %v", i, err)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("round %d: Run did not stop", i)
			}
			cancel()
		}
		if parked, err := e.runner().Parked(context.Background()); err != nil || len(parked) != 0 {
			t.Fatalf("parked = %v, %v; a stop must never park", parked, err)
		}
		want, wantCounts := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after restarts: got %d rows, want %d exactly once in order", len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, wantCounts) {
			t.Fatalf("counts = %v, want %v", got, wantCounts)
		}
		if cp, err := readCheckpoint(context.Background(), e.pool, "toy"); err != nil || cp != final {
			t.Fatalf("checkpoint %s, %v; want %s", cp, err, final)
		}
	})
}

// waitLive waits until name has caught up through its live subscription,
// so later events take the message-by-message path, not the batched one.
func waitLive(t *testing.T, r *Runner, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		live := r.live[name]
		r.mu.Unlock()
		if live {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never went live", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// backlog appends k events for a runner that starts next to apply in its
// batched catch-up, and waits until the feed shows them. The PostgreSQL
// store shows an event only once no older transaction is running anywhere
// on the server (another package's test, say), and the catch-up reads only
// what the feed shows: without the wait, part of the backlog could take the
// live path instead.
func backlog(t *testing.T, store eventstore.Store, w *feedWriter, k int) eventstore.Position {
	t.Helper()
	last := w.append(k)
	readFinal(t, store, last)
	return last
}

// attemptCounter counts Apply attempts per event number.
type attemptCounter struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *attemptCounter) add(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[int]int{}
	}
	c.n[n]++
	return c.n[n]
}

func (c *attemptCounter) get(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[n]
}

// A message delivered again (an Ack lost to a crash after commit) or out of
// order must not be applied twice: the checkpoint in the transaction skips it.
func TestHandlerSkipsRedeliveredEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		w := newFeedWriter(t, e.store, 2)
		evs := readFinal(t, e.store, w.append(3))
		p := &toyProjection{name: "toy"}
		r := e.runner(p)
		h := r.handler(r.byNm["toy"])
		deliver := func(i int) {
			t.Helper()
			msg := toMessage(eventstore.SubscriptionMessage{Event: &evs[i], Position: evs[i].Position})
			if err := h(msg); err != nil {
				t.Fatalf("handle %d: %v", i, err)
			}
		}
		deliver(0)
		deliver(0) // redelivery
		deliver(2)
		deliver(1) // older than the checkpoint: already covered
		deliver(2)
		got := dumpLog(t, e.pool, "toy")
		if len(got) != 2 || got[0].EventID != evs[0].ID || got[1].EventID != evs[2].ID {
			t.Fatalf("log = %+v, want events 0 and 2 once each", got)
		}
		cp, err := readCheckpoint(context.Background(), e.pool, "toy")
		if err != nil || cp != evs[2].Position {
			t.Fatalf("checkpoint = %s, %v; want %s", cp, err, evs[2].Position)
		}
	})
}

// Event 13 fails in the batched catch-up, event 43 on the live path; both
// end up parked and everything else applied.
func TestRunnerParksAnEventItCannotApply(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		var attempts attemptCounter
		p := &toyProjection{name: "toy", hook: func(_ context.Context, env event.Envelope) error {
			if n := env.Event.(*toyHappened).N; n == 13 || n == 43 {
				attempts.add(n)
				return errInjected
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 3)
		backlog(t, e.store, w, 30)
		r := e.runner(p)
		start(t, r)
		waitLive(t, r, "toy")
		final := w.append(20)
		waitFor(t, r, final)

		poisoned := func(n int) bool { return n == 13 || n == 43 }
		want, _ := expectedLog(t, e.store, poisoned)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log: got %d rows, want the %d others in order", len(got), len(want))
		}
		// Both paths: the first attempt and 3 retries, each in a
		// transaction of its own after the first.
		if got := attempts.get(13); got != 4 {
			t.Errorf("attempts on event 13 (catch-up) = %d, want 4", got)
		}
		if got := attempts.get(43); got != 4 {
			t.Errorf("attempts on event 43 (live) = %d, want 4", got)
		}
		parked, err := r.Parked(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 2 {
			t.Fatalf("parked = %+v, want two", parked)
		}
		for i, n := range []int{13, 43} {
			bad, pe := findEvent(t, e.store, n), parked[i]
			if pe.Projection != "toy" || pe.EventID != bad.ID || pe.Position != bad.Position || pe.Type != bad.Type ||
				pe.Stream != bad.Stream || pe.Revision != bad.Revision || !strings.Contains(pe.Error, errInjected.Error()) || pe.ParkedAt.IsZero() {
				t.Errorf("parked event = %+v, want %s at %s in %s", pe, bad.ID, bad.Position, bad.Stream)
			}
			if logs := e.logs.String(); !strings.Contains(logs, "level=ERROR msg=\"projection event parked\"") || !strings.Contains(logs, bad.ID.String()) {
				t.Errorf("no error-level log of the parked event %s in:\n%s", bad.ID, logs)
			}
		}
		st, err := r.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].Parked != 2 || st[0].Checkpoint != final || st[0].Lag != 0 {
			t.Errorf("status = %+v", st)
		}
	})
}

func findEvent(t *testing.T, store eventstore.Store, n int) eventstore.RecordedEvent {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), eventstore.Start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"n":%d}`, n)
	for _, e := range evs {
		if string(e.Data) == want {
			return e
		}
	}
	t.Fatalf("no event n=%d", n)
	return eventstore.RecordedEvent{}
}

// Events 5 (catch-up) and 25 (live) fail twice, then succeed: each is
// applied once, nothing is parked.
func TestRunnerRetriesATransientFailure(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		var attempts attemptCounter
		p := &toyProjection{name: "toy", hook: func(_ context.Context, env event.Envelope) error {
			if n := env.Event.(*toyHappened).N; (n == 5 || n == 25) && attempts.add(n) <= 2 {
				return errInjected // after the log row was written: it must roll back
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 3)
		backlog(t, e.store, w, 10)
		r := e.runner(p)
		start(t, r)
		waitLive(t, r, "toy")
		final := w.append(20)
		waitFor(t, r, final)
		for _, n := range []int{5, 25} {
			if got := attempts.get(n); got != 3 {
				t.Errorf("attempts on %d = %d, want 3 (two failures, one success)", n, got)
			}
		}
		want, _ := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log: got %v, want %v", got, want)
		}
		if parked, err := r.Parked(context.Background()); err != nil || len(parked) != 0 {
			t.Fatalf("parked = %v, %v, want none", parked, err)
		}
	})
}

func TestWaitFor(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		gate := make(chan struct{})
		var blocking atomic.Bool
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			if blocking.Load() {
				select {
				case <-gate:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 2)
		r := e.runner(p)
		start(t, r)

		// Applied: WaitFor returns and the write is visible right after.
		for range 5 {
			pos := w.append(1)
			waitFor(t, r, pos)
			var n int
			if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM toy_log`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want, _ := expectedLog(t, e.store, nil); n != len(want) {
				t.Fatalf("after WaitFor: %d rows visible, want %d", n, len(want))
			}
		}

		// Not applied: a projection stuck in Apply makes WaitFor time out.
		blocking.Store(true)
		w.n = 21 // n=22 is a toy event, not a foreign one
		pos := w.append(1)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := r.WaitFor(ctx, pos)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "toy at") {
			t.Fatalf("WaitFor on a blocked projection = %v, want a deadline error naming toy", err)
		}
		close(gate)
		waitFor(t, r, pos)

		// A position no event has reached yet also times out.
		beyond := eventstore.Position{Commit: pos.Commit + 1000, Prepare: pos.Prepare + 1000}
		ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := r.WaitFor(ctx, beyond); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitFor beyond the head = %v, want deadline exceeded", err)
		}
	})
}

// WaitFor of a runner that is not running sees progress made by another
// one through the stored checkpoints.
func TestWaitForSeesOtherRunnersProgress(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		w := newFeedWriter(t, e.store, 2)
		worker := e.runner(&toyProjection{name: "toy"})
		start(t, worker)
		observer := e.runner(&toyProjection{name: "toy"})
		waitFor(t, observer, w.append(10))
	})
}

func TestRebuildMatchesLiveRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		poison := func(_ context.Context, env event.Envelope) error {
			if env.Event.(*toyHappened).N == 40 {
				return errInjected
			}
			return nil
		}
		p := &toyProjection{name: "toy", hook: poison}
		w := newFeedWriter(t, e.store, 6)
		final := w.append(200)
		r := e.runner(p)
		start(t, r)
		waitFor(t, r, final)
		liveLog, liveCounts := dumpLog(t, e.pool, "toy"), dumpCounts(t, e.pool, "toy")
		liveParked, err := r.Parked(context.Background())
		if err != nil || len(liveParked) != 1 {
			t.Fatalf("live parked = %v, %v", liveParked, err)
		}

		if err := r.Rebuild(context.Background(), "toy"); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, liveLog) {
			t.Fatalf("rebuilt log differs from the live one: %d vs %d rows", len(got), len(liveLog))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, liveCounts) {
			t.Fatalf("rebuilt counts %v, live %v", got, liveCounts)
		}
		parked, err := r.Parked(context.Background())
		if err != nil || len(parked) != 1 || parked[0].EventID != liveParked[0].EventID {
			t.Fatalf("parked after rebuild = %v, %v; want the same one event", parked, err)
		}

		// Rebuild while events keep arriving: the live handler pauses and
		// resumes after the replay without gaps or duplicates.
		var wg sync.WaitGroup
		var last eventstore.Position
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := newFeedWriter(t, e.store, 3)
			wr.n = 1000
			for range 60 {
				last = wr.append(1)
				time.Sleep(time.Millisecond)
			}
		}()
		for range 2 {
			if err := r.Rebuild(context.Background(), "toy"); err != nil {
				t.Errorf("Rebuild during appends: %v", err)
				break
			}
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		waitFor(t, r, last)
		want, wantCounts := expectedLog(t, e.store, func(n int) bool { return n == 40 })
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after rebuild under load: got %d rows, want %d in order once each", len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, wantCounts) {
			t.Fatalf("counts after rebuild under load = %v, want %v", got, wantCounts)
		}
	})
}

// RebuildAll works on a runner that is not running, as the CLI uses it.
func TestRebuildAllWithoutRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		a, b := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
		createToyTables(t, e.pool, a.name)
		createToyTables(t, e.pool, b.name)
		w := newFeedWriter(t, e.store, 3)
		final := w.append(90)
		// Garbage that the rebuild must remove.
		if _, err := e.pool.Exec(context.Background(), `INSERT INTO toy_a_counts VALUES ('stale', 99)`); err != nil {
			t.Fatal(err)
		}
		r := e.runner(a, b)
		readFinal(t, e.store, final)
		if err := r.RebuildAll(context.Background()); err != nil {
			t.Fatalf("RebuildAll: %v", err)
		}
		want, wantCounts := expectedLog(t, e.store, nil)
		for _, n := range []string{a.name, b.name} {
			if got := dumpLog(t, e.pool, n); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %d rows, want %d", n, len(got), len(want))
			}
			if got := dumpCounts(t, e.pool, n); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("%s counts = %v, want %v", n, got, wantCounts)
			}
		}
		waitFor(t, r, final)
		if err := r.Rebuild(context.Background(), "nope"); !errors.Is(err, ErrUnknownProjection) {
			t.Errorf("Rebuild(nope) = %v, want ErrUnknownProjection", err)
		}
	})
}

func TestNewRunnerRejectsBadWiring(t *testing.T) {
	cases := map[string][]Projection{
		"duplicate": {&toyProjection{name: "x"}, &toyProjection{name: "x"}},
		"bad name":  {&toyProjection{name: "Bad-Name"}},
		"nil":       {nil},
	}
	for name, ps := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("NewRunner accepted %s", name)
				}
			}()
			cfg := Config{Store: storeFactories()[0].new(t, nil), Registry: toyRegistry(), Pool: dummyPool(t)}
			NewRunnerWithConfig(cfg, ps...)
		})
	}
}

// dummyPool is a pool that never connects: constructors must not do I/O.
func dummyPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// readFinal reads the whole feed once it reaches last. The PostgreSQL store
// shows an event only when no older transaction is still running, so right
// after an append the feed may briefly lag.
func readFinal(t *testing.T, store eventstore.Store, last eventstore.Position) []eventstore.RecordedEvent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := store.ReadAll(context.Background(), eventstore.Start, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 && !evs[len(evs)-1].Position.Less(last) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed did not reach %s", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A panicking Apply is recovered (applyRecovering, live and in catch-up),
// retried, parked with the panic in its error, and the runner carries on.
func TestRunnerParksAPanickingEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		p := &toyProjection{name: "toy", hook: func(_ context.Context, env event.Envelope) error {
			if n := env.Event.(*toyHappened).N; n == 3 || n == 33 {
				panic(fmt.Sprintf("boom %d", n))
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 2)
		backlog(t, e.store, w, 10)
		r := e.runner(p)
		start(t, r)
		waitLive(t, r, "toy")
		final := w.append(30)
		waitFor(t, r, final)
		parked, err := r.Parked(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 2 || !strings.Contains(parked[0].Error, "boom 3") || !strings.Contains(parked[1].Error, "boom 33") {
			t.Fatalf("parked = %+v, want events 3 and 33 with their panics", parked)
		}
		want, _ := expectedLog(t, e.store, func(n int) bool { return n == 3 || n == 33 })
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log: got %d rows, want %d", len(got), len(want))
		}
	})
}

// Two runners of the same projection (two service instances) share the
// work without applying anything twice or out of order: the checkpoint row
// lock and the skip rule decide, on both the batched and the live path.
func TestTwoRunnersShareAProjection(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		w := newFeedWriter(t, e.store, 4)
		w.append(150)
		r1, r2 := e.runner(&toyProjection{name: "toy"}), e.runner(&toyProjection{name: "toy"})
		start(t, r1)
		start(t, r2)
		waitLive(t, r1, "toy")
		waitLive(t, r2, "toy")
		final := w.append(60)
		waitFor(t, r1, final)
		waitFor(t, r2, final)
		want, wantCounts := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("two runners: got %d rows, want %d once each in order", len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, wantCounts) {
			t.Fatalf("counts = %v, want %v", got, wantCounts)
		}
	})
}

// A rebuild of a live projection leaves it live while the shadow replays
// (its live tables keep serving and applying) and after the swap.
func TestRebuildOfALiveProjectionEndsLive(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		w := newFeedWriter(t, e.store, 3)
		last := w.append(20)
		replaying := make(chan struct{})
		resume := make(chan struct{})
		var rebuilding atomic.Bool
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			if rebuilding.CompareAndSwap(true, false) {
				close(replaying)
				select {
				case <-resume:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}}
		r := e.runner(p)
		start(t, r)
		waitFor(t, r, last)
		waitLive(t, r, "toy")

		rebuilding.Store(true)
		done := make(chan error, 1)
		go func() { done <- r.Rebuild(context.Background(), "toy") }()
		select {
		case <-replaying:
		case <-time.After(30 * time.Second):
			t.Fatal("the rebuild never applied an event")
		}
		if st, err := r.Status(context.Background()); err != nil || !st[0].Live {
			t.Errorf("status during the rebuild = %+v, %v; want live", st, err)
		}
		close(resume)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Rebuild: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Rebuild did not return")
		}
		if st, err := r.Status(context.Background()); err != nil || !st[0].Live || st[0].Lag != 0 {
			t.Fatalf("status after the rebuild = %+v, %v; want live, no lag", st, err)
		}
		// A rebuild without a running runner leaves it not live.
		idle := e.runner(&toyProjection{name: "toy"})
		if err := idle.Rebuild(context.Background(), "toy"); err != nil {
			t.Fatal(err)
		}
		if st, err := idle.Status(context.Background()); err != nil || st[0].Live {
			t.Fatalf("status of a runner that does not run = %+v, %v; want not live", st, err)
		}
	})
}

// An error no retry can mend (Permanent, a decode failure, a PostgreSQL
// data exception) parks its event at once, after one attempt, live and
// during catch-up.
func TestRunnerParksAPermanentFailureAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		var attempts attemptCounter
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			switch n := env.Event.(*toyHappened).N; n {
			case 13:
				attempts.add(n)
				return Permanent(errInjected)
			case 43:
				attempts.add(n)
				// What PostgreSQL says of a NUL in text: class 22.
				return fmt.Errorf("store: %w", &pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"})
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 3)
		backlog(t, e.store, w, 30)
		r := e.runner(p)
		start(t, r)
		waitLive(t, r, "toy")
		waitFor(t, r, w.append(20))
		if got := attempts.get(13); got != 1 {
			t.Errorf("attempts on event 13 (catch-up) = %d, want 1", got)
		}
		if got := attempts.get(43); got != 1 {
			t.Errorf("attempts on event 43 (live) = %d, want 1", got)
		}
		if parked, err := r.Parked(context.Background()); err != nil || len(parked) != 2 {
			t.Fatalf("parked = %v, %v, want two", parked, err)
		}
	})
}

// A statement that fails is charged to the event whose Apply issued it,
// though the projections' statements reach PostgreSQL together (pipeTx):
// the event is parked, the events queued with it and after it apply.
func TestRunnerChargesAFailingStatementToItsEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		p := &toyProjection{name: "toy", txHook: func(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
			if n := env.Event.(*toyHappened).N; n == 13 || n == 43 {
				// NOT NULL violated (class 23): answered only when the
				// queued statements are sent, after later events queued
				// theirs.
				_, err := tx.Exec(ctx, `INSERT INTO toy_log (event_id, stream, revision, n, actor_role) VALUES ($1, NULL, 0, 0, '')`, env.ID)
				return err
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 3)
		backlog(t, e.store, w, 30)
		r := e.runner(p)
		start(t, r)
		waitLive(t, r, "toy")
		waitFor(t, r, w.append(20))
		parked, err := r.Parked(context.Background())
		if err != nil || len(parked) != 2 {
			t.Fatalf("parked = %v, %v, want two", parked, err)
		}
		var ns []int
		if err := e.pool.QueryRow(context.Background(), `SELECT array_agg(n ORDER BY n) FROM toy_log`).Scan(&ns); err != nil {
			t.Fatal(err)
		}
		var want []int
		for n := 1; n <= 50; n++ {
			if n%7 != 0 && n != 13 && n != 43 { // every 7th is another service's event
				want = append(want, n)
			}
		}
		if !slices.Equal(ns, want) {
			t.Errorf("applied events = %v, want %v", ns, want)
		}
	})
}
