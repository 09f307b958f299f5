package commands_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
)

// Every appended event carries its stream's hash chain: each event's hash
// covers its bytes and links to the previous event's hash, across separate
// commands, batches of several events and Save without Update.
func TestAppendsAreChained(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	stream := "counter-" + uuid.NewString()
	fresh := func() *counter { return &counter{} }
	for i := 0; i < 3; i++ {
		if _, _, err := commands.Update(ctx, repo, stream, fresh, true, meta(), func(c *counter) error {
			if err := c.Inc(100); err != nil {
				return err
			}
			return c.Inc(100) // two events in one append
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := &counter{}
	if err := repo.Load(ctx, stream, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Inc(100); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Save(ctx, stream, c, meta()); err != nil {
		t.Fatal(err)
	}
	recs, err := repo.Store().ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 {
		t.Fatalf("%d events", len(recs))
	}
	prev := integrity.Zero
	for _, r := range recs {
		e := integrity.Compute(integrity.Event{ID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type, Data: r.Data, Metadata: r.Metadata})
		if !e.Chained || !e.Valid() {
			t.Fatalf("revision %d: %+v (metadata %s)", r.Revision, e, r.Metadata)
		}
		if e.Link.Prev != prev {
			t.Fatalf("revision %d links to %s, want %s", r.Revision, e.Link.Prev, prev)
		}
		prev = e.Hash
	}
	// The decoded metadata still reads, chain included.
	h, err := repo.History(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := h[6].Metadata; got.ActorRole != "system" || got.Chain == nil || got.Chain.Hash != prev.String() {
		t.Fatalf("decoded metadata %+v", got)
	}
}
