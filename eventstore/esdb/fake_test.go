package esdb_test

// These tests drive esdbfake with the real client directly, to pin down the
// protocol facts the adapter relies on, so the fake cannot drift into
// agreeing with the adapter instead of with EventStoreDB.

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
)

func rawClient(t testing.TB, srv *esdbfake.Server) *client.Client {
	t.Helper()
	cfg, err := client.ParseConnectionString(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = client.NoopLogging()
	c, err := client.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func rawEvent(typ string) client.EventData {
	return client.EventData{EventID: uuid.New(), EventType: typ, ContentType: client.ContentTypeJson, Data: []byte(`{}`)}
}

func readRaw(t *testing.T, ctx context.Context, c *client.Client, stream string) []*client.RecordedEvent {
	t.Helper()
	rs, err := c.ReadStream(ctx, stream, client.ReadStreamOptions{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*client.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Event)
	}
}

func readAllRaw(t *testing.T, ctx context.Context, c *client.Client, from client.AllPosition) []*client.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(ctx, client.ReadAllOptions{From: from}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*client.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Event)
	}
}

func TestFakeEventsLookReal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, srv := openFake(t)
	c := rawClient(t, srv)
	stream := "teacher-" + uuid.NewString()
	before := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := s.Append(ctx, stream, eventstore.Any(), event("teacher.registered")); err != nil {
			t.Fatal(err)
		}
	}
	got := readRaw(t, ctx, c, stream)
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	var prev client.Position
	for i, e := range got {
		if e.ContentType != "application/json" || e.EventType != "teacher.registered" {
			t.Errorf("event %d: content-type %q type %q, want application/json and teacher.registered", i, e.ContentType, e.EventType)
		}
		if e.CreatedDate.Before(before.Add(-time.Second)) || e.CreatedDate.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d created %v, want about %v", i, e.CreatedDate, before)
		}
		if e.Position.Commit == 0 || e.Position.Commit != e.Position.Prepare {
			t.Errorf("event %d position %+v: want non-zero with commit == prepare", i, e.Position)
		}
		// Log offsets, not counters: the adapter must never assume +1.
		if i > 0 && e.Position.Commit <= prev.Commit+1 {
			t.Errorf("event %d position %d right after %d: want a gap", i, e.Position.Commit, prev.Commit)
		}
		prev = e.Position
	}
	// A fresh node already holds system events: $all does not start empty.
	all := readAllRaw(t, ctx, c, client.Start{})
	if len(all) != 6 || all[0].StreamID[0] != '$' {
		t.Fatalf("$all has %d events starting with %q, want 3 system then 3 user events", len(all), all[0].StreamID)
	}
}

func TestFakeReadAllInclusiveSubscriptionExclusive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rawClient(t, esdbfake.Start(t))
	for i := 0; i < 4; i++ {
		if _, err := c.AppendToStream(ctx, "s-1", client.AppendToStreamOptions{ExpectedRevision: client.Any{}}, rawEvent("e")); err != nil {
			t.Fatal(err)
		}
	}
	all := readAllRaw(t, ctx, c, client.Start{})
	at := all[len(all)-2].Position
	if got := readAllRaw(t, ctx, c, at); len(got) != 2 || got[0].Position != at {
		t.Fatalf("ReadAll from %+v returned %d events starting at %+v, want 2 starting at the given one", at, len(got), got[0].Position)
	}
	sub, err := c.SubscribeToAll(ctx, client.SubscribeToAllOptions{From: at})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ev := sub.Recv()
	if ev.EventAppeared == nil || ev.EventAppeared.Event.Position != all[len(all)-1].Position {
		t.Fatalf("first subscription message = %+v, want the event after %+v", ev, at)
	}
	if ev := sub.Recv(); ev.CaughtUp == nil {
		t.Fatalf("second subscription message = %+v, want caught up", ev)
	}
}

func TestFakeFilteredSubscriptionCheckpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	for i := 0; i < 70; i++ {
		srv.AppendRaw("billing-1", "invoice", []byte(`{}`))
	}
	if _, err := c.AppendToStream(ctx, "teacher-1", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, rawEvent("e")); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToAll(ctx, client.SubscribeToAllOptions{
		From:   client.Start{},
		Filter: &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{"teacher-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	checkpoints, events := 0, 0
	for {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatal(ev.SubscriptionDropped.Error)
		case ev.CheckPointReached != nil:
			checkpoints++
		case ev.EventAppeared != nil:
			events++
			if ev.EventAppeared.Event.StreamID != "teacher-1" {
				t.Fatalf("filtered subscription delivered %s", ev.EventAppeared.Event.StreamID)
			}
		}
		if ev.CaughtUp != nil {
			break
		}
	}
	// 74 scanned events (3 system, 70 billing, 1 teacher) with the client's default window of 32.
	if events != 1 || checkpoints != 2 {
		t.Fatalf("%d events and %d checkpoints, want 1 and 2", events, checkpoints)
	}
}

func TestFakeStreamNotFoundOnFirstRecv(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rawClient(t, esdbfake.Start(t))
	rs, err := c.ReadStream(ctx, "missing-1", client.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("ReadStream call: %v, want the error on Recv", err)
	}
	defer rs.Close()
	_, err = rs.Recv()
	var e *client.Error
	if !errors.As(err, &e) || e.Code() != client.ErrorCodeResourceNotFound {
		t.Fatalf("Recv: %v, want ErrorCodeResourceNotFound", err)
	}
}

func TestFakeIdempotency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rawClient(t, esdbfake.Start(t))
	appendTo := func(exp client.ExpectedRevision, events ...client.EventData) (*client.WriteResult, error) {
		return c.AppendToStream(ctx, "s-1", client.AppendToStreamOptions{ExpectedRevision: exp}, events...)
	}
	a, b, x := rawEvent("e"), rawEvent("e"), rawEvent("e")
	if _, err := appendTo(client.NoStream{}, a, b); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []client.ExpectedRevision{client.NoStream{}, client.Any{}} {
		if _, err := appendTo(exp, a, b); err != nil {
			t.Fatalf("retry with %T: %v", exp, err)
		}
	}
	if _, err := appendTo(client.NoStream{}, a, x); !isWrongVersion(err) {
		t.Fatalf("partial overlap: %v, want wrong expected version", err)
	}
	if _, err := appendTo(client.Revision(0), b); err != nil {
		t.Fatalf("retry of the second event alone at revision 0: %v", err)
	}
	if n := len(readRaw(t, ctx, c, "s-1")); n != 2 {
		t.Fatalf("stream has %d events after retries, want 2", n)
	}
}

func isWrongVersion(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code() == client.ErrorCodeWrongExpectedVersion
}

func TestFakeRestartKeepsDataAndPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	addr := srv.Addr()
	c := rawClient(t, srv)
	if _, err := c.AppendToStream(ctx, "s-1", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, rawEvent("e")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.Stop() // idempotent
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", srv.Addr(), addr)
	}
	fresh := rawClient(t, srv)
	if n := len(readRaw(t, ctx, fresh, "s-1")); n != 1 {
		t.Fatalf("after restart the stream has %d events, want 1", n)
	}
}
