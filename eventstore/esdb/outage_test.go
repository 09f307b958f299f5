package esdb_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
)

// TestOutageLeavesNoGoroutines: callers under load through an outage. The
// v4.2.0 client ignores contexts while it rediscovers the node, so every
// call made then would leave a goroutine stuck inside it (for good once the
// client gives up). With the circuit breaker one probe goes through and the
// rest fail fast; after the outage the goroutines return to the baseline.
func TestOutageLeavesNoGoroutines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, srv := openFake(t, esdb.WithOperationTimeout(500*time.Millisecond), quiet())
	stream := "teacher-" + uuid.NewString()
	if _, err := s.Append(ctx, stream, eventstore.Any(), event("warm")); err != nil {
		t.Fatal(err)
	}
	settle := func() int {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	baseline := settle()
	// Earlier tests may have left calls inside abandoned clients.
	stacks := make([]byte, 1<<20)
	stuckBefore := stuckCalls(stacks[:runtime.Stack(stacks, true)])

	const workers = 20
	var stop atomic.Bool
	var fast, calls atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				cctx, ccancel := context.WithTimeout(ctx, 200*time.Millisecond)
				start := time.Now()
				_, err := s.Append(cctx, stream, eventstore.Any(), event("load"))
				ccancel()
				calls.Add(1)
				if err != nil && errors.Is(err, eventstore.ErrUnavailable) && time.Since(start) < 20*time.Millisecond {
					fast.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	srv.Stop()
	peak := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		peak = max(peak, runtime.NumGoroutine())
	}
	// Whether refused by the breaker or by the network, the port's word.
	if _, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("read with the node down: %v, want ErrUnavailable", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The store works again.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := s.Append(ctx, stream, eventstore.Any(), event("after")); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no append succeeded after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("baseline %d goroutines, peak %d during the outage (%d workers); %d calls, %d refused fast", baseline, peak, workers, calls.Load(), fast.Load())
	if fast.Load() == 0 {
		t.Error("no call failed fast during the outage")
	}
	// Every call's goroutine has returned. What may remain is one gRPC
	// connection per reconnect (both ends are in this process): the client
	// replaces its connection after a failure without closing the old one,
	// which reconnects on its own. That costs goroutines per outage, not
	// per call.
	const perConnection = 12
	var now, stuck int
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		now = settle()
		stacks = make([]byte, 1<<20)
		stacks = stacks[:runtime.Stack(stacks, true)]
		stuck = stuckCalls(stacks) - stuckBefore
		if (stuck == 0 && now <= baseline+perConnection) || time.Now().After(end) {
			break
		}
	}
	t.Logf("%d goroutines after the outage (%d calls stuck in clients before it began)", now, stuckBefore)
	if stuck > 0 || now > baseline+perConnection {
		t.Fatalf("%d goroutines after the outage (baseline %d), %d of them calls stuck in the client:\n%s", now, baseline, stuck, stacks)
	}
}

// stuckCalls counts goroutines of calls still inside the client or the
// adapter.
func stuckCalls(stacks []byte) int {
	n := 0
	for _, g := range bytes.Split(stacks, []byte("\n\n")) {
		if bytes.Contains(g, []byte("eventstore/esdb.supervise")) || bytes.Contains(g, []byte("getConnectionHandle")) ||
			bytes.Contains(g, []byte("(*grpcClient).handleError")) {
			n++
		}
	}
	return n
}
