package esdb_test

// The fake is as strict as a real node with default settings (v22–v24):
// append size limit, TLS and credentials, deleted and tombstoned streams,
// reads past the end, and the position a multi-event append reports.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
)

func sized(typ string, n int) client.EventData {
	e := rawEvent(typ)
	e.Data = bytes.Repeat([]byte("x"), n-2*len(typ))
	e.Data[0], e.Data[len(e.Data)-1] = '"', '"'
	return e
}

func TestFakeRefusesAppendsOverTheMaximumSize(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	// Exactly the limit is accepted, in one event or several.
	if _, err := c.AppendToStream(ctx, "big-1", client.AppendToStreamOptions{}, sized("t", 1<<20)); err != nil {
		t.Fatalf("append of exactly 1 MiB: %v", err)
	}
	if _, err := c.AppendToStream(ctx, "big-2", client.AppendToStreamOptions{}, sized("t", 1<<19), sized("t", 1<<19)); err != nil {
		t.Fatalf("two halves of 1 MiB: %v", err)
	}
	// One byte more is refused, and nothing of it is stored.
	for _, evs := range [][]client.EventData{{sized("t", 1<<20+1)}, {sized("t", 1<<19), sized("t", 1<<19+1)}} {
		_, err := c.AppendToStream(ctx, "big-3", client.AppendToStreamOptions{}, evs...)
		if err == nil {
			t.Fatal("append over the limit accepted")
		}
		var e *client.Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v", err)
		}
	}
	rs, err := c.ReadStream(ctx, "big-3", client.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if _, err := rs.Recv(); !isNotFound(err) {
		t.Fatalf("refused append stored something: %v", err)
	}
}

func isNotFound(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code() == client.ErrorCodeResourceNotFound
}

// TestServerAppendLimitIsTyped: a node configured with a smaller limit than
// the port's refuses in its own words; the adapter still answers the
// port's typed error.
func TestServerAppendLimitIsTyped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t, esdbfake.WithMaxAppendSize(1024))
	s, err := esdb.New(ctx, srv.ConnString(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := eventstore.EventData{ID: uuid.New(), Type: "t.big", Data: []byte(`"` + strings.Repeat("x", 2000) + `"`)}
	_, err = s.Append(ctx, "big-1", eventstore.NoStream(), e)
	if !errors.Is(err, eventstore.ErrAppendTooLarge) {
		t.Fatalf("err = %v, want ErrAppendTooLarge", err)
	}
	var tl *eventstore.AppendTooLargeError
	if errors.As(err, &tl); tl == nil || tl.Max != 1024 {
		t.Fatalf("err = %#v, want the server's limit 1024", tl)
	}
}

func TestFakeNeedsTLSAndCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	if !strings.Contains(srv.ConnString(), "tls=true") || !strings.Contains(srv.ConnString(), "admin:changeit@") {
		t.Fatalf("conn string %q is not the secure form", srv.ConnString())
	}
	try := func(conn string) error {
		s, err := esdb.New(ctx, conn, quiet(), esdb.WithOperationTimeout(2*time.Second))
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Append(ctx, "auth-"+uuid.NewString(), eventstore.Any(), event("t.x"))
		return err
	}
	if err := try(srv.ConnString()); err != nil {
		t.Fatalf("with TLS and credentials: %v", err)
	}
	for name, conn := range map[string]string{
		"no credentials": srv.ConnStringAs("", ""),
		"wrong password": srv.ConnStringAs("admin", "wrong"),
		"plain text":     "esdb://admin:changeit@" + srv.Addr() + "?tls=false",
		"unknown CA":     "esdb://admin:changeit@" + srv.Addr() + "?tls=true",
	} {
		if err := try(conn); err == nil {
			t.Errorf("%s: append accepted", name)
		}
	}
	// The client sends credentials only over TLS: an insecure node takes
	// the plain-text form.
	open := esdbfake.Start(t, esdbfake.Insecure())
	if err := try(open.ConnString()); err != nil {
		t.Fatalf("insecure node: %v", err)
	}
}

func TestFakeDeletedAndTombstonedStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	s, err := esdb.New(ctx, srv.ConnString(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Soft delete: not found, and a later append continues the revisions.
	mustAppendN(t, ctx, s, "soft-1", 2)
	if _, err := c.DeleteStream(ctx, "soft-1", client.DeleteStreamOptions{ExpectedRevision: client.Revision(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(ctx, "soft-1", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("read of a deleted stream: %v", err)
	}
	res, err := s.Append(ctx, "soft-1", eventstore.Any(), event("t.again"))
	if err != nil || res.NextRevision != 2 {
		t.Fatalf("append after delete: %+v %v, want revision 2", res, err)
	}
	got, err := s.ReadStream(ctx, "soft-1", eventstore.ReadOptions{})
	if err != nil || len(got) != 1 || got[0].Revision != 2 {
		t.Fatalf("read after recreate: %d events, %v", len(got), err)
	}

	// Tombstone: reads and appends fail for good.
	mustAppendN(t, ctx, s, "hard-1", 1)
	if _, err := c.TombstoneStream(ctx, "hard-1", client.TombstoneStreamOptions{ExpectedRevision: client.Revision(0)}); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ReadStream(ctx, "hard-1", client.ReadStreamOptions{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.Recv()
	rs.Close()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code() != client.ErrorCodeStreamDeleted {
		t.Fatalf("raw read of a tombstoned stream: %v", err)
	}
	if _, err := s.ReadStream(ctx, "hard-1", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("read of a tombstoned stream: %v", err)
	}
	if _, err := s.Append(ctx, "hard-1", eventstore.Any(), event("t.x")); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("append to a tombstoned stream: %v", err)
	}
	// The feed shows the service's events, not the deletion records.
	feed, err := s.ReadAll(ctx, eventstore.Start, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range feed {
		if strings.HasPrefix(e.Type, "$") || strings.HasPrefix(e.Stream, "$") {
			t.Fatalf("feed holds %s in %s", e.Type, e.Stream)
		}
	}
	if len(feed) != 4 {
		t.Fatalf("feed holds %d events, want 4", len(feed))
	}
}

func mustAppendN(t *testing.T, ctx context.Context, s eventstore.Store, stream string, n int) eventstore.AppendResult {
	t.Helper()
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = event("t.e")
	}
	res, err := s.Append(ctx, stream, eventstore.Any(), evs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFakeReadsPastTheEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	if _, err := c.AppendToStream(ctx, "s-1", client.AppendToStreamOptions{}, rawEvent("a"), rawEvent("b")); err != nil {
		t.Fatal(err)
	}
	read := func(o client.ReadStreamOptions) (int, error) {
		rs, err := c.ReadStream(ctx, "s-1", o, 10)
		if err != nil {
			return 0, err
		}
		defer rs.Close()
		n := 0
		for {
			if _, err := rs.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return n, nil
				}
				return n, err
			}
			n++
		}
	}
	if n, err := read(client.ReadStreamOptions{From: client.Revision(5)}); n != 0 || err != nil {
		t.Fatalf("forwards past the end: %d events, %v; want none and no error", n, err)
	}
	if n, err := read(client.ReadStreamOptions{From: client.End{}}); n != 0 || err != nil {
		t.Fatalf("forwards from the end: %d events, %v", n, err)
	}
	if n, err := read(client.ReadStreamOptions{From: client.Revision(9), Direction: client.Backwards}); n != 2 || err != nil {
		t.Fatalf("backwards from past the end: %d events, %v; want 2", n, err)
	}
	if got := readAllRaw(t, ctx, c, client.End{}); len(got) != 0 {
		t.Fatalf("$all from the end: %d events", len(got))
	}
}

// TestMultiEventAppendPosition: the node reports the write's position (its
// first event's); the adapter reads the last event back for the port.
func TestMultiEventAppendPosition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	wr, err := c.AppendToStream(ctx, "m-1", client.AppendToStreamOptions{}, rawEvent("a"), rawEvent("b"), rawEvent("c"))
	if err != nil {
		t.Fatal(err)
	}
	evs := readRaw(t, ctx, c, "m-1")
	if wr.CommitPosition != evs[0].Position.Commit || wr.PreparePosition != evs[0].Position.Prepare {
		t.Fatalf("write position %d/%d, want the first event's %v", wr.CommitPosition, wr.PreparePosition, evs[0].Position)
	}
	for _, e := range evs {
		if e.Position.Commit != evs[0].Position.Commit {
			t.Fatalf("events of one write have commit positions %v and %v", evs[0].Position, e.Position)
		}
	}
	if !(evs[1].Position.Prepare > evs[0].Position.Prepare && evs[2].Position.Prepare > evs[1].Position.Prepare) {
		t.Fatalf("prepare positions not increasing: %v", evs)
	}

	s, err := esdb.New(ctx, srv.ConnString(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := mustAppendN(t, ctx, s, "m-2", 3)
	got, err := s.ReadStream(ctx, "m-2", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Position != got[2].Position || res.Position == got[0].Position {
		t.Fatalf("append result %v, want the last event's %v (first is %v)", res.Position, got[2].Position, got[0].Position)
	}
}
