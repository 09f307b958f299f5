package credit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

func refusedOn(t *testing.T, err error) string {
	t.Helper()
	var v *domain.ValidationError
	if !errors.As(err, &v) || len(v.Fields) == 0 {
		t.Fatalf("err = %v, want a field error", err)
	}
	return v.Fields[0].Field
}

// Training completed in the future, of a later year, or of absurd hours is
// refused; the limits come from the caller (policy data). Issue 10, item 4.
func TestGrantRefusesTheImpossible(t *testing.T) {
	today := day(2026, 11, 30)
	limits := credit.Limits{MaxEntryHours: credit.Whole(500), MaxYearHours: credit.Whole(600)}
	grant := func(i int, year int, on time.Time, hours int) credit.Grant {
		g := importGrant(i, credit.Whole(hours))
		g.Year, g.CompletedOn, g.At, g.Today, g.Limits = year, on, today.Add(2*time.Hour), today, limits
		return g
	}
	l := credit.NewLedger(uuid.New())
	if _, err := l.Grant(countyAdmin, county, grant(1, 2027, day(2027, 3, 1), 40)); refusedOn(t, err) != "completed_on" {
		t.Fatalf("completed in 2027: %v", err)
	}
	if _, err := l.Grant(countyAdmin, county, grant(2, 2026, day(2026, 12, 1), 40)); refusedOn(t, err) != "completed_on" {
		t.Fatalf("completed tomorrow: %v", err)
	}
	if _, err := l.Grant(countyAdmin, county, grant(3, 2026, day(2026, 3, 1), 100000)); refusedOn(t, err) != "hours" {
		t.Fatalf("100,000 h: %v", err)
	}
	if _, err := l.Grant(countyAdmin, county, grant(4, 2026, day(2026, 11, 30), 400)); err != nil {
		t.Fatalf("400 h completed today: %v", err)
	}
	if _, err := l.Grant(countyAdmin, county, grant(5, 2026, day(2026, 5, 1), 300)); refusedOn(t, err) != "hours" {
		t.Fatalf("700 h in one year: %v", err)
	}
	if _, err := l.Grant(countyAdmin, county, grant(6, 2026, day(2026, 5, 1), 200)); err != nil {
		t.Fatalf("600 h in one year: %v", err)
	}
	// The same grant again is still a harmless no-op, not over the limit.
	if rec, err := l.Grant(countyAdmin, county, grant(6, 2026, day(2026, 5, 1), 200)); err != nil || rec {
		t.Fatalf("repeat: %v %v", rec, err)
	}
	// A project grant follows the pipeline's own rules (a class may end
	// after the grade is posted).
	p := projectGrant(uuid.New(), 24, day(2027, 1, 10))
	p.Year, p.At, p.Today, p.Limits = 2026, today, today, limits
	if _, err := l.Grant(institution, county, p); err != nil {
		t.Fatalf("project grant: %v", err)
	}
}

func TestBankRefusesAbsurdClaims(t *testing.T) {
	teacher := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
	r := credit.NewRequest(uuid.New())
	err := r.Submit(teacher, credit.Submission{
		TeacherID: teacher.TeacherID, County: county, Kind: credit.BankOffPlatform, Title: "研修", Organiser: "某机构",
		Level: credit.LevelCity, StartOn: day(2023, 3, 1), EndOn: day(2023, 6, 30), ClaimedHours: credit.Whole(100000),
		Evidence: evidence(), At: day(2023, 7, 2), Limits: credit.Limits{MaxEntryHours: credit.Whole(500)},
	})
	if refusedOn(t, err) != "claimed_hours" {
		t.Fatalf("100,000 h claimed: %v", err)
	}
}
