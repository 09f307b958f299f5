package postgres_test

import (
	"context"
	"errors"
	"log/slog"
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

func ev(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(`{}`), Metadata: []byte(`{}`)}
}

// appendInTx appends one event inside tx through the same function the
// store uses, so the test can hold the append's transaction open.
func appendInTx(t *testing.T, ctx context.Context, tx pgx.Tx, stream string, e eventstore.EventData) {
	t.Helper()
	var status int16
	err := tx.QueryRow(ctx, `SELECT status FROM es_append($1, 1::smallint, 0, $2, $3, $4, $5, true)`,
		stream, []uuid.UUID{e.ID}, []string{e.Type}, [][]byte{e.Data}, [][]byte{e.Metadata}).Scan(&status)
	if err != nil || status != 0 {
		t.Fatalf("es_append in tx: status %d, %v", status, err)
	}
}

// expectNothing checks that sub delivers no event for d.
func expectNothing(t *testing.T, ctx context.Context, sub eventstore.Subscription, d time.Duration) {
	t.Helper()
	short, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		m, err := sub.Next(short)
		if err != nil {
			if short.Err() == nil {
				t.Fatalf("Next: %v", err)
			}
			return
		}
		if m.Event != nil {
			t.Fatalf("event %s (%s) delivered while an older transaction was still open", m.Event.Stream, m.Event.Position)
		}
	}
}

func nextEvent(t *testing.T, ctx context.Context, sub eventstore.Subscription) eventstore.RecordedEvent {
	t.Helper()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if m.Event != nil {
			return *m.Event
		}
	}
}

// TestLateCommitIsNeitherSkippedNorReordered holds an append's transaction
// open while a later one commits. A reader must not see the later event
// until the earlier transaction ends, and then sees both in feed order.
func TestLateCommitIsNeitherSkippedNorReordered(t *testing.T) {
	for _, tc := range []struct {
		name string
		// insertFirst: the held transaction inserts before the other one
		// (its seq is lower); otherwise it only takes its xid first and
		// inserts later (its seq is higher than the other's).
		insertFirst bool
	}{
		{"held transaction inserted first", true},
		{"held transaction inserted last", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := pgtest.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s := postgres.New(pool, postgres.WithPollInterval(20*time.Millisecond))
			defer s.Close()

			first := ev("first")
			if _, err := s.Append(ctx, "a-"+uuid.NewString(), eventstore.NoStream(), first); err != nil {
				t.Fatal(err)
			}
			sub, err := s.SubscribeAll(ctx, eventstore.Start)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if got := nextEvent(t, ctx, sub); got.ID != first.ID {
				t.Fatalf("first event = %s, want %s", got.ID, first.ID)
			}

			held, late := ev("held"), ev("committed-first")
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			if tc.insertFirst {
				appendInTx(t, ctx, tx, "held-"+uuid.NewString(), held)
			} else if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
				t.Fatal(err)
			}
			lateRes, err := s.Append(ctx, "late-"+uuid.NewString(), eventstore.NoStream(), late)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.insertFirst {
				appendInTx(t, ctx, tx, "held-"+uuid.NewString(), held)
			}

			feed, err := s.ReadAll(ctx, eventstore.Start, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed) != 1 || feed[0].ID != first.ID {
				t.Fatalf("ReadAll while the older transaction is open returned %d events, want only the first", len(feed))
			}
			expectNothing(t, ctx, sub, 300*time.Millisecond)

			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			a, b := nextEvent(t, ctx, sub), nextEvent(t, ctx, sub)
			if a.ID != held.ID || b.ID != late.ID {
				t.Fatalf("after commit: delivered %s then %s, want the held transaction's event first", a.Type, b.Type)
			}
			if !a.Position.Less(b.Position) || b.Position != lateRes.Position {
				t.Fatalf("positions %s, %s (append returned %s)", a.Position, b.Position, lateRes.Position)
			}
			feed, err = s.ReadAll(ctx, eventstore.Start, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(feed) != 3 || feed[1].ID != held.ID || feed[2].ID != late.ID {
				t.Fatalf("ReadAll after commit returned %d events in the wrong order", len(feed))
			}
		})
	}
}

// TestConcurrentIdenticalRetries sends the same append from many goroutines
// at once: the losers of the unique-key race must see it as a retry.
func TestConcurrentIdenticalRetries(t *testing.T) {
	s := postgres.New(pgtest.New(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer s.Close()
	for round := 0; round < 5; round++ {
		stream := "retry-" + uuid.NewString()
		if _, err := s.Append(ctx, stream, eventstore.NoStream(), ev("setup")); err != nil {
			t.Fatal(err)
		}
		batch := []eventstore.EventData{ev("a"), ev("b")}
		const n = 8
		results := make([]eventstore.AppendResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.Append(ctx, stream, eventstore.Exact(0), batch...)
			}()
		}
		wg.Wait()
		for i := range errs {
			if errs[i] != nil {
				t.Fatalf("attempt %d: %v", i, errs[i])
			}
			if results[i] != results[0] {
				t.Fatalf("attempt %d result %+v, attempt 0 %+v", i, results[i], results[0])
			}
		}
		got, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
		if err != nil || len(got) != 3 {
			t.Fatalf("stream has %d events (%v), want 3", len(got), err)
		}
	}
}

// TestAnyRetryIsBestEffort pins the documented rule for Any.
func TestAnyRetryIsBestEffort(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(pgtest.New(t))
	defer s.Close()
	e := ev("t")
	first, err := s.Append(ctx, "s-1", eventstore.Any(), e)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, "s-1", eventstore.Any(), e)
	if err != nil || again != first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), ev("t")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), e); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadStream(ctx, "s-1", eventstore.ReadOptions{})
	if err != nil || len(got) != 3 {
		t.Fatalf("stream has %d events (%v), want 3", len(got), err)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(pgtest.New(t), postgres.WithLogger(slog.New(slog.DiscardHandler)))
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := sub.Next(ctx); err != nil || !m.CaughtUp {
		t.Fatalf("first message = %+v, %v; want caught up", m, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(ctx)
		done <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Next after store Close: %v, want ErrClosed", err)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), ev("t")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
}

// TestWakeupsWithoutPolling turns the fallback poll off (one hour) so that
// every delivery depends on a notification: the in-transaction NOTIFY, the
// coalesced one after concurrent appends, or the re-read of events held
// back by an open older transaction.
func TestWakeupsWithoutPolling(t *testing.T) {
	// The deadline starts after pgtest, which may wait for a template build.
	_, dsn := pgtest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn+"&pool_max_conns=12")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.New(pool, postgres.WithPollInterval(time.Hour))
	defer s.Close()
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m, err := sub.Next(ctx); err != nil || !m.CaughtUp {
		t.Fatalf("first message = %+v, %v; want caught up", m, err)
	}

	// One append on an idle store: the in-transaction NOTIFY wakes the subscriber.
	one := ev("one")
	if _, err := s.Append(ctx, "one-"+uuid.NewString(), eventstore.NoStream(), one); err != nil {
		t.Fatal(err)
	}
	if got := nextEvent(t, ctx, sub); got.ID != one.ID {
		t.Fatalf("got %s, want %s", got.ID, one.ID)
	}

	// A burst from concurrent writers, with an unrelated transaction holding
	// the feed back until after the burst. The collector stays blocked in
	// Next throughout, so only a wake-up can make it read again.
	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(context.Background())
	if _, err := blocker.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	const writers, appends = 8, 20
	var received atomic.Int64
	collected := make(chan error, 1)
	go func() {
		for received.Load() < writers*appends {
			m, err := sub.Next(ctx)
			if err != nil {
				collected <- err
				return
			}
			if m.Event != nil {
				received.Add(1)
			}
		}
		collected <- nil
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream, exp := "burst-"+uuid.NewString(), eventstore.NoStream()
			for a := 0; a < appends; a++ {
				res, err := s.Append(ctx, stream, exp, ev("burst"))
				if err != nil {
					errs <- err
					return
				}
				exp = eventstore.Exact(res.NextRevision)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := received.Load(); n != 0 {
		t.Fatalf("%d events delivered while an older transaction was open", n)
	}
	if err := blocker.Commit(ctx); err != nil { // commits without a NOTIFY
		t.Fatal(err)
	}
	select {
	case err := <-collected:
		if err != nil {
			t.Fatalf("after %d events: %v", received.Load(), err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("only %d of %d events delivered 5 s after the burst", received.Load(), writers*appends)
	}

	// A burst with nothing holding it back: the last appends to commit may
	// all have skipped the in-transaction NOTIFY, and the coalesced one must
	// wake the subscriber.
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Append(ctx, "round-"+uuid.NewString(), eventstore.NoStream(), ev("round")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i := 0; i < writers; i++ {
			nextEvent(t, ctx, sub)
		}
	}
}
