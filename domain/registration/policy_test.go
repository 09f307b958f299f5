package registration_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/registration"
)

func policy(version, scope string, from time.Time, f func(*registration.Policy)) registration.Policy {
	p := registration.NationalDefault()
	p.Version, p.Scope, p.EffectiveFrom, p.Note = version, scope, from, ""
	if f != nil {
		f(&p)
	}
	return p
}

func TestCatalogInForce(t *testing.T) {
	cat := registration.NewCatalog(
		policy("hebei-2016", "13", day(2016, 1, 1), nil),
		policy("hebei-2023", "13", day(2023, 1, 1), nil),
		policy("shijiazhuang-2018", "1301", day(2018, 3, 1), nil),
		policy("changan-2020", "130102", day(2020, 1, 1), nil),
		policy("hebei-2023-fix", "13", day(2023, 1, 1), nil), // same date, published later
		policy("hebei-2030", "13", day(2030, 1, 1), nil),
	)
	tests := []struct {
		region string
		date   time.Time
		want   string
	}{
		{"130102", day(2015, 6, 1), registration.NationalVersion},
		{"130104", day(2017, 6, 1), "hebei-2016"},
		{"130104", day(2018, 2, 28), "hebei-2016"},
		{"130104", day(2018, 3, 1), "shijiazhuang-2018"},
		{"130102", day(2021, 6, 1), "changan-2020"},
		// The most specific scope wins over a later, wider one.
		{"130102", day(2024, 6, 1), "changan-2020"},
		{"130602", day(2024, 6, 1), "hebei-2023-fix"},
		{"140105", day(2024, 6, 1), registration.NationalVersion},
		{"130602", day(2029, 12, 31), "hebei-2023-fix"},
	}
	for _, tt := range tests {
		if got := cat.InForce(tt.region, tt.date).Version; got != tt.want {
			t.Errorf("InForce(%s, %s) = %q, want %q", tt.region, tt.date.Format(time.DateOnly), got, tt.want)
		}
	}
}

// A policy change in the middle of a cycle: the rules are those in force on
// the cycle's last day (or on the check date, before the end); the cycle's
// length is that of the policy in force when it started.
func TestPolicyChangeInTheMiddleOfACycle(t *testing.T) {
	strict := policy("hebei-2022", "13", day(2022, 1, 1), func(p *registration.Policy) {
		p.MinYearHours = credit.Whole(72)
		p.CycleYears = 3
	})
	late := policy("hebei-2024-10", "13", day(2024, 10, 1), func(p *registration.Policy) { p.MinCycleHours = credit.Whole(500) })
	cat := registration.NewCatalog(strict, late)
	h := registration.History{FirstRegisteredOn: regDate, LastRegisteredOn: regDate, LastOutcome: registration.OutcomePass, LastDecidedOn: regDate}

	tests := []struct {
		name        string
		asOf        time.Time
		wantVersion string
		wantOutcome registration.Outcome
	}{
		{"before the change, a forecast under the old rules", day(2021, 6, 2), registration.NationalVersion, registration.OutcomeNotDue},
		{"after the change, before the end", day(2023, 6, 1), "hebei-2022", registration.OutcomeNotDue},
		{"at the end: the policy of the last day", day(2024, 9, 1), "hebei-2022", registration.OutcomeDeferred},
		{"a policy published after the end never applies", day(2024, 12, 1), "hebei-2022", registration.OutcomeDeferred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cycle, p, err := registration.Plan(cat, "130102", h, tt.asOf)
			if err != nil {
				t.Fatal(err)
			}
			if want := registration.NewCycle(regDate, 5); cycle != want {
				t.Errorf("cycle = %+v, want the 5 years of the policy in force at the start", cycle)
			}
			in := baseInput()
			in.History, in.Cycle, in.Policy, in.AsOf = h, cycle, p, tt.asOf
			// 400 hours, but nothing in the third cycle year.
			in.Entries = []credit.Entry{training(100, day(2020, 6, 1)), training(100, day(2021, 6, 1)),
				training(100, day(2022, 10, 1)), training(100, day(2024, 6, 1))}
			in.Annual = grades(map[int]appraisal.Grade{})
			r, err := registration.Evaluate(in)
			if err != nil {
				t.Fatal(err)
			}
			if r.PolicyVersion != tt.wantVersion || r.Outcome != tt.wantOutcome {
				t.Errorf("policy %q outcome %q; want %q %q (%+v)", r.PolicyVersion, r.Outcome, tt.wantVersion, tt.wantOutcome, r.Reasons)
			}
			if tt.wantOutcome == registration.OutcomeDeferred && !r.Has(registration.CodeYearHoursShort) {
				t.Errorf("reasons = %+v, want the per-year minimum of hebei-2022", r.Reasons)
			}
		})
	}
}

func TestPublishPolicy(t *testing.T) {
	hebei := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	shanxi := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "14"}
	city := access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}
	at := day(2023, 1, 1)

	h := registration.NewPolicyHistory("13")
	if err := h.Publish(city, policy("v1", "13", at, nil), at); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("city admin: err = %v", err)
	}
	if err := h.Publish(shanxi, policy("v1", "13", at, nil), at); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("other province: err = %v", err)
	}
	if err := h.Publish(hebei, policy("v1", "1301", at, nil), at); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("scope of another stream: err = %v", err)
	}
	if err := h.Publish(hebei, policy("v1", "13", at, func(p *registration.Policy) { p.MinCycleHours = credit.Whole(-1) }), at); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("invalid policy: err = %v", err)
	}
	if err := h.Publish(hebei, policy("v1", "13", at, nil), at); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish(hebei, policy("v1", "13", at, nil), at); !errors.Is(err, domain.ErrDuplicate) {
		t.Errorf("same version again: err = %v", err)
	}
	if err := h.Publish(hebei, policy(registration.NationalVersion, "13", at, nil), at); !errors.Is(err, domain.ErrDuplicate) {
		t.Errorf("reserved version: err = %v", err)
	}
	if got := h.Policies(); len(got) != 1 || got[0].Version != "v1" {
		t.Errorf("policies = %+v", got)
	}
	county := registration.NewPolicyHistory("130102")
	if err := county.Publish(hebei, policy("changan-1", "130102", at, nil), at); err != nil {
		t.Errorf("province admin publishing for a county: %v", err)
	}
	national := registration.NewPolicyHistory("")
	if err := national.Publish(hebei, policy("n2", "", at, nil), at); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("province admin publishing nationally: err = %v", err)
	}
	if got := registration.PolicyStreamName("13"); got != "registration-policy-13" {
		t.Errorf("stream = %q", got)
	}
}

func TestNationalDefaultIsValid(t *testing.T) {
	p := registration.NationalDefault()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.CycleYears != 5 || p.MinCycleHours != credit.Whole(360) || p.DegreeStudyHoursPerYear != credit.Whole(72) || p.ClassTeacherHoursPerYear != credit.Whole(30) {
		t.Errorf("national default = %+v", p)
	}
}
