package commands_test

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

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
)

// countingStore counts the reads a check makes.
type countingStore struct {
	eventstore.Store
	streams, batches atomic.Int64
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.RecordedEvent, error) {
	s.streams.Add(1)
	return s.Store.ReadStream(ctx, stream, opts)
}

func (s *countingStore) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error) {
	s.batches.Add(1)
	return eventstore.ReadStreams(ctx, s.Store, streams)
}

// TestCheckRegistrationsAgreesWithOneByOne: the batch check gives every
// teacher what CheckRegistration gives (passing, deferred, another
// county's teacher, not registered, unknown, as of instants before and
// after changes), on the memory and the PostgreSQL store, reading the
// teachers' streams in one call and each policy stream once.
func TestCheckRegistrationsAgreesWithOneByOne(t *testing.T) {
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
			pass := f.teacher(t)
			deferred := f.teacher(t)
			t0 := f.clock.Now()
			f.clock.Set(t0.Add(time.Hour))
			if _, _, err := f.h.RecordAbsence(ctx, f.admin, deferred, registration.Absence{From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
				Until: time.Date(2021, 9, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
				t.Fatal(err)
			}
			f.clock.Set(t0.Add(2 * time.Hour))
			if _, err := f.h.PublishPolicy(ctx, access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}, registration.Policy{
				Version: "hb-2022", Scope: "13", EffectiveFrom: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), CycleYears: 5,
				MinCycleHours: credit.Whole(400), MinYearHours: credit.Whole(60), MaxUnapprovedAbsenceDays: 183}); err != nil {
				t.Fatal(err)
			}
			// A teacher of another county, and one never registered for
			// re-registration.
			other, unregistered := uuid.New(), uuid.New()
			for id, county := range map[uuid.UUID]string{other: "130202", unregistered: "130102"} {
				s := &regSeed{}
				s.Record(s, &teacher.Registered{TeacherID: id, Profile: teacher.Profile{Name: "教师", County: county, City: county[:4]}})
				if _, err := f.repo.Save(ctx, teacher.StreamName(id), s, commands.Write{Meta: event.Metadata{OccurredAt: f.clock.Now()}}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.h.RecordFirstRegistration(ctx, f.reg, other, time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC), ""); err != nil {
				t.Fatal(err)
			}
			ids := []uuid.UUID{pass, deferred, other, unregistered, uuid.New(), pass}
			for _, actor := range []access.Actor{f.reg, f.admin} {
				for _, at := range []commands.CheckAt{{}, {RecordAt: t0.Add(90 * time.Minute)}, {RecordAt: t0.Add(-time.Hour)},
					{Date: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)}} {
					store.streams.Store(0)
					store.batches.Store(0)
					got, err := f.h.CheckRegistrations(ctx, actor, ids, at)
					if err != nil {
						t.Fatal(err)
					}
					if n, b := store.streams.Load(), store.batches.Load(); b != 1 || n > 6 {
						t.Errorf("batch of %d: %d ReadStreams calls, %d ReadStream calls; want 1 and at most one per policy scope (6: national, 13, 1301, 130102, 1302, 130202)", len(ids), b, n)
					}
					var outcomes []string
					for i, id := range ids {
						want, werr := f.h.CheckRegistration(ctx, actor, id, at)
						g := got[i]
						if g.TeacherID != id || !reflect.DeepEqual(g.Check, want) || (werr == nil) != (g.Err == nil) ||
							(werr != nil && werr.Error() != g.Err.Error()) {
							t.Errorf("%s as of %+v, teacher %d: batch %+v %v, one by one %+v %v", actor.Role, at, i, g.Check, g.Err, want, werr)
						}
						outcomes = append(outcomes, string(want.Outcome)+"/"+errClass(werr))
					}
					t.Logf("%s %+v: %v", actor.Role, at, outcomes)
				}
			}
		})
	}
}

func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, registration.ErrNotRegistered):
		return "not registered"
	case errors.Is(err, access.ErrForbidden):
		return "forbidden"
	default:
		return err.Error()
	}
}

// newRegFixtureOn is newRegFixture on a given store.
func newRegFixtureOn(t *testing.T, store eventstore.Store) *regFixture {
	t.Helper()
	r := event.NewRegistry()
	for _, f := range []func(*event.Registry){teacher.RegisterEvents, claim.RegisterEvents, credit.RegisterEvents,
		appraisal.RegisterEvents, registration.RegisterEvents} {
		f(r)
	}
	t.Cleanup(func() { store.Close() })
	repo := commands.NewRepository(store, r)
	c := &regClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	h := commands.NewHandlers(commands.Deps{Repo: repo, Creds: commands.NewCredentials(pgtest.New(t), 4, c.Now), Now: c.Now})
	return &regFixture{h: h, repo: repo, clock: c, sys: access.System("test"),
		admin: access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"},
		reg:   access.Actor{UserID: uuid.New(), Role: access.RoleRegistrar, Jurisdiction: "13"}}
}
