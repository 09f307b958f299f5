package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/ledger"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/projections"
)

// note is the test's aggregate: a stream of notes.
type note struct {
	event.Root
	n int
}

type noted struct {
	Text string `json:"text"`
}

func (*noted) EventType() string { return "test.noted" }

func (a *note) Apply(e event.Event) {
	if _, ok := e.(*noted); ok {
		a.n++
	}
}

func registry() *event.Registry {
	r := event.NewRegistry()
	r.Register(func() event.Event { return &noted{} })
	integrity.RegisterEvents(r)
	return r
}

// fixture is a store with history: legacy events (before chains began)
// covered by a genesis digest, then chained events in several streams and
// a second digest, and the Merkle projection up to date.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	pool    *pgxpool.Pool
	store   eventstore.Store
	fake    *esdbfake.Server // esdb backend only
	runner  *projections.Runner
	merkle  projections.MerkleQueries
	issuer  *ledger.Issuer
	keys    *ledger.Keys
	streams []string
	last    ledger.Issued // the newest digest
}

func newFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, pool: pgtest.New(t)}
	switch backend {
	case "postgres":
		f.store = postgres.New(f.pool)
	case "esdb":
		f.fake = esdbfake.Start(t)
		s, err := esdb.New(ctx, f.fake.ConnString())
		if err != nil {
			t.Fatal(err)
		}
		f.store = s
	}
	t.Cleanup(func() { f.store.Close() })
	reg := registry()
	f.merkle = projections.MerkleQueries{DB: f.pool}
	f.runner = projections.NewRunner(f.store, reg, f.pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		&projections.MerkleProjection{Store: f.store})
	keys, err := ledger.LoadKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.keys = keys
	f.issuer = &ledger.Issuer{Store: f.store, Merkle: f.merkle, Keys: ledger.FixedKeys(keys)}

	// Legacy events: written before chains, with plain metadata.
	for i := 0; i < 3; i++ {
		s := "note-" + uuid.NewString()
		f.streams = append(f.streams, s)
		for j := 0; j < 2; j++ {
			data, _ := json.Marshal(noted{Text: fmt.Sprintf("legacy %d.%d", i, j)})
			if _, err := f.store.Append(ctx, s, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "test.noted", Data: data,
				Metadata: []byte(`{"actor_id":"00000000-0000-0000-0000-000000000000","actor_role":"system","occurred_at":"2025-01-01T00:00:00Z"}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.digest() // the genesis digest
	repo := commands.NewRepository(f.store, reg)
	for round := 0; round < 3; round++ {
		for i := 0; i < 5; i++ {
			if i >= len(f.streams) {
				f.streams = append(f.streams, "note-"+uuid.NewString())
			}
			w := commands.Write{Meta: event.Metadata{ActorRole: "system", OccurredAt: time.Now().UTC()}}
			if _, _, err := commands.Update(ctx, repo, f.streams[i], func() *note { return &note{} }, true, w, func(a *note) error {
				a.Record(a, &noted{Text: fmt.Sprintf("round %d", round)})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.digest()
	return f
}

// digest brings the tree up to date and signs it.
func (f *fixture) digest() {
	f.t.Helper()
	f.catchUp()
	d, err := f.issuer.Issue(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	f.last = d
	f.catchUp() // the digest event is a leaf too
}

// catchUp rebuilds the tree once the feed shows every event (a PostgreSQL
// feed holds events back while older transactions on the server are open).
func (f *fixture) catchUp() {
	f.t.Helper()
	n := 0
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs, err := f.store.ReadAll(f.ctx, eventstore.Start, 100000)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(recs) == f.appended() || time.Now().After(deadline) {
			n = len(recs)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := f.runner.Rebuild(f.ctx, "integrity_merkle"); err != nil {
		f.t.Fatal(err)
	}
	if h, err := f.merkle.Head(f.ctx); err != nil || h.Size != uint64(n) {
		f.t.Fatalf("tree size %d, feed %d (%v)", h.Size, n, err)
	}
}

// appended counts the events written, reading each stream (reads of a
// stream never lag).
func (f *fixture) appended() int {
	n := 0
	for _, s := range append(slices.Clone(f.streams), integrity.DigestStream) {
		recs, err := f.store.ReadStream(f.ctx, s, eventstore.ReadOptions{})
		if err == nil {
			n += len(recs)
		}
	}
	return n
}

func (f *fixture) verify(external ...*integrity.DigestSigned) *ledger.Report {
	f.t.Helper()
	v := &ledger.Verifier{Store: f.store, Merkle: &f.merkle, Keys: f.keys.Public(), External: external, Batch: 7}
	rep, err := v.Verify(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Logf("%d events, %d problems:%s", rep.Events, len(rep.Problems), dump(rep))
	return rep
}

func (f *fixture) feed() []eventstore.RecordedEvent {
	recs, err := f.store.ReadAll(f.ctx, eventstore.Start, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func has(rep *ledger.Report, kind, stream string, revision uint64) bool {
	for _, p := range rep.Problems {
		if p.Kind == kind && p.Stream == stream && p.Revision != nil && *p.Revision == revision {
			return true
		}
	}
	return false
}

func dump(rep *ledger.Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Each kind of tampering is detected and named, on both backends.
func TestTampering(t *testing.T) {
	for _, backend := range []string{"postgres", "esdb"} {
		t.Run(backend, func(t *testing.T) { tamperCases(t, backend) })
	}
}

func tamperCases(t *testing.T, backend string) {
	t.Run("intact", func(t *testing.T) {
		f := newFixture(t, backend)
		rep := f.verify(f.last.Digest)
		if !rep.OK || rep.DigestsChecked != 3 || !rep.TreeAuthentic || rep.Chained == 0 || rep.Unchained != 6 || rep.GenesisSize != 6 {
			t.Fatalf("intact store: %+v%s", rep, dump(rep))
		}
	})
	t.Run("alter one byte of data", func(t *testing.T) {
		f := newFixture(t, backend)
		s := f.streams[1]
		var victim eventstore.RecordedEvent
		for _, r := range f.feed() {
			if r.Stream == s && r.Revision == 3 {
				victim = r
			}
		}
		f.rewrite(func(r *eventstore.RecordedEvent) {
			if r.ID == victim.ID {
				r.Data = []byte(strings.Replace(string(r.Data), "round", "rounD", 1))
			}
		})
		rep := f.verify()
		if rep.OK || rep.First.Kind != ledger.KindHashMismatch || rep.First.Stream != s || *rep.First.Revision != 3 || *rep.First.EventID != victim.ID {
			t.Fatalf("altered byte: first %v%s", rep.First, dump(rep))
		}
		if !slices.ContainsFunc(rep.Problems, func(p ledger.Problem) bool { return p.Kind == ledger.KindRootMismatch }) {
			t.Errorf("no root mismatch:%s", dump(rep))
		}
	})
	t.Run("alter a legacy event", func(t *testing.T) {
		f := newFixture(t, backend)
		s := f.streams[0]
		f.rewrite(func(r *eventstore.RecordedEvent) {
			if r.Stream == s && r.Revision == 1 {
				r.Data = []byte(strings.Replace(string(r.Data), "legacy", "Legacy", 1))
			}
		})
		rep := f.verify()
		if rep.OK || rep.First.Kind != ledger.KindLeafMismatch || rep.First.Stream != s || *rep.First.Revision != 1 || !rep.TreeAuthentic {
			t.Fatalf("altered legacy event: first %v%s", rep.First, dump(rep))
		}
	})
	t.Run("delete an event", func(t *testing.T) {
		f := newFixture(t, backend)
		s := f.streams[2]
		var victim eventstore.RecordedEvent
		for _, r := range f.feed() {
			if r.Stream == s && r.Revision == 3 {
				victim = r
			}
		}
		f.remove(func(r eventstore.RecordedEvent) bool { return r.ID == victim.ID })
		rep := f.verify()
		if rep.OK || rep.First.Kind != ledger.KindLeafMismatch || !strings.Contains(rep.First.Detail, victim.ID.String()) {
			t.Fatalf("deleted event: first %v%s", rep.First, dump(rep))
		}
		// The stream's chain names the gap too (EventStoreDB renumbers the
		// revisions after a removal, so there the next event's hash breaks).
		if !has(rep, ledger.KindRevisionGap, s, 4) && !has(rep, ledger.KindHashMismatch, s, 3) {
			t.Errorf("the stream's gap is not named:%s", dump(rep))
		}
	})
	t.Run("swap two events", func(t *testing.T) {
		f := newFixture(t, backend)
		feed := f.feed()
		// Two chained events of different streams, next to each other in
		// the feed: their streams' chains stay intact, only the order moves.
		i := slices.IndexFunc(feed, func(r eventstore.RecordedEvent) bool {
			return r.Stream == f.streams[3] && r.Revision == 1
		})
		a, b := feed[i], feed[i+1]
		if a.Stream == b.Stream {
			t.Fatal("fixture: neighbours in one stream")
		}
		f.swap(a, b)
		rep := f.verify()
		if rep.OK || rep.First.Kind != ledger.KindLeafMismatch || rep.First.EventID == nil || *rep.First.EventID != b.ID ||
			!strings.Contains(rep.First.Detail, a.ID.String()) || !rep.TreeAuthentic {
			t.Fatalf("swapped events: first %v%s", rep.First, dump(rep))
		}
	})
	t.Run("truncate the tail", func(t *testing.T) {
		f := newFixture(t, backend)
		feed := f.feed()
		cut := feed[len(feed)-4:] // the last digest and three events before it
		f.remove(func(r eventstore.RecordedEvent) bool {
			return slices.ContainsFunc(cut, func(c eventstore.RecordedEvent) bool { return c.ID == r.ID })
		})
		rep := f.verify(f.last.Digest) // the auditor's exported copy of the newest digest
		if rep.OK || rep.First.Kind != ledger.KindMissingEvents || rep.First.EventID == nil || *rep.First.EventID != cut[0].ID {
			t.Fatalf("truncated: first %v%s", rep.First, dump(rep))
		}
		if n := len(slices.DeleteFunc(slices.Clone(rep.Problems), func(p ledger.Problem) bool { return p.Kind != ledger.KindMissingEvents })); n != 2 {
			t.Errorf("want the external digest and the tree to name the cut:%s", dump(rep))
		}
	})
	t.Run("replace a digest's signature", func(t *testing.T) {
		f := newFixture(t, backend)
		other, err := ledger.LoadKeys(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f.rewrite(func(r *eventstore.RecordedEvent) {
			if r.Stream != integrity.DigestStream || r.Revision != 1 {
				return
			}
			var ev integrity.DigestSigned
			if err := json.Unmarshal(r.Data, &ev); err != nil {
				t.Fatal(err)
			}
			d, _ := ev.Digest()
			forged := d.Sign(other.Set.Current.Private) // same key id, another key
			r.Data, _ = json.Marshal(forged)
		})
		rep := f.verify()
		if rep.OK || rep.First.Kind != ledger.KindDigestSignature || rep.First.Stream != integrity.DigestStream || *rep.First.Revision != 1 {
			t.Fatalf("forged signature: first %v%s", rep.First, dump(rep))
		}
		if !has(rep, ledger.KindHashMismatch, integrity.DigestStream, 1) {
			t.Errorf("the digest event's chain should break too:%s", dump(rep))
		}
	})
}

// rewrite changes stored events in place, behind the store's back.
func (f *fixture) rewrite(change func(*eventstore.RecordedEvent)) {
	f.t.Helper()
	if f.fake != nil {
		f.fake.Tamper(func(stored []esdbfake.StoredEvent) []esdbfake.StoredEvent {
			for i, s := range stored {
				r := eventstore.RecordedEvent{ID: s.ID, Stream: s.Stream, Revision: s.Revision, Type: s.Type, Data: s.Data, Metadata: s.Metadata}
				change(&r)
				stored[i].Type, stored[i].Data, stored[i].Metadata = r.Type, r.Data, r.Metadata
			}
			return stored
		})
		return
	}
	for _, r := range f.feed() {
		before := r
		change(&r)
		if string(r.Data) != string(before.Data) || string(r.Metadata) != string(before.Metadata) || r.Type != before.Type {
			if _, err := f.pool.Exec(f.ctx, `UPDATE es_events SET data = $1, metadata = $2, event_type = $3 WHERE event_id = $4`,
				r.Data, r.Metadata, r.Type, r.ID); err != nil {
				f.t.Fatal(err)
			}
		}
	}
}

// remove deletes stored events.
func (f *fixture) remove(drop func(eventstore.RecordedEvent) bool) {
	f.t.Helper()
	if f.fake != nil {
		f.fake.Tamper(func(stored []esdbfake.StoredEvent) []esdbfake.StoredEvent {
			return slices.DeleteFunc(stored, func(s esdbfake.StoredEvent) bool {
				return drop(eventstore.RecordedEvent{ID: s.ID, Stream: s.Stream, Revision: s.Revision})
			})
		})
		return
	}
	for _, r := range f.feed() {
		if drop(r) {
			if _, err := f.pool.Exec(f.ctx, `DELETE FROM es_events WHERE event_id = $1`, r.ID); err != nil {
				f.t.Fatal(err)
			}
		}
	}
}

// swap exchanges the feed positions of two events.
func (f *fixture) swap(a, b eventstore.RecordedEvent) {
	f.t.Helper()
	if f.fake != nil {
		f.fake.Tamper(func(stored []esdbfake.StoredEvent) []esdbfake.StoredEvent {
			i := slices.IndexFunc(stored, func(s esdbfake.StoredEvent) bool { return s.ID == a.ID })
			j := slices.IndexFunc(stored, func(s esdbfake.StoredEvent) bool { return s.ID == b.ID })
			stored[i], stored[j] = stored[j], stored[i]
			stored[i].Position, stored[j].Position = stored[j].Position, stored[i].Position
			return stored
		})
		return
	}
	// The feed is ordered by (xid, seq): exchanging the two rows' places
	// means exchanging both (seq is an identity column, so through a spare
	// value).
	if _, err := f.pool.Exec(f.ctx, `
		UPDATE es_events e SET xid = o.xid FROM es_events o
		 WHERE (e.event_id, o.event_id) IN (($1, $2), ($2, $1))`, a.ID, b.ID); err != nil {
		f.t.Fatal(err)
	}
	if a.Position.Commit == b.Position.Commit {
		// One transaction: seq decides, and it cannot be updated; move the
		// later event to a new xid just before the other's.
		if _, err := f.pool.Exec(f.ctx, `UPDATE es_events SET xid = xid - 1 WHERE event_id = $1`, b.ID); err != nil {
			f.t.Fatal(err)
		}
	}
}
