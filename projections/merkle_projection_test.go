package projections

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// feedRoots recomputes, straight from the store, the leaf hashes and the
// root of every prefix of the feed.
func feedRoots(t *testing.T, store eventstore.Store) ([]integrity.Hash, []integrity.Hash) {
	t.Helper()
	var f integrity.Frontier
	var leaves, roots []integrity.Hash
	roots = append(roots, f.Root())
	from := eventstore.Start
	for {
		recs, err := store.ReadAll(context.Background(), from, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return leaves, roots
		}
		for _, r := range recs {
			e := integrity.Compute(integrity.Event{ID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type, Data: r.Data, Metadata: r.Metadata})
			l := integrity.LeafHash(integrity.LeafInput(e, r.RecordedAt))
			leaves = append(leaves, l)
			f.Append(l)
			roots = append(roots, f.Root())
			from = r.Position
		}
	}
}

func appendToy(t *testing.T, store eventstore.Store, stream string, typ string, n int) {
	t.Helper()
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Metadata: []byte(`{"actor_role":"system"}`)}
	}
	if _, err := store.Append(context.Background(), stream, eventstore.Any(), evs...); err != nil {
		t.Fatal(err)
	}
}

// The Merkle projection's tree is the tree of the whole feed (events of
// types the registry does not know included), on the rebuild path and on
// the live path, and its proofs check with RFC 6962's algorithms.
func TestMerkleProjection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool := pgtest.New(t)
	store := postgres.New(pool)
	t.Cleanup(func() { store.Close() })
	for i := 0; i < 7; i++ {
		appendToy(t, store, "toy-"+uuid.NewString(), "toy.happened", 1+i%3)
	}
	appendToy(t, store, "other-"+uuid.NewString(), foreignType, 2)
	appendToy(t, store, "toy-"+uuid.NewString(), "toy.happened", 1)
	waitFeed(t, store, 16)
	proj := &MerkleProjection{Store: store, ReadAhead: 4}
	r := NewRunner(store, toyRegistry(), pool, slog.New(slog.DiscardHandler), proj)
	if err := r.Rebuild(ctx, proj.Name()); err != nil {
		t.Fatal(err)
	}
	q := MerkleQueries{DB: pool}
	check := func(stage string) {
		t.Helper()
		leaves, roots := feedRoots(t, store)
		head, err := q.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if head.Size != uint64(len(leaves)) || head.Root != roots[len(leaves)] {
			t.Fatalf("%s: head %d %s, feed has %d leaves with root %s", stage, head.Size, head.Root, len(leaves), roots[len(leaves)])
		}
		stored, err := q.LeafHashes(ctx, 0, len(leaves))
		if err != nil {
			t.Fatal(err)
		}
		for i := range leaves {
			if stored[i] != leaves[i] {
				t.Fatalf("%s: leaf %d differs", stage, i)
			}
		}
		n := int64(len(leaves))
		for size := int64(1); size <= n; size++ {
			for i := int64(0); i < size; i++ {
				p, err := q.InclusionProof(ctx, uint64(size), uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.CheckRecord(toTlog(p), size, tlog.Hash(roots[size]), i, tlog.Hash(leaves[i])); err != nil {
					t.Fatalf("%s: inclusion of %d in %d: %v", stage, i, size, err)
				}
			}
			c, err := q.ConsistencyProof(ctx, uint64(size), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(toTlog(c), n, tlog.Hash(roots[n]), size, tlog.Hash(roots[size])); err != nil {
				t.Fatalf("%s: consistency %d to %d: %v", stage, size, n, err)
			}
		}
	}
	check("rebuild")

	// Live: the runner follows the feed.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	appendToy(t, store, "toy-"+uuid.NewString(), "toy.happened", 3)
	appendToy(t, store, "other-"+uuid.NewString(), foreignType, 1) // read when the next known event comes
	appendToy(t, store, "toy-"+uuid.NewString(), "toy.happened", 1)
	last := waitFeed(t, store, 21)
	if err := r.WaitFor(ctx, last[len(last)-1].Position); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	check("live")
	leaves, err := q.LeavesOf(ctx, last[len(last)-1].Stream)
	if err != nil || len(leaves) != 1 || leaves[0].Index != uint64(len(last)-1) || leaves[0].EventID != last[len(last)-1].ID {
		t.Fatalf("leaves of the last stream: %+v, %v", leaves, err)
	}
}

// waitFeed waits until the feed shows n events (a PostgreSQL feed holds
// events back while older transactions on the server are open).
func waitFeed(t *testing.T, store eventstore.Store, n int) []eventstore.RecordedEvent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		recs, err := store.ReadAll(context.Background(), eventstore.Start, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed shows %d events, want %d", len(recs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func toTlog(hs []integrity.Hash) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out
}
