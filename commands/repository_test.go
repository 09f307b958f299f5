package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore/memory"
)

// counter is a minimal aggregate: it refuses to go above a limit, so a lost
// update would show as a total above the limit.
type counter struct {
	event.Root
	n int
}

type incremented struct{ By int }

func (incremented) EventType() string { return "test.incremented" }

func (c *counter) Apply(e event.Event) {
	if e, ok := e.(*incremented); ok {
		c.n += e.By
	}
}

func (c *counter) Inc(limit int) error {
	if c.n >= limit {
		return domain.ErrInvalidState
	}
	c.Record(c, &incremented{By: 1})
	return nil
}

func newRepo(t *testing.T) *commands.Repository {
	t.Helper()
	reg := event.NewRegistry()
	reg.Register(func() event.Event { return &incremented{} })
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	return commands.NewRepository(store, reg)
}

func meta() commands.Write {
	return commands.Write{Meta: event.Metadata{ActorRole: "system", OccurredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
}

func TestUpdateCreatesAndLoads(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	stream := "counter-" + uuid.NewString()
	fresh := func() *counter { return &counter{} }
	if _, _, err := commands.Update(ctx, repo, stream, fresh, false, meta(), func(c *counter) error { return c.Inc(10) }); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("update of a missing stream without create: got %v, want ErrNotFound", err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := commands.Update(ctx, repo, stream, fresh, true, meta(), func(c *counter) error { return c.Inc(10) }); err != nil {
			t.Fatal(err)
		}
	}
	c := &counter{}
	if err := repo.Load(ctx, stream, c); err != nil {
		t.Fatal(err)
	}
	if c.n != 3 || c.Version() != 2 {
		t.Fatalf("got n=%d version=%d, want 3 and 2", c.n, c.Version())
	}
}

func TestConcurrentUpdatesRetryWithoutLostUpdates(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	stream := "counter-" + uuid.NewString()
	fresh := func() *counter { return &counter{} }
	const workers, limit = 8, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, refused, conflicts int
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				_, _, err := commands.Update(ctx, repo, stream, fresh, true, meta(), func(c *counter) error { return c.Inc(limit) })
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, domain.ErrInvalidState):
					refused++
				case errors.Is(err, commands.ErrConflict):
					conflicts++
				default:
					t.Error(err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	c := &counter{}
	if err := repo.Load(ctx, stream, c); err != nil {
		t.Fatal(err)
	}
	if c.n != ok || c.n > limit {
		t.Fatalf("stored %d increments, %d reported ok, limit %d", c.n, ok, limit)
	}
	if ok+refused+conflicts != workers*5 {
		t.Fatalf("outcomes %d+%d+%d do not add up", ok, refused, conflicts)
	}
}

func TestStaleExpectedVersionIsConflict(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	stream := "counter-" + uuid.NewString()
	fresh := func() *counter { return &counter{} }
	for i := 0; i < 2; i++ {
		if _, _, err := commands.Update(ctx, repo, stream, fresh, true, meta(), func(c *counter) error { return c.Inc(10) }); err != nil {
			t.Fatal(err)
		}
	}
	w := meta()
	stale := int64(0)
	w.ExpectedVersion = &stale
	_, _, err := commands.Update(ctx, repo, stream, fresh, false, w, func(c *counter) error { return c.Inc(10) })
	var ce *commands.ConflictError
	if !errors.As(err, &ce) || ce.Current != 1 {
		t.Fatalf("got %v, want ConflictError with current revision 1", err)
	}
}

func TestIdempotencyKeyAppliesOnce(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t)
	stream := "counter-" + uuid.NewString()
	fresh := func() *counter { return &counter{} }
	w := meta()
	w.IdempotencyKey = "key-1"
	first, r1, err := commands.Update(ctx, repo, stream, fresh, true, w, func(c *counter) error { return c.Inc(10) })
	if err != nil {
		t.Fatal(err)
	}
	// Another command in between, then the retry.
	if _, _, err := commands.Update(ctx, repo, stream, fresh, true, meta(), func(c *counter) error { return c.Inc(10) }); err != nil {
		t.Fatal(err)
	}
	_, r2, err := commands.Update(ctx, repo, stream, fresh, true, w, func(c *counter) error { return c.Inc(10) })
	if err != nil {
		t.Fatal(err)
	}
	if r1.NextRevision != r2.NextRevision {
		t.Fatalf("retry reported revision %d, first %d", r2.NextRevision, r1.NextRevision)
	}
	c := &counter{}
	if err := repo.Load(ctx, stream, c); err != nil {
		t.Fatal(err)
	}
	if c.n != 2 || first.n != 1 {
		t.Fatalf("after a retried command: n=%d, want 2", c.n)
	}
}
