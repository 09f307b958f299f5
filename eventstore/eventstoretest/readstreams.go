package eventstoretest

import (
	"context"
	"testing"

	"github.com/hbte/record/eventstore"
)

// testReadStreams: eventstore.ReadStreams (the store's StreamsReader, or
// the fallback over ReadStream) gives every stream whole, as ReadStream
// does, and leaves out the streams with no events.
func testReadStreams(t *testing.T, ctx context.Context, s eventstore.Store) {
	names := []string{stream("teacher"), stream("credit"), stream("teacher"), stream("appraisal")}
	for i, name := range names[:3] {
		mustAppend(t, ctx, s, name, eventstore.NoStream(), newEvents(i+1, "teacher.registered")...)
		if i == 1 {
			mustAppend(t, ctx, s, name, eventstore.Exact(1), newEvents(3, "credit.entry_recorded")...)
		}
	}
	got, err := eventstore.ReadStreams(ctx, s, names)
	if err != nil {
		t.Fatalf("ReadStreams: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("ReadStreams gave %d streams, want 3", len(got))
	}
	if _, ok := got[names[3]]; ok {
		t.Fatalf("a stream with no events is in the result")
	}
	for _, name := range names[:3] {
		want := mustRead(t, ctx, s, name, eventstore.ReadOptions{})
		if len(got[name]) != len(want) {
			t.Fatalf("%s: %d events, want %d", name, len(got[name]), len(want))
		}
		for i := range want {
			g, w := got[name][i], want[i]
			if g.ID != w.ID || g.Stream != name || g.Revision != w.Revision || g.Position != w.Position ||
				g.Type != w.Type || string(g.Data) != string(w.Data) || string(g.Metadata) != string(w.Metadata) || !g.RecordedAt.Equal(w.RecordedAt) {
				t.Fatalf("%s event %d: ReadStreams %+v, ReadStream %+v", name, i, g, w)
			}
		}
	}
	if empty, err := eventstore.ReadStreams(ctx, s, nil); err != nil || len(empty) != 0 {
		t.Fatalf("ReadStreams(nil) = %v, %v", empty, err)
	}
}
