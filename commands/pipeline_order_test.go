package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/project"
)

func refusalMessage(err error) string {
	var se *domain.StateError
	if errors.As(err, &se) {
		return se.UserMessage()
	}
	return ""
}

// enrollAll nominates every teacher of f and takes the first n through
// the city to the given stages: [0] nominated only, [1] city approved,
// [2] approved, [3] reported.
func enrollAll(t *testing.T, f *pipelineFixture) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var eids []uuid.UUID
	for i, id := range f.teachers {
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
		for _, step := range steps[:min(i, len(steps))] {
			if _, err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return eids
}

// Cancelling a project withdraws every open enrollment with its reason,
// frees the seats, and every later step answers with that reason.
func TestCancelledProjectFreezesItsEnrollments(t *testing.T) {
	ctx := context.Background()
	f := newPipeline(t, 4, 0)
	eids := enrollAll(t, f)
	if _, err := f.h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "cancel", Reason: "培训经费未落实"}); err != nil {
		t.Fatal(err)
	}
	for i, id := range eids {
		e, err := f.h.LoadEnrollment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Stage() != enrollment.StageWithdrawn || e.Reason() != "项目已取消：培训经费未落实" {
			t.Errorf("enrollment %d: stage %s, reason %q", i, e.Stage(), e.Reason())
		}
	}
	p, _ := f.h.LoadProject(ctx, f.project)
	if held := p.SeatHolders(); len(held) != 0 {
		t.Errorf("seats still held: %v", held)
	}
	if _, err := f.h.CityApprove(ctx, f.sys, eids[0]); !strings.Contains(refusalMessage(err), "培训经费未落实") {
		t.Errorf("city approval after cancelling: %v", err)
	}
	if _, err := f.h.Approve(ctx, f.sys, eids[1], f.inst, f.class); !strings.Contains(refusalMessage(err), "培训经费未落实") {
		t.Errorf("approval after cancelling: %v", err)
	}
	score := 80.0
	if _, _, err := f.h.PostGrade(ctx, f.sys, eids[3], &score, &score); !strings.Contains(refusalMessage(err), "培训经费未落实") {
		t.Errorf("grade after cancelling: %v", err)
	}
	if _, err := f.h.Nominate(ctx, f.sys, f.project, f.teachers[0]); !strings.Contains(refusalMessage(err), "培训经费未落实") {
		t.Errorf("nomination after cancelling: %v", err)
	}
	// Cancelling again is refused with the reason (and heals nothing
	// missing here).
	if _, err := f.h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "cancel", Reason: "再次"}); !strings.Contains(refusalMessage(err), "培训经费未落实") {
		t.Errorf("second cancel: %v", err)
	}
}

// A grade needs the project started; a pass posted before the class's last
// day gets its credits at once and its certificate when the project is
// finished on or after that day.
func TestCertificateWaitsForTheClassToEnd(t *testing.T) {
	ctx := context.Background()
	f := newPipeline(t, 4, 0)
	eids := enrollAll(t, f)
	score := 85.0
	if _, _, err := f.h.PostGrade(ctx, f.sys, eids[3], &score, &score); !errors.Is(err, enrollment.ErrTrainingNotStarted) {
		t.Fatalf("grade while nominating: %v", err)
	}
	if _, err := f.h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "start"}); err != nil {
		t.Fatal(err)
	}
	*f.clock = time.Date(2026, 7, 10, 2, 0, 0, 0, time.UTC) // the class runs 6 to 15 July
	if _, _, err := f.h.PostGrade(ctx, f.sys, eids[3], &score, &score); err != nil {
		t.Fatal(err)
	}
	e, _ := f.h.LoadEnrollment(ctx, eids[3])
	if _, ok := e.Certificate(); ok {
		t.Fatal("certificate issued before the class ended")
	}
	if l, _ := f.h.LoadLedger(ctx, e.TeacherID()); len(l.Live()) != 1 {
		t.Fatalf("credits of the pass: %+v", l.Live())
	}
	*f.clock = time.Date(2026, 7, 15, 2, 0, 0, 0, time.UTC)
	if _, err := f.h.ChangeProject(ctx, f.sys, f.project, commands.ProjectChange{Action: "finish"}); err != nil {
		t.Fatal(err)
	}
	e, _ = f.h.LoadEnrollment(ctx, eids[3])
	if c, ok := e.Certificate(); !ok || !c.IssuedAt.Equal(*f.clock) {
		t.Fatalf("certificate after the end: %+v %v", c, ok)
	}
	if p, _ := f.h.LoadProject(ctx, f.project); p.Status() != project.StatusFinished {
		t.Fatal(p.Status())
	}
}
