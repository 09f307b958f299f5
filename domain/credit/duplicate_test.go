package credit_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

func TestNormalizeTitle(t *testing.T) {
	if a, b := credit.NormalizeTitle("《大单元教学》专题培训（2023）"), credit.NormalizeTitle("大单元教学 专题培训 2023"); a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if got := credit.NormalizeTitle("ＡＢＣ　培训"); got != "abc培训" {
		t.Fatalf("full-width: %q", got)
	}
}

// The same training imported from two former systems, or imported and then
// recognised through the credit bank, is held, not counted, until the
// county admin decides (issue 10, item 1).
func TestDuplicatesAcrossSourcesAreHeld(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	first := importGrant(1, credit.Whole(90))
	first.Title = "2020年县级骨干教师培训"
	if _, err := l.Grant(countyAdmin, county, first); err != nil {
		t.Fatal(err)
	}
	// Another system's record of it: the same day, hours and title but for
	// punctuation and spacing.
	other := first
	other.EntryID, other.Title = uuid.New(), "2020年 县级骨干教师培训（线下）"
	other.Source.System, other.Source.ExternalID = "另一旧系统", "X9"
	if _, err := l.Grant(countyAdmin, county, other); err != nil {
		t.Fatal(err)
	}
	held := l.Held()
	if len(held) != 1 || held[0].ID != other.EntryID || held[0].DuplicateOf != first.EntryID {
		t.Fatalf("held: %+v", held)
	}
	if got := l.TotalBetween(day(2020, 1, 1), day(2021, 1, 1)).Hours; got != credit.Whole(90) {
		t.Fatalf("total with a held duplicate: %s, want 90", got)
	}
	// Different hours or days are not suspected.
	distinct := first
	distinct.EntryID, distinct.Hours, distinct.Source.ExternalID = uuid.New(), credit.Whole(24), "R77"
	if _, err := l.Grant(countyAdmin, county, distinct); err != nil {
		t.Fatal(err)
	}
	if len(l.Held()) != 1 {
		t.Fatalf("24 h of the same title held: %+v", l.Held())
	}

	// Permission before state; a reason is required.
	other2 := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	if err := l.DecideDuplicate(other2, county, other.EntryID, true, "同一培训", day(2021, 1, 5)); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("another county decides: %v", err)
	}
	if err := l.DecideDuplicate(countyAdmin, county, other.EntryID, true, " ", day(2021, 1, 5)); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("no reason: %v", err)
	}
	if err := l.DecideDuplicate(countyAdmin, county, other.EntryID, true, "两系统记录的是同一次培训", day(2021, 1, 5)); err != nil {
		t.Fatal(err)
	}
	if len(l.Held()) != 0 || l.TotalBetween(day(2020, 1, 1), day(2021, 1, 1)).Hours != credit.Whole(90+24) {
		t.Fatalf("after confirming: held %v total %s", l.Held(), l.TotalBetween(day(2020, 1, 1), day(2021, 1, 1)).Hours)
	}
	if err := l.DecideDuplicate(countyAdmin, county, other.EntryID, false, "再议", day(2021, 1, 6)); !errors.Is(err, credit.ErrNotHeld) {
		t.Fatalf("deciding twice: %v", err)
	}
	// Importing the confirmed duplicate again adds nothing.
	if rec, err := l.Grant(countyAdmin, county, other); err != nil || rec {
		t.Fatalf("re-import of a confirmed duplicate: %v %v", rec, err)
	}
	// Cleared as distinct, a held entry counts.
	third := other
	third.EntryID, third.Source.ExternalID = uuid.New(), "X10"
	if _, err := l.Grant(countyAdmin, county, third); err != nil || len(l.Held()) != 1 {
		t.Fatalf("third: %v %+v", err, l.Held())
	}
	if err := l.DecideDuplicate(countyAdmin, county, third.EntryID, false, "同名培训举办了两期", day(2021, 1, 7)); err != nil {
		t.Fatal(err)
	}
	if got := l.TotalBetween(day(2020, 1, 1), day(2021, 1, 1)).Hours; got != credit.Whole(90+24+90) {
		t.Fatalf("after clearing: %s", got)
	}
	// Replaying the events gives the same state.
	replayed := credit.NewLedger(uuid.New())
	for _, e := range l.Changes() {
		replayed.Apply(e)
	}
	if len(replayed.Live()) != len(l.Live()) || len(replayed.Held()) != 0 {
		t.Fatalf("replay: %d live, want %d", len(replayed.Live()), len(l.Live()))
	}
}

// A project grant is the platform's own record: never held; the import
// that repeats it is.
func TestProjectGrantsAreNeverHeld(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	imp := importGrant(1, credit.Whole(24))
	imp.Title = "省培项目"
	if _, err := l.Grant(countyAdmin, county, imp); err != nil {
		t.Fatal(err)
	}
	p := projectGrant(uuid.New(), 24, imp.CompletedOn)
	if _, err := l.Grant(institution, county, p); err != nil {
		t.Fatal(err)
	}
	if len(l.Held()) != 0 {
		t.Fatalf("a project grant was held: %+v", l.Held())
	}
}

// The credit bank form asks before submitting what the teacher already has.
func TestLikelyDuplicatesForTheBankForm(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	g := importGrant(1, credit.Whole(24))
	g.Title = "全国语文教学研讨会"
	if _, err := l.Grant(countyAdmin, county, g); err != nil {
		t.Fatal(err)
	}
	same := credit.Candidate{Title: "全国语文教学研讨会（北京）", StartOn: g.CompletedOn.AddDate(0, 0, -2), EndOn: g.CompletedOn, Hours: credit.Whole(24)}
	if got := l.LikelyDuplicates(same); len(got) != 1 || got[0].ID != g.EntryID {
		t.Fatalf("same training: %+v", got)
	}
	later := same
	later.StartOn, later.EndOn = g.CompletedOn.AddDate(0, 1, 0), g.CompletedOn.AddDate(0, 1, 2)
	if got := l.LikelyDuplicates(later); len(got) != 0 {
		t.Fatalf("a month later: %+v", got)
	}
}
