package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
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
