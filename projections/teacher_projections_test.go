package projections

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/migrations/pgtest"
)

// teacherRegistry knows every event type the teacher read models read.
func teacherRegistry() *event.Registry {
	reg := event.NewRegistry()
	teacher.RegisterEvents(reg)
	unit.RegisterEvents(reg)
	account.RegisterEvents(reg)
	registerOtherStreams(reg)
	return reg
}

// actorMeta is who appends in the scenario.
type actorMeta struct {
	id           uuid.UUID
	role         access.Role
	name         string
	jurisdiction string
}

func countyAdmin(county, name string) actorMeta {
	return actorMeta{id: uuid.New(), role: access.RoleCountyAdmin, name: name, jurisdiction: county}
}

// scenarioFeed appends encoded events with metadata, one minute apart on
// a fixed clock so that times in the read models are known.
type scenarioFeed struct {
	t     *testing.T
	store eventstore.Store
	reg   *event.Registry
	clock time.Time
	last  eventstore.Position
	revs  map[string]int // events per stream
}

func (f *scenarioFeed) append(stream string, a actorMeta, evs ...event.Event) time.Time {
	f.t.Helper()
	f.clock = f.clock.Add(time.Minute)
	meta, err := json.Marshal(event.Metadata{ActorID: a.id, ActorRole: string(a.role), ActorName: a.name,
		Jurisdiction: a.jurisdiction, OccurredAt: f.clock})
	if err != nil {
		f.t.Fatalf("metadata: %v", err)
	}
	data := make([]eventstore.EventData, len(evs))
	for i, ev := range evs {
		typ, body, err := f.reg.Encode(ev)
		if err != nil {
			f.t.Fatalf("encode: %v", err)
		}
		data[i] = eventstore.EventData{ID: uuid.New(), Type: typ, Data: body, Metadata: meta}
	}
	res, err := f.store.Append(context.Background(), stream, eventstore.Any(), data...)
	if err != nil {
		f.t.Fatalf("append %s: %v", stream, err)
	}
	f.last = res.Position
	f.revs[stream] += len(evs)
	return f.clock
}

// residentID completes 17 digits with the check character.
func residentID(first17 string) string { return first17 + string(ident.CheckChar(first17)) }

type scenarioUnit struct {
	id                           uuid.UUID
	name, county, area, category string
}

type scenario struct {
	accounts map[string]uuid.UUID // account ids by key
	pool     *pgxpool.Pool
	store    *memory.Store
	runner   *Runner
	q        *TeacherQueries
	feed     *scenarioFeed
	units    map[string]scenarioUnit
	ids      map[string]uuid.UUID // teacher ids by key
	prof     map[string]teacher.Profile
	admins   map[string]actorMeta // by county
	t3NewID  string
	// times of notable appends
	t1NameFixedAt, t5AcceptedAt time.Time
	t2CorrectionID              uuid.UUID
	t3CorrectionID              uuid.UUID
	t5CorrectionID              uuid.UUID
	t4TransferID, t5TransferID  uuid.UUID
}

func newTeacherScenario(t *testing.T) *scenario {
	t.Helper()
	pool := pgtest.New(t)
	store := memory.New()
	t.Cleanup(func() { _ = store.Close() })
	reg := teacherRegistry()
	r := NewRunnerWithConfig(Config{
		Store: store, Registry: reg, Pool: pool,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Retry:           RetryPolicy{MaxRetries: 1, InitialInterval: 5 * time.Millisecond, MaxInterval: 10 * time.Millisecond},
		RedeliveryDelay: 5 * time.Millisecond,
		PollInterval:    50 * time.Millisecond,
		RebuildBatch:    7, // several batches per rebuild
	}, TeacherProjections()...)
	s := &scenario{
		pool: pool, store: store, runner: r, q: NewTeacherQueries(pool),
		feed:     &scenarioFeed{t: t, store: store, reg: reg, clock: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), revs: map[string]int{}},
		units:    map[string]scenarioUnit{},
		ids:      map[string]uuid.UUID{},
		prof:     map[string]teacher.Profile{},
		admins:   map[string]actorMeta{},
		accounts: map[string]uuid.UUID{},
	}
	for _, c := range []string{"130102", "130104", "130202"} {
		s.admins[c] = countyAdmin(c, "管理员"+c)
	}
	return s
}

// build appends the whole scenario: four schools, five teachers, edits,
// corrections decided every way, transfers open, accepted and cancelled.
func (s *scenario) build(t *testing.T) {
	t.Helper()
	f := s.feed
	system := actorMeta{id: uuid.Nil, role: access.RoleSystem, name: "数据导入"}
	for _, u := range []scenarioUnit{
		{name: "石家庄市长安区第一中学", county: "130102", area: "1", category: "311"},
		{name: "石家庄市长安区实验小学", county: "130102", area: "1", category: "211"},
		{name: "石家庄市桥西区育才小学", county: "130104", area: "2", category: "211"},
		{name: "唐山市路南区友谊中学", county: "130202", area: "3", category: "342"},
	} {
		u.id = uuid.New()
		key := fmt.Sprintf("U%d", len(s.units)+1)
		s.units[key] = u
		f.append(unit.StreamName(u.id), system, &unit.Registered{UnitID: u.id, Name: u.name, County: u.county,
			City: u.county[:4], Area: u.area, Category: u.category, Stage: "3", ActorID: system.id, ActorRole: system.role})
	}
	u2 := s.units["U2"]
	u2.name = "石家庄市长安区实验小学（本部）"
	s.units["U2"] = u2
	f.append(unit.StreamName(u2.id), s.admins["130102"], &unit.Renamed{Change: unit.Change{UnitID: u2.id,
		Old: "石家庄市长安区实验小学", New: u2.name, Reason: "更换公章"}})
	f.append(unit.StreamName(u2.id), s.admins["130102"], &unit.AreaChanged{Change: unit.Change{UnitID: u2.id,
		Old: "1", New: "2", Reason: "区划调整"}})

	register := func(key, unitKey, name, first17, cert string, extra func(*teacher.Profile)) {
		u := s.units[unitKey]
		id := uuid.New()
		idn := residentID(first17)
		g := "1"
		if (first17[16]-'0')%2 == 0 {
			g = "2"
		}
		p := teacher.Profile{Name: name, IDType: "1", IDNumber: idn, Gender: g,
			BirthDate: first17[6:10] + "-" + first17[10:12] + "-" + first17[12:14],
			City:      u.county[:4], County: u.county, UnitID: u.id.String(), WorkStart: "2010-09",
			CertificateType: "3", CertificateNumber: cert, Mobile: "1381234" + first17[13:17]}
		if extra != nil {
			extra(&p)
		}
		s.ids[key], s.prof[key] = id, p
		a := s.admins[u.county]
		f.append(teacher.StreamName(id), a, &teacher.Registered{TeacherID: id, Profile: p, UnitName: u.name,
			ActorID: a.id, ActorRole: a.role})
	}
	register("T1", "U1", "张伟", "13010219850312001", "20101303131000001", nil)
	register("T2", "U2", "李娜", "13010219900708002", "20121302121000002", nil)
	register("T3", "U3", "王芳", "13010419880215004", "20111302321000003", nil)
	register("T4", "U4", "赵强", "13020219791130005", "20051302231000004", func(p *teacher.Profile) {
		// every field filled, to prove each one is stored and read back
		p.FormerName, p.Ethnicity, p.PoliticalStatus, p.NativePlace = "赵小强", "01", "01", "河北唐山"
		p.MaritalStatus, p.MainStage, p.MainSubject = "20", "3", "03"
		p.InitialEducation, p.HighestEducation, p.HighestDegree = "41", "21", "3"
		p.FundedNormal, p.FundedNormalYear, p.SpecialPost, p.SpecialPostYear = "1", "2008", "1", "2010"
		p.OnStaff, p.PostCategory, p.ProfessionalTitle, p.BackboneLevel = "1", "1", "2", "3"
		p.Email, p.CertificatePhoto, p.Avatar = "zhaoq@example.cn", "files/photo-4", "files/avatar-4"
	})
	register("T5", "U1", "刘洋", "13010219950101123", "20171302131000005", nil)

	t1, t2, t3, t4, t5 := s.ids["T1"], s.ids["T2"], s.ids["T3"], s.ids["T4"], s.ids["T5"]
	s.buildAccounts(t)
	self := func(key string) actorMeta {
		return actorMeta{id: uuid.New(), role: access.RoleTeacher, name: s.prof[key].Name}
	}
	a102, a104, a202 := s.admins["130102"], s.admins["130104"], s.admins["130202"]

	// T1: ordinary edit by the teacher, a name correction and a unit change
	// by the admin, a correction request withdrawn.
	me1 := self("T1")
	f.append(teacher.StreamName(t1), me1, &teacher.OrdinaryFieldEdited{TeacherID: t1, Field: teacher.FieldEthnicity,
		Old: "", New: "01", ActorID: me1.id, ActorRole: me1.role})
	s.t1NameFixedAt = f.append(teacher.StreamName(t1), a102, &teacher.KeyFieldCorrected{TeacherID: t1,
		Field: teacher.FieldName, Old: "张伟", New: "张玮", Reason: "与身份证不一致", ActorID: a102.id, ActorRole: a102.role})
	cw := uuid.New()
	f.append(teacher.StreamName(t1), me1, &teacher.CorrectionRequested{TeacherID: t1, CorrectionID: cw,
		Field: teacher.FieldWorkStart, Current: "2010-09", Proposed: "2010-08", Reason: "记错了", County: "130102",
		ActorID: me1.id, ActorRole: me1.role})
	f.append(teacher.StreamName(t1), me1, &teacher.CorrectionWithdrawn{TeacherID: t1, CorrectionID: cw,
		Field: teacher.FieldWorkStart, ActorID: me1.id, ActorRole: me1.role})
	u1, u2n := s.units["U1"], s.units["U2"]
	f.append(teacher.StreamName(t1), a102, &teacher.KeyFieldCorrected{TeacherID: t1, Field: teacher.FieldUnit,
		Old: u1.id.String(), New: u2n.id.String(), OldLabel: u1.name, NewLabel: u2n.name, Reason: "工作调整",
		ActorID: a102.id, ActorRole: a102.role})

	// T2: a certificate correction requested and approved (the approval and
	// its correction are one append), a transfer started and cancelled.
	me2 := self("T2")
	s.t2CorrectionID = uuid.New()
	f.append(teacher.StreamName(t2), me2, &teacher.CorrectionRequested{TeacherID: t2, CorrectionID: s.t2CorrectionID,
		Field: teacher.FieldCertificateNumber, Current: "20121302121000002", Proposed: "20121302122000002",
		Reason: "证书号码录入错误", Evidence: []string{"files/cert-2"}, County: "130102", ActorID: me2.id, ActorRole: me2.role})
	f.append(teacher.StreamName(t2), a102,
		&teacher.CorrectionApproved{TeacherID: t2, CorrectionID: s.t2CorrectionID, Field: teacher.FieldCertificateNumber,
			Comment: "已核对证书", ActorID: a102.id, ActorRole: a102.role},
		&teacher.KeyFieldCorrected{TeacherID: t2, Field: teacher.FieldCertificateNumber, Old: "20121302121000002",
			New: "20121302122000002", Reason: "证书号码录入错误", CorrectionID: s.t2CorrectionID,
			ActorID: a102.id, ActorRole: a102.role})
	tc := uuid.New()
	f.append(teacher.StreamName(t2), a102, &teacher.TransferStarted{TeacherID: t2, TransferID: tc,
		FromCounty: "130102", FromUnitID: u2n.id.String(), FromUnitName: u2n.name, ToCounty: "130202",
		Reason: "随配偶调动", ActorID: a102.id, ActorRole: a102.role})
	f.append(teacher.StreamName(t2), a102, &teacher.TransferCancelled{TeacherID: t2, TransferID: tc,
		Reason: "本人放弃", ActorID: a102.id, ActorRole: a102.role})

	// T3: a name correction left pending, and an ID number corrected by
	// the admin.
	me3 := self("T3")
	s.t3CorrectionID = uuid.New()
	f.append(teacher.StreamName(t3), me3, &teacher.CorrectionRequested{TeacherID: t3, CorrectionID: s.t3CorrectionID,
		Field: teacher.FieldName, Current: "王芳", Proposed: "王芳芳", Reason: "已改名", County: "130104",
		ActorID: me3.id, ActorRole: me3.role})
	s.t3NewID = residentID("13010419880215026")
	f.append(teacher.StreamName(t3), a104, &teacher.KeyFieldCorrected{TeacherID: t3, Field: teacher.FieldIDNumber,
		Old: s.prof["T3"].IDNumber, New: s.t3NewID, Reason: "身份证号码录入错误", ActorID: a104.id, ActorRole: a104.role})

	// T4: transfer from Tangshan to Chang'an, still open.
	s.t4TransferID = uuid.New()
	u4 := s.units["U4"]
	f.append(teacher.StreamName(t4), a202, &teacher.TransferStarted{TeacherID: t4, TransferID: s.t4TransferID,
		FromCounty: "130202", FromUnitID: u4.id.String(), FromUnitName: u4.name, ToCounty: "130102",
		ToUnitID: u1.id.String(), ToUnitName: u1.name, Reason: "人才引进", ActorID: a202.id, ActorRole: a202.role})

	// T5: a correction rejected, another left pending, then a transfer to
	// Qiaoxi accepted, which hands the pending one to Qiaoxi's admin.
	me5 := self("T5")
	cr := uuid.New()
	f.append(teacher.StreamName(t5), me5, &teacher.CorrectionRequested{TeacherID: t5, CorrectionID: cr,
		Field: teacher.FieldGender, Current: "1", Proposed: "2", Reason: "误填", County: "130102",
		ActorID: me5.id, ActorRole: me5.role})
	f.append(teacher.StreamName(t5), a102, &teacher.CorrectionRejected{TeacherID: t5, CorrectionID: cr,
		Field: teacher.FieldGender, Reason: "与身份证不符", ActorID: a102.id, ActorRole: a102.role})
	s.t5CorrectionID = uuid.New()
	f.append(teacher.StreamName(t5), me5, &teacher.CorrectionRequested{TeacherID: t5, CorrectionID: s.t5CorrectionID,
		Field: teacher.FieldWorkStart, Current: "2010-09", Proposed: "2017-09", Reason: "参加工作时间有误", County: "130102",
		ActorID: me5.id, ActorRole: me5.role})
	s.t5TransferID = uuid.New()
	u3 := s.units["U3"]
	f.append(teacher.StreamName(t5), a102, &teacher.TransferStarted{TeacherID: t5, TransferID: s.t5TransferID,
		FromCounty: "130102", FromUnitID: u1.id.String(), FromUnitName: u1.name, ToCounty: "130104",
		Reason: "交流轮岗", ActorID: a102.id, ActorRole: a102.role})
	s.t5AcceptedAt = f.append(teacher.StreamName(t5), a104, &teacher.TransferAccepted{TeacherID: t5, TransferID: s.t5TransferID,
		FromCounty: "130102", FromUnitID: u1.id.String(), ToCity: "1301", ToCounty: "130104",
		ToUnitID: u3.id.String(), ToUnitName: u3.name, ActorID: a104.id, ActorRole: a104.role})
	s.buildOtherStreams(t)
}

// runTeacherRunner runs r until the test ends or stop is called, and fails
// the test if Run returns an error.
func runTeacherRunner(t *testing.T, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// settle waits until every projection has applied the whole feed and
// fails on any parked event, which would otherwise pass silently.
func (s *scenario) settle(t *testing.T) {
	t.Helper()
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.runner.WaitFor(wctx, s.feed.last); err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
	var n int
	var first string
	if err := s.pool.QueryRow(context.Background(),
		`SELECT count(*), coalesce(min(projection || ': ' || error), '') FROM projection_parked`).Scan(&n, &first); err != nil {
		t.Fatalf("parked: %v", err)
	}
	if n > 0 {
		t.Fatalf("%d parked events, first: %s", n, first)
	}
}

func TestTeacherReadModels(t *testing.T) {
	s := newTeacherScenario(t)
	s.build(t)
	runTeacherRunner(t, s.runner)
	s.settle(t)
	ctx := context.Background()

	t.Run("Profile", func(t *testing.T) { s.checkProfile(ctx, t) })
	t.Run("Roster", func(t *testing.T) { s.checkRoster(ctx, t) })
	t.Run("History", func(t *testing.T) { s.checkHistory(ctx, t) })
	t.Run("HistoryAcrossStreams", func(t *testing.T) { s.checkHistoryAcrossStreams(ctx, t) })
	t.Run("Audit", func(t *testing.T) { s.checkAudit(ctx, t) })
	t.Run("AuditCSV", func(t *testing.T) { s.checkAuditCSV(ctx, t) })
	t.Run("Queues", func(t *testing.T) { s.checkQueues(ctx, t) })
	t.Run("Units", func(t *testing.T) { s.checkUnits(ctx, t) })
	t.Run("Accounts", func(t *testing.T) { s.checkAccounts(ctx, t) })

	// Read models are disposable: a rebuild of each gives identical tables.
	before := dumpTeacherTables(t, s.pool)
	for _, p := range TeacherProjections() {
		if err := s.runner.Rebuild(ctx, p.Name()); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
	}
	s.settle(t)
	after := dumpTeacherTables(t, s.pool)
	for table, rows := range before {
		if len(rows) == 0 {
			t.Errorf("%s is empty: the scenario should fill every table", table)
		}
		if !slices.Equal(rows, after[table]) {
			t.Errorf("%s differs after rebuild:\nbefore %d rows: %v\nafter %d rows: %v", table, len(rows), rows, len(after[table]), after[table])
		}
	}
}

func (s *scenario) checkProfile(ctx context.Context, t *testing.T) {
	// T4 has every field filled and no change of them: read back exactly.
	got, err := s.q.Profile(ctx, s.ids["T4"])
	if err != nil {
		t.Fatalf("Profile(T4): %v", err)
	}
	if got.Profile != s.prof["T4"] {
		t.Errorf("T4 profile:\n got %+v\nwant %+v", got.Profile, s.prof["T4"])
	}
	if got.OpenTransferID == nil || *got.OpenTransferID != s.t4TransferID {
		t.Errorf("T4 open transfer = %v, want %s", got.OpenTransferID, s.t4TransferID)
	}
	if got.SchoolArea != "3" || got.SchoolAreaLabel != "乡村" || got.SchoolCategory != "342" || got.SchoolCategoryLabel != "高级中学" {
		t.Errorf("T4 school = %s %s %s %s", got.SchoolArea, got.SchoolAreaLabel, got.SchoolCategory, got.SchoolCategoryLabel)
	}
	if got.CountyName != "路南区" || got.CityName != "唐山市" {
		t.Errorf("T4 region names = %q %q", got.CityName, got.CountyName)
	}

	// T1: edited, renamed, moved to U2, whose name and area changed.
	p1, err := s.q.Profile(ctx, s.ids["T1"])
	if err != nil {
		t.Fatalf("Profile(T1): %v", err)
	}
	u2 := s.units["U2"]
	want := s.prof["T1"]
	want.Name, want.Ethnicity, want.UnitID = "张玮", "01", u2.id.String()
	if p1.Profile != want {
		t.Errorf("T1 profile:\n got %+v\nwant %+v", p1.Profile, want)
	}
	if wantRev := uint64(s.feed.revs[teacher.StreamName(s.ids["T1"])] - 1); p1.Revision != wantRev {
		t.Errorf("T1 revision = %d, want %d", p1.Revision, wantRev)
	}
	if p1.UnitName != u2.name || p1.SchoolArea != "2" || p1.SchoolAreaLabel != "镇区" || p1.SchoolCategoryLabel != "小学" {
		t.Errorf("T1 unit = %q area %q/%q category %q", p1.UnitName, p1.SchoolArea, p1.SchoolAreaLabel, p1.SchoolCategoryLabel)
	}
	if p1.OpenCorrections != 0 || p1.OpenTransferID != nil {
		t.Errorf("T1 open corrections %d, transfer %v", p1.OpenCorrections, p1.OpenTransferID)
	}
	if !p1.UpdatedAt.After(p1.RegisteredAt) || p1.RegisteredAt.IsZero() {
		t.Errorf("T1 registered %s updated %s", p1.RegisteredAt, p1.UpdatedAt)
	}

	// T5 moved county with its transfer and keeps one open correction.
	p5, err := s.q.Profile(ctx, s.ids["T5"])
	if err != nil {
		t.Fatalf("Profile(T5): %v", err)
	}
	if p5.Profile.County != "130104" || p5.Profile.UnitID != s.units["U3"].id.String() || p5.OpenCorrections != 1 || p5.OpenTransferID != nil {
		t.Errorf("T5 county %s unit %s open %d transfer %v", p5.Profile.County, p5.Profile.UnitID, p5.OpenCorrections, p5.OpenTransferID)
	}
	if !p5.UpdatedAt.Equal(s.t5AcceptedAt) {
		t.Errorf("T5 updated_at = %s, want the acceptance time %s", p5.UpdatedAt, s.t5AcceptedAt)
	}

	m := p1.MaskedCopy()
	if m.Profile.IDNumber != ident.MaskID(want.IDNumber) || m.Profile.Mobile != ident.MaskMobile(want.Mobile) ||
		strings.Contains(m.Profile.IDNumber, want.IDNumber[6:14]) || p1.Profile.IDNumber != want.IDNumber {
		t.Errorf("MaskedCopy: %q %q (original %q)", m.Profile.IDNumber, m.Profile.Mobile, p1.Profile.IDNumber)
	}

	if _, err := s.q.Profile(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Profile(unknown) error = %v, want ErrNotFound", err)
	}
}

func rosterNames(p RosterPage) []string {
	out := make([]string, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = r.Name
	}
	return out
}

func (s *scenario) checkRoster(ctx context.Context, t *testing.T) {
	t2ID := s.prof["T2"].IDNumber
	tests := []struct {
		name      string
		f         RosterFilter
		want      []string // names in order
		wantTotal int
	}{
		// ordered by county, then name
		{"province", RosterFilter{Jurisdiction: "13"}, []string{"张玮", "李娜", "刘洋", "王芳", "赵强"}, 5},
		{"city", RosterFilter{Jurisdiction: "1301"}, []string{"张玮", "李娜", "刘洋", "王芳"}, 4},
		{"county after transfer out", RosterFilter{Jurisdiction: "130102"}, []string{"张玮", "李娜"}, 2},
		{"county after transfer in", RosterFilter{Jurisdiction: "130104"}, []string{"刘洋", "王芳"}, 2},
		{"open transfer stays", RosterFilter{Jurisdiction: "130202"}, []string{"赵强"}, 1},
		{"other province", RosterFilter{Jurisdiction: "11"}, []string{}, 0},
		{"everything", RosterFilter{}, []string{"张玮", "李娜", "刘洋", "王芳", "赵强"}, 5},
		{"unit", RosterFilter{UnitID: s.units["U2"].id}, []string{"张玮", "李娜"}, 2},
		{"name prefix", RosterFilter{Name: "张"}, []string{"张玮"}, 1},
		{"whole name", RosterFilter{Jurisdiction: "13", Name: "张玮"}, []string{"张玮"}, 1},
		{"name is matched from its start", RosterFilter{Name: "玮"}, []string{}, 0},
		{"name with wildcard is literal", RosterFilter{Name: "%"}, []string{}, 0},
		{"full id", RosterFilter{IDNumber: t2ID}, []string{"李娜"}, 1},
		{"id tail", RosterFilter{IDNumber: s.t3NewID[14:]}, []string{"王芳"}, 1},
		{"old id no longer matches", RosterFilter{IDNumber: s.prof["T3"].IDNumber}, []string{}, 0},
		{"masked id", RosterFilter{IDNumber: ident.MaskID(t2ID)}, []string{"李娜"}, 1},
		{"masked id, wrong head", RosterFilter{IDNumber: "130202********" + t2ID[14:]}, []string{}, 0},
		{"id tail in jurisdiction", RosterFilter{Jurisdiction: "130202", IDNumber: t2ID[12:]}, []string{}, 0},
		{"page", RosterFilter{Jurisdiction: "13", Limit: 2, Offset: 1}, []string{"李娜", "刘洋"}, 5},
		{"past the end", RosterFilter{Jurisdiction: "13", Limit: 2, Offset: 10}, []string{}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.q.Roster(ctx, tc.f)
			if err != nil {
				t.Fatalf("Roster: %v", err)
			}
			if !slices.Equal(rosterNames(got), tc.want) || got.Total != tc.wantTotal {
				t.Errorf("Roster(%+v) = %v total %d, want %v total %d", tc.f, rosterNames(got), got.Total, tc.want, tc.wantTotal)
			}
		})
	}

	got, err := s.q.Roster(ctx, RosterFilter{IDNumber: strings.ToLower(s.prof["T1"].IDNumber[10:])})
	if err != nil || len(got.Rows) != 1 {
		t.Fatalf("Roster by tail: %v %v", got, err)
	}
	r := got.Rows[0]
	if r.UnitName != s.units["U2"].name || r.CountyName != "长安区" || r.IDNumber != s.prof["T1"].IDNumber {
		t.Errorf("row = %+v", r)
	}
	if m := r.MaskedCopy(); m.IDNumber != ident.MaskID(r.IDNumber) || m.Mobile != ident.MaskMobile(r.Mobile) {
		t.Errorf("masked row = %+v", m)
	}

	for _, f := range []RosterFilter{
		{Jurisdiction: "1301x"}, {Jurisdiction: "130"}, {IDNumber: "123"}, {IDNumber: "13*01*1234"},
		{IDNumber: "1234;--"}, {Limit: MaxPageSize + 1}, {Offset: -1},
	} {
		if _, err := s.q.Roster(ctx, f); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("Roster(%+v) error = %v, want a validation error", f, err)
		}
	}
}

func (s *scenario) checkHistory(ctx context.Context, t *testing.T) {
	h, err := s.q.History(ctx, s.ids["T1"])
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(h) != s.feed.revs[teacher.StreamName(s.ids["T1"])] {
		t.Fatalf("T1 history has %d entries, want %d", len(h), s.feed.revs[teacher.StreamName(s.ids["T1"])])
	}
	wantTypes := []string{teacher.TypeRegistered, teacher.TypeOrdinaryFieldEdited, teacher.TypeKeyFieldCorrected,
		teacher.TypeCorrectionRequested, teacher.TypeCorrectionWithdrawn, teacher.TypeKeyFieldCorrected}
	wantText := []string{"登记了教师 张伟", "将 民族 由 “（空）” 修改为 “汉族”", "将 姓名 由 “张伟” 更正为 “张玮”，理由：与身份证不一致",
		"申请将 参加工作年月", "撤回了 参加工作年月 的更正申请", "更正为 “" + s.units["U2"].name + "”"}
	for i, e := range h {
		if e.Revision != uint64(i) || e.Type != wantTypes[i] || !strings.Contains(e.Description, wantText[i]) {
			t.Errorf("entry %d = rev %d %s %q, want %s containing %q", i, e.Revision, e.Type, e.Description, wantTypes[i], wantText[i])
		}
	}
	if e := h[2]; e.ActorName != "管理员130102" || e.ActorRole != string(access.RoleCountyAdmin) ||
		e.ActorLabel != "区县管理员" || e.Jurisdiction != "130102" || !e.OccurredAt.Equal(s.t1NameFixedAt) {
		t.Errorf("name correction entry = %+v", e)
	}
	if !strings.HasPrefix(h[1].Description, "教师 张伟") {
		t.Errorf("teacher's own edit = %q, want it attributed to the teacher", h[1].Description)
	}

	// ID numbers are masked in the sentences.
	h3, err := s.q.History(ctx, s.ids["T3"])
	if err != nil {
		t.Fatal(err)
	}
	last := h3[len(h3)-1].Description
	if strings.Contains(last, s.t3NewID) || !strings.Contains(last, ident.MaskID(s.t3NewID)) {
		t.Errorf("ID correction sentence %q shows the number unmasked", last)
	}

	if h, err := s.q.History(ctx, uuid.New()); err != nil || len(h) != 0 {
		t.Errorf("History(unknown) = %v, %v; want empty", h, err)
	}
}

func auditFields(p AuditPage) []string {
	out := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = e.TeacherName + ":" + e.Field
	}
	return out
}

// registeredKeyFields is what one registration writes to the audit.
var registeredKeyFields = []string{"name", "id_type", "id_number", "gender", "birth_date", "city", "county",
	"unit_id", "work_start", "certificate_type", "certificate_number"}

func (s *scenario) checkAudit(ctx context.Context, t *testing.T) {
	p, err := s.q.KeyFieldAudit(ctx, AuditFilter{TeacherID: s.ids["T1"]})
	if err != nil {
		t.Fatalf("KeyFieldAudit: %v", err)
	}
	var want []string
	for _, f := range registeredKeyFields {
		want = append(want, "张伟:"+f)
	}
	// the unit change is made on the record already renamed
	want = append(want, "张伟:name", "张玮:unit_id")
	if got := auditFields(p); !slices.Equal(got, want) || p.Total != len(want) {
		t.Errorf("T1 audit = %v (total %d), want %v", got, p.Total, want)
	}
	reg := p.Entries[2]
	if reg.Field != "id_number" || reg.OldValue.Raw() != "" || reg.NewValue.Raw() != s.prof["T1"].IDNumber || reg.FieldLabel != "身份证件号码" ||
		reg.ActorName != "管理员130102" || reg.EventType != teacher.TypeRegistered {
		t.Errorf("registration row = %+v", reg)
	}
	fix := p.Entries[len(registeredKeyFields)]
	if fix.OldValue.Raw() != "张伟" || fix.NewValue.Raw() != "张玮" || fix.Reason != "与身份证不一致" || fix.ActorRole != "county_admin" ||
		fix.ActorRoleLabel != "区县管理员" || fix.ActorJurisdiction != "130102" || !fix.OccurredAt.Equal(s.t1NameFixedAt) {
		t.Errorf("name correction row = %+v", fix)
	}
	if u := p.Entries[len(p.Entries)-1]; u.OldLabel != s.units["U1"].name || u.NewLabel != s.units["U2"].name {
		t.Errorf("unit row labels %q -> %q", u.OldLabel, u.NewLabel)
	}

	// A correction approved from a request is linked to it.
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{TeacherID: s.ids["T2"], Field: teacher.FieldCertificateNumber})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 2 || p.Entries[1].CorrectionID == nil || *p.Entries[1].CorrectionID != s.t2CorrectionID ||
		p.Entries[1].NewValue.Raw() != "20121302122000002" {
		t.Errorf("T2 certificate rows = %+v", p.Entries)
	}

	// The accepted transfer: county and unit (the city stays), seen from
	// both counties, with the reason given when it was started.
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{Jurisdiction: "130104", From: s.t5AcceptedAt})
	if err != nil {
		t.Fatal(err)
	}
	if got := auditFields(p); !slices.Equal(got, []string{"刘洋:county", "刘洋:unit_id"}) {
		t.Errorf("Qiaoxi audit from the acceptance = %v", got)
	}
	for _, e := range p.Entries {
		if e.TransferID == nil || *e.TransferID != s.t5TransferID || e.Reason != "交流轮岗" || e.County != "130102" || e.CountyAfter != "130104" {
			t.Errorf("transfer row = %+v", e)
		}
	}
	if p.Entries[0].OldValue.Raw() != "130102" || p.Entries[0].NewValue.Raw() != "130104" || p.Entries[1].NewLabel != s.units["U3"].name {
		t.Errorf("transfer values = %+v", p.Entries)
	}
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{Jurisdiction: "130102", From: s.t5AcceptedAt})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 2 {
		t.Errorf("Chang'an sees %d rows of the transfer out, want 2", len(p.Entries))
	}

	// Jurisdiction, actor and time window.
	// Qiaoxi's admin registered 王芳, corrected her ID number and took
	// 刘洋 in.
	a104 := s.admins["130104"]
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{ActorID: a104.id})
	if err != nil {
		t.Fatal(err)
	}
	want = nil
	for _, f := range registeredKeyFields {
		want = append(want, "王芳:"+f)
	}
	want = append(want, "王芳:id_number", "刘洋:county", "刘洋:unit_id")
	if got := auditFields(p); !slices.Equal(got, want) {
		t.Errorf("actor filter = %v, want %v", got, want)
	}
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{Jurisdiction: "130202"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != len(registeredKeyFields) {
		t.Errorf("Lunan audit total %d, want only 赵强's registration (%d)", p.Total, len(registeredKeyFields))
	}
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{Field: teacher.FieldName, From: s.t1NameFixedAt, To: s.t1NameFixedAt.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if got := auditFields(p); !slices.Equal(got, []string{"张伟:name"}) {
		t.Errorf("time window = %v", got)
	}
	p, err = s.q.KeyFieldAudit(ctx, AuditFilter{Field: teacher.FieldName, Limit: 2, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 6 || len(p.Entries) != 2 {
		t.Errorf("name rows: total %d, page %d; want 6 and 2", p.Total, len(p.Entries))
	}
	for _, f := range []AuditFilter{{Field: "ethnicity"}, {Jurisdiction: "x"}, {From: s.t5AcceptedAt, To: s.t1NameFixedAt}, {Limit: -1}} {
		if _, err := s.q.KeyFieldAudit(ctx, f); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("KeyFieldAudit(%+v) error = %v, want a validation error", f, err)
		}
	}
}

func (s *scenario) checkAuditCSV(ctx context.Context, t *testing.T) {
	var buf bytes.Buffer
	if err := s.q.WriteKeyFieldAuditCSV(ctx, &buf, AuditFilter{Jurisdiction: "130104"}); err != nil {
		t.Fatalf("WriteKeyFieldAuditCSV: %v", err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Fatalf("no byte-order mark: %q", out[:min(20, len(out))])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	page, err := s.q.KeyFieldAudit(ctx, AuditFilter{Jurisdiction: "130104", Limit: MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != page.Total+1 {
		t.Fatalf("CSV has %d records, want header + %d", len(recs), page.Total)
	}
	if !slices.Equal(recs[0], auditCSVHeader) || recs[0][0] != "时间" {
		t.Errorf("header = %v", recs[0])
	}
	// No full ID number anywhere: old and new, of the registration and of
	// the correction.
	for _, id := range []string{s.prof["T3"].IDNumber, s.t3NewID} {
		if strings.Contains(out, id) {
			t.Errorf("CSV shows the full ID number %s", id)
		}
	}
	var fix []string
	for _, r := range recs[1:] {
		if r[5] == "身份证件号码" && r[1] == "更正" {
			fix = r
		}
	}
	if fix == nil {
		t.Fatalf("no ID correction row in %v", recs)
	}
	if fix[6] != ident.MaskID(s.prof["T3"].IDNumber) || fix[7] != ident.MaskID(s.t3NewID) || fix[3] != "王芳" ||
		fix[4] != "130104 桥西区" || fix[8] != "身份证号码录入错误" || fix[12] != "区县管理员" {
		t.Errorf("ID correction row = %v", fix)
	}
	// the first row is the earliest, in China time
	if want := page.Entries[0].OccurredAt.In(ident.ChinaTime).Format("2006-01-02 15:04:05"); recs[1][0] != want {
		t.Errorf("first time = %q, want %q", recs[1][0], want)
	}
	var transfer []string
	for _, r := range recs[1:] {
		if r[1] == "异动" && r[5] == "所在区县" {
			transfer = r
		}
	}
	if transfer == nil || transfer[6] != "130102 长安区" || transfer[7] != "130104 桥西区" || transfer[10] != s.t5TransferID.String() {
		t.Errorf("transfer row = %v", transfer)
	}

	buf.Reset()
	if err := s.q.WriteKeyFieldAuditCSV(ctx, &buf, AuditFilter{Jurisdiction: "130104", Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\r\n"); n != 2 {
		t.Errorf("limited export has %d lines, want 2", n)
	}
	if cell("=cmd()") != "'=cmd()" || cell("正常") != "正常" {
		t.Errorf("cell does not defuse formulas")
	}
}

func (s *scenario) checkQueues(ctx context.Context, t *testing.T) {
	corr := func(j string) []uuid.UUID {
		t.Helper()
		cs, err := s.q.PendingCorrections(ctx, j)
		if err != nil {
			t.Fatalf("PendingCorrections(%q): %v", j, err)
		}
		out := []uuid.UUID{}
		for _, c := range cs {
			out = append(out, c.CorrectionID)
		}
		return out
	}
	// T1's was withdrawn, T2's approved, T5's first rejected; T5's second
	// followed the teacher to Qiaoxi.
	if got := corr("130102"); len(got) != 0 {
		t.Errorf("Chang'an queue = %v, want empty", got)
	}
	if got, want := corr("130104"), []uuid.UUID{s.t3CorrectionID, s.t5CorrectionID}; !slices.Equal(got, want) {
		t.Errorf("Qiaoxi queue = %v, want %v", got, want)
	}
	if got := corr("1301"); len(got) != 2 {
		t.Errorf("city queue = %v", got)
	}
	if got := corr("1302"); len(got) != 0 {
		t.Errorf("Tangshan queue = %v", got)
	}
	cs, err := s.q.PendingCorrections(ctx, "130104")
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if c.TeacherName != "王芳" || c.Field != "name" || c.FieldLabel != "姓名" || c.Current != "王芳" || c.Proposed != "王芳芳" ||
		c.Reason != "已改名" || c.CountyName != "桥西区" || c.UnitName != s.units["U3"].name || c.RequestedByName != "王芳" {
		t.Errorf("correction = %+v", c)
	}
	if c5 := cs[1]; c5.County != "130104" || c5.UnitName != s.units["U3"].name {
		t.Errorf("moved correction = %+v", c5)
	}

	tr := func(j string) []PendingTransfer {
		t.Helper()
		ts, err := s.q.PendingTransfers(ctx, j)
		if err != nil {
			t.Fatalf("PendingTransfers(%q): %v", j, err)
		}
		return ts
	}
	in := tr("130102")
	if len(in) != 1 || in[0].TransferID != s.t4TransferID || !in[0].Incoming || in[0].Outgoing {
		t.Fatalf("Chang'an transfers = %+v, want T4 incoming", in)
	}
	if x := in[0]; x.TeacherName != "赵强" || x.FromCountyName != "路南区" || x.ToUnitName != s.units["U1"].name ||
		x.Reason != "人才引进" || x.StartedByName != "管理员130202" {
		t.Errorf("transfer = %+v", x)
	}
	if out := tr("130202"); len(out) != 1 || !out[0].Outgoing || out[0].Incoming {
		t.Errorf("Lunan transfers = %+v, want T4 outgoing", out)
	}
	if both := tr("13"); len(both) != 1 || !both[0].Outgoing || !both[0].Incoming {
		t.Errorf("province transfers = %+v, want T4 both ways", both)
	}
	if none := tr("130104"); len(none) != 0 {
		t.Errorf("Qiaoxi transfers = %+v, want none (T5's was accepted)", none)
	}
	if _, err := s.q.PendingTransfers(ctx, "13a"); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("bad jurisdiction error = %v", err)
	}
}

func (s *scenario) checkUnits(ctx context.Context, t *testing.T) {
	u2 := s.units["U2"]
	u, err := s.q.Unit(ctx, u2.id)
	if err != nil {
		t.Fatalf("Unit: %v", err)
	}
	if u.Name != u2.name || u.AreaCode != "2" || u.AreaLabel != "镇区" || u.CategoryLabel != "小学" || u.CountyName != "长安区" ||
		u.CityName != "石家庄市" || u.Revision != 2 || u.StageLabel != "初中" || !u.UpdatedAt.After(u.CreatedAt) {
		t.Errorf("unit = %+v", u)
	}
	if _, err := s.q.Unit(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Unit(unknown) error = %v", err)
	}
	p, err := s.q.Units(ctx, UnitFilter{Jurisdiction: "1301"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 3 || len(p.Units) != 3 || p.Units[2].County != "130104" {
		t.Errorf("city units = %+v", p)
	}
	p, err = s.q.Units(ctx, UnitFilter{Name: "友谊"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 1 || p.Units[0].Name != "唐山市路南区友谊中学" {
		t.Errorf("units by name = %+v", p)
	}
}

// dumpTeacherTables reads every table of the teacher projections in full,
// each row as JSON, in primary-key order.
func dumpTeacherTables(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, p := range TeacherProjections() {
		for _, table := range p.Tables() {
			// Order by the whole row: deterministic whatever the key.
			rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT to_jsonb(t)::text AS j FROM %s t ORDER BY j`, pgx.Identifier{table}.Sanitize()))
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			out[table] = got
		}
	}
	return out
}

func TestTeacherProfileFieldsCoverProfile(t *testing.T) {
	fields := teacher.Fields()
	if n := reflect.TypeFor[teacher.Profile]().NumField(); n != len(fields) {
		t.Fatalf("teacher.Profile has %d fields, teacher.Fields() %d: the read model would miss one", n, len(fields))
	}
	var p teacher.Profile
	seen := map[*string]string{}
	for _, f := range fields {
		ptr := profileField(&p, f)
		if ptr == nil {
			t.Errorf("profileField(%q) = nil", f)
			continue
		}
		if other, dup := seen[ptr]; dup {
			t.Errorf("fields %q and %q share a destination", f, other)
		}
		seen[ptr] = f
		*ptr = "v-" + f
		if p.Get(f) != "v-"+f {
			t.Errorf("profileField(%q) does not point at the field Get reads", f)
		}
	}
}

// buildAccounts opens teacher accounts for T1 and T5 (before T5's transfer),
// an admin and an auditor, and changes each one's state once.
func (s *scenario) buildAccounts(t *testing.T) {
	t.Helper()
	f := s.feed
	a102 := s.admins["130102"]
	province := actorMeta{id: uuid.New(), role: access.RoleProvinceAdmin, name: "省管理员", jurisdiction: "13"}
	system := actorMeta{id: uuid.Nil, role: access.RoleSystem, name: "登录保护"}
	create := func(key string, by actorMeta, c account.Created) {
		id := uuid.New()
		s.accounts[key] = id
		c.AccountID, c.ActorID, c.ActorRole, c.MustChangePassword = id, by.id, by.role, true
		f.append(account.StreamName(id), by, &c)
	}
	for _, k := range []string{"T1", "T5"} {
		create(k, a102, account.Created{Login: s.prof[k].IDNumber, Role: access.RoleTeacher, TeacherID: s.ids[k],
			DisplayName: s.prof[k].Name, TeacherCounty: "130102"})
	}
	create("admin", province, account.Created{Login: "admin130102", Role: access.RoleCountyAdmin, Jurisdiction: "130102", DisplayName: "长安区管理员"})
	create("auditor", province, account.Created{Login: "audit13", Role: access.RoleAuditor, Jurisdiction: "13", DisplayName: "省审计员"})

	me1 := actorMeta{id: s.accounts["T1"], role: access.RoleTeacher, name: "张伟"}
	f.append(account.StreamName(s.accounts["T1"]), me1, &account.PasswordChanged{AccountID: s.accounts["T1"], ActorID: me1.id, ActorRole: me1.role})
	f.append(account.StreamName(s.accounts["T5"]), system, &account.Locked{AccountID: s.accounts["T5"], Reason: "连续5次登录失败", ActorRole: system.role})
	f.append(account.StreamName(s.accounts["admin"]), province, &account.DisplayNameChanged{AccountID: s.accounts["admin"],
		Old: "长安区管理员", New: "长安区教育局管理员", ActorID: province.id, ActorRole: province.role})
	f.append(account.StreamName(s.accounts["auditor"]), province, &account.Disabled{AccountID: s.accounts["auditor"],
		Reason: "人员调离", ActorID: province.id, ActorRole: province.role})
}

func (s *scenario) checkAccounts(ctx context.Context, t *testing.T) {
	list := func(f AccountFilter) []string {
		t.Helper()
		p, err := s.q.Accounts(ctx, f)
		if err != nil {
			t.Fatalf("Accounts(%+v): %v", f, err)
		}
		if p.Total != len(p.Accounts) {
			t.Errorf("Accounts(%+v): total %d, rows %d", f, p.Total, len(p.Accounts))
		}
		out := []string{}
		for _, a := range p.Accounts {
			out = append(out, a.DisplayName)
		}
		return out
	}
	tests := []struct {
		name string
		f    AccountFilter
		want []string
	}{
		// ordered by region, role, name; T5's account followed the transfer
		{"province", AccountFilter{Jurisdiction: "13"}, []string{"省审计员", "长安区教育局管理员", "张伟", "刘洋"}},
		{"county", AccountFilter{Jurisdiction: "130102"}, []string{"长安区教育局管理员", "张伟"}},
		{"transferred teacher", AccountFilter{Jurisdiction: "130104"}, []string{"刘洋"}},
		{"role", AccountFilter{Role: access.RoleTeacher}, []string{"张伟", "刘洋"}},
		{"locked", AccountFilter{Status: account.StatusLocked}, []string{"刘洋"}},
		{"disabled", AccountFilter{Status: account.StatusDisabled}, []string{"省审计员"}},
		{"active", AccountFilter{Status: account.StatusActive}, []string{"长安区教育局管理员", "张伟"}},
		{"login any case", AccountFilter{Login: "ADMIN130102"}, []string{"长安区教育局管理员"}},
		{"teacher", AccountFilter{TeacherID: s.ids["T1"]}, []string{"张伟"}},
		{"name", AccountFilter{Name: "教育局"}, []string{"长安区教育局管理员"}},
	}
	for _, tc := range tests {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Accounts(%+v) = %v, want %v", tc.name, tc.f, got, tc.want)
		}
	}

	a, err := s.q.Account(ctx, s.accounts["T1"])
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if a.Login != s.prof["T1"].IDNumber || a.MustChangePassword || a.PasswordChangedAt == nil || a.Status != account.StatusActive ||
		a.StatusLabel != "正常" || a.RoleLabel != "教师" || a.TeacherID == nil || *a.TeacherID != s.ids["T1"] || a.Revision != 1 {
		t.Errorf("T1 account = %+v", a)
	}
	if m := a.MaskedCopy(); m.Login != ident.MaskID(a.Login) {
		t.Errorf("masked login = %q", m.Login)
	}
	l, err := s.q.Account(ctx, s.accounts["T5"])
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != account.StatusLocked || l.LockReason != "连续5次登录失败" || l.LockedAt == nil || l.Region != "130104" || l.RegionName != "桥西区" {
		t.Errorf("T5 account = %+v", l)
	}
	if ad, err := s.q.Account(ctx, s.accounts["admin"]); err != nil || ad.MaskedCopy().Login != "admin130102" {
		t.Errorf("admin account = %+v, %v; an admin's login is not masked", ad, err)
	}
	if _, err := s.q.Account(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Account(unknown) error = %v", err)
	}
	for _, f := range []AccountFilter{{Role: "boss"}, {Status: "sleeping"}, {Jurisdiction: "1"}} {
		if _, err := s.q.Accounts(ctx, f); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("Accounts(%+v) error = %v, want a validation error", f, err)
		}
	}
}

// TestTeacherProjectionsApplyTwice replays the whole feed a second time
// into the built read models: every Apply must recognise what it applied
// already, so a redelivery can never double a count or a row.
func TestTeacherProjectionsApplyTwice(t *testing.T) {
	s := newTeacherScenario(t)
	s.build(t)
	stop := runTeacherRunner(t, s.runner)
	s.settle(t)
	stop() // the runner is out of the way: this test writes alone
	ctx := context.Background()
	before := dumpTeacherTables(t, s.pool)

	recs, err := s.store.ReadAll(ctx, eventstore.Start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	envs := make([]event.Envelope, len(recs))
	for i, rec := range recs {
		ev, err := s.feed.reg.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		var meta event.Metadata
		if err := json.Unmarshal(rec.Metadata, &meta); err != nil {
			t.Fatal(err)
		}
		envs[i] = event.Envelope{ID: rec.ID, Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type,
			Event: ev, Metadata: meta, RecordedAt: rec.RecordedAt}
	}
	for _, p := range TeacherProjections() {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range envs {
			if err := p.Apply(ctx, tx, env); err != nil {
				t.Fatalf("%s: apply %s again: %v", p.Name(), env.Type, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	after := dumpTeacherTables(t, s.pool)
	for table, rows := range before {
		if !slices.Equal(rows, after[table]) {
			t.Errorf("%s changed when the feed was applied again:\nbefore %v\nafter  %v", table, rows, after[table])
		}
	}
}

// The key-field audit reads and writes its memory of a teacher only for
// the events that change it: the stored revision is that of the last
// registration, correction or transfer step, not of a later ordinary edit,
// and an event it does not use is not checked against a registration it
// has not seen.
func TestKeyFieldAuditSkipsOtherEvents(t *testing.T) {
	s := newTeacherScenario(t)
	s.build(t)
	t1 := s.ids["T1"]
	me1 := actorMeta{id: uuid.New(), role: access.RoleTeacher, name: s.prof["T1"].Name}
	s.feed.append(teacher.StreamName(t1), me1, &teacher.OrdinaryFieldEdited{TeacherID: t1, Field: teacher.FieldMobile,
		Old: "", New: "13900000001", ActorID: me1.id, ActorRole: me1.role})
	stop := runTeacherRunner(t, s.runner)
	s.settle(t)
	stop()
	ctx := context.Background()

	recs, err := s.store.ReadAll(ctx, eventstore.Start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID]int64{} // the last event of each teacher that changes key fields
	other := map[uuid.UUID]bool{} // a teacher with a later event that does not
	for _, rec := range recs {
		id, ok := streamID(rec.Stream, "teacher")
		if !ok {
			continue
		}
		ev, err := s.feed.reg.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		if changesKeyFields(ev) {
			want[id] = int64(rec.Revision)
			other[id] = false
		} else {
			other[id] = true
		}
	}
	later := 0
	for id, rev := range want {
		var got int64
		if err := s.pool.QueryRow(ctx, `SELECT revision FROM key_field_audit_teachers WHERE teacher_id = $1`, id).Scan(&got); err != nil {
			t.Fatalf("teacher %s: %v", id, err)
		}
		if got != rev {
			t.Errorf("teacher %s: stored revision %d, want %d (its last key-field event)", id, got, rev)
		}
		if other[id] {
			later++
		}
	}
	if later == 0 {
		t.Fatal("no teacher has an event after its last key-field event: the scenario checks nothing")
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	stranger := uuid.New()
	env := event.Envelope{ID: uuid.New(), Stream: "teacher-" + stranger.String(), Revision: 3,
		Type: teacher.TypeOrdinaryFieldEdited, RecordedAt: time.Now(),
		Event: &teacher.OrdinaryFieldEdited{TeacherID: stranger, Field: teacher.FieldMobile, New: "13800000000"}}
	if err := (KeyFieldAuditProjection{}).Apply(ctx, tx, env); err != nil {
		t.Errorf("an ordinary edit of a teacher the audit has not seen: %v", err)
	}
}

// TestTeacherRosterUsesIndexes checks that each roster filter can be
// answered from an index, as a province of a million teachers needs. The
// test tables are tiny, so sequential scans are disabled to ask the
// planner whether an index path exists at all.
func TestTeacherRosterUsesIndexes(t *testing.T) {
	pool := pgtest.New(t)
	tests := []struct {
		f     RosterFilter
		index string
	}{
		{RosterFilter{Jurisdiction: "1301"}, "teacher_profiles_county_name_c"},
		{RosterFilter{UnitID: uuid.New()}, "teacher_profiles_unit"},
		{RosterFilter{Name: "欧阳修"}, "teacher_profiles_name_c"},
		{RosterFilter{Jurisdiction: "13", Name: "王"}, "teacher_profiles_name_c"},
		{RosterFilter{Jurisdiction: "13", Name: "王", After: rosterCursor{"130102", "王五", uuid.New()}.encode()}, "teacher_profiles_name_c"},
		{RosterFilter{Jurisdiction: "1301", Name: "王"}, "teacher_profiles_county_name_c"},
		{RosterFilter{Jurisdiction: "130102", Name: "王", After: rosterCursor{"130102", "王五", uuid.New()}.encode()}, "teacher_profiles_county_name_c"},
		{RosterFilter{IDNumber: "0017"}, "teacher_profiles_id_number_rev"},
		{RosterFilter{IDNumber: "130102********0017"}, "teacher_profiles_id_number_rev"},
	}
	for _, tc := range tests {
		after, err := decodeRosterCursor(tc.f.After)
		if err != nil {
			t.Fatal(err)
		}
		keys, count, args, err := rosterSQL(tc.f, after, 20, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{{`WITH ` + keys + ` SELECT teacher_id FROM k`, args.keys}, {count, args.count}} {
			plan := explainGeneric(t, pool, q.sql, q.args)
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan") {
				t.Errorf("Roster(%+v) does not use %s:\n%s", tc.f, tc.index, plan)
			}
		}
	}
}

// explainGeneric is the plan of sql as a prepared statement gets it after
// its fifth execution: generic, the arguments unknown to the planner.
func explainGeneric(t *testing.T, pool *pgxpool.Pool, sql string, args []any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	{
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			t.Fatal(err)
		}
		// EXPLAIN of a statement with parameters plans it with their
		// values; a prepared statement run with EXECUTE is planned
		// without them.
		if _, err := tx.Exec(ctx, `PREPARE roster_plan AS `+sql); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = tx.Exec(ctx, `DEALLOCATE roster_plan`) }()
		params := make([]string, len(args))
		for i, a := range args {
			switch v := a.(type) {
			case int:
				params[i] = fmt.Sprint(v)
			default:
				params[i] = "'" + strings.ReplaceAll(fmt.Sprint(v), "'", "''") + "'"
			}
		}
		rows, err := tx.Query(ctx, `EXPLAIN EXECUTE roster_plan(`+strings.Join(params, ", ")+`)`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
}

// aggregate is what the domain's aggregates share through event.Root.
type aggregate interface {
	Changes() []event.Event
	Version() int64
	MarkSaved(uint64)
}

// save appends an aggregate's recorded events as the commands layer does:
// with the exact expected revision and the actor's metadata.
func (f *scenarioFeed) save(stream string, a aggregate, actor access.Actor) {
	f.t.Helper()
	expected := eventstore.NoStream()
	if v := a.Version(); v >= 0 {
		expected = eventstore.Exact(uint64(v))
	}
	f.clock = f.clock.Add(time.Minute)
	meta, err := json.Marshal(event.Metadata{ActorID: actor.UserID, ActorRole: string(actor.Role), ActorName: actor.Name,
		Jurisdiction: actor.Jurisdiction, OccurredAt: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	var data []eventstore.EventData
	for _, ev := range a.Changes() {
		typ, body, err := f.reg.Encode(ev)
		if err != nil {
			f.t.Fatal(err)
		}
		data = append(data, eventstore.EventData{ID: uuid.New(), Type: typ, Data: body, Metadata: meta})
	}
	res, err := f.store.Append(context.Background(), stream, expected, data...)
	if err != nil {
		f.t.Fatalf("append %s: %v", stream, err)
	}
	a.MarkSaved(res.NextRevision)
	f.last = res.Position
}

// TestTeacherProfileMatchesAggregate drives the real aggregates through
// their decision methods, so the read models see exactly what the domain
// records (forced follow-up changes, an approval and its correction in one
// append), and checks the profile against the aggregate's own state.
func TestTeacherProfileMatchesAggregate(t *testing.T) {
	s := newTeacherScenario(t)
	f := s.feed
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Name: "长安区管理员", Jurisdiction: "130102"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	u := unit.New(uuid.New())
	must(u.Register(unit.Registration{Name: "石家庄市长安区第二中学", County: "130102", Area: "3", Category: "311", Stage: "3"}, admin, now))
	f.save(unit.StreamName(u.ID()), u, admin)

	id := uuid.New()
	tch := teacher.New(id)
	oldID := residentID("13010219920304002")
	_, err := tch.Register(teacher.Registration{
		Profile: teacher.Profile{Name: "孙丽", IDType: "1", IDNumber: oldID, WorkStart: "2014-09",
			CertificateType: "3", CertificateNumber: "20141301032000123", Mobile: "13912345678"},
		Unit: teacher.UnitRef{ID: u.ID(), Name: u.Name(), County: u.County()},
	}, admin, now)
	must(err)
	f.save(teacher.StreamName(id), tch, admin)

	me := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, Name: "孙丽", TeacherID: id}
	must(tch.EditOrdinary(me, map[string]string{teacher.FieldEthnicity: "01", teacher.FieldMainSubject: "03"}, "", now))
	f.save(teacher.StreamName(id), tch, me)

	// A new ID number with another birth date: gender stays, the birth
	// date follows as an event of its own.
	newID := residentID("13010219920405002")
	_, err = tch.CorrectKeyField(admin, teacher.FieldIDNumber, newID, "户籍信息更正", "", now)
	must(err)
	f.save(teacher.StreamName(id), tch, admin)

	corr := uuid.New()
	must(tch.RequestCorrection(corr, teacher.FieldName, "孙莉", "身份证上为孙莉", nil, me, now))
	f.save(teacher.StreamName(id), tch, me)
	must(tch.ApproveCorrection(corr, admin, "已核对", now))
	f.save(teacher.StreamName(id), tch, admin)

	runTeacherRunner(t, s.runner)
	s.settle(t)
	ctx := context.Background()

	got, err := s.q.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Profile != tch.Profile() {
		t.Errorf("read model profile:\n got %+v\nwant %+v", got.Profile, tch.Profile())
	}
	if int64(got.Revision) != tch.Version() || got.OpenCorrections != 0 || got.SchoolAreaLabel != "乡村" {
		t.Errorf("revision %d (aggregate %d), open %d, area %q", got.Revision, tch.Version(), got.OpenCorrections, got.SchoolAreaLabel)
	}
	if got.Profile.BirthDate != "1992-04-05" || got.Profile.Name != "孙莉" {
		t.Errorf("followed birth date %q, approved name %q", got.Profile.BirthDate, got.Profile.Name)
	}

	h, err := s.q.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(h)) != tch.Version()+1 {
		t.Errorf("history has %d entries, stream %d", len(h), tch.Version()+1)
	}

	p, err := s.q.KeyFieldAudit(ctx, AuditFilter{TeacherID: id, From: now.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, e := range p.Entries {
		if e.EventType == teacher.TypeKeyFieldCorrected {
			changes = append(changes, e.Field+"="+e.NewValue.Raw())
		}
	}
	if want := []string{"id_number=" + newID, "birth_date=1992-04-05", "name=孙莉"}; !slices.Equal(changes, want) {
		t.Errorf("audited corrections = %v, want %v", changes, want)
	}
	last := p.Entries[len(p.Entries)-1]
	if last.CorrectionID == nil || *last.CorrectionID != corr || last.Reason != "身份证上为孙莉" || last.TeacherName != "孙丽" {
		t.Errorf("approved correction row = %+v", last)
	}
	if q, err := s.q.PendingCorrections(ctx, "130102"); err != nil || len(q) != 0 {
		t.Errorf("queue after approval = %v, %v", q, err)
	}
}
