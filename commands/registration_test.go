package commands_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/migrations/pgtest"
)

// regSeed writes prepared events to a stream.
type regSeed struct{ event.Root }

func (*regSeed) Apply(event.Event) {}

// clock is a settable clock shared by the handlers and the test.
type regClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *regClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *regClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type regFixture struct {
	h     *commands.Handlers
	repo  *commands.Repository
	clock *regClock
	sys   access.Actor
	admin access.Actor
	reg   access.Actor
}

func newRegFixture(t *testing.T) *regFixture {
	t.Helper()
	r := event.NewRegistry()
	for _, f := range []func(*event.Registry){teacher.RegisterEvents, claim.RegisterEvents, credit.RegisterEvents,
		appraisal.RegisterEvents, registration.RegisterEvents} {
		f(r)
	}
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	repo := commands.NewRepository(store, r)
	c := &regClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	h := commands.NewHandlers(commands.Deps{Repo: repo, Creds: commands.NewCredentials(pgtest.New(t), 4, c.Now), Now: c.Now})
	return &regFixture{h: h, repo: repo, clock: c, sys: access.System("test"),
		admin: access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"},
		reg:   access.Actor{UserID: uuid.New(), Role: access.RoleRegistrar, Jurisdiction: "13"}}
}

// teacher seeds a registered teacher of 130102, registered in 2019, with
// a full record for the cycle 2019-09-01..2024-08-31: 360 hours, every
// year 合格 and 达标, fitness confirmed.
func (f *regFixture) teacher(t *testing.T) uuid.UUID {
	t.Helper()
	return f.teacherWith(t, teacher.Profile{})
}

func (f *regFixture) teacherWith(t *testing.T, p teacher.Profile) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	s := &regSeed{}
	p.Name, p.County, p.City = "教师", "130102", "1301"
	s.Record(s, &teacher.Registered{TeacherID: id, Profile: p})
	if _, err := f.repo.Save(ctx, teacher.StreamName(id), s, commands.Write{Meta: event.Metadata{OccurredAt: f.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.RecordFirstRegistration(ctx, f.reg, id, time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC), ""); err != nil {
		t.Fatal(err)
	}
	for y := 2020; y <= 2023; y++ {
		if _, err := f.h.GrantCredits(ctx, f.sys, id, credit.Grant{Year: y, CompletedOn: time.Date(y, 6, 30, 0, 0, 0, 0, time.UTC),
			Level: credit.LevelProvincial, Category: credit.CategoryTraining, Hours: credit.Whole(90), Title: "培训",
			Source: credit.Source{Kind: credit.SourceImport, System: "old", ExternalID: id.String() + string(rune('0'+y-2020))}}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := commands.Update(ctx, f.repo, appraisal.StreamName(id), func() *appraisal.Record { return appraisal.NewRecord(id) }, true,
		commands.Write{Meta: event.Metadata{OccurredAt: f.clock.Now()}}, func(r *appraisal.Record) error {
			for y := 2019; y <= 2023; y++ {
				if _, err := r.RecordAnnual(f.sys, "130102", y, appraisal.GradeCompetent, appraisal.Source{}, f.clock.Now()); err != nil {
					return err
				}
				if _, err := r.RecordEthics(f.sys, "130102", appraisal.Ethics{Year: y, Passed: true}, appraisal.Source{}, f.clock.Now()); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.ConfirmFitness(ctx, f.reg, id, time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC), ""); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *regFixture) outcome(t *testing.T, id uuid.UUID, at commands.CheckAt) (registration.Outcome, []string) {
	t.Helper()
	c, err := f.h.CheckRegistration(context.Background(), f.reg, id, at)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range c.Reasons {
		codes = append(codes, r.Code)
	}
	return c.Outcome, codes
}

// TestCheckAsOfReplaysOnlyWhatHadHappened: every input stream (ledger,
// appraisals, facts, policies) is read as it stood at the instant asked.
func TestCheckAsOfReplaysOnlyWhatHadHappened(t *testing.T) {
	f := newRegFixture(t)
	ctx := context.Background()
	id := f.teacher(t)
	t0 := f.clock.Now()
	if got, codes := f.outcome(t, id, commands.CheckAt{}); got != registration.OutcomePass {
		t.Fatalf("full record: %s %v", got, codes)
	}

	f.clock.Set(t0.Add(time.Hour)) // an unapproved absence is recorded
	if _, _, err := f.h.RecordAbsence(ctx, f.admin, id, registration.Absence{From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2021, 9, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(2 * time.Hour)) // an entry is revoked
	key := credit.Source{Kind: credit.SourceImport, System: "old", ExternalID: id.String() + "0"}.Key()
	if _, err := f.h.RevokeCredits(ctx, f.admin, id, key, "重复导入", uuid.Nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(3 * time.Hour)) // a stricter policy is published
	if _, err := f.h.PublishPolicy(ctx, access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}, registration.Policy{
		Version: "hb-2022", Scope: "13", EffectiveFrom: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), CycleYears: 5,
		MinCycleHours: credit.Whole(240), MinYearHours: credit.Whole(60), MaxUnapprovedAbsenceDays: 183}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at    time.Time
		want  registration.Outcome
		codes []string
	}{
		{t0, registration.OutcomePass, nil},
		{t0.Add(90 * time.Minute), registration.OutcomeDeferred, []string{"absence_unapproved"}},
		// 90 hours revoked: 270 of the national 360.
		{t0.Add(150 * time.Minute), registration.OutcomeDeferred, []string{"absence_unapproved", "hours_short"}},
		// The province's policy (240 a cycle, 60 a cycle year) is in force on
		// the cycle's last day; the revoked entry was the first year's only
		// one, and the fifth year (from 2023-09-01) has none.
		{t0.Add(4 * time.Hour), registration.OutcomeDeferred, []string{"absence_unapproved", "year_hours_short", "year_hours_short"}},
	}
	for _, tt := range tests {
		got, codes := f.outcome(t, id, commands.CheckAt{RecordAt: tt.at})
		if got != tt.want || !slices.Equal(codes, tt.codes) {
			t.Errorf("as of %s: %s %v, want %s %v", tt.at.Format(time.TimeOnly), got, codes, tt.want, tt.codes)
		}
	}
	// Before the publication the national rule applied.
	c, err := f.h.CheckRegistration(ctx, f.reg, id, commands.CheckAt{RecordAt: t0.Add(150 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if c.PolicyVersion != registration.NationalVersion || c.Progress.Hours != credit.Whole(270) {
		t.Errorf("as of t0+150m: policy %s, %d hours", c.PolicyVersion, c.Progress.Hours)
	}
	// Before the teacher existed there is nothing to check.
	_, err = f.h.CheckRegistration(ctx, f.reg, id, commands.CheckAt{RecordAt: t0.Add(-time.Hour)})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("before registration: %v", err)
	}
}

func TestRegistrationFactsAuthorityAndValidation(t *testing.T) {
	f := newRegFixture(t)
	ctx := context.Background()
	id := f.teacher(t)
	other := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct {
		name    string
		actor   access.Actor
		absence registration.Absence
		want    error
	}{
		{"county admin", f.admin, registration.Absence{From: day("2022-01-01"), Until: day("2022-02-01")}, nil},
		{"still absent", f.admin, registration.Absence{From: day("2025-09-01")}, nil},
		{"other county", other, registration.Absence{From: day("2022-01-01")}, access.ErrForbidden},
		{"registrar", f.reg, registration.Absence{From: day("2022-01-01")}, access.ErrForbidden},
		{"back before it began", f.admin, registration.Absence{From: day("2022-01-01"), Until: day("2021-12-01")}, domain.ErrValidation},
		{"in the future", f.admin, registration.Absence{From: day("2027-01-01")}, domain.ErrValidation},
		{"no start", f.admin, registration.Absence{}, domain.ErrValidation},
	}
	for _, tt := range tests {
		_, _, err := f.h.RecordAbsence(ctx, tt.actor, id, tt.absence)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	_, aid, err := f.h.RecordAbsence(ctx, f.admin, id, registration.Absence{From: day("2020-01-01"), Until: day("2020-12-01")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.outcome(t, id, commands.CheckAt{}); got != registration.OutcomeDeferred {
		t.Fatalf("with 335 unapproved days: %s", got)
	}
	if _, err := f.h.WithdrawAbsence(ctx, f.admin, id, aid, ""); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("withdraw without a reason: %v", err)
	}
	if _, err := f.h.WithdrawAbsence(ctx, f.admin, id, aid, "误录"); err != nil {
		t.Fatal(err)
	}
	if got, codes := f.outcome(t, id, commands.CheckAt{}); got != registration.OutcomePass {
		t.Fatalf("after withdrawing: %s %v", got, codes)
	}
	if _, err := f.h.RevokeCertificate(ctx, f.admin, id, day("2025-01-01"), "x"); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("county admin revokes a certificate: %v", err)
	}
	if _, err := f.h.RevokeCertificate(ctx, f.reg, id, day("2025-01-01"), "依法撤销"); err != nil {
		t.Fatal(err)
	}
	if got, codes := f.outcome(t, id, commands.CheckAt{}); got != registration.OutcomeFail || !slices.Contains(codes, registration.CodeCertificateRevoked) {
		t.Fatalf("revoked: %s %v", got, codes)
	}
}

// TestDecisionNeedsRegistrarAndFollowsTheCheck: a decision stores the
// check's outcome, reasons and policy; the next cycle starts on it.
func TestDecisionNeedsRegistrarAndFollowsTheCheck(t *testing.T) {
	f := newRegFixture(t)
	ctx := context.Background()
	id := f.teacher(t)
	if _, _, err := f.h.DecideRegistration(ctx, f.admin, id, "", ""); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("county admin decides: %v", err)
	}
	_, chk, err := f.h.DecideRegistration(ctx, f.reg, id, "", "")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := f.h.LoadRegistration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ds := reg.Decisions()
	if len(ds) != 2 || ds[1].Outcome != registration.OutcomePass || ds[1].PolicyVersion != chk.PolicyVersion || ds[1].EvidenceDigest != chk.Digest() {
		t.Fatalf("decisions: %+v", ds)
	}
	if got, _ := f.outcome(t, id, commands.CheckAt{}); got != registration.OutcomeNotDue {
		t.Fatalf("after the pass: %s", got)
	}
}

// TestExemptionMatchesTeacherCategories: a policy exempts teachers by
// profile categories ("field:code").
func TestExemptionMatchesTeacherCategories(t *testing.T) {
	f := newRegFixture(t)
	ctx := context.Background()
	exempt := f.teacherWith(t, teacher.Profile{PostCategory: "3"})
	other := f.teacherWith(t, teacher.Profile{PostCategory: "1"})
	if _, err := f.h.PublishPolicy(ctx, access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}, registration.Policy{
		Version: "hb-exempt", Scope: "13", EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), CycleYears: 5,
		MinCycleHours: credit.Whole(360), MaxUnapprovedAbsenceDays: 183,
		Exemptions: []registration.Exemption{{Code: "post_category:3", Label: "工勤技能岗位"}}}); err != nil {
		t.Fatal(err)
	}
	if got, codes := f.outcome(t, exempt, commands.CheckAt{}); got != registration.OutcomeExempt || !slices.Equal(codes, []string{registration.CodeExempt}) {
		t.Errorf("工勤技能岗位: %s %v", got, codes)
	}
	if got, codes := f.outcome(t, other, commands.CheckAt{}); got != registration.OutcomePass {
		t.Errorf("专业技术岗位: %s %v", got, codes)
	}
	if got := commands.TeacherCategories(teacher.Profile{PostCategory: "3", SpecialPost: "1"}); !slices.Equal(got, []string{"post_category:3", "special_post:1"}) {
		t.Errorf("categories %v", got)
	}
}

// TestChinaDayAroundMidnight: users are in China (UTC+8). A check "as of"
// day D reads the record as it stood at the end of D in China, so what was
// recorded at 23:30 China time on D counts and what was recorded at 00:30 on
// D+1 (still D in UTC) does not; "today" for a fact and the date of a
// decision are China dates too.
func TestChinaDayAroundMidnight(t *testing.T) {
	f := newRegFixture(t)
	ctx := context.Background()
	id := f.teacher(t) // seeded on 2026-03-01 17:00 China time
	china := ident.ChinaTime
	dayD := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	f.clock.Set(time.Date(2026, 3, 1, 23, 30, 0, 0, china))
	if _, _, err := f.h.RecordAbsence(ctx, f.admin, id, registration.Absence{From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2021, 9, 1, 0, 0, 0, 0, time.UTC), Note: "23:30"}); err != nil {
		t.Fatal(err)
	}
	// 00:30 on D+1 in China is 16:30 on D in UTC. An absence starting on
	// D+1 starts today, not tomorrow.
	f.clock.Set(time.Date(2026, 3, 2, 0, 30, 0, 0, china))
	if _, _, err := f.h.RecordAbsence(ctx, f.admin, id, registration.Absence{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("an absence from today (China) at 00:30: %v", err)
	}
	if _, err := f.h.RevokeCertificate(ctx, f.reg, id, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), "依法撤销"); err != nil {
		t.Fatal(err)
	}

	got, codes := f.outcome(t, id, commands.CheckOnDate(dayD))
	if got != registration.OutcomeDeferred || !slices.Equal(codes, []string{registration.CodeAbsenceUnapproved}) {
		t.Errorf("as of D: %s %v; want deferred on the 23:30 absence only", got, codes)
	}
	got, codes = f.outcome(t, id, commands.CheckOnDate(dayD.AddDate(0, 0, 1)))
	if got != registration.OutcomeFail || !slices.Contains(codes, registration.CodeCertificateRevoked) {
		t.Errorf("as of D+1: %s %v; want the 00:30 revocation", got, codes)
	}
	// Today's check (no date) is on D+1 in China.
	c, err := f.h.CheckRegistration(ctx, f.reg, id, commands.CheckAt{})
	if err != nil {
		t.Fatal(err)
	}
	if want := dayD.AddDate(0, 0, 1); !c.AsOf.Equal(want) {
		t.Errorf("today's check is dated %s, want %s", c.AsOf.Format(time.DateOnly), want.Format(time.DateOnly))
	}

	// A decision at 00:30 China time is dated that China day.
	other := f.teacher(t)
	if _, _, err := f.h.DecideRegistration(ctx, f.reg, other, "", ""); err != nil {
		t.Fatal(err)
	}
	reg, err := f.h.LoadRegistration(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.History().LastDecidedOn, dayD.AddDate(0, 0, 1); !got.Equal(want) {
		t.Errorf("decided on %s, want %s", got.Format(time.DateOnly), want.Format(time.DateOnly))
	}
}

func TestCheckOnDateEndsAtChinaMidnight(t *testing.T) {
	at := commands.CheckOnDate(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); !at.Date.Equal(want) || at.Date.Location() != time.UTC {
		t.Errorf("Date = %v, want %v", at.Date, want)
	}
	if want := time.Date(2026, 3, 1, 15, 59, 59, 999999999, time.UTC); !at.RecordAt.Equal(want) {
		t.Errorf("RecordAt = %v, want %v (the end of the day in China)", at.RecordAt, want)
	}
	// 01:30 on 2 March in China is still 1 March in UTC.
	inst := commands.CheckAtInstant(time.Date(2026, 3, 1, 17, 30, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); !inst.Date.Equal(want) {
		t.Errorf("instant's date = %v, want %v", inst.Date, want)
	}
}
