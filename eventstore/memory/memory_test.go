package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/eventstoretest"
	"github.com/hbte/record/eventstore/memory"
)

func TestContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return memory.New() })
	})
}

// TestAnyRetryIsBestEffort pins the documented rule for Any: a batch equal
// to the stream's tail is a retry; once the stream moved on it is written again.
func TestAnyRetryIsBestEffort(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	e := eventstore.EventData{ID: uuid.New(), Type: "t", Data: []byte(`{}`)}
	first, err := s.Append(ctx, "s-1", eventstore.Any(), e)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, "s-1", eventstore.Any(), e)
	if err != nil || again != first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), e); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadStream(ctx, "s-1", eventstore.ReadOptions{})
	if err != nil || len(got) != 3 {
		t.Fatalf("stream has %d events (%v), want 3", len(got), err)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "s-1", eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "t"}); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := sub.Next(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
}
