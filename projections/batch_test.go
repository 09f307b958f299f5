package projections

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
)

// batchLog collects the runner's committed transactions.
type batchLog struct {
	mu    sync.Mutex
	stats []BatchStats
}

func (l *batchLog) add(st BatchStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats = append(l.stats, st)
}

// live sums the live transactions of name and returns how many there were
// and the largest.
func (l *batchLog) live(name string) (txs, events, largest int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.stats {
		if st.Projection == name && st.Path == "live" {
			txs++
			events += st.Events
			largest = max(largest, st.Events)
		}
	}
	return txs, events, largest
}

// While a projection is busy, the events that arrive meanwhile are applied
// together: one transaction (with its checkpoint) per batch, not per event.
// The result is the same as event by event.
func TestLiveEventsApplyInBatches(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		hold := make(chan struct{})
		var holding atomic.Bool
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			if holding.CompareAndSwap(true, false) {
				select {
				case <-hold:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}}
		var bl batchLog
		r := e.runner(p)
		r.cfg.OnBatch = bl.add
		r.cfg.LiveBatch = 50
		start(t, r)
		waitLive(t, r, "toy")

		w := newFeedWriter(t, e.store, 4)
		holding.Store(true)
		w.append(1) // the projection stops inside this event's Apply
		deadline := time.Now().Add(30 * time.Second)
		for holding.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		// These arrive while it is held. (The PostgreSQL feed shows them
		// only once the held transaction ends: it holds the checkpoint's
		// row lock, so it has a transaction id.)
		final := w.append(240)
		time.Sleep(50 * time.Millisecond) // let the feed's reader fill up
		close(hold)
		waitFor(t, r, final)

		want, wantCounts := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log: got %d rows, want %d in order once each", len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, wantCounts) {
			t.Fatalf("counts = %v, want %v", got, wantCounts)
		}
		txs, events, largest := bl.live("toy")
		if events != 241 {
			t.Errorf("live transactions covered %d events, want 241", events)
		}
		// 241 events in batches of at most 50: at least 6 transactions;
		// event by event would be 241.
		if txs > 30 || largest != 50 {
			t.Errorf("%d live transactions for 241 events, largest %d; want batches of up to 50", txs, largest)
		}
		if cp, err := readCheckpoint(context.Background(), e.pool, "toy"); err != nil || cp != final {
			t.Errorf("checkpoint %s, %v; want %s", cp, err, final)
		}
	})
}

// An event that fails in the middle of a live batch: the events before it
// commit, it is retried alone and parked, the events after it apply; each
// exactly once.
func TestLiveBatchWithAFailingEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		hold := make(chan struct{})
		var attempts attemptCounter
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			switch n := env.Event.(*toyHappened).N; n {
			case 1:
				select {
				case <-hold:
				case <-ctx.Done():
					return ctx.Err()
				}
			case 30:
				attempts.add(n)
				return errInjected
			case 60:
				if attempts.add(n) == 1 {
					return errInjected // once: the retry applies it
				}
			}
			return nil
		}}
		var bl batchLog
		r := e.runner(p)
		r.cfg.OnBatch = bl.add
		start(t, r)
		waitLive(t, r, "toy")
		w := newFeedWriter(t, e.store, 3)
		w.append(1)
		final := w.append(99)
		time.Sleep(50 * time.Millisecond)
		close(hold)
		waitFor(t, r, final)

		want, _ := expectedLog(t, e.store, func(n int) bool { return n == 30 })
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log: got %d rows, want %d in order once each", len(got), len(want))
		}
		if got := attempts.get(30); got != 4 {
			t.Errorf("attempts on event 30 = %d, want 1 + 3 retries", got)
		}
		if got := attempts.get(60); got != 2 {
			t.Errorf("attempts on event 60 = %d, want 2", got)
		}
		parked, err := r.Parked(context.Background())
		if err != nil || len(parked) != 1 || parked[0].EventID != findEvent(t, e.store, 30).ID {
			t.Fatalf("parked = %+v, %v; want event 30", parked, err)
		}
		if _, _, largest := bl.live("toy"); largest < 2 {
			t.Errorf("largest live transaction %d events: the events were not batched", largest)
		}
	})
}

// A rebuild that stops part way drops its shadow and leaves the live
// tables and checkpoint as they were; the live path goes on without a gap.
func TestLivePathFillsTheGapOfAStoppedRebuild(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		createToyTables(t, e.pool, "toy")
		var stopAt atomic.Int64
		var rebuildCancel atomic.Pointer[context.CancelFunc]
		p := &toyProjection{name: "toy", hook: func(ctx context.Context, env event.Envelope) error {
			if n := int64(env.Event.(*toyHappened).N); n == stopAt.Load() {
				if c := rebuildCancel.Load(); c != nil {
					(*c)()
					return ctx.Err()
				}
			}
			return nil
		}}
		w := newFeedWriter(t, e.store, 3)
		r := e.runner(p)
		start(t, r)
		waitFor(t, r, w.append(80))
		waitLive(t, r, "toy")

		stopAt.Store(50)
		ctx, cancel := context.WithCancel(context.Background())
		rebuildCancel.Store(&cancel)
		if err := r.Rebuild(ctx, "toy"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Rebuild stopped part way = %v, want context.Canceled", err)
		}
		rebuildCancel.Store(nil)
		cp, err := readCheckpoint(context.Background(), e.pool, "toy")
		if err != nil || cp.IsZero() {
			t.Fatalf("checkpoint after the stopped rebuild %s, %v: want the live one", cp, err)
		}
		if got := shadowSchemas(t, e.pool); len(got) != 0 {
			t.Fatalf("shadow left by a stopped rebuild: %v", got)
		}
		final := w.append(10)
		waitFor(t, r, final)
		want, wantCounts := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, "toy"); !reflect.DeepEqual(got, want) {
			t.Fatalf("log after a stopped rebuild: got %d rows, want %d", len(got), len(want))
		}
		if got := dumpCounts(t, e.pool, "toy"); !reflect.DeepEqual(got, wantCounts) {
			t.Fatalf("counts = %v, want %v", got, wantCounts)
		}
	})
}

// The feed sends what is ready as one message, in order, each batch
// following the previous one, the caught-up marker ending a batch.
func TestFeedSubscriberBatches(t *testing.T) {
	store := memory.New()
	defer store.Close()
	pos := appendN(t, store, "s", 25)
	sub := NewFeedSubscriber(FeedConfig{Store: store, DeliverCaughtUp: true, MaxBatch: 10,
		Start: func(context.Context, string) (eventstore.Position, error) { return eventstore.Start, nil }})
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []eventstore.Position
	prev := eventstore.Start
	sizes := []int{}
	for {
		m := receive(t, ch)
		time.Sleep(20 * time.Millisecond) // the reader fills up meanwhile
		b, err := BatchFromMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		m.Ack()
		if b.Prev != prev {
			t.Fatalf("batch follows %s, want %s", b.Prev, prev)
		}
		if len(b.Events) > 10 {
			t.Fatalf("batch of %d events, max 10", len(b.Events))
		}
		sizes = append(sizes, len(b.Events))
		for _, e := range b.Events {
			got = append(got, e.Position)
		}
		prev = b.Position
		if b.CaughtUp {
			break
		}
	}
	if !reflect.DeepEqual(got, pos) {
		t.Fatalf("positions %v, want %v", got, pos)
	}
	if len(sizes) > 5 {
		t.Errorf("batch sizes %v: 25 ready events should come in a few batches", sizes)
	}
	// A live event after the marker comes as a batch of its own.
	more := appendN(t, store, "s", 1)
	m := receive(t, ch)
	b, err := BatchFromMessage(m)
	if err != nil || len(b.Events) != 1 || b.Events[0].Position != more[0] || b.Prev != pos[24] || b.CaughtUp {
		t.Fatalf("live batch %+v, %v", b, err)
	}
	m.Ack()
}

func TestBatchEncodingRoundTrips(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123456789, time.UTC)
	events := []eventstore.RecordedEvent{
		{ID: [16]byte{1, 2, 3}, Stream: "teacher-1", Revision: 7, Position: eventstore.Position{Commit: 900, Prepare: 12},
			Type: "teacher.registered", Data: []byte(`{"a":"王"}`), Metadata: []byte(`{"actor_role":"county_admin"}`), RecordedAt: at},
		{ID: [16]byte{9}, Stream: "s", Revision: 1 << 40, Position: eventstore.Position{Commit: 1 << 62, Prepare: 1},
			Type: "x", Data: []byte(`{}`), RecordedAt: at.Add(time.Hour)},
	}
	prev := eventstore.Position{Commit: 3, Prepare: 4}
	msg := batchMessage(prev, events, true)
	b, err := BatchFromMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{Prev: prev, Position: events[1].Position, Events: events, CaughtUp: true}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", b, want)
	}
	msg.Payload = msg.Payload[:len(msg.Payload)-1]
	if _, err := BatchFromMessage(msg); err == nil {
		t.Fatal("a truncated batch decoded")
	}
	empty, err := BatchFromMessage(batchMessage(prev, nil, true))
	if err != nil || len(empty.Events) != 0 || empty.Position != prev || !empty.CaughtUp {
		t.Fatalf("marker batch %+v, %v", empty, err)
	}
}
