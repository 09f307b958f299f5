package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// Run with: make bench-projections
// Each benchmark uses the toy projection (two statements per event).

func benchSetup(b *testing.B, storeKind string) (*pgxpool.Pool, eventstore.Store) {
	b.Helper()
	pool := pgtest.New(b)
	if _, err := pool.Exec(context.Background(), `
		CREATE TABLE toy_log (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, stream text NOT NULL,
			revision bigint NOT NULL, n int NOT NULL, actor_role text NOT NULL);
		CREATE TABLE toy_counts (stream text PRIMARY KEY, n int NOT NULL);`); err != nil {
		b.Fatal(err)
	}
	var store eventstore.Store
	switch storeKind {
	case "memory":
		store = memory.New()
	default:
		store = postgres.New(pool, postgres.WithPollInterval(100*time.Millisecond))
	}
	b.Cleanup(func() { _ = store.Close() })
	return pool, store
}

func benchAppend(b *testing.B, store eventstore.Store, n int) eventstore.Position {
	b.Helper()
	meta, _ := json.Marshal(event.Metadata{ActorRole: "bench"})
	var last eventstore.Position
	streams := []string{"toy-" + uuid.NewString(), "toy-" + uuid.NewString(), "toy-" + uuid.NewString()}
	for i := range n {
		res, err := store.Append(context.Background(), streams[i%3], eventstore.Any(), eventstore.EventData{
			ID: uuid.New(), Type: "toy.happened", Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: meta})
		if err != nil {
			b.Fatal(err)
		}
		last = res.Position
	}
	return last
}

func benchRunner(pool *pgxpool.Pool, store eventstore.Store) *Runner {
	return NewRunnerWithConfig(Config{Store: store, Registry: toyRegistry(), Pool: pool,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, &toyProjection{name: "toy"})
}

// directRate is the same-run baseline: the toy projection's statements for n
// events applied straight to the database, one transaction per event with
// the runner's commit mode, without feed, Watermill or checkpoint. It uses
// tables of its own so it leaves the benchmark's tables alone.
func directRate(b *testing.B, pool *pgxpool.Pool, n int) float64 {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS direct_log (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, stream text NOT NULL,
			revision bigint NOT NULL, n int NOT NULL, actor_role text NOT NULL);
		CREATE TABLE IF NOT EXISTS direct_counts (stream text PRIMARY KEY, n int NOT NULL);`); err != nil {
		b.Fatal(err)
	}
	p := &toyProjection{name: "direct"}
	stream := "toy-" + uuid.NewString()
	start := time.Now()
	for i := 0; i < n; i++ {
		env := event.Envelope{ID: uuid.New(), Stream: stream, Revision: uint64(i), Type: "toy.happened",
			Event: &toyHappened{N: i}, Metadata: event.Metadata{ActorRole: "bench"}}
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			b.Fatal(err)
		}
		if err := p.Apply(ctx, tx, env); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// reportVsDirect prints the runner's rate and its ratio to the direct
// baseline measured right after it in the same run, on the same database
// (read models are in PostgreSQL whichever store feeds them).
func reportVsDirect(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "events/s")
	direct := directRate(b, pool, min(b.N, 3000))
	b.ReportMetric(direct, "direct_events/s")
	b.ReportMetric(rate/direct, "ratio_vs_direct")
}

// BenchmarkLive measures the message-by-message path: the runner is live
// first, then b.N events arrive (100 per append, so the appends cost little).
func BenchmarkLive(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			pool, store := benchSetup(b, kind)
			r := benchRunner(pool, store)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			for {
				r.mu.Lock()
				live := r.live["toy"]
				r.mu.Unlock()
				if live {
					break
				}
				time.Sleep(time.Millisecond)
			}
			meta, _ := json.Marshal(event.Metadata{ActorRole: "bench"})
			b.ResetTimer()
			var last eventstore.Position
			for i := 0; i < b.N; i += 100 {
				batch := make([]eventstore.EventData, 0, 100)
				for j := i; j < min(i+100, b.N); j++ {
					batch = append(batch, eventstore.EventData{ID: uuid.New(), Type: "toy.happened", Data: fmt.Appendf(nil, `{"n":%d}`, j), Metadata: meta})
				}
				res, err := store.Append(context.Background(), "toy-"+uuid.NewString(), eventstore.NoStream(), batch...)
				if err != nil {
					b.Fatal(err)
				}
				last = res.Position
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer wcancel()
			if err := r.WaitFor(wctx, last); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportVsDirect(b, pool)
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkCatchUp measures the batched path over a backlog: b.N events
// appended first, then the time until the runner has applied them all.
func BenchmarkCatchUp(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			pool, store := benchSetup(b, kind)
			last := benchAppend(b, store, b.N)
			r := benchRunner(pool, store)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ResetTimer()
			go func() { done <- r.Run(ctx) }()
			wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer wcancel()
			if err := r.WaitFor(wctx, last); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportVsDirect(b, pool)
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkRebuild measures a replay of b.N events.
func BenchmarkRebuild(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			pool, store := benchSetup(b, kind)
			benchAppend(b, store, b.N)
			r := benchRunner(pool, store)
			b.ResetTimer()
			if err := r.RebuildAll(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportVsDirect(b, pool)
		})
	}
}

// BenchmarkAppendThenWaitFor measures read-your-writes: one append and the
// WaitFor that follows it, with the runner live.
func BenchmarkAppendThenWaitFor(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			pool, store := benchSetup(b, kind)
			r := benchRunner(pool, store)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			b.ResetTimer()
			for range b.N {
				pos := benchAppend(b, store, 1)
				wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
				err := r.WaitFor(wctx, pos)
				wcancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// sparseToy is a toy projection that uses one event in every `of`: real
// read models each use a few of the event types and return nil for the
// rest.
type sparseToy struct {
	toyProjection
	k, of int
}

func (p *sparseToy) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	if ev, ok := env.Event.(*toyHappened); ok && ev.N%p.of != p.k {
		return nil
	}
	return p.toyProjection.Apply(ctx, tx, env)
}

// BenchmarkLiveKeepsUp is the province's live load in small: 12
// projections (each using a quarter of the events, two statements each)
// live while 32 writers append one event per append. It reports the append
// rate (the baseline, in the same run), the rate at which all 12 projections
// have applied everything (apply_events/s, from the first append until the
// last projection has applied the last event), their ratio, how long the
// projections needed after the writers stopped (catchup_ms), and the
// database's commits per stored event (appends included).
func BenchmarkLiveKeepsUp(b *testing.B) {
	for _, kind := range []string{"postgres"} {
		b.Run(kind, func(b *testing.B) {
			pool, store := benchSetup(b, kind)
			ctx := context.Background()
			var ps []Projection
			for i := range 12 {
				p := &sparseToy{toyProjection: toyProjection{name: fmt.Sprintf("toy%d", i)}, k: i % 4, of: 4}
				if _, err := pool.Exec(ctx, fmt.Sprintf(`
					CREATE TABLE %[1]s_log (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, stream text NOT NULL,
						revision bigint NOT NULL, n int NOT NULL, actor_role text NOT NULL);
					CREATE TABLE %[1]s_counts (stream text PRIMARY KEY, n int NOT NULL);`, p.name)); err != nil {
					b.Fatal(err)
				}
				ps = append(ps, p)
			}
			r := NewRunnerWithConfig(Config{Store: store, Registry: toyRegistry(), Pool: pool,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, ps...)
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(rctx) }()
			for _, p := range ps {
				for {
					r.mu.Lock()
					live := r.live[p.Name()]
					r.mu.Unlock()
					if live {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			commits := func() int64 {
				var n int64
				if err := pool.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
					b.Fatal(err)
				}
				return n
			}
			time.Sleep(600 * time.Millisecond) // pg_stat is refreshed at most every 500ms
			c0 := commits()
			meta, _ := json.Marshal(event.Metadata{ActorRole: "bench"})
			const writers = 32
			var next atomic.Int64
			var mu sync.Mutex
			var last eventstore.Position
			b.ResetTimer()
			begin := time.Now()
			var wg sync.WaitGroup
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := "toy-" + uuid.NewString()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						res, err := store.Append(ctx, stream, eventstore.Any(), eventstore.EventData{
							ID: uuid.New(), Type: "toy.happened", Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: meta})
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						if last.Less(res.Position) {
							last = res.Position
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			appended := time.Since(begin)
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
			defer wcancel()
			if err := r.WaitFor(wctx, last); err != nil {
				b.Fatal(err)
			}
			total := time.Since(begin)
			b.StopTimer()
			time.Sleep(600 * time.Millisecond)
			c1 := commits()
			appendRate := float64(b.N) / appended.Seconds()
			applyRate := float64(b.N) / total.Seconds()
			b.ReportMetric(appendRate, "append_events/s")
			b.ReportMetric(applyRate, "apply_events/s")
			b.ReportMetric(applyRate/appendRate, "ratio_apply_vs_append")
			b.ReportMetric(float64((total - appended).Milliseconds()), "catchup_ms")
			b.ReportMetric(float64(c1-c0)/float64(b.N), "commits/event")
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
