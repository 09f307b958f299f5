package eventstoretest

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// testIdentity: a store has one identity, made at the first call (concurrent
// first calls agree), with a known kind, and kept out of the global feed and
// the subscription.
func testIdentity(t *testing.T, ctx context.Context, s eventstore.Store) {
	const callers = 8
	got := make([]eventstore.Identity, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.Identity(ctx)
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("Identity: %v", errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("concurrent first calls disagree: %v and %v", got[i], got[0])
		}
	}
	id := got[0]
	if id.ID == uuid.Nil {
		t.Fatalf("Identity = %v: no ID", id)
	}
	switch id.Kind {
	case eventstore.KindMemory, eventstore.KindPostgres, eventstore.KindEventStore:
	default:
		t.Fatalf("Identity = %v: unknown kind", id)
	}
	again, err := s.Identity(ctx)
	if err != nil || again != id {
		t.Fatalf("second Identity = %v, %v; want %v", again, err, id)
	}

	// The identity is no event of the feed.
	e := newEvent("after_identity", `{}`)
	mustAppend(t, ctx, s, stream("ident"), eventstore.NoStream(), e)
	all := readAll(t, ctx, s, 1, 1)
	if all[0].ID != e.ID {
		t.Fatalf("the global feed holds %s (%s), want only the appended event", all[0].Type, all[0].Stream)
	}
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var seen []eventstore.RecordedEvent
	for {
		m := next(t, ctx, sub)
		if m.CaughtUp {
			break
		}
		seen = append(seen, *m.Event)
	}
	seen = user(seen)
	if len(seen) != 1 || seen[0].ID != e.ID {
		t.Fatalf("the subscription delivered %d events before catching up, want only the appended one", len(seen))
	}
}
