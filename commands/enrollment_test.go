package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/migrations/pgtest"
)

// seed is a bare aggregate for writing prepared events to a stream.
type seed struct{ event.Root }

func (*seed) Apply(event.Event) {}

type pipelineFixture struct {
	h        *commands.Handlers
	sys      access.Actor
	project  uuid.UUID
	inst     uuid.UUID
	class    uuid.UUID
	teachers []uuid.UUID
	clock    *time.Time // what h.Now returns; tests may move it
}

func newPipeline(t *testing.T, teachers, quota int) *pipelineFixture {
	t.Helper()
	ctx := context.Background()
	reg := event.NewRegistry()
	for _, f := range []func(*event.Registry){teacher.RegisterEvents, project.RegisterEvents, enrollment.RegisterEvents,
		institution.RegisterEvents, claim.RegisterEvents, credit.RegisterEvents} {
		f(reg)
	}
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	repo := commands.NewRepository(store, reg)
	clock := time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	h := commands.NewHandlers(commands.Deps{Repo: repo, Creds: commands.NewCredentials(pgtest.New(t), 4, now), Now: now})
	f := &pipelineFixture{h: h, sys: access.System("test"), clock: &clock}
	for i := 0; i < teachers; i++ {
		id := uuid.New()
		s := &seed{}
		s.Record(s, &teacher.Registered{TeacherID: id, Profile: teacher.Profile{Name: "教师", County: "130102", City: "1301"}})
		if _, err := repo.Save(ctx, teacher.StreamName(id), s, commands.Write{}); err != nil {
			t.Fatal(err)
		}
		f.teachers = append(f.teachers, id)
	}
	res, err := h.RegisterInstitution(ctx, f.sys, institution.Registration{Name: "河北师范大学", Code: "HEBTU", Contact: "王老师"})
	if err != nil {
		t.Fatal(err)
	}
	f.inst = res.ID
	res, err = h.CreateProject(ctx, f.sys, commands.NewProjectInput{Kind: project.KindProvincial, Category: project.CategoryProvincial,
		Owner: "13", Institutions: []uuid.UUID{f.inst}, Details: project.Details{Name: "省培", Year: 2026, Mode: 2,
			Start: time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), Hours: 24, Credits: 2}})
	if err != nil {
		t.Fatal(err)
	}
	f.project = res.ID
	cls, err := h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "add_class", InstitutionID: f.inst, ClassName: "一班"})
	if err != nil {
		t.Fatal(err)
	}
	f.class = cls.ID
	for _, c := range []commands.ProjectChange{{Action: "quota", Region: "130102", Count: quota}, {Action: "open_nomination"}} {
		if _, err := h.ChangeProject(ctx, f.sys, f.project, c); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestConcurrentNominationsKeepTheQuota: many counties' clicks at once
// never take more seats than the quota, and a withdrawal gives one back.
func TestConcurrentNominationsKeepTheQuota(t *testing.T) {
	ctx := context.Background()
	f := newPipeline(t, 6, 3)
	var wg sync.WaitGroup
	errs := make([]error, len(f.teachers))
	for i, id := range f.teachers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.h.Nominate(ctx, f.sys, f.project, id)
		}()
	}
	wg.Wait()
	ok, full := 0, 0
	var nominated []uuid.UUID
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			nominated = append(nominated, f.teachers[i])
		case errors.Is(err, project.ErrQuotaExhausted) && errors.Is(err, domain.ErrInvalidState):
			full++
		default:
			// A conflict that outlived the retries is a refusal too, but
			// must not take a seat.
			if !errors.Is(err, commands.ErrConflict) {
				t.Fatalf("nomination %d: %v", i, err)
			}
		}
	}
	p, err := f.h.LoadProject(ctx, f.project)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 3 || p.Reserved("130102") != 3 {
		t.Fatalf("%d nominated, %d refused as full, %d seats reserved; want 3 and 3", ok, full, p.Reserved("130102"))
	}
	eid := enrollment.ID(f.project, nominated[0])
	if _, err := f.h.Withdraw(ctx, f.sys, eid, "因病"); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.h.LoadProject(ctx, f.project); p.Reserved("130102") != 2 {
		t.Fatalf("after a withdrawal %d seats reserved, want 2", p.Reserved("130102"))
	}
	if _, err := f.h.Nominate(ctx, f.sys, f.project, nominated[0]); err != nil {
		t.Fatalf("re-nomination after withdrawal: %v", err)
	}
	e, _ := f.h.LoadEnrollment(ctx, eid)
	if e.Attempt() != 2 || e.Stage() != enrollment.StageNominated {
		t.Fatalf("re-nominated enrollment: attempt %d stage %s", e.Attempt(), e.Stage())
	}
}

// TestCertificatesGetUniqueNumbers: grades posted at the same moment get
// distinct, valid certificate numbers; posting again changes nothing.
func TestCertificatesGetUniqueNumbers(t *testing.T) {
	ctx := context.Background()
	f := newPipeline(t, 4, 0)
	var eids []uuid.UUID
	for _, id := range f.teachers {
		res, err := f.h.Nominate(ctx, f.sys, f.project, id)
		if err != nil {
			t.Fatal(err)
		}
		eids = append(eids, res.ID)
		steps := []func() (commands.Result, error){
			func() (commands.Result, error) { return f.h.CityApprove(ctx, f.sys, res.ID) },
			func() (commands.Result, error) { return f.h.Approve(ctx, f.sys, res.ID, f.inst, f.class) },
			func() (commands.Result, error) { return f.h.Report(ctx, f.sys, res.ID) },
		}
		for i, step := range steps {
			if _, err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
	if _, err := f.h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "start"}); err != nil {
		t.Fatal(err)
	}
	score := func(x float64) *float64 { return &x }
	var wg sync.WaitGroup
	errs := make([]error, len(eids))
	for i, id := range eids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.h.PostGrade(ctx, f.sys, id, score(80), score(90))
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, id := range eids {
		if errs[i] != nil {
			t.Fatalf("grade %d: %v", i, errs[i])
		}
		e, _ := f.h.LoadEnrollment(ctx, id)
		c, ok := e.Certificate()
		if !ok || !enrollment.ValidCertificateNumber(c.Number) || seen[c.Number] {
			t.Fatalf("certificate %d: %+v (ok %v, seen %v)", i, c, ok, seen[c.Number])
		}
		seen[c.Number] = true
		l, err := f.h.LoadLedger(ctx, e.TeacherID())
		if err != nil || len(l.Live()) != 1 || l.Live()[0].Hours != credit.Whole(24) {
			t.Fatalf("ledger %d: %+v %v", i, l.Live(), err)
		}
	}
	before, _ := f.h.LoadEnrollment(ctx, eids[0])
	_, outcome, err := f.h.PostGrade(ctx, f.sys, eids[0], score(80), score(90))
	after, _ := f.h.LoadEnrollment(ctx, eids[0])
	if err != nil || outcome != commands.GradeUnchanged || after.Version() != before.Version() {
		t.Fatalf("same grade again: %v %s, revision %d -> %d", err, outcome, before.Version(), after.Version())
	}
	if _, _, err := f.h.PostGrade(ctx, f.sys, eids[0], score(10), score(90)); !errors.Is(err, commands.ErrGradeFinal) {
		t.Fatalf("different grade: %v", err)
	}
}
