package esdb_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
	"github.com/hbte/record/eventstore/eventstoretest"
)

func quiet() esdb.Option { return esdb.WithLogger(slog.New(slog.DiscardHandler)) }

func openFake(t testing.TB, opts ...esdb.Option) (*esdb.Store, *esdbfake.Server) {
	t.Helper()
	srv := esdbfake.Start(t)
	s, err := esdb.New(context.Background(), srv.ConnString(), append([]esdb.Option{quiet()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, srv
}

func TestContract(t *testing.T) {
	t.Run("esdb", func(t *testing.T) {
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			s, _ := openFake(t)
			return s
		})
	})
	// The isolation esdb-real relies on, checked on every run: one server
	// for all subtests, with other writers' events in between.
	t.Run("esdb-shared", func(t *testing.T) {
		srv := esdbfake.Start(t)
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			srv.AppendRaw("teacher-"+uuid.NewString(), "teacher.registered", []byte(`{}`))
			return openNamespaced(t, srv.ConnString())
		})
	})
	t.Run("esdb-real", func(t *testing.T) {
		url := os.Getenv("EVENTSTORE_URL")
		if url == "" {
			t.Skip("EVENTSTORE_URL is not set; see docs/EVENTSTOREDB.md")
		}
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return openNamespaced(t, url) })
	})
}

// openNamespaced opens a store in a namespace of its own: the server is
// shared and keeps everything, the suite expects an empty store.
func openNamespaced(t *testing.T, url string) eventstore.Store {
	ns := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] + "-"
	s, err := esdb.New(context.Background(), url, quiet(), esdb.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func event(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(`{"k":1}`), Metadata: []byte(`{"actor":"t"}`)}
}

func TestNew(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		conn string
		opts []esdb.Option
	}{
		{"postgres scheme", "postgres://localhost/db", nil},
		{"empty", "", nil},
		{"bad url", "esdb://host:notaport", nil},
		{"zero timeout", "esdb://localhost:2113?tls=false", []esdb.Option{esdb.WithOperationTimeout(0)}},
		{"empty prefix", "esdb://localhost:2113?tls=false", []esdb.Option{esdb.WithStreamPrefixes("teacher-", "")}},
		{"system namespace", "esdb://localhost:2113?tls=false", []esdb.Option{esdb.WithNamespace("$x")}},
		{"backoff inverted", "esdb://localhost:2113?tls=false", []esdb.Option{esdb.WithResubscribeBackoff(time.Second, time.Millisecond)}},
	}
	for _, tc := range tests {
		if s, err := esdb.New(ctx, tc.conn, tc.opts...); err == nil {
			_ = s.Close()
			t.Errorf("%s: New succeeded, want an error", tc.name)
		}
	}
	s, err := esdb.New(ctx, "esdb://admin:secret@localhost:2113?tls=false", quiet())
	if err != nil {
		t.Fatalf("valid connection string: %v", err)
	}
	_ = s.Close()
	if _, err := s.ReadStream(ctx, "x", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("ReadStream after Close: %v, want ErrClosed", err)
	}
}

// TestFeedIsThisService checks that the global feed leaves out system events
// and other services' streams, by ReadAll (filtered here) and by the
// subscription (filtered on the server).
func TestFeedIsThisService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, srv := openFake(t, esdb.WithStreamPrefixes("teacher-", "unit-"))
	var want []uuid.UUID
	for i := 0; i < 3; i++ {
		srv.AppendRaw("billing-"+uuid.NewString(), "invoice.sent", []byte(`{}`))
		srv.AppendRaw("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`))
		srv.AppendRaw("teacher-"+uuid.NewString(), "$metadata", []byte(`{}`))
		for _, stream := range []string{"teacher-" + uuid.NewString(), "unit-" + uuid.NewString()} {
			e := event("x.happened")
			if _, err := s.Append(ctx, stream, eventstore.NoStream(), e); err != nil {
				t.Fatal(err)
			}
			want = append(want, e.ID)
		}
	}
	for _, limit := range []int{1, 2, 100} {
		var got []uuid.UUID
		from := eventstore.Start
		for {
			page, err := s.ReadAll(ctx, from, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			for _, e := range page {
				got = append(got, e.ID)
				from = e.Position
			}
		}
		if !equal(got, want) {
			t.Fatalf("ReadAll limit %d = %v, want %v", limit, got, want)
		}
	}

	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []uuid.UUID
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.CaughtUp {
			break
		}
		got = append(got, m.Event.ID)
	}
	if !equal(got, want) {
		t.Fatalf("subscription = %v, want %v", got, want)
	}
}

func TestNamespacesIsolateStores(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	open := func(ns string) *esdb.Store {
		s, err := esdb.New(ctx, srv.ConnString(), quiet(), esdb.WithNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open("a-"), open("b-")
	ea, eb := event("x"), event("x")
	if _, err := a.Append(ctx, "teacher-1", eventstore.NoStream(), ea); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Append(ctx, "teacher-1", eventstore.NoStream(), eb); err != nil {
		t.Fatalf("same name in another namespace: %v", err)
	}
	for _, tc := range []struct {
		s    *esdb.Store
		want uuid.UUID
	}{{a, ea.ID}, {b, eb.ID}} {
		got, err := tc.s.ReadAll(ctx, eventstore.Start, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != tc.want || got[0].Stream != "teacher-1" {
			t.Fatalf("ReadAll = %+v, want only %s in teacher-1", got, tc.want)
		}
	}
	if _, err := a.ReadStream(ctx, "b-teacher-1", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("reading another namespace's stream: %v, want not found", err)
	}
}

// collector drains a subscription in the background, as a projection would.
type collector struct {
	mu       sync.Mutex
	events   []eventstore.RecordedEvent
	caughtUp int
	err      error
	done     chan struct{}
}

func collect(ctx context.Context, sub eventstore.Subscription) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			m, err := sub.Next(ctx)
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.mu.Unlock()
				return
			}
			if m.CaughtUp {
				c.caughtUp++
			} else {
				c.events = append(c.events, *m.Event)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) waitFor(t *testing.T, ctx context.Context, n int) []eventstore.RecordedEvent {
	t.Helper()
	for {
		c.mu.Lock()
		got, err := append([]eventstore.RecordedEvent(nil), c.events...), c.err
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if err != nil {
			t.Fatalf("subscription ended after %d of %d events: %v", len(got), n, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d events delivered: %v", len(got), n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// logCount counts log records whose message contains a substring.
type logCount struct {
	slog.Handler
	mu    *sync.Mutex
	msgs  *[]string
	level slog.Level
}

func newLogCount() logCount {
	return logCount{Handler: slog.DiscardHandler, mu: new(sync.Mutex), msgs: new([]string), level: slog.LevelWarn}
}

func (h logCount) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h logCount) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.msgs = append(*h.msgs, r.Message)
	return nil
}
func (h logCount) count(sub string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range *h.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// TestServerRestart stops the server while a subscription is open and
// appends are attempted, long enough for the client to give up discovery
// and close itself, then restarts it on the same port. The store must
// recover in-process: appends work again, and the subscription resumes
// with every event exactly once, in feed order.
func TestServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	logs := newLogCount()
	s, srv := openFake(t,
		esdb.WithOperationTimeout(2*time.Second),
		esdb.WithResubscribeBackoff(20*time.Millisecond, 200*time.Millisecond),
		esdb.WithLogger(slog.New(logs)))
	stream := "teacher-" + uuid.NewString()
	var written []uuid.UUID
	appendOne := func(exp eventstore.ExpectedRevision, e eventstore.EventData) error {
		_, err := s.Append(ctx, stream, exp, e)
		if err == nil {
			written = append(written, e.ID)
		}
		return err
	}
	for i := 0; i < 3; i++ {
		exp := eventstore.NoStream()
		if i > 0 {
			exp = eventstore.Exact(uint64(i - 1))
		}
		if err := appendOne(exp, event("before")); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	c := collect(ctx, sub)
	c.waitFor(t, ctx, 3)

	srv.Stop()
	down := event("during")
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := s.Append(ctx, stream, eventstore.Exact(2), down)
		if err == nil {
			t.Fatal("append succeeded while the server was stopped")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("append against a stopped server took %v", d)
		}
		t.Logf("append while stopped: %v after %v", err, time.Since(start).Round(time.Millisecond))
	}
	// The client gives up after 10 discovery attempts 100 ms apart.
	time.Sleep(1500 * time.Millisecond)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// The same event at the same expectation: safe to retry, whether or not
	// an earlier attempt reached the server.
	for {
		_, err := s.Append(ctx, stream, eventstore.Exact(2), down)
		if err == nil {
			written = append(written, down.ID)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("append never succeeded after restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("first append after restart succeeded after %v", time.Since(start).Round(time.Millisecond))
	for i := 0; i < 3; i++ {
		if err := appendOne(eventstore.Exact(uint64(3+i)), event("after")); err != nil {
			t.Fatal(err)
		}
	}
	got := c.waitFor(t, ctx, len(written))
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
	got = c.waitFor(t, ctx, len(written))
	if !equal(ids(got), written) {
		t.Fatalf("subscription delivered %v, want %v exactly once in order", ids(got), written)
	}
	feed, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(ids(feed), written) {
		t.Fatalf("feed = %v, want %v", ids(feed), written)
	}
	if n := logs.count("replaced client"); n == 0 {
		t.Fatal("the client was never replaced: the test did not reach the closed-client state it is meant to cover")
	}
	if n := logs.count("resubscrib"); n == 0 {
		t.Fatal("no resubscription was logged")
	}
	c.mu.Lock()
	caughtUp := c.caughtUp
	c.mu.Unlock()
	if caughtUp != 1 {
		t.Fatalf("caught-up delivered %d times, want once", caughtUp)
	}
	_ = sub.Close()
	<-c.done
	if !errors.Is(c.err, eventstore.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", c.err)
	}
}

// TestHungServer freezes the server with its connections open: every call
// must come back with an error within the operation timeout, and the store
// must work again once the server answers.
func TestHungServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const bound = 300 * time.Millisecond
	check := func(t *testing.T, what string, start time.Time, err error) {
		t.Helper()
		d := time.Since(start)
		if err == nil {
			t.Fatalf("%s on a frozen server succeeded", what)
		}
		// The first call runs into the deadline; it opens the breaker,
		// and the next ones are refused at once (ErrUnavailable).
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("%s: %v, want a deadline error or unavailable", what, err)
		}
		if d > bound+time.Second {
			t.Fatalf("%s returned after %v, bound %v", what, d, bound)
		}
	}
	calls := func(t *testing.T, s *esdb.Store, stream string) {
		start := time.Now()
		_, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
		check(t, "ReadStream", start, err)
		start = time.Now()
		_, err = s.ReadAll(ctx, eventstore.Start, 10)
		check(t, "ReadAll", start, err)
		start = time.Now()
		_, err = s.Append(ctx, stream, eventstore.Any(), event("x"))
		check(t, "Append", start, err)
		start = time.Now()
		_, err = s.SubscribeAll(ctx, eventstore.Start)
		check(t, "SubscribeAll", start, err)
	}

	t.Run("connected", func(t *testing.T) {
		s, srv := openFake(t, esdb.WithOperationTimeout(bound))
		stream := "teacher-" + uuid.NewString()
		if _, err := s.Append(ctx, stream, eventstore.NoStream(), event("x")); err != nil {
			t.Fatal(err)
		}
		srv.Freeze()
		calls(t, s, stream)
		srv.Unfreeze()
		eventually(t, ctx, func() error {
			got, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
			if err == nil && len(got) < 1 {
				err = errors.New("stream is empty")
			}
			return err
		})
	})

	t.Run("at connect", func(t *testing.T) {
		// The client's discovery ignores every context: only supervision
		// bounds a first call to a node that accepts TCP but never answers.
		s, srv := openFake(t, esdb.WithOperationTimeout(bound))
		srv.Freeze()
		calls(t, s, "teacher-"+uuid.NewString())
		srv.Unfreeze()
		eventually(t, ctx, func() error {
			_, err := s.Append(ctx, "teacher-"+uuid.NewString(), eventstore.NoStream(), event("x"))
			return err
		})
	})

	t.Run("live subscription", func(t *testing.T) {
		s, srv := openFake(t, esdb.WithOperationTimeout(bound),
			esdb.WithResubscribeBackoff(20*time.Millisecond, 100*time.Millisecond))
		sub, err := s.SubscribeAll(ctx, eventstore.Start)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		if m, err := sub.Next(ctx); err != nil || !m.CaughtUp {
			t.Fatalf("first message = %+v, %v; want caught up", m, err)
		}
		srv.Freeze()
		short, cancelShort := context.WithTimeout(ctx, bound)
		defer cancelShort()
		start := time.Now()
		if _, err := sub.Next(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next on a frozen server: %v, want the caller's deadline", err)
		}
		if d := time.Since(start); d > bound+time.Second {
			t.Fatalf("Next returned after %v", d)
		}
		srv.Unfreeze()
		e := event("x")
		eventually(t, ctx, func() error {
			_, err := s.Append(ctx, "teacher-"+uuid.NewString(), eventstore.NoStream(), e)
			return err
		})
		m, err := sub.Next(ctx)
		if err != nil || m.Event == nil || m.Event.ID != e.ID {
			t.Fatalf("after unfreeze: %+v, %v; want event %s", m, err, e.ID)
		}
	})
}

func eventually(t *testing.T, ctx context.Context, f func() error) {
	t.Helper()
	for {
		err := f()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("never recovered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ids(events []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func equal(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCloseWhileServerDown checks that ending a subscription does not wait
// for a server that is gone: Close and Store.Close return at once, and Next
// reports ErrClosed.
func TestCloseWhileServerDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, srv := openFake(t, esdb.WithResubscribeBackoff(10*time.Millisecond, 50*time.Millisecond))
	subs := make([]eventstore.Subscription, 2)
	for i := range subs {
		sub, err := s.SubscribeAll(ctx, eventstore.Start)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := sub.Next(ctx); err != nil || !m.CaughtUp {
			t.Fatalf("first message = %+v, %v; want caught up", m, err)
		}
		subs[i] = sub
	}
	srv.Stop()
	time.Sleep(300 * time.Millisecond) // let both fall into resubscribing
	start := time.Now()
	if err := subs[0].Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := subs[0].Next(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := subs[1].Next(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Next after Store.Close: %v, want ErrClosed", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closing took %v with the server down", d)
	}
	if _, err := s.Append(ctx, "teacher-1", eventstore.Any(), event("x")); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
}
