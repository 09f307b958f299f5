package esdb

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
)

// TestConflictWithoutRevisionInMessage covers the fallback for a client
// whose conflict error does not carry the current revision: the adapter
// reads the stream's end instead.
func TestConflictWithoutRevisionInMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	s, err := New(ctx, srv.ConnString(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stream := "teacher-" + uuid.NewString()
	bare := &esdb.Error{} // no message to parse
	var w *eventstore.WrongExpectedRevisionError
	if err := s.conflict(ctx, stream, eventstore.Exact(4), bare); !asWrong(err, &w) || w.Actual != -1 {
		t.Fatalf("missing stream: %v, want actual -1", err)
	}
	for i := 0; i < 3; i++ {
		e := eventstore.EventData{ID: uuid.New(), Type: "x", Data: []byte(`{}`)}
		if _, err := s.Append(ctx, stream, eventstore.Any(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.conflict(ctx, stream, eventstore.Exact(4), bare); !asWrong(err, &w) || w.Actual != 2 || w.Stream != stream {
		t.Fatalf("three-event stream: %v, want actual 2", err)
	}
}

func asWrong(err error, w **eventstore.WrongExpectedRevisionError) bool {
	return errors.As(err, w)
}
