package registration_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/registration"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var v *domain.ValidationError
	if !errors.As(err, &v) || len(v.Fields) == 0 {
		t.Fatalf("err = %v, want a field error", err)
	}
	return v.Fields[0].Field
}

// A policy for a region that does not exist, or effective before 2018, is
// refused (issue 10, item 4).
func TestPublishRefusesUnknownRegionsAndOldDates(t *testing.T) {
	hebei := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	at := day(2026, 1, 1)
	h := registration.NewPolicyHistory("139999")
	if f := fieldOf(t, h.Publish(hebei, policy("v1", "139999", day(2026, 1, 1), nil), at)); f != "scope" {
		t.Fatalf("unknown county: field %s", f)
	}
	h = registration.NewPolicyHistory("13")
	if f := fieldOf(t, h.Publish(hebei, policy("v1", "13", day(1900, 1, 1), nil), at)); f != "effective_from" {
		t.Fatalf("effective 1900: field %s", f)
	}
	if err := h.Publish(hebei, policy("v1", "13", day(2018, 1, 1), nil), at); err != nil {
		t.Fatalf("effective 2018-01-01: %v", err)
	}
	h = registration.NewPolicyHistory("130102")
	if err := h.Publish(hebei, policy("v1", "130102", day(2024, 1, 1), nil), at); err != nil {
		t.Fatalf("a real county: %v", err)
	}
}

// The plausibility limits are policy data, the national figures when a
// policy sets none.
func TestPolicyLimits(t *testing.T) {
	l := registration.NationalDefault().Limits()
	if l.MaxEntryHours != registration.DefaultMaxEntryHours || l.MaxYearHours != registration.DefaultMaxYearHours {
		t.Fatalf("national limits %+v", l)
	}
	p := policy("v", "13", day(2024, 1, 1), func(p *registration.Policy) { p.MaxEntryHours = credit.Whole(120) })
	if l := p.Limits(); l.MaxEntryHours != credit.Whole(120) || l.MaxYearHours != registration.DefaultMaxYearHours {
		t.Fatalf("policy limits %+v", l)
	}
}

// A first registration dated in the future is refused; today is accepted.
func TestFirstRegistrationNotInTheFuture(t *testing.T) {
	now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	r := registration.NewRegistration(uuid.New())
	if f := fieldOf(t, r.RecordFirst(registrar, county, uuid.New(), day(2030, 1, 1), registration.NationalDefault(), "", now)); f != "decided_on" {
		t.Fatalf("2030: field %s", f)
	}
	if err := r.RecordFirst(registrar, county, uuid.New(), day(2026, 11, 30), registration.NationalDefault(), "", now); err != nil {
		t.Fatalf("today: %v", err)
	}
}
