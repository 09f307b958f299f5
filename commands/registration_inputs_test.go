package commands_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/projections"
)

// TestBatchCheckFromReadModelAgreesWithReplay: a batch check of the
// record as it stands, answered from the registration_inputs read model
// (no stream replayed), gives every teacher of a varied population exactly
// what the replay of one teacher at a time gives (passed, deferred for
// absences or hours, deferred and making up hours before and after the
// deadline, not due, exempt by a category edited in, transferred to another
// county, a certificate revoked, duplicates held, cleared and confirmed,
// revoked and credit-only entries, an appraisal corrected, not registered,
// unknown), for a registrar and a county admin on several check dates; a
// check as of an instant still replays; a rebuild leaves the tables
// identical. On the memory and the PostgreSQL store.
func TestBatchCheckFromReadModelAgreesWithReplay(t *testing.T) {
	for _, backend := range []string{"memory", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var inner eventstore.Store
			if backend == "memory" {
				inner = memory.New()
			} else {
				inner = postgres.New(pgtest.New(t))
			}
			store := &countingStore{Store: inner}
			f := newRegFixtureOn(t, store)
			ctx := context.Background()
			ids := regInputsPopulation(t, f)

			pool := pgtest.New(t)
			reg := event.NewRegistry()
			for _, r := range []func(*event.Registry){teacher.RegisterEvents, claim.RegisterEvents, credit.RegisterEvents,
				appraisal.RegisterEvents, registration.RegisterEvents} {
				r(reg)
			}
			runner := projections.NewRunner(inner, reg, pool, slog.New(slog.NewTextHandler(io.Discard, nil)), projections.RegistrationInputsProjection{})
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- runner.Run(rctx) }()
			recs, err := inner.ReadAll(ctx, eventstore.Start, 100000)
			if err != nil || len(recs) == 0 {
				t.Fatal(len(recs), err)
			}
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := runner.WaitFor(wctx, recs[len(recs)-1].Position); err != nil {
				t.Fatal(err)
			}

			fromModel, sortedModel := *f.h, *f.h
			fromModel.Subjects = projections.NewRegistrationInputs(pool)
			sortedModel.Subjects = projections.NewRegistrationInputs(pool).Sorted() // the fallback path
			compare := func(t *testing.T) {
				t.Helper()
				for _, model := range []*commands.Handlers{&fromModel, &sortedModel} {
					for _, actor := range []access.Actor{f.reg, f.admin} {
						for _, at := range []commands.CheckAt{{}, {Date: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)}, {Date: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)},
							{Date: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}, {Date: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
							{RecordAt: f.clock.Now().Add(-30 * time.Minute)}} {
							store.batches.Store(0)
							got, err := model.CheckRegistrations(ctx, actor, ids, at)
							if err != nil {
								t.Fatal(err)
							}
							if b := store.batches.Load(); at.RecordAt.IsZero() && b != 0 || !at.RecordAt.IsZero() && b != 1 {
								t.Errorf("as of %+v: %d stream batches read; want none from the read model, one for a check as of an instant", at, b)
							}
							outcomes := map[string]int{}
							for i, id := range ids {
								want, werr := f.h.CheckRegistration(ctx, actor, id, at)
								g := got[i]
								wj, _ := json.Marshal(want)
								gj, _ := json.Marshal(g.Check)
								if g.TeacherID != id || !reflect.DeepEqual(g.Check, want) || string(wj) != string(gj) || (werr == nil) != (g.Err == nil) ||
									(werr != nil && werr.Error() != g.Err.Error()) {
									t.Errorf("%s as of %+v, teacher %d:\nread model %s %v\nreplay     %s %v", actor.Role, at, i, gj, g.Err, wj, werr)
								}
								outcomes[string(want.Outcome)+"/"+errClass(werr)]++
							}
							t.Logf("%s %+v: %v", actor.Role, at, outcomes)
						}
					}
				}
			}
			compare(t)

			before := dumpRegInputs(t, pool)
			if len(before["regcheck_entries"]) == 0 || len(before["regcheck_years"]) == 0 || len(before["regcheck_absences"]) == 0 {
				t.Fatalf("read model nearly empty: %v", before)
			}
			stop()
			<-done
			if err := runner.Rebuild(ctx, "registration_inputs"); err != nil {
				t.Fatal(err)
			}
			after := dumpRegInputs(t, pool)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("rebuild changed the read model:\nbefore %v\nafter  %v", before, after)
			}
			compare(t)
		})
	}
}

func dumpRegInputs(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range (projections.RegistrationInputsProjection{}).Tables() {
		rows, err := pool.Query(context.Background(), `SELECT t::text FROM `+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// regInputsPopulation writes the teachers of the test through the command
// handlers (and a few teacher events directly) and returns their ids, with
// a teacher of no record and a repeated id.
func regInputsPopulation(t *testing.T, f *regFixture) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	grant := func(id uuid.UUID, system, ext string, on time.Time, hours credit.Quantity, credits credit.Quantity, title string, cat credit.Category, level credit.Level) {
		t.Helper()
		must(f.h.GrantCredits(ctx, f.sys, id, credit.Grant{Year: on.Year(), CompletedOn: on, Level: level, Category: cat,
			Hours: hours, Credits: credits, Title: title, Source: credit.Source{Kind: credit.SourceImport, System: system, ExternalID: ext}}))
	}
	key := func(system, ext string) string {
		return credit.Source{Kind: credit.SourceImport, System: system, ExternalID: ext}.Key()
	}
	province := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	must(f.h.PublishPolicy(ctx, province, registration.Policy{
		Version: "hb-2022", Scope: "13", EffectiveFrom: day(2022, 1, 1), CycleYears: 5,
		MinCycleHours: credit.Whole(360), MinCountyOrAboveHours: credit.Whole(100),
		SchoolBasedCapHours: credit.Whole(60), HoursPerCredit: credit.Whole(10), MaxUnapprovedAbsenceDays: 183,
		Exemptions: []registration.Exemption{{Code: "special_post:1", Label: "特岗教师"}}}))

	pass := f.teacher(t)
	absent := f.teacher(t)
	_, _, err := f.h.RecordAbsence(ctx, f.admin, absent, registration.Absence{From: day(2021, 1, 1), Until: day(2021, 9, 1)})
	must(nil, err)
	_, gone, err := f.h.RecordAbsence(ctx, f.admin, absent, registration.Absence{From: day(2022, 1, 1), Note: "误录"})
	must(nil, err)
	must(f.h.WithdrawAbsence(ctx, f.admin, absent, gone, "录入错误"))
	_, _, err = f.h.RecordAbsence(ctx, f.admin, absent, registration.Absence{From: day(2023, 3, 1), Until: day(2023, 4, 1), Approved: true})
	must(nil, err)

	// What follows happens an hour later (the check as of an instant
	// between replays).
	f.clock.Set(f.clock.Now().Add(time.Hour))

	// Deferred for hours, then making up hours before and after the
	// deadline.
	makeUp := f.teacher(t)
	must(f.h.RevokeCredits(ctx, f.sys, makeUp, key("old", makeUp.String()+"1"), "成绩更正", uuid.Nil))
	must3(t)(f.h.DecideRegistration(ctx, f.reg, makeUp, "", ""))
	grant(makeUp, "old", "makeup-1", day(2025, 3, 1), credit.Whole(40), credit.Quantity{}, "补修一", credit.CategoryTraining, credit.LevelCity)
	grant(makeUp, "old", "makeup-2", day(2025, 10, 1), credit.Whole(40), credit.Quantity{}, "补修二", credit.CategoryTraining, credit.LevelCity)

	// A category no policy exempts; registered in 2023 and exempt by a
	// category edited in.
	categorised := f.teacherWith(t, teacher.Profile{PostCategory: "3", MainStage: "2"})
	recent := uuid.New()
	seedTeacher(t, f, recent, "130102", &teacher.OrdinaryFieldEdited{TeacherID: recent, Field: teacher.FieldSpecialPost, New: "1"})
	must(f.h.RecordFirstRegistration(ctx, f.reg, recent, day(2023, 1, 1), ""))
	grant(recent, "old", "r-1", day(2023, 5, 1), credit.Quantity{}, credit.Tenths(25), "学分折算", credit.CategoryTraining, credit.LevelProvincial)
	grant(recent, "old", "r-2", day(2024, 5, 1), credit.Whole(80), credit.Quantity{}, "校本研修", credit.CategorySchoolBased, credit.LevelSchool)

	// Moved to another county; its grade corrected.
	moved := uuid.New()
	seedTeacher(t, f, moved, "130102", &teacher.TransferAccepted{TeacherID: moved, TransferID: uuid.New(), FromCounty: "130102", ToCity: "1302", ToCounty: "130202", ToUnitID: uuid.NewString(), ToUnitName: "唐山一中"})
	must(f.h.RecordFirstRegistration(ctx, f.reg, moved, day(2020, 3, 1), ""))
	grant(moved, "old", "m-1", day(2021, 5, 1), credit.Whole(120), credit.Quantity{}, "培训", credit.CategoryTraining, credit.LevelCounty)
	_, _, err = commands.Update(ctx, f.repo, appraisal.StreamName(moved), func() *appraisal.Record { return appraisal.NewRecord(moved) }, true,
		commands.Write{Meta: event.Metadata{OccurredAt: f.clock.Now()}}, func(r *appraisal.Record) error {
			for y := 2020; y <= 2024; y++ {
				if _, err := r.RecordAnnual(f.sys, "130202", y, appraisal.GradeCompetent, appraisal.Source{}, f.clock.Now()); err != nil {
					return err
				}
				if _, err := r.RecordEthics(f.sys, "130202", appraisal.Ethics{Year: y, Passed: y != 2022}, appraisal.Source{}, f.clock.Now()); err != nil {
					return err
				}
			}
			return nil
		})
	must(nil, err)
	must(f.h.CorrectAnnual(ctx, access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130202"}, moved, 2021, appraisal.GradeIncompetent, "复核"))

	// Duplicates across sources: one held, one cleared, one confirmed.
	dups := f.teacher(t)
	for _, sys := range []string{"a", "b", "c", "d"} {
		grant(dups, sys, "dup", day(2022, 11, 20), credit.Whole(30), credit.Quantity{}, "大单元教学专题培训", credit.CategoryTraining, credit.LevelCounty)
	}
	l, err := f.h.LoadLedger(ctx, dups)
	if err != nil {
		t.Fatal(err)
	}
	var held []uuid.UUID
	for _, e := range l.Entries() {
		if e.Held {
			held = append(held, e.ID)
		}
	}
	if len(held) < 2 {
		t.Fatalf("want held duplicates, got %d", len(held))
	}
	must(f.h.DecideDuplicate(ctx, f.admin, dups, held[0], false, "不同培训"))
	must(f.h.DecideDuplicate(ctx, f.admin, dups, held[1], true, "同一培训"))

	// A revoked certificate; a re-grant after a revocation.
	revoked := f.teacher(t)
	must(f.h.RevokeCertificate(ctx, f.reg, revoked, day(2025, 1, 2), "依法撤销"))
	must(f.h.RevokeCredits(ctx, f.sys, revoked, key("old", revoked.String()+"2"), "更正", uuid.Nil))
	grant(revoked, "old", revoked.String()+"2", day(2022, 6, 30), credit.Whole(45), credit.Quantity{}, "培训", credit.CategoryTraining, credit.LevelProvincial)

	unregistered := uuid.New()
	seedTeacher(t, f, unregistered, "130102")
	ids := []uuid.UUID{pass, absent, makeUp, categorised, recent, moved, dups, revoked, unregistered, uuid.New(), pass}
	if slices.Contains(ids[:len(ids)-1], uuid.Nil) {
		t.Fatal("nil id")
	}
	return ids
}

func must3(t *testing.T) func(commands.Result, commands.RegistrationCheck, error) {
	return func(_ commands.Result, _ commands.RegistrationCheck, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// seedTeacher writes a teacher stream of county with the registration and
// more events.
func seedTeacher(t *testing.T, f *regFixture, id uuid.UUID, county string, more ...event.Event) {
	t.Helper()
	s := &regSeed{}
	s.Record(s, &teacher.Registered{TeacherID: id, Profile: teacher.Profile{Name: "教师" + id.String()[:4], IDNumber: "x" + id.String()[:8], County: county, City: county[:4]}})
	for _, e := range more {
		s.Record(s, e)
	}
	if _, err := f.repo.Save(context.Background(), teacher.StreamName(id), s, commands.Write{Meta: event.Metadata{OccurredAt: f.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
}
