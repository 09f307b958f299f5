package registration_test

import (
	"encoding/json"
	"testing"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/registration"
)

// 359 h plus 0.5 credit at 1 h per credit is 359.5 h: short of 360, never
// rounded up to a pass (issue 10, item 2).
func TestConversionIsExactAndNeverRoundsUp(t *testing.T) {
	in := baseInput()
	in.Policy.HoursPerCredit = credit.Whole(1)
	e := training(0, day(2024, 6, 2))
	e.Hours, e.Credits = credit.Quantity{}, credit.Tenths(5)
	in.Entries = []credit.Entry{training(359, day(2023, 6, 1)), e}
	r, err := registration.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != registration.OutcomeDeferred || !r.Has(registration.CodeHoursShort) {
		t.Fatalf("outcome %s %v, want deferred for hours", r.Outcome, codes(r))
	}
	if got := r.Progress.Hours.String(); got != "359.5" {
		t.Fatalf("hours %s, want 359.5", got)
	}
	if got := r.Progress.Missing.String(); got != "0.5" {
		t.Fatalf("missing %s, want 0.5", got)
	}
	// A half-hour entry on top passes exactly at 360.
	half := training(0, day(2024, 6, 3))
	half.Hours = credit.Tenths(5)
	in.Entries = append(in.Entries, half)
	if r, _ = registration.Evaluate(in); r.Outcome != registration.OutcomePass || r.Progress.Hours != credit.Whole(360) {
		t.Fatalf("with 0.5 h more: %s %s", r.Outcome, r.Progress.Hours)
	}
}

// Fractional hours add up exactly (0.1 ten times is 1, not 0.9999).
func TestFractionalHoursSumExactly(t *testing.T) {
	in := baseInput()
	in.Entries = nil
	for i := range 10 {
		e := training(0, day(2020, 1, 2+i))
		e.Hours = credit.Tenths(1)
		in.Entries = append(in.Entries, e)
	}
	r, err := registration.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Progress.Hours != credit.Whole(1) {
		t.Fatalf("ten times 0.1 h = %s", r.Progress.Hours)
	}
}

// A policy stored with integer figures (before decimals) decodes to the same
// rules, and a fractional figure survives a round trip.
func TestPolicyFiguresDecodeFromOldEvents(t *testing.T) {
	var p registration.Policy
	old := `{"version":"hebei-2020","scope":"13","effective_from":"2020-01-01T00:00:00Z","cycle_years":5,"min_cycle_hours":360,"min_year_hours":72,"hours_per_credit":1,"max_unapproved_absence_days":183}`
	if err := json.Unmarshal([]byte(old), &p); err != nil {
		t.Fatal(err)
	}
	if p.MinCycleHours != credit.Whole(360) || p.MinYearHours != credit.Whole(72) || p.HoursPerCredit != credit.Whole(1) {
		t.Fatalf("decoded %+v", p)
	}
	p.HoursPerCredit = credit.Tenths(15)
	data, _ := json.Marshal(p)
	var back registration.Policy
	if err := json.Unmarshal(data, &back); err != nil || back.HoursPerCredit != credit.Tenths(15) || back.MinCycleHours != credit.Whole(360) {
		t.Fatalf("round trip: %s -> %+v %v", data, back, err)
	}
	bad := p
	bad.MinCycleHours = credit.Whole(360).Add(credit.Tenths(1)).Add(mustQ(t, "0.05"))
	if err := bad.Validate(); err == nil {
		t.Fatal("a policy figure with two decimal places was accepted")
	}
}

func mustQ(t *testing.T, s string) credit.Quantity {
	t.Helper()
	var q credit.Quantity
	if err := json.Unmarshal([]byte(s), &q); err != nil {
		t.Fatal(err)
	}
	return q
}
