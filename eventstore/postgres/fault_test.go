package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// TestSubscriptionSurvivesKilledConnections terminates every backend of the
// store's database (the LISTEN connection, the subscription's reads, the
// writers) several times while writers append and a subscriber follows the
// feed. Writers retry failed appends with the same IDs and expectation; the
// subscriber must end with every event exactly once, in feed order.
func TestSubscriptionSurvivesKilledConnections(t *testing.T) {
	_, dsn := pgtest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var warnings atomic.Int64
	logger := slog.New(countingHandler{&warnings})
	s := postgres.New(pool, postgres.WithPollInterval(200*time.Millisecond), postgres.WithBatchSize(20), postgres.WithLogger(logger))
	defer s.Close()

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())

	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	const (
		writers = 4
		appends = 60
	)
	total := writers * appends * 2
	var (
		delivered  atomic.Int64
		writerErrs = make(chan error, writers)
		wg         sync.WaitGroup
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("fault-%d-%s", w, uuid.NewString())
			expected := eventstore.NoStream()
			for a := 0; a < appends; a++ {
				batch := []eventstore.EventData{ev("fault"), ev("fault")}
				for {
					res, err := s.Append(ctx, stream, expected, batch...)
					if err == nil {
						expected = eventstore.Exact(res.NextRevision)
						break
					}
					if errors.Is(err, eventstore.ErrWrongExpectedRevision) || ctx.Err() != nil {
						writerErrs <- fmt.Errorf("writer %d append %d: %w", w, a, err)
						return
					}
					time.Sleep(10 * time.Millisecond) // the connection was killed: retry the same append
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}

	// The killer waits for the subscriber to be live, then terminates every
	// other backend of the database a few times, spread over the writes.
	var kills []string
	// kill terminates the other client backends of the database whose last
	// query matches like, and records those queries.
	kill := func(like string) error {
		rows, err := admin.Query(ctx, `SELECT query, pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
			  AND query LIKE $1`, like)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q string
			var ok bool
			if rows.Scan(&q, &ok) == nil && ok {
				kills = append(kills, q)
			}
		}
		return rows.Err()
	}
	killedReader := func() bool {
		return slices.ContainsFunc(kills, func(q string) bool { return strings.Contains(q, "pg_snapshot_xmin") })
	}
	killDone := make(chan struct{})
	go func() {
		defer close(killDone)
		for k := 0; k < 4; k++ {
			for delivered.Load() < int64((k+1)*total/6) && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			if kill("%") != nil {
				return
			}
		}
		// Which backend last ran a feed read at those moments is chance (a
		// pooled connection goes on to an append): until one is killed,
		// look for one while the writes go on.
		for !killedReader() && delivered.Load() < int64(total) && ctx.Err() == nil {
			if kill("%pg_snapshot_xmin%") != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()

	seen := map[uuid.UUID]bool{}
	var order []uuid.UUID
	var last eventstore.Position
	for len(seen) < total {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d of %d events: %v", len(seen), total, err)
		}
		if m.Event == nil {
			continue
		}
		if seen[m.Event.ID] {
			t.Fatalf("event %s delivered twice", m.Event.ID)
		}
		if !last.Less(m.Event.Position) {
			t.Fatalf("position %s delivered after %s", m.Event.Position, last)
		}
		seen[m.Event.ID] = true
		order = append(order, m.Event.ID)
		last = m.Event.Position
		delivered.Add(1)
	}
	wg.Wait()
	<-killDone
	close(writerErrs)
	for err := range writerErrs {
		t.Fatal(err)
	}

	killedListener := slices.ContainsFunc(kills, func(q string) bool { return strings.HasPrefix(q, "LISTEN") })
	if !killedListener || !killedReader() {
		t.Fatalf("the test did not kill both the listener and a reader (killed: %q)", kills)
	}
	if warnings.Load() == 0 {
		t.Fatal("no connection loss was logged: the kills had no effect")
	}

	var feed []eventstore.RecordedEvent
	for from := eventstore.Start; ; {
		page, err := s.ReadAll(ctx, from, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		feed = append(feed, page...)
		from = page[len(page)-1].Position
	}
	if len(feed) != total {
		t.Fatalf("the feed has %d events, want %d (a retry wrote a duplicate?)", len(feed), total)
	}
	for i := range feed {
		if feed[i].ID != order[i] {
			t.Fatalf("delivered order differs from the feed at %d", i)
		}
	}
	t.Logf("%d events; %d backends killed; %d warnings logged", total, len(kills), warnings.Load())
}

// countingHandler counts warnings and drops the records, keeping test output
// readable while still proving the adapter noticed the lost connections.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestReadsSurviveKilledIdleConnections: every pooled connection's backend
// is terminated while it sits idle (a failover, an administrator); the next
// reads must answer from fresh connections rather than fail with 57P01.
func TestReadsSurviveKilledIdleConnections(t *testing.T) {
	_, dsn := pgtest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.New(pool)
	defer s.Close()
	if _, err := s.Append(ctx, "idle-kill", eventstore.NoStream(), ev("fault")); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())

	reads := map[string]func() error{
		"ReadAll": func() error { _, err := s.ReadAll(ctx, eventstore.Start, 10); return err },
		"ReadStream": func() error {
			_, err := s.ReadStream(ctx, "idle-kill", eventstore.ReadOptions{})
			return err
		},
		"ReadStreams": func() error { _, err := s.ReadStreams(ctx, []string{"idle-kill"}); return err },
	}
	for name, read := range reads {
		// Fill the pool with idle connections, then end every backend.
		conns := make([]*pgxpool.Conn, 0, cfg.MaxConns)
		for range cfg.MaxConns {
			c, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Release()
		}
		var killed int
		if err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if killed < int(cfg.MaxConns) {
			t.Fatalf("%s: killed %d backends, want at least %d", name, killed, cfg.MaxConns)
		}
		time.Sleep(50 * time.Millisecond) // let the terminations land
		if err := read(); err != nil {
			t.Fatalf("%s after every idle connection was killed: %v", name, err)
		}
	}
}
