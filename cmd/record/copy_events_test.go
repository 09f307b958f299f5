package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
	"github.com/hbte/record/eventstore/postgres"
)

// failAfter is a source whose ReadAll fails after n calls: an interruption.
type failAfter struct {
	eventstore.Store
	n int
}

var errInterrupted = errors.New("interrupted")

func (f *failAfter) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if f.n == 0 {
		return nil, errInterrupted
	}
	f.n--
	return f.Store.ReadAll(ctx, from, limit)
}

// TestCopyEventsToEventStoreDB: the demo's events go from PostgreSQL to the
// strict (TLS, authenticated, 1 MiB) EventStoreDB fake with their IDs,
// revisions, data, metadata and original times, in global order; an
// interrupted copy resumes; a copy run again writes nothing twice; the
// verification catches a changed event; and the read models rebuilt from
// the new store equal the ones built from PostgreSQL.
func TestCopyEventsToEventStoreDB(t *testing.T) {
	a := demoAppOn(t, "postgres")
	ctx := context.Background()
	defer func(n int) { copyBatch = n }(copyBatch)
	copyBatch = 16
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.svc.Runner.WaitFor(wctx, a.lastEventPosition()); err != nil {
		t.Fatal(err)
	}
	a.stopRunner()
	before := dumpReadModels(t, a)

	fake := esdbfake.Start(t)
	dst, err := esdb.New(ctx, fake.ConnString(), esdb.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	src := postgres.New(a.svc.Pool)
	defer src.Close()
	total := a.eventCount()
	if total < 2*copyBatch {
		t.Fatalf("the demo has %d events: too few to interrupt a copy", total)
	}
	target := copyTarget(fake.ConnString())
	if strings.Contains(target, "changeit") {
		t.Fatalf("progress names the target with its password: %s", target)
	}

	var out bytes.Buffer
	if _, err := copyEvents(ctx, a.svc.Pool, &failAfter{Store: src, n: 1}, dst, target, &out); !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted copy: %v", err)
	}
	out.Reset()
	n, err := copyEvents(ctx, a.svc.Pool, src, dst, target, &out)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(total) || !strings.Contains(out.String(), "resuming after") {
		t.Fatalf("resumed copy: %d of %d events; %s", n, total, out.String())
	}
	// Run again from the start: every append is recognised, nothing doubles.
	if _, err := a.svc.Pool.Exec(ctx, `DELETE FROM es_copy_progress`); err != nil {
		t.Fatal(err)
	}
	if _, err := copyEvents(ctx, a.svc.Pool, src, dst, target, &out); err != nil {
		t.Fatal(err)
	}
	rep, err := verifyCopy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.ok() || rep.dstEvents != total {
		var b bytes.Buffer
		rep.print(&b)
		t.Fatalf("copy differs:\n%s", b.String())
	}
	// Same events, revisions, metadata and times, read back one stream.
	first, err := src.ReadAll(ctx, eventstore.Start, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.ReadStream(ctx, first[0].Stream, eventstore.ReadOptions{})
	got, err := dst.ReadStream(ctx, first[0].Stream, eventstore.ReadOptions{})
	if err != nil || len(got) != len(want) {
		t.Fatalf("stream %s: %d events, want %d (%v)", first[0].Stream, len(got), len(want), err)
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.ID != g.ID || w.Revision != g.Revision || w.Type != g.Type || !bytes.Equal(w.Data, g.Data) ||
			!bytes.Equal(w.Metadata, g.Metadata) || !w.RecordedAt.Equal(g.RecordedAt) {
			t.Fatalf("event %d differs:\nsource %+v\ntarget %+v", i, w, g)
		}
	}

	// The read models rebuilt from EventStoreDB are the ones PostgreSQL gave.
	cfg := a.svc.Cfg
	cfg.DatabaseURL = a.svc.Pool.Config().ConnString()
	out.Reset()
	if err := copyEventsCmd(ctx, cfg, slog.New(slog.DiscardHandler), cfg.DatabaseURL, fake.ConnString(), true, &out); err != nil {
		t.Fatalf("copy-events: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "all projections rebuilt") || !strings.Contains(out.String(), "every stream has the same events") {
		t.Fatalf("copy-events said: %s", out.String())
	}
	after := dumpReadModels(t, a)
	for table, rows := range before {
		if fmt.Sprint(rows) != fmt.Sprint(after[table]) {
			t.Errorf("table %s differs after the rebuild from EventStoreDB:\nbefore %v\nafter  %v", table, rows, after[table])
		}
	}

	// A changed event on the target is found.
	fake.Tamper(func(stored []esdbfake.StoredEvent) []esdbfake.StoredEvent {
		for i := range stored {
			if stored[i].ID == want[0].ID {
				stored[i].Data = []byte(`{"forged":true}`)
			}
		}
		return stored
	})
	rep, err = verifyCopy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ok() || len(rep.differ) != 1 || rep.differ[0] != want[0].Stream {
		t.Fatalf("tampered target: report %+v", rep)
	}
}

// dumpReadModels is every read-model table, row by row, without the event
// positions some keep (pos_commit, pos_prepare): they belong to the store.
func dumpReadModels(t *testing.T, a *app) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range allProjections(a.svc) {
		for _, table := range p.Tables() {
			rows, err := a.svc.Pool.Query(context.Background(), fmt.Sprintf(`SELECT (to_jsonb(t) - 'pos_commit' - 'pos_prepare')::text FROM %s t ORDER BY 1`, table))
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out[table] = append(out[table], s)
			}
			rows.Close()
		}
	}
	return out
}
