package claim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/claim"
)

func TestClaim(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	c := claim.New("id_number")
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	if err := c.Take(a, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.Take(a, t0); err != nil || len(c.Changes()) != 1 {
		t.Fatalf("retaking one's own claim: err=%v changes=%d", err, len(c.Changes()))
	}
	if err := c.Take(b, t0); !errors.Is(err, claim.ErrTaken) {
		t.Fatalf("b took a's value: %v", err)
	}
	c.Release(b) // not b's: nothing happens
	if c.Owner() != a || len(c.Changes()) != 1 {
		t.Fatalf("release by a non-owner changed the claim")
	}
	c.Release(a)
	if err := c.Take(b, t0); err != nil || c.Owner() != b {
		t.Fatalf("b could not take a released value: %v", err)
	}
	if claim.StreamName("id_number", "x") == claim.StreamName("certificate", "x") {
		t.Fatal("kinds share a stream")
	}
}

// A claim whose owner was never written blocks its value only for the
// grace period; a claim whose owner exists is never taken over.
func TestTakeOverStale(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	c := claim.New("id_number")
	if err := c.Take(a, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.TakeOverStale(b, false, t0.Add(claim.StaleAfter-time.Second)); !errors.Is(err, claim.ErrTaken) {
		t.Fatalf("within the grace period: %v", err)
	}
	if err := c.TakeOverStale(b, true, t0.Add(time.Hour)); !errors.Is(err, claim.ErrTaken) {
		t.Fatalf("an existing owner lost its claim: %v", err)
	}
	if err := c.TakeOverStale(b, false, t0.Add(claim.StaleAfter)); err != nil || c.Owner() != b {
		t.Fatalf("stale claim not taken over: %v owner=%v", err, c.Owner())
	}
	// Replaying the history gives the same owner.
	r := claim.New("id_number")
	for _, e := range c.Changes() {
		r.Apply(e)
	}
	if r.Owner() != b {
		t.Fatalf("replayed owner %v", r.Owner())
	}
}
