package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// benchData and benchMeta are the size of a typical teacher event.
var (
	benchData = []byte(`{"teacher_id":"6f1c2a52-8a57-4c43-9a55-3d1b0f6f7e21","field":"unit","old":"石家庄市第一中学","new":"石家庄市第二中学","reason":"调动","effective":"2026-09-01","region":"130102","approved_by":"区县管理员"}`)
	benchMeta = []byte(`{"actor":"0b6c3d2e-1f2a-4b5c-8d9e-0f1a2b3c4d5e","role":"county_admin","correlation_id":"8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968","occurred_at":"2026-11-28T08:00:00Z"}`)
)

func benchPool(b *testing.B, conns int32) *pgxpool.Pool {
	b.Helper()
	_, dsn := pgtest.NewWithURL(b)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = conns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	// The raw baseline: the same columns with only a primary key, written by
	// a plain INSERT, i.e. what storing the rows costs without an event store.
	if _, err := pool.Exec(context.Background(), `CREATE TABLE bench_raw (
		seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		stream text NOT NULL, revision bigint NOT NULL, event_id uuid NOT NULL,
		event_type text NOT NULL, data bytea NOT NULL, metadata bytea NOT NULL,
		recorded_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		b.Fatal(err)
	}
	return pool
}

func benchEvents(k int) []eventstore.EventData {
	out := make([]eventstore.EventData, k)
	for i := range out {
		out[i] = eventstore.EventData{ID: uuid.New(), Type: "teacher.unit_changed", Data: benchData, Metadata: benchMeta}
	}
	return out
}

// runWriters runs ops operations spread over writers goroutines and returns
// the wall time. op gets the writer's index and fails the benchmark on error.
func runWriters(b *testing.B, writers, ops int, op func(w int) error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(ops) && failed.Load() == nil {
				if err := op(w); err != nil {
					failed.Store(&err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	return elapsed
}

// BenchmarkAppend measures appends per second with concurrent writers, each
// on its own streams and tracking its expected revision, and in the same run
// a raw INSERT of the same rows at the same concurrency. One op is one append
// of k events; ns/op and events/s are the store's.
func BenchmarkAppend(b *testing.B) {
	for _, k := range []int{1, 10} {
		for _, writers := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("events=%d/writers=%d", k, writers), func(b *testing.B) {
				benchAppend(b, writers, k, false)
			})
		}
	}
}

// BenchmarkAppendNotifyEveryAppend is the design the store avoids: every
// append NOTIFYs inside its transaction (es_append called directly with
// p_notify), so PostgreSQL serialises the commits.
func BenchmarkAppendNotifyEveryAppend(b *testing.B) {
	for _, writers := range []int{8, 32} {
		b.Run(fmt.Sprintf("events=1/writers=%d", writers), func(b *testing.B) {
			benchAppend(b, writers, 1, true)
		})
	}
}

func benchAppend(b *testing.B, writers, k int, notifyEvery bool) {
	b.StopTimer() // setup (a fresh database) is not measured
	ctx := context.Background()
	pool := benchPool(b, int32(writers+2))
	s := postgres.New(pool)
	defer s.Close()

	// A new stream every 50 appends keeps streams the size of an aggregate's.
	// Each writer goroutine i owns rawWs[i] and storeWs[i].
	type writer struct {
		stream string
		next   eventstore.ExpectedRevision
		n      int // appends so far to stream
		batch  []eventstore.EventData
	}
	newWriters := func() []*writer {
		ws := make([]*writer, writers)
		for i := range ws {
			ws[i] = &writer{batch: benchEvents(k), n: 50}
		}
		return ws
	}
	rawWs, storeWs := newWriters(), newWriters()
	rotate := func(w *writer) {
		if w.n == 50 {
			w.stream, w.next, w.n = "teacher-"+uuid.NewString(), eventstore.NoStream(), 0
		}
		for i := range w.batch {
			w.batch[i].ID = uuid.New()
		}
	}

	rawOp := func(i int) error {
		w := rawWs[i]
		rotate(w)
		w.n++
		ids := make([]uuid.UUID, k)
		types := make([]string, k)
		data := make([][]byte, k)
		meta := make([][]byte, k)
		for j, e := range w.batch {
			ids[j], types[j], data[j], meta[j] = e.ID, e.Type, e.Data, e.Metadata
		}
		_, err := pool.Exec(ctx, `INSERT INTO bench_raw (stream, revision, event_id, event_type, data, metadata)
			SELECT $1, u.ord - 1, u.id, u.typ, u.dat, u.met
			FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::bytea[]) WITH ORDINALITY AS u(id, typ, dat, met, ord)`,
			w.stream, ids, types, data, meta)
		return err
	}
	storeOp := func(i int) error {
		w := storeWs[i]
		rotate(w)
		defer func() { w.n++ }()
		if notifyEvery {
			return notifyEveryAppend(ctx, pool, w.stream, w.n, w.batch)
		}
		res, err := s.Append(ctx, w.stream, w.next, w.batch...)
		if err != nil {
			return err
		}
		w.next = eventstore.Exact(res.NextRevision)
		return nil
	}
	// Raw and store rounds alternate, so load from other work on the machine
	// falls on both alike; only the store rounds are timed by the framework.
	const rounds = 4
	var elapsed, rawElapsed time.Duration
	for r := 0; r < rounds; r++ {
		n := b.N/rounds + boolInt(r < b.N%rounds)
		if n == 0 {
			continue
		}
		rawElapsed += runWriters(b, writers, n, rawOp)
		b.StartTimer()
		elapsed += runWriters(b, writers, n, storeOp)
		b.StopTimer()
	}
	rate := float64(b.N*k) / elapsed.Seconds()
	raw := float64(b.N*k) / rawElapsed.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(raw, "raw_events/s")
	b.ReportMetric(rate/raw, "ratio_vs_raw")
}

// feedStore returns a store holding 50,000 events in streams of 100.
func feedStore(b *testing.B) *postgres.Store {
	b.Helper()
	ctx := context.Background()
	pool := benchPool(b, 4)
	s := postgres.New(pool)
	b.Cleanup(func() { s.Close() })
	const total, per = 50_000, 100
	for i := 0; i < total/per; i++ {
		if _, err := s.Append(ctx, "teacher-"+uuid.NewString(), eventstore.NoStream(), benchEvents(per)...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE es_events`); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkReadAll measures reading the global feed in pages of 500 events
// from a store holding 50,000 events. One op is one event.
func BenchmarkReadAll(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	s := feedStore(b)
	b.StartTimer()
	start := time.Now()
	from := eventstore.Start
	for read := 0; read < b.N; {
		page, err := s.ReadAll(ctx, from, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(page) == 0 {
			from = eventstore.Start
			continue
		}
		read += len(page)
		from = page[len(page)-1].Position
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkSubscribeCatchUp measures a subscription catching up on a store
// of 50,000 events (what a projection does after a restart). One op is one
// event delivered by Next.
func BenchmarkSubscribeCatchUp(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	s := feedStore(b)
	b.StartTimer()
	start := time.Now()
	for read := 0; read < b.N; {
		sub, err := s.SubscribeAll(ctx, eventstore.Start)
		if err != nil {
			b.Fatal(err)
		}
		for read < b.N {
			m, err := sub.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if m.CaughtUp {
				break
			}
			read++
		}
		sub.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// notifyEveryAppend appends as the store would, but always with the NOTIFY
// in the transaction. n is the append's index in the stream.
func notifyEveryAppend(ctx context.Context, pool *pgxpool.Pool, stream string, n int, batch []eventstore.EventData) error {
	k := len(batch)
	kind, rev := int16(1), int64(0)
	if n > 0 {
		kind, rev = 3, int64(n*k-1)
	}
	ids := make([]uuid.UUID, k)
	types := make([]string, k)
	data := make([][]byte, k)
	meta := make([][]byte, k)
	for j, e := range batch {
		ids[j], types[j], data[j], meta[j] = e.ID, e.Type, e.Data, e.Metadata
	}
	var status int16
	if err := pool.QueryRow(ctx, `SELECT status FROM es_append($1, $2, $3, $4, $5, $6, $7, true)`,
		stream, kind, rev, ids, types, data, meta).Scan(&status); err != nil {
		return err
	}
	if status != 0 {
		return fmt.Errorf("es_append status %d", status)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkLiveDelivery measures how long a live subscriber takes to see an
// event after Append returned, one append at a time (the in-transaction
// NOTIFY path). One op is one append plus its delivery; p50_ms and p99_ms
// are append-return-to-Next latencies.
func BenchmarkLiveDelivery(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	pool := benchPool(b, 6)
	s := postgres.New(pool)
	defer s.Close()
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	if m, err := sub.Next(ctx); err != nil || !m.CaughtUp {
		b.Fatalf("first message %+v, %v", m, err)
	}
	lat := make([]time.Duration, 0, b.N)
	stream, next := "teacher-"+uuid.NewString(), eventstore.NoStream()
	b.StartTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.Append(ctx, stream, next, benchEvents(1)...)
		if err != nil {
			b.Fatal(err)
		}
		appended := time.Now()
		next = eventstore.Exact(res.NextRevision)
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if m.Event != nil && m.Position == res.Position {
				break
			}
		}
		lat = append(lat, time.Since(appended))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
