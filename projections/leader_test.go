package projections

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hbte/record/migrations/pgtest"
)

// TestLeadershipOneAtATimeAndTakeover: two instances contend; one runs,
// the other stands by; a stopped leader and a leader whose session is
// killed both hand over within seconds; never do both run at once; a
// rebuild (WithLeadership) is refused while an instance leads, naming it.
func TestLeadershipOneAtATimeAndTakeover(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	var running, overlaps atomic.Int32
	var mu sync.Mutex
	var leaders []string
	cfg := func(role string) LeaderConfig {
		return LeaderConfig{Pool: pool, Interval: 100 * time.Millisecond, Role: role}
	}
	runAs := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			mu.Lock()
			leaders = append(leaders, name)
			mu.Unlock()
			<-ctx.Done()
			return nil
		}
	}
	leader := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(leaders) == 0 {
			return ""
		}
		return leaders[len(leaders)-1]
	}
	waitLeader := func(not string, n int) string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := len(leaders)
			mu.Unlock()
			if got >= n && running.Load() == 1 && leader() != not {
				return leader()
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no new leader after 5 s (the last: %q)", leader())
		return ""
	}
	actx, stopA := context.WithCancel(ctx)
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- RunAsLeader(actx, cfg("instance a"), runAs("a")) }()
	go func() { doneB <- RunAsLeader(bctx, cfg("instance b"), runAs("b")) }()
	first := waitLeader("", 1)
	time.Sleep(500 * time.Millisecond) // the standby keeps trying meanwhile
	mu.Lock()
	n := len(leaders)
	mu.Unlock()
	if n != 1 {
		t.Fatalf("%d leaders while the first one leads", n)
	}

	// A rebuild is refused while an instance leads, naming it.
	err := WithLeadership(ctx, cfg("rebuild"), 300*time.Millisecond, func(context.Context) error { return nil })
	if !errors.Is(err, ErrLeaderElsewhere) || !strings.Contains(err.Error(), "instance "+first) {
		t.Fatalf("rebuild beside a leader: %v", err)
	}

	// The leader's session dies (the server ends it): it stops running,
	// the other takes over.
	start := time.Now()
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'instance '||$1||'%'`, first); err != nil {
		t.Fatal(err)
	}
	second := waitLeader(first, 2)
	t.Logf("%s led, its session was killed, %s took over in %v", first, second, time.Since(start))

	// The first stands by again, and takes over when the second stops.
	stop := map[string]context.CancelFunc{"a": stopA, "b": stopB}
	done := map[string]chan error{"a": doneA, "b": doneB}
	start = time.Now()
	stop[second]()
	if err := <-done[second]; err != nil {
		t.Fatalf("stopped leader: %v", err)
	}
	if third := waitLeader(second, 3); third != first {
		t.Fatalf("after %s stopped, %s leads", second, third)
	}
	t.Logf("%s stopped, %s took over in %v", second, first, time.Since(start))
	stop[first]()
	if err := <-done[first]; err != nil {
		t.Fatalf("stopped leader: %v", err)
	}

	// Nobody leads: a rebuild runs, holding the lock meanwhile.
	var during string
	if err := WithLeadership(ctx, cfg("rebuild"), time.Second, func(ctx context.Context) error {
		during = LeaderHolder(ctx, pool)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(during, "rebuild (pid") {
		t.Errorf("holder during the rebuild: %s", during)
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times two ran at once", n)
	}
}
