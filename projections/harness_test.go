package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// toyHappened is the test's only registered event type.
type toyHappened struct {
	N int `json:"n"`
}

func (toyHappened) EventType() string { return "toy.happened" }

// foreignType is an event type the registry does not know, as another
// service's event would be.
const foreignType = "other_service.something"

func toyRegistry() *event.Registry {
	reg := event.NewRegistry()
	reg.Register(func() event.Event { return &toyHappened{} })
	return reg
}

// toyProjection logs every applied event into <name>_log and counts events
// per stream into <name>_counts. hook, when set, runs inside Apply after the
// log row is written, so a failure there also proves the rollback.
type toyProjection struct {
	name string
	hook func(ctx context.Context, env event.Envelope) error
	// txHook, if set, runs after hook with the transaction Apply got.
	txHook func(ctx context.Context, tx pgx.Tx, env event.Envelope) error

	mu    sync.Mutex
	calls int
}

func (p *toyProjection) Name() string     { return p.name }
func (p *toyProjection) Tables() []string { return []string{p.name + "_log", p.name + "_counts"} }

func (p *toyProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	ev, ok := env.Event.(*toyHappened)
	if !ok {
		return fmt.Errorf("unexpected event %T", env.Event)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s_log (event_id, stream, revision, n, actor_role) VALUES ($1, $2, $3, $4, $5)`, p.name),
		env.ID, env.Stream, int64(env.Revision), ev.N, env.Metadata.ActorRole); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s_counts (stream, n) VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET n = %[1]s_counts.n + 1`, p.name),
		env.Stream); err != nil {
		return err
	}
	if p.hook != nil {
		if err := p.hook(ctx, env); err != nil {
			return err
		}
	}
	if p.txHook != nil {
		return p.txHook(ctx, tx, env)
	}
	return nil
}

func (p *toyProjection) applyCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

func createToyTables(t *testing.T, pool *pgxpool.Pool, name string) {
	t.Helper()
	_, err := pool.Exec(context.Background(), fmt.Sprintf(`
		CREATE TABLE %[1]s_log (
			seq        bigserial PRIMARY KEY,
			event_id   uuid   NOT NULL,
			stream     text   NOT NULL,
			revision   bigint NOT NULL,
			n          int    NOT NULL,
			actor_role text   NOT NULL
		);
		CREATE TABLE %[1]s_counts (stream text PRIMARY KEY, n int NOT NULL);`, name))
	if err != nil {
		t.Fatalf("create toy tables: %v", err)
	}
}

// logRow is one applied event as the toy log holds it (without seq, which a
// rebuild renumbers).
type logRow struct {
	EventID  uuid.UUID
	Stream   string
	Revision int64
	N        int
	Actor    string
}

func dumpLog(t *testing.T, pool *pgxpool.Pool, name string) []logRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT event_id, stream, revision, n, actor_role FROM %s_log ORDER BY seq`, name))
	if err != nil {
		t.Fatalf("dump log: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[logRow])
	if err != nil {
		t.Fatalf("dump log: %v", err)
	}
	return out
}

func dumpCounts(t *testing.T, pool *pgxpool.Pool, name string) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT stream, n FROM %s_counts ORDER BY stream`, name))
	if err != nil {
		t.Fatalf("dump counts: %v", err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatalf("dump counts: %v", err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("dump counts: %v", err)
	}
	return out
}

// expectedLog is what a toy projection must hold after applying the whole
// feed once in order: every known event, minus the skipped ones.
func expectedLog(t *testing.T, store eventstore.Store, skip func(n int) bool) ([]logRow, map[string]int) {
	t.Helper()
	var rows []logRow
	counts := map[string]int{}
	from := eventstore.Start
	for {
		batch, err := store.ReadAll(context.Background(), from, 100)
		if err != nil {
			t.Fatalf("read all: %v", err)
		}
		if len(batch) == 0 {
			return rows, counts
		}
		for _, e := range batch {
			from = e.Position
			if e.Type != (toyHappened{}).EventType() {
				continue
			}
			var ev toyHappened
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if skip != nil && skip(ev.N) {
				continue
			}
			var meta event.Metadata
			if err := json.Unmarshal(e.Metadata, &meta); err != nil {
				t.Fatalf("decode metadata: %v", err)
			}
			rows = append(rows, logRow{EventID: e.ID, Stream: e.Stream, Revision: int64(e.Revision), N: ev.N, Actor: meta.ActorRole})
			counts[e.Stream]++
		}
	}
}

// feedWriter appends toy events round-robin over a few streams, with a
// foreign event every seventh append.
type feedWriter struct {
	t       *testing.T
	store   eventstore.Store
	streams []string
	n       int
}

func newFeedWriter(t *testing.T, store eventstore.Store, streams int) *feedWriter {
	w := &feedWriter{t: t, store: store}
	for range streams {
		w.streams = append(w.streams, "toy-"+uuid.NewString())
	}
	return w
}

// append writes k events and returns the last position. It reports a
// failure with Errorf (not Fatalf), so writer goroutines may call it.
func (w *feedWriter) append(k int) eventstore.Position {
	w.t.Helper()
	var last eventstore.Position
	for range k {
		w.n++
		typ, data := (toyHappened{}).EventType(), fmt.Appendf(nil, `{"n":%d}`, w.n)
		if w.n%7 == 0 {
			typ, data = foreignType, []byte(`{"whatever":true}`)
		}
		meta, _ := json.Marshal(event.Metadata{ActorID: uuid.New(), ActorRole: fmt.Sprintf("role%d", w.n%3), OccurredAt: time.Now().UTC()})
		res, err := w.store.Append(context.Background(), w.streams[w.n%len(w.streams)], eventstore.Any(),
			eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: meta})
		if err != nil {
			w.t.Errorf("append: %v", err)
			return last
		}
		last = res.Position
	}
	return last
}

// storeFactory builds an event store for a test; the PostgreSQL one shares
// the test's database.
type storeFactory struct {
	name string
	new  func(t *testing.T, pool *pgxpool.Pool) eventstore.Store
}

func storeFactories() []storeFactory {
	return []storeFactory{
		{"memory", func(t *testing.T, _ *pgxpool.Pool) eventstore.Store {
			s := memory.New()
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"postgres", func(t *testing.T, pool *pgxpool.Pool) eventstore.Store {
			s := postgres.New(pool, postgres.WithPollInterval(100*time.Millisecond))
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"esdb", func(t *testing.T, _ *pgxpool.Pool) eventstore.Store {
			fake := esdbfake.Start(t)
			s, err := esdb.New(context.Background(), fake.ConnString(), esdb.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

type env struct {
	pool  *pgxpool.Pool
	store eventstore.Store
	reg   *event.Registry
	logs  *logBuffer
}

func newEnv(t *testing.T, sf storeFactory) *env {
	t.Helper()
	pool := pgtest.New(t)
	return &env{pool: pool, store: sf.new(t, pool), reg: toyRegistry(), logs: &logBuffer{}}
}

func (e *env) runner(ps ...Projection) *Runner {
	return NewRunnerWithConfig(Config{
		Store:           e.store,
		Registry:        e.reg,
		Pool:            e.pool,
		Logger:          slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Retry:           RetryPolicy{MaxRetries: 3, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond},
		RedeliveryDelay: 5 * time.Millisecond,
		PollInterval:    50 * time.Millisecond,
		RebuildBatch:    37, // not a divisor of the event counts, so batch edges are exercised
	}, ps...)
}

// start runs r until the test ends (or stop is called) and fails the test
// if Run returns an error.
func start(t *testing.T, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, r *Runner, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, pos); err != nil {
		t.Fatalf("WaitFor(%s): %v", pos, err)
	}
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var errInjected = errors.New("injected failure")
