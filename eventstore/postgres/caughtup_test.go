package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// TestCaughtUpWaitsForHeldBackBacklog opens an unrelated transaction (as
// another test package or service on the same server would) before events
// are appended, then subscribes. The events are committed but not final, so
// the subscription must neither deliver them nor say it is caught up until
// the transaction ends; then it delivers them and only then is caught up.
func TestCaughtUpWaitsForHeldBackBacklog(t *testing.T) {
	pool := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := postgres.New(pool, postgres.WithPollInterval(20*time.Millisecond))
	defer s.Close()

	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(context.Background())
	if _, err := blocker.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	var want []uuid.UUID
	for range 3 {
		e := ev("backlog")
		if _, err := s.Append(ctx, "b-"+uuid.NewString(), eventstore.NoStream(), e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.ID)
	}

	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// Nothing at all, not even the caught-up signal, while the backlog is
	// held back.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	m, err := sub.Next(short)
	cancelShort()
	if err == nil {
		t.Fatalf("while the backlog is held back Next returned %+v (caught up %v), want nothing", m.Event, m.CaughtUp)
	}

	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range want {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if m.Event == nil || m.Event.ID != id {
			t.Fatalf("message %d = %+v (caught up %v), want event %s", i, m.Event, m.CaughtUp, id)
		}
	}
	m, err = sub.Next(ctx)
	if err != nil || !m.CaughtUp {
		t.Fatalf("after the backlog: %+v, %v; want caught up", m, err)
	}
}

// TestCaughtUpNotDelayedByLaterHeldEvents: events committed after the
// subscription's first read do not hold back its caught-up signal, even
// when an open transaction keeps them from being final.
func TestCaughtUpNotDelayedByLaterHeldEvents(t *testing.T) {
	pool := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := postgres.New(pool, postgres.WithPollInterval(20*time.Millisecond))
	defer s.Close()

	first := ev("first")
	res, err := s.Append(ctx, "a-"+uuid.NewString(), eventstore.NoStream(), first)
	if err != nil {
		t.Fatal(err)
	}
	// The first event may itself be held back by another package's
	// transaction for a while; the generous deadline covers that.
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if got := nextEvent(t, ctx, sub); got.ID != first.ID {
		t.Fatalf("first event = %s, want %s", got.ID, first.ID)
	}

	blocker, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(context.Background())
	if _, err := blocker.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "late-"+uuid.NewString(), eventstore.NoStream(), ev("late")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil || !m.CaughtUp || m.Position != res.Position {
		t.Fatalf("next message = %+v, %v; want caught up at %s", m, err, res.Position)
	}
}
