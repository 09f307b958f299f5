package projections

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// tableShape is what a swap must keep of a table: its index definitions
// and that it is logged.
func tableShape(t *testing.T, pool *pgxpool.Pool, table string) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `
		SELECT c.relpersistence::text || ' ' || coalesce((SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1), '')
		FROM pg_class c WHERE c.oid = ('public.' || $1)::regclass`, table).Scan(&s)
	if err != nil {
		t.Fatalf("shape of %s: %v", table, err)
	}
	return s
}

func shadowSchemas(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// A blue/green rebuild of one projection while events are appended and
// queries read: the readers never see the read model shrink (the live
// tables serve until the swap, and the swapped-in ones are at least as far),
// the live path of both projections keeps applying during the replay, and
// the result equals a fresh projection of the whole feed, with the same
// indexes, and keeps applying live after the swap.
func TestBlueGreenRebuildUnderLoad(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		a, b := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
		createToyTables(t, e.pool, a.name)
		createToyTables(t, e.pool, b.name)
		ctx := context.Background()
		if _, err := e.pool.Exec(ctx, `CREATE INDEX toy_a_log_by_stream ON toy_a_log (stream, revision);
			CREATE UNIQUE INDEX toy_a_log_event ON toy_a_log (event_id)`); err != nil {
			t.Fatal(err)
		}
		shape := tableShape(t, e.pool, "toy_a_log")
		w := newFeedWriter(t, e.store, 5)
		r := e.runner(a, b)
		start(t, r)
		waitFor(t, r, w.append(150))

		// Readers: the number of rows never goes down.
		stopRead := make(chan struct{})
		var reads atomic.Int64
		var readErr error
		var rwg sync.WaitGroup
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			prev := 0
			for {
				select {
				case <-stopRead:
					return
				default:
				}
				var n int
				if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM toy_a_log`).Scan(&n); err != nil {
					readErr = err
					return
				}
				if n < prev || n == 0 {
					readErr = fmt.Errorf("toy_a_log had %d rows, then %d", prev, n)
					return
				}
				prev = n
				reads.Add(1)
			}
		}()
		// Writers: events keep arriving through the whole rebuild.
		stopWrite := make(chan struct{})
		var wwg sync.WaitGroup
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			wr := newFeedWriter(t, e.store, 3)
			wr.n = 10000
			for {
				select {
				case <-stopWrite:
					return
				default:
				}
				wr.append(1)
				time.Sleep(2 * time.Millisecond)
			}
		}()

		// Halfway through the replay, both projections still apply new
		// events live, and the old table answers in full.
		paused := make(chan struct{})
		resume := make(chan struct{})
		var once sync.Once
		r.rebuildHook = func(stage, name string) error {
			if stage == "batch" {
				once.Do(func() { close(paused); <-resume })
			}
			return nil
		}
		done := make(chan error, 1)
		go func() { done <- r.Rebuild(ctx, "toy_a") }()
		select {
		case <-paused:
		case err := <-done:
			t.Fatalf("rebuild ended before its first batch was through: %v", err)
		}
		if got := shadowSchemas(t, e.pool); !reflect.DeepEqual(got, []string{"rebuild_toy_a"}) {
			t.Errorf("shadow schemas during the rebuild = %v", got)
		}
		during := w.append(20)
		waitFor(t, r, during) // both toy_a (live tables) and toy_b
		// The writer goes on appending: count the events up to during only.
		upTo := 0
		for _, ev := range readFinal(t, e.store, during) {
			if !during.Less(ev.Position) {
				upTo++
			}
		}
		if got, want := len(dumpLog(t, e.pool, "toy_a")), upTo*6/7; got < want-10 {
			t.Errorf("live toy_a during the rebuild has %d rows, want about %d", got, want)
		}
		close(resume)
		if err := <-done; err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		close(stopWrite)
		wwg.Wait()
		close(stopRead)
		rwg.Wait()
		if readErr != nil {
			t.Fatalf("reader: %v", readErr)
		}
		if reads.Load() < 5 {
			t.Errorf("only %d reads during the rebuild", reads.Load())
		}
		if got := shadowSchemas(t, e.pool); len(got) != 0 {
			t.Errorf("shadow schemas left after the swap: %v", got)
		}
		if got := tableShape(t, e.pool, "toy_a_log"); got != shape {
			t.Errorf("toy_a_log after the swap:\n%s\nbefore:\n%s", got, shape)
		}

		// After the swap the live path continues from the swapped-in
		// checkpoint: no event twice, none missing.
		final := w.append(30)
		waitFor(t, r, final)
		want, wantCounts := expectedLog(t, e.store, nil)
		for _, n := range []string{"toy_a", "toy_b"} {
			if got := dumpLog(t, e.pool, n); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %d rows, want %d once each in order", n, len(got), len(want))
			}
			if got := dumpCounts(t, e.pool, n); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("%s counts = %v, want %v", n, got, wantCounts)
			}
		}
	})
}

// A rebuild killed part way leaves its shadow behind and the live tables
// serving and applying; the next Run (or rebuild) drops the shadow.
func TestKilledRebuildLeavesLiveTablesAndItsShadowIsCleaned(t *testing.T) {
	sf := storeFactories()[1]
	e := newEnv(t, sf)
	createToyTables(t, e.pool, "toy")
	w := newFeedWriter(t, e.store, 3)
	r := e.runner(&toyProjection{name: "toy"})
	stop := start(t, r)
	waitFor(t, r, w.append(120))
	before := dumpLog(t, e.pool, "toy")

	var batches atomic.Int32
	r.rebuildHook = func(stage, _ string) error {
		if stage == "batch" && batches.Add(1) == 2 {
			return errCrashed
		}
		return nil
	}
	if err := r.Rebuild(context.Background(), "toy"); !errors.Is(err, errCrashed) {
		t.Fatalf("Rebuild = %v, want the simulated kill", err)
	}
	r.rebuildHook = nil
	if got := shadowSchemas(t, e.pool); !reflect.DeepEqual(got, []string{"rebuild_toy"}) {
		t.Fatalf("shadows after the kill = %v, want rebuild_toy", got)
	}
	if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, before) {
		t.Fatalf("live table changed by the killed rebuild: %d rows, had %d", len(got), len(before))
	}
	waitFor(t, r, w.append(10)) // still applying live

	// The next start of the projections drops it.
	stop()
	r2 := e.runner(&toyProjection{name: "toy"})
	start(t, r2)
	waitFor(t, r2, w.append(5))
	if got := shadowSchemas(t, e.pool); len(got) != 0 {
		t.Fatalf("shadows after the next Run = %v", got)
	}
	if err := r2.Rebuild(context.Background(), "toy"); err != nil {
		t.Fatalf("Rebuild after the kill: %v", err)
	}
	waitFor(t, r2, w.append(5))
	want, _ := expectedLog(t, e.store, nil)
	if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the rebuild: %d rows, want %d", len(got), len(want))
	}
}

// Two rebuilds of the same projection, from two runners (two processes):
// the second is refused naming the first's session; a rebuild of another
// projection runs beside it.
func TestConcurrentRebuildsOfOneProjectionRefused(t *testing.T) {
	sf := storeFactories()[1]
	e := newEnv(t, sf)
	createToyTables(t, e.pool, "toy_a")
	createToyTables(t, e.pool, "toy_b")
	w := newFeedWriter(t, e.store, 3)
	final := w.append(100)
	readFinal(t, e.store, final)
	first := e.runner(&toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"})
	paused := make(chan struct{})
	resume := make(chan struct{})
	var once sync.Once
	first.rebuildHook = func(stage, _ string) error {
		if stage == "batch" {
			once.Do(func() { close(paused); <-resume })
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- first.Rebuild(context.Background(), "toy_a") }()
	<-paused

	second := e.runner(&toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"})
	for _, call := range []func() error{
		func() error { return second.Rebuild(context.Background(), "toy_a") },
		func() error { return second.RebuildAll(context.Background()) },
	} {
		err := call()
		if !errors.Is(err, ErrRebuildRunning) || !strings.Contains(err.Error(), "record rebuild (pid") {
			t.Errorf("second rebuild = %v, want ErrRebuildRunning naming the holder", err)
		}
	}
	if err := second.Rebuild(context.Background(), "toy_b"); err != nil {
		t.Errorf("rebuild of another projection beside it: %v", err)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatalf("first rebuild: %v", err)
	}
	if err := second.Rebuild(context.Background(), "toy_a"); err != nil {
		t.Errorf("rebuild after the first ended: %v", err)
	}
	want, wantCounts := expectedLog(t, e.store, nil)
	for _, n := range []string{"toy_a", "toy_b"} {
		if got := dumpLog(t, e.pool, n); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows, want %d", n, len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, n); !reflect.DeepEqual(got, wantCounts) {
			t.Errorf("%s counts = %v, want %v", n, got, wantCounts)
		}
	}
}

// indexReadingToy is the toy projection declaring that its Apply reads
// toy_log by (stream, revision).
type indexReadingToy struct{ *toyProjection }

func (indexReadingToy) ReadIndexes() []string { return []string{"toy_log_stream"} }

// A rebuild builds the non-unique indexes a projection's Apply reads
// (IndexReader) before it loads the shadow tables, and the others after:
// during the load the shadow has the one and not the other; after the swap
// the live table has both, as before.
func TestRebuildBuildsTheIndexesApplyReadsFirst(t *testing.T) {
	sf := storeFactories()[1]
	e := newEnv(t, sf)
	createToyTables(t, e.pool, "toy")
	if _, err := e.pool.Exec(context.Background(), `CREATE INDEX toy_log_stream ON toy_log (stream, revision);
		CREATE INDEX toy_log_n ON toy_log (n)`); err != nil {
		t.Fatal(err)
	}
	shape := tableShape(t, e.pool, "toy_log")
	w := newFeedWriter(t, e.store, 3)
	r := e.runner(indexReadingToy{&toyProjection{name: "toy"}})
	start(t, r)
	waitFor(t, r, w.append(60))

	var during []string
	r.rebuildHook = func(stage, _ string) error {
		if stage == "batch" && during == nil {
			rows, err := e.pool.Query(context.Background(), `SELECT indexname FROM pg_indexes WHERE schemaname = 'rebuild_toy' AND tablename = 'toy_log' ORDER BY 1`)
			if err != nil {
				return err
			}
			defer rows.Close()
			during = []string{}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					return err
				}
				during = append(during, n)
			}
			return rows.Err()
		}
		return nil
	}
	if err := r.Rebuild(context.Background(), "toy"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"toy_log_pkey", "toy_log_stream"}; !reflect.DeepEqual(during, want) {
		t.Fatalf("shadow indexes during the load = %v, want %v", during, want)
	}
	if got := tableShape(t, e.pool, "toy_log"); got != shape {
		t.Fatalf("after the swap:\n%s\nwant\n%s", got, shape)
	}
}

// A rebuild leaves its tables with a visibility map, so index-only scans
// need not read the heap: a transaction begun before the rebuild and still
// open while each job sets its shadow logged and vacuums it (as another
// job's batches are in a rebuild of several projections) keeps that VACUUM
// from marking any page; the rebuild vacuums again once every job is done.
func TestRebuildLeavesTablesVacuumed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storeFactories()[0])
	a, b := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
	createToyTables(t, e.pool, a.name)
	createToyTables(t, e.pool, b.name)
	w := newFeedWriter(t, e.store, 5)
	final := w.append(600)
	readFinal(t, e.store, final)
	r := e.runner(a, b)

	old, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = old.Rollback(ctx) }()
	if _, err := old.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	finished := map[string]bool{}
	r.rebuildHook = func(stage, name string) error {
		if stage != "swap" { // called after the job's SET LOGGED and VACUUM
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		finished[name] = true
		if len(finished) == 2 {
			return old.Commit(ctx)
		}
		return nil
	}
	if err := r.RebuildAll(ctx); err != nil {
		t.Fatalf("RebuildAll: %v", err)
	}
	for _, table := range []string{"toy_a_log", "toy_b_log"} {
		var pages, visible int
		if err := e.pool.QueryRow(ctx, `SELECT relpages, relallvisible FROM pg_class WHERE oid = ('public.' || $1)::regclass`, table).
			Scan(&pages, &visible); err != nil {
			t.Fatal(err)
		}
		if pages == 0 || visible != pages {
			t.Errorf("%s after the rebuild: %d of %d pages marked all-visible, want all", table, visible, pages)
		}
	}
}
