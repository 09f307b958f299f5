package credit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
)

const county = "130102"

var (
	sys         = access.System("test")
	institution = access.Actor{UserID: uuid.New(), Role: access.RoleInstitution}
	countyAdmin = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: county}
	otherCounty = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func projectGrant(enrollment uuid.UUID, hours int, completed time.Time) credit.Grant {
	return credit.Grant{
		EntryID: uuid.New(), Year: completed.Year(), CompletedOn: completed,
		Level: credit.LevelProvincial, Category: credit.CategoryTraining,
		Hours: credit.Whole(hours), Credits: credit.Tenths(hours), Title: "省培项目",
		Source: credit.Source{Kind: credit.SourceProject, EnrollmentID: enrollment, ProjectID: uuid.New(), EventID: uuid.New()},
		At:     completed.Add(48 * time.Hour),
	}
}

func TestGrantCountsAnActivityOnce(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	enr := uuid.New()
	g := projectGrant(enr, 40, day(2023, 6, 30))

	recorded, err := l.Grant(institution, county, g)
	if err != nil || !recorded {
		t.Fatalf("first grant = %v, %v; want true, nil", recorded, err)
	}
	// A retried command repeats the same figures with a new entry id.
	retry := g
	retry.EntryID = uuid.New()
	recorded, err = l.Grant(sys, county, retry)
	if err != nil || recorded {
		t.Fatalf("identical second grant = %v, %v; want false, nil", recorded, err)
	}
	changed := g
	changed.EntryID = uuid.New()
	changed.Hours = credit.Whole(80)
	if _, err := l.Grant(sys, county, changed); !errors.Is(err, credit.ErrAlreadyCounted) || !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("different figures for the same activity: err = %v, want ErrAlreadyCounted", err)
	}
	if got := l.TotalBetween(day(2023, 1, 1), day(2024, 1, 1)).Hours; got != credit.Whole(40) {
		t.Errorf("total = %d, want 40", got)
	}
	if got := len(l.Changes()); got != 1 {
		t.Errorf("events recorded = %d, want 1", got)
	}
}

func TestRevokedEntryStopsCountingAndMayBeGrantedAgain(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	enr := uuid.New()
	g := projectGrant(enr, 40, day(2023, 6, 30))
	if _, err := l.Grant(institution, county, g); err != nil {
		t.Fatal(err)
	}
	key := g.Source.Key()
	if err := l.Revoke(institution, county, key, "", uuid.Nil, day(2023, 7, 5)); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("revoke without reason: err = %v, want validation", err)
	}
	if err := l.Revoke(otherCounty, county, key, "成绩更正为不合格", uuid.New(), day(2023, 7, 5)); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("revoke by another county: err = %v, want forbidden", err)
	}
	if err := l.Revoke(institution, county, key, "成绩更正为不合格", uuid.New(), day(2023, 7, 5)); err != nil {
		t.Fatal(err)
	}
	if got := l.TotalBetween(day(2023, 1, 1), day(2024, 1, 1)).Hours; !got.IsZero() {
		t.Errorf("total after revoke = %d, want 0", got)
	}
	if _, ok := l.Lookup(key); ok {
		t.Error("revoked entry still live")
	}
	if err := l.Revoke(institution, county, key, "again", uuid.Nil, day(2023, 7, 6)); !errors.Is(err, credit.ErrNoSuchEntry) {
		t.Errorf("second revoke: err = %v, want ErrNoSuchEntry", err)
	}
	again := g
	again.EntryID = uuid.New()
	if rec, err := l.Grant(institution, county, again); err != nil || !rec {
		t.Fatalf("re-grant after revoke = %v, %v", rec, err)
	}
	if got, want := len(l.Entries()), 2; got != want {
		t.Errorf("entries kept = %d, want %d (revoked stays for audit)", got, want)
	}
	if got := l.TotalBetween(day(2023, 1, 1), day(2024, 1, 1)).Hours; got != credit.Whole(40) {
		t.Errorf("total after re-grant = %d, want 40", got)
	}
}

func TestLedgerReplaysToSameState(t *testing.T) {
	teacher := uuid.New()
	l := credit.NewLedger(teacher)
	grants := []credit.Grant{
		projectGrant(uuid.New(), 40, day(2022, 3, 1)),
		projectGrant(uuid.New(), 24, day(2023, 5, 1)),
		projectGrant(uuid.New(), 16, day(2023, 11, 1)),
	}
	for _, g := range grants {
		if _, err := l.Grant(institution, county, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Revoke(countyAdmin, county, grants[1].Source.Key(), "重复录入", uuid.Nil, day(2024, 1, 1)); err != nil {
		t.Fatal(err)
	}
	reg := event.NewRegistry()
	credit.RegisterEvents(reg)
	var history []event.Envelope
	for i, e := range l.Changes() {
		name, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, event.Envelope{Revision: uint64(i), Type: name, Event: decoded})
	}
	replayed := credit.NewLedger(teacher)
	replayed.Load(replayed, history)

	got, want := replayed.TotalsByYear(), l.TotalsByYear()
	if len(got) != 2 || got[0].Year != 2022 || got[0].Hours != credit.Whole(40) || got[1].Year != 2023 || got[1].Hours != credit.Whole(16) {
		t.Errorf("replayed totals = %+v", got)
	}
	if len(got) != len(want) {
		t.Fatalf("replayed %d years, live %d", len(got), len(want))
	}
	if replayed.Version() != 3 {
		t.Errorf("version = %d, want 3", replayed.Version())
	}
}

func TestGrantAuthorizationAndValidation(t *testing.T) {
	teacherActor := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher}
	bankGrant := projectGrant(uuid.Nil, 10, day(2023, 1, 10))
	bankGrant.Source = credit.Source{Kind: credit.SourceCreditBank, RequestID: uuid.New()}
	importGrant := projectGrant(uuid.Nil, 10, day(2019, 12, 31))
	importGrant.Source = credit.Source{Kind: credit.SourceImport, System: "旧平台", ExternalID: "A-1"}
	province := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}

	tests := []struct {
		name  string
		actor access.Actor
		grant credit.Grant
		want  error
	}{
		{"institution grants project hours", institution, projectGrant(uuid.New(), 10, day(2023, 1, 1)), nil},
		{"teacher may not grant", teacherActor, projectGrant(uuid.New(), 10, day(2023, 1, 1)), access.ErrForbidden},
		{"county admin grants credit bank", countyAdmin, bankGrant, nil},
		{"other county may not", otherCounty, bankGrant, access.ErrForbidden},
		{"institution may not grant credit bank", institution, bankGrant, access.ErrForbidden},
		{"province imports", province, importGrant, nil},
		{"county admin imports in their county", countyAdmin, importGrant, nil},
		{"county admin of another county may not import", otherCounty, importGrant, access.ErrForbidden},
		{"city admin may not import", access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}, importGrant, access.ErrForbidden},
		{"institution may not import", institution, importGrant, access.ErrForbidden},
		{"missing enrollment", sys, projectGrant(uuid.Nil, 10, day(2023, 1, 1)), domain.ErrValidation},
		{"zero hours and credits", sys, func() credit.Grant {
			g := projectGrant(uuid.New(), 0, day(2023, 1, 1))
			g.Credits = credit.Whole(0)
			return g
		}(), domain.ErrValidation},
		{"completed before its year", sys, func() credit.Grant {
			g := projectGrant(uuid.New(), 10, day(2023, 1, 1))
			g.Year = 2024
			return g
		}(), domain.ErrValidation},
		{"bad level", sys, func() credit.Grant {
			g := projectGrant(uuid.New(), 10, day(2023, 1, 1))
			g.Level = "50"
			return g
		}(), domain.ErrValidation},
		{"import without external id", sys, func() credit.Grant {
			g := importGrant
			g.Source.ExternalID = " "
			return g
		}(), domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := credit.NewLedger(uuid.New())
			_, err := l.Grant(tt.actor, county, tt.grant)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSourceKeys(t *testing.T) {
	id := uuid.MustParse("11111111-2222-3333-4444-555555555555")
	tests := []struct {
		src  credit.Source
		want string
	}{
		{credit.Source{Kind: credit.SourceProject, EnrollmentID: id, EventID: uuid.New()}, "enrollment:" + id.String()},
		{credit.Source{Kind: credit.SourceCreditBank, RequestID: id}, "creditbank:" + id.String()},
		{credit.Source{Kind: credit.SourceImport, System: " 旧平台 ", ExternalID: "7"}, "import:旧平台:7"},
	}
	for _, tt := range tests {
		if got := tt.src.Key(); got != tt.want {
			t.Errorf("Key(%+v) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestTotalBetweenIsHalfOpen(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	for _, d := range []time.Time{day(2019, 8, 31), day(2019, 9, 1), day(2024, 8, 31), day(2024, 9, 1)} {
		if _, err := l.Grant(sys, county, projectGrant(uuid.New(), 1, d)); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.TotalBetween(day(2019, 9, 1), day(2024, 9, 1)).Hours; got != credit.Whole(2) {
		t.Errorf("hours in [2019-09-01, 2024-09-01) = %d, want 2", got)
	}
}
