package projections_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/projections"
)

func TestRunnerWithoutProjectionsStopsWithItsContext(t *testing.T) {
	r := projections.NewRunner(memory.New(), event.NewRegistry(), pgtest.New(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
