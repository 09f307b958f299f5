package claim_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/claim"
)

func TestClaim(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	c := claim.New("id_number")
	if err := c.Take(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Take(a); err != nil || len(c.Changes()) != 1 {
		t.Fatalf("retaking one's own claim: err=%v changes=%d", err, len(c.Changes()))
	}
	if err := c.Take(b); !errors.Is(err, claim.ErrTaken) {
		t.Fatalf("b took a's value: %v", err)
	}
	c.Release(b) // not b's: nothing happens
	if c.Owner() != a || len(c.Changes()) != 1 {
		t.Fatalf("release by a non-owner changed the claim")
	}
	c.Release(a)
	if err := c.Take(b); err != nil || c.Owner() != b {
		t.Fatalf("b could not take a released value: %v", err)
	}
	if claim.StreamName("id_number", "x") == claim.StreamName("certificate", "x") {
		t.Fatal("kinds share a stream")
	}
}
