package commands

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

func TestCertificateSerialsAreDenseUniqueAndIdempotent(t *testing.T) {
	pool := pgtest.New(t)
	store := postgres.New(pool)
	t.Cleanup(func() { store.Close() })
	reg := event.NewRegistry()
	claim.RegisterEvents(reg)
	h := NewHandlers(Deps{Repo: NewRepository(store, reg), Creds: NewCredentials(pool, bcrypt.MinCost, time.Now), Now: time.Now})
	ctx := context.Background()
	actor := access.System("test")

	const takers = 16
	eids := make([]uuid.UUID, takers)
	got := make([]int, takers)
	errs := make([]error, takers)
	var wg sync.WaitGroup
	for i := range eids {
		eids[i] = uuid.New()
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = h.certificateSerial(ctx, actor, 2026, project.Category(20), eids[i], 0)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("taker %d: %v", i, err)
		}
	}
	sorted := append([]int(nil), got...)
	sort.Ints(sorted)
	for i, s := range sorted {
		if s != i+1 {
			t.Fatalf("serials %v: want exactly 1..%d", sorted, takers)
		}
	}
	// The last taker asking again (a lost answer) gets its own serial back.
	last := 0
	for i, s := range got {
		if s == takers {
			last = i
		}
	}
	again, err := h.certificateSerial(ctx, actor, 2026, project.Category(20), eids[last], 0)
	if err != nil || again != takers {
		t.Fatalf("retry of the last taker: %d, %v; want %d", again, err, takers)
	}
	// Another category counts on its own.
	if s, err := h.certificateSerial(ctx, actor, 2026, project.Category(10), uuid.New(), 0); err != nil || s != 1 {
		t.Fatalf("first serial of another category: %d, %v", s, err)
	}
}
