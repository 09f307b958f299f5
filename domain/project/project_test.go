package project

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

var (
	t0       = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	province = access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	city     = access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}
	county   = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"}
	teacher  = access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
	instA    = Institution{ID: uuid.New(), Name: "河北师范大学"}
)

func details() Details {
	return Details{
		Name: "2026年国培计划乡村教师培训", Year: 2026, Mode: ModeBlended,
		Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		Hours: 60, Credits: 6, RemoteURL: "https://learn.example.edu.cn/",
	}
}

func newInput() NewProject {
	return NewProject{
		ID: uuid.New(), Kind: KindNational, Category: CategoryNational, Owner: "13",
		Details: details(), Institutions: []Institution{instA}, Policy: DefaultPolicy(),
	}
}

func mustCreate(t *testing.T) *Project {
	t.Helper()
	p, err := Create(province, newInput(), t0)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return p
}

func fieldsOf(err error) []string {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name   string
		actor  access.Actor
		change func(*NewProject)
		want   error
		field  string
	}{
		{"province national", province, func(*NewProject) {}, nil, ""},
		{"city creates city project", city, func(n *NewProject) { n.Kind, n.Category, n.Owner = KindCity, CategoryCity, "1301" }, nil, ""},
		{"county creates school project", county, func(n *NewProject) { n.Kind, n.Category, n.Owner = KindSchool, CategorySchool, "130102" }, nil, ""},
		{"all-staff at county level", county, func(n *NewProject) { n.Kind, n.Category, n.Owner = KindAllStaff, CategoryCounty, "130102" }, nil, ""},
		{"system may create", access.System("import"), func(*NewProject) {}, nil, ""},
		{"city cannot create province project", city, func(*NewProject) {}, access.ErrForbidden, ""},
		{"county cannot create for other county", county, func(n *NewProject) { n.Kind, n.Category, n.Owner = KindCounty, CategoryCounty, "130104" }, access.ErrForbidden, ""},
		{"teacher cannot create", teacher, func(*NewProject) {}, access.ErrForbidden, ""},
		{"kind and category disagree", province, func(n *NewProject) { n.Category = CategoryProvincial }, domain.ErrValidation, "category"},
		{"unknown category", province, func(n *NewProject) { n.Category = 50 }, domain.ErrValidation, "category"},
		{"city category owned by province", province, func(n *NewProject) { n.Kind, n.Category = KindCity, CategoryCity }, domain.ErrValidation, "owner"},
		{"unknown kind", province, func(n *NewProject) { n.Kind = "x" }, domain.ErrValidation, "kind"},
		{"bad mode", province, func(n *NewProject) { n.Details.Mode = 5 }, domain.ErrValidation, "mode"},
		{"empty name", province, func(n *NewProject) { n.Details.Name = "  " }, domain.ErrValidation, "name"},
		{"end before start", province, func(n *NewProject) { n.Details.End = n.Details.Start.AddDate(0, 0, -1) }, domain.ErrValidation, "dates"},
		{"year not matching dates", province, func(n *NewProject) { n.Details.Year = 2024 }, domain.ErrValidation, "year"},
		{"zero hours", province, func(n *NewProject) { n.Details.Hours = 0 }, domain.ErrValidation, "hours"},
		{"negative credits", province, func(n *NewProject) { n.Details.Credits = -1 }, domain.ErrValidation, "credits"},
		{"ftp url", province, func(n *NewProject) { n.Details.RemoteURL = "ftp://x" }, domain.ErrValidation, "remote_url"},
		{"duplicate institution", province, func(n *NewProject) { n.Institutions = []Institution{instA, instA} }, domain.ErrValidation, "institutions"},
		{"nameless institution", province, func(n *NewProject) { n.Institutions = []Institution{{ID: uuid.New()}} }, domain.ErrValidation, "institutions"},
		{"weights not 100", province, func(n *NewProject) { n.Policy.OnlineWeight = 40 }, domain.ErrValidation, "policy.weights"},
		{"nil id", province, func(n *NewProject) { n.ID = uuid.Nil }, domain.ErrValidation, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput()
			tt.change(&in)
			p, err := Create(tt.actor, in, t0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.field != "" {
				got := fieldsOf(err)
				found := false
				for _, f := range got {
					found = found || f == tt.field
				}
				if !found {
					t.Errorf("fields = %v, want %q among them", got, tt.field)
				}
			}
			if err == nil {
				if p.Status() != StatusDraft || p.ID() != in.ID || len(p.Changes()) != 1 {
					t.Errorf("got status %q id %v changes %d", p.Status(), p.ID(), len(p.Changes()))
				}
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	type step func(p *Project, a access.Actor) error
	open := func(p *Project, a access.Actor) error { return p.OpenNomination(a, t0) }
	start := func(p *Project, a access.Actor) error { return p.Start(a, t0) }
	finish := func(p *Project, a access.Actor) error { return p.Finish(a, t0) }
	cancel := func(p *Project, a access.Actor) error { return p.Cancel(a, "经费未到位", t0) }
	tests := []struct {
		name   string
		before []step
		actor  access.Actor
		do     step
		want   error
		status Status
	}{
		{"open from draft", nil, province, open, nil, StatusNominating},
		{"start from nominating", []step{open}, province, start, nil, StatusInProgress},
		{"finish from in progress", []step{open, start}, province, finish, nil, StatusFinished},
		{"cancel draft", nil, province, cancel, nil, StatusCancelled},
		{"cancel in progress", []step{open, start}, province, cancel, nil, StatusCancelled},
		{"start from draft refused", nil, province, start, domain.ErrInvalidState, StatusDraft},
		{"finish from nominating refused", []step{open}, province, finish, domain.ErrInvalidState, StatusNominating},
		{"open twice refused", []step{open}, province, open, domain.ErrInvalidState, StatusNominating},
		{"cancel finished refused", []step{open, start, finish}, province, cancel, domain.ErrInvalidState, StatusFinished},
		{"open cancelled refused", []step{cancel}, province, open, domain.ErrInvalidState, StatusCancelled},
		{"city cannot open province project", nil, city, open, access.ErrForbidden, StatusDraft},
		{"county cannot cancel", nil, county, cancel, access.ErrForbidden, StatusDraft},
		{"cancel needs reason", nil, province, func(p *Project, a access.Actor) error { return p.Cancel(a, " ", t0) }, domain.ErrValidation, StatusDraft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCreate(t)
			for _, s := range tt.before {
				if err := s(p, province); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			if err := tt.do(p, tt.actor); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := p.Status(); got != tt.status {
				t.Errorf("status = %q, want %q", got, tt.status)
			}
		})
	}
}

func TestOpenNeedsInstitution(t *testing.T) {
	in := newInput()
	in.Institutions = nil
	p, err := Create(province, in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.OpenNomination(province, t0); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("err = %v, want validation", err)
	}
}

func TestProvinceManagesCityProject(t *testing.T) {
	in := newInput()
	in.Kind, in.Category, in.Owner = KindCity, CategoryCity, "1301"
	p, err := Create(city, in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.OpenNomination(province, t0); err != nil {
		t.Fatalf("province on city project: %v", err)
	}
	other := access.Actor{Role: access.RoleCityAdmin, Jurisdiction: "1302"}
	if err := p.Start(other, t0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("other city: err = %v, want forbidden", err)
	}
}

func TestClassesAndInstitutions(t *testing.T) {
	p := mustCreate(t)
	instB := Institution{ID: uuid.New(), Name: "石家庄学院"}
	classA := Class{ID: uuid.New(), InstitutionID: instA.ID, Name: "一班"}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"add institution", func() error { return p.AddInstitution(province, instB, t0) }, nil},
		{"add institution twice", func() error { return p.AddInstitution(province, instB, t0) }, domain.ErrDuplicate},
		{"add class", func() error { return p.AddClass(province, classA, t0) }, nil},
		{"add class twice", func() error { return p.AddClass(province, classA, t0) }, domain.ErrDuplicate},
		{"same name same institution", func() error {
			return p.AddClass(province, Class{ID: uuid.New(), InstitutionID: instA.ID, Name: "一班"}, t0)
		}, domain.ErrDuplicate},
		{"same name other institution", func() error {
			return p.AddClass(province, Class{ID: uuid.New(), InstitutionID: instB.ID, Name: "一班"}, t0)
		}, nil},
		{"class of foreign institution", func() error {
			return p.AddClass(province, Class{ID: uuid.New(), InstitutionID: uuid.New(), Name: "二班"}, t0)
		}, ErrUnknownInstitut},
		{"class by city admin", func() error {
			return p.AddClass(city, Class{ID: uuid.New(), InstitutionID: instA.ID, Name: "三班"}, t0)
		}, access.ErrForbidden},
	}
	for _, tt := range tests {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got, ok := p.Class(classA.ID); !ok || got.Name != "一班" {
		t.Errorf("Class = %+v %v", got, ok)
	}
	if got := len(p.Classes()); got != 2 {
		t.Errorf("classes = %d, want 2", got)
	}
}

func TestChangeDetailsAndPolicy(t *testing.T) {
	p := mustCreate(t)
	d := details()
	d.Hours = 80
	if err := p.ChangeDetails(province, d, t0); err != nil {
		t.Fatal(err)
	}
	if got := p.Details().Hours; got != 80 {
		t.Errorf("hours = %d, want 80", got)
	}
	n := len(p.Changes())
	if err := p.ChangeDetails(province, d, t0); err != nil || len(p.Changes()) != n {
		t.Errorf("unchanged details recorded an event: %v, %d", err, len(p.Changes()))
	}
	pol := Policy{OfflineWeight: 30, OnlineWeight: 70, PassMark: 70}
	if err := p.SetPolicy(province, pol, t0); err != nil {
		t.Fatal(err)
	}
	if got := p.Policy(); got.OnlineWeight != 70 {
		t.Errorf("policy = %+v", got)
	}
	_ = p.OpenNomination(province, t0)
	_ = p.Start(province, t0)
	if err := p.SetPolicy(province, DefaultPolicy(), t0); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("policy change in progress: err = %v, want invalid state", err)
	}
	if err := p.ChangeDetails(province, details(), t0); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("details change in progress: err = %v, want invalid state", err)
	}
}

func TestQuota(t *testing.T) {
	c1, c2, c3 := "130102", "130104", "130202"
	tests := []struct {
		name    string
		quotas  map[string]int
		held    []string // counties of seats already reserved
		county  string
		wantErr error
	}{
		{"no quotas: unlimited", nil, []string{c1, c1, c1}, c1, nil},
		{"county quota free", map[string]int{c1: 2}, []string{c1}, c1, nil},
		{"county quota full", map[string]int{c1: 2}, []string{c1, c1}, c1, ErrQuotaExhausted},
		{"county without quota", map[string]int{c1: 2}, nil, c2, ErrNoQuota},
		{"city quota shared by counties", map[string]int{"1301": 2}, []string{c1}, c2, nil},
		{"city quota full across counties", map[string]int{"1301": 2}, []string{c1, c2}, c2, ErrQuotaExhausted},
		{"other city's use does not count", map[string]int{"1301": 1, "1302": 5}, []string{c3}, c1, nil},
		{"county free but city full", map[string]int{"1301": 1, c2: 3}, []string{c1}, c2, ErrQuotaExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCreate(t)
			for r, n := range tt.quotas {
				if err := p.SetQuota(province, r, n, t0); err != nil {
					t.Fatalf("SetQuota: %v", err)
				}
			}
			if err := p.OpenNomination(province, t0); err != nil {
				t.Fatal(err)
			}
			// Seats taken before the quota would be refused now: bypass the
			// rule by applying events, as history might hold them.
			for _, c := range tt.held {
				p.Apply(&SeatReserved{EnrollmentID: uuid.New(), County: c})
			}
			before := p.Reserved(tt.county)
			err := p.ReserveSeat(tt.county, uuid.New(), t0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			want := before
			if err == nil {
				want++
			}
			if got := p.Reserved(tt.county); got != want {
				t.Errorf("reserved = %d, want %d", got, want)
			}
		})
	}
}

func TestSeats(t *testing.T) {
	p := mustCreate(t)
	if err := p.SetQuota(province, "130102", 1, t0); err != nil {
		t.Fatal(err)
	}
	e1, e2 := uuid.New(), uuid.New()
	if err := p.ReserveSeat("130102", e1, t0); !errors.Is(err, ErrNotNominating) {
		t.Fatalf("reserve in draft: err = %v", err)
	}
	_ = p.OpenNomination(province, t0)
	steps := []struct {
		name string
		do   func() error
		want error
		held int
	}{
		{"reserve", func() error { return p.ReserveSeat("130102", e1, t0) }, nil, 1},
		{"reserve again is idempotent", func() error { return p.ReserveSeat("130102", e1, t0) }, nil, 1},
		{"same enrollment other county", func() error { return p.ReserveSeat("130104", e1, t0) }, domain.ErrInvalidState, 1},
		{"second teacher over quota", func() error { return p.ReserveSeat("130102", e2, t0) }, ErrQuotaExhausted, 1},
		{"county outside owner", func() error { return p.ReserveSeat("140102", e2, t0) }, domain.ErrValidation, 1},
		{"quota removed while seats held", func() error { return p.SetQuota(province, "130102", 0, t0) }, nil, 1},
		{"release", func() error { return p.ReleaseSeat(e1, "市级退回", t0) }, nil, 0},
		{"release again is a no-op", func() error { return p.ReleaseSeat(e1, "", t0) }, nil, 0},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
		if got := p.Reserved("130102"); got != s.held {
			t.Fatalf("%s: reserved = %d, want %d", s.name, got, s.held)
		}
	}
}

func TestSetQuota(t *testing.T) {
	tests := []struct {
		name   string
		actor  access.Actor
		region string
		count  int
		want   error
	}{
		{"county", province, "130102", 5, nil},
		{"city", province, "1301", 5, nil},
		{"province code refused", province, "13", 5, domain.ErrValidation},
		{"other province refused", province, "1401", 5, domain.ErrValidation},
		{"negative refused", province, "1301", -1, domain.ErrValidation},
		{"city admin refused", city, "1301", 5, access.ErrForbidden},
	}
	for _, tt := range tests {
		p := mustCreate(t)
		if err := p.SetQuota(tt.actor, tt.region, tt.count, t0); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	p := mustCreate(t)
	_ = p.SetQuota(province, "130102", 2, t0)
	_ = p.OpenNomination(province, t0)
	_ = p.ReserveSeat("130102", uuid.New(), t0)
	_ = p.ReserveSeat("130102", uuid.New(), t0)
	if err := p.SetQuota(province, "130102", 1, t0); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("quota below reserved: err = %v, want validation", err)
	}
	if err := p.SetQuota(province, "130102", 3, t0); err != nil {
		t.Errorf("raise quota: %v", err)
	}
}

func TestReplay(t *testing.T) {
	reg := event.NewRegistry()
	RegisterEvents(reg)
	p := mustCreate(t)
	_ = p.AddClass(province, Class{ID: uuid.New(), InstitutionID: instA.ID, Name: "一班"}, t0)
	_ = p.SetQuota(province, "130102", 3, t0)
	_ = p.OpenNomination(province, t0)
	e := uuid.New()
	_ = p.ReserveSeat("130102", e, t0)
	var history []event.Envelope
	for i, ev := range p.Changes() {
		name, data, err := reg.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, event.Envelope{Revision: uint64(i), Type: name, Event: back})
	}
	q := Load(history)
	if q.Version() != int64(len(history)-1) {
		t.Errorf("version = %d", q.Version())
	}
	if q.Status() != StatusNominating || !q.HoldsSeat(e) || q.Reserved("1301") != 1 ||
		len(q.Classes()) != 1 || q.Quotas()["130102"] != 3 || !sameDetails(q.Details(), p.Details()) {
		t.Errorf("replayed project differs: %+v", q)
	}
}

func TestChangeDetailsIgnoresLocation(t *testing.T) {
	p := mustCreate(t)
	d := normalizeDetails(details())
	// As after a JSON round trip with an offset: same instants, other *Location.
	replayed := d
	replayed.Start = d.Start.In(time.FixedZone("", 0))
	replayed.End = d.End.In(time.FixedZone("", 0))
	p.Apply(&DetailsChanged{Details: replayed})
	n := len(p.Changes())
	if err := p.ChangeDetails(province, d, t0); err != nil || len(p.Changes()) != n {
		t.Errorf("unchanged details recorded an event: %v", err)
	}
}
