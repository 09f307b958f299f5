package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
)

// What a seeded teacher's history holds besides the registration, edits,
// credits and appraisals, decided by one hash of (seed, i) so that a
// project's worker knows its trainees without asking the teachers' workers:
//
//   - half the teachers take one county training project in one year
//     (nominated, approved into a class, reported, graded; passing grants
//     the project's hours);
//   - 1 in 50 of the others moves to another county in the last year
//     (started by the old county, accepted by the new one);
//   - 1 in 25 has a key-field correction (参加工作年月) with its reason,
//     half by the county admin directly, half asked by the teacher and
//     approved;
//   - every teacher has a first registration (loaded from the national
//     system, 2018-2021), and 1 in 20 a periodic registration decision made
//     through the command handler on the check it runs.
type seedFate struct {
	enrolls        bool
	enrollYear     int
	transfers      bool
	corrects       bool
	correctByOwn   bool
	decides        bool
	firstRegOffset int // days after FirstYear-01-01, within four years
}

func (g *seeder) fate(i int) seedFate {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.opt.Seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(i))
	u := uuid.NewSHA1(seedFateSpace, b[:])
	h := binary.LittleEndian.Uint64(u[8:]) // the variant bits sit in byte 8
	years := g.opt.LastYear - g.opt.FirstYear + 1
	f := seedFate{
		enrolls:        h%2 == 0,
		enrollYear:     g.opt.FirstYear + int((h>>8)%uint64(years)),
		corrects:       (h>>16)%25 == 3,
		correctByOwn:   (h>>24)%2 == 0,
		decides:        (h>>28)%20 == 7,
		firstRegOffset: int((h >> 34) % (4 * 365)),
	}
	f.transfers = !f.enrolls && (h>>44)%50 == 1
	return f
}

var seedFateSpace = uuid.MustParse("3f0f7d5e-54a8-4c0e-9d3c-5f8d9b7e2a61")

// teacherExtras writes teacher i's first registration, correction and
// transfer (after the credits and appraisals).
func (g *seeder) teacherExtras(ctx context.Context, i int, t *teacher.Teacher, self access.Actor, admin access.Actor, key func(string) string) error {
	f := g.fate(i)
	id := t.ID()
	rng := rand.New(rand.NewPCG(g.opt.Seed^0x5eed, uint64(i)))

	first := time.Date(g.opt.FirstYear, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, f.firstRegOffset)
	r := registration.NewRegistration(id)
	sys := access.System("national-registration-import")
	if err := r.RecordFirst(sys, t.County(), uuid.NewSHA1(seedNamespace, []byte(key("first-registration"))), first,
		registration.NationalDefault(), "自全国教师管理信息系统导入", first.Add(10*time.Hour)); err != nil {
		return fmt.Errorf("first registration: %w", err)
	}
	if err := g.save(ctx, registration.StreamName(id), r, sys, first.Add(10*time.Hour), key("first-registration")); err != nil {
		return fmt.Errorf("first registration: %w", err)
	}

	if f.corrects {
		at := time.Date(g.opt.LastYear-1, time.Month(3+rng.IntN(8)), 1+rng.IntN(28), 10, 0, 0, 0, time.UTC)
		ws, _ := time.Parse("2006-01", t.Profile().WorkStart)
		value := ws.AddDate(0, -1-rng.IntN(6), 0).Format("2006-01")
		if f.correctByOwn {
			cid := uuid.NewSHA1(seedNamespace, []byte(key("correction")))
			if err := t.RequestCorrection(cid, "work_start", value, "人事档案记载的参加工作时间与系统不一致", nil, self, at); err != nil {
				return fmt.Errorf("correction request: %w", err)
			}
			if err := g.save(ctx, teacher.StreamName(id), t, self, at, key("correction-request")); err != nil {
				return fmt.Errorf("correction request: %w", err)
			}
			at = at.AddDate(0, 0, 3)
			if err := t.ApproveCorrection(cid, admin, "已核对人事档案", at); err != nil {
				return fmt.Errorf("correction approval: %w", err)
			}
			if err := g.save(ctx, teacher.StreamName(id), t, admin, at, key("correction-approval")); err != nil {
				return fmt.Errorf("correction approval: %w", err)
			}
		} else {
			if _, err := t.CorrectKeyFields(admin, map[string]string{"work_start": value}, "按人事档案更正参加工作年月", "", at); err != nil {
				return fmt.Errorf("key-field correction: %w", err)
			}
			if err := g.save(ctx, teacher.StreamName(id), t, admin, at, key("correction")); err != nil {
				return fmt.Errorf("key-field correction: %w", err)
			}
		}
	}

	if f.transfers {
		to := g.cs[(i+1+rng.IntN(len(g.cs)-1))%len(g.cs)]
		if to.code == t.County() {
			return nil
		}
		unit := to.units[rng.IntN(len(to.units))]
		at := time.Date(g.opt.LastYear, 9, 1+rng.IntN(20), 9, 0, 0, 0, time.UTC)
		tid := uuid.NewSHA1(seedNamespace, []byte(key("transfer")))
		if err := t.StartTransfer(tid, to.code, nil, "工作调动", admin, at); err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		if err := g.save(ctx, teacher.StreamName(id), t, admin, at, key("transfer-start")); err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		at = at.AddDate(0, 0, 5)
		if err := t.AcceptTransfer(tid, unit, to.admin, at); err != nil {
			return fmt.Errorf("transfer acceptance: %w", err)
		}
		if err := g.save(ctx, teacher.StreamName(id), t, to.admin, at, key("transfer-accept")); err != nil {
			return fmt.Errorf("transfer acceptance: %w", err)
		}
	}
	return nil
}

// project writes county c's training project of year y and the
// enrollments of its trainees (the county's teachers whose fate says so).
func (g *seeder) project(ctx context.Context, ci, year int) error {
	c := g.cs[ci]
	var trainees []int
	for i := ci; i < g.opt.Teachers; i += len(g.cs) {
		if f := g.fate(i); f.enrolls && f.enrollYear == year {
			trainees = append(trainees, i)
		}
	}
	if len(trainees) == 0 {
		return nil
	}
	key := func(step string) string {
		return fmt.Sprintf("seed/%d/project/%s/%d/%s", g.opt.Seed, c.code, year, step)
	}
	rng := rand.New(rand.NewPCG(g.opt.Seed^0x9e37, uint64(ci*10000+year)))
	start := time.Date(year, time.Month(4+rng.IntN(6)), 1+rng.IntN(20), 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 4)
	created := start.AddDate(0, -2, 0)
	pid := uuid.NewSHA1(seedNamespace, []byte(key("id")))
	p, err := project.Create(c.admin, project.NewProject{ID: pid, Kind: project.KindCounty, Category: project.CategoryCounty, Owner: c.code,
		Details: project.Details{Name: fmt.Sprintf("%d年度教师课堂教学能力提升培训", year), Year: year, Mode: project.Mode(1),
			Start: start, End: end, Hours: 40, Credits: 4},
		Institutions: []project.Institution{g.inst}, Policy: project.DefaultPolicy()}, created)
	if err != nil {
		return fmt.Errorf("project %s %d: %w", c.code, year, err)
	}
	class := project.Class{ID: uuid.NewSHA1(seedNamespace, []byte(key("class"))), InstitutionID: g.inst.ID, Name: "一班"}
	if err := p.AddClass(c.admin, class, created); err != nil {
		return fmt.Errorf("class: %w", err)
	}
	if err := p.SetQuota(c.admin, c.code, len(trainees), created); err != nil {
		return fmt.Errorf("quota: %w", err)
	}
	nominate := created.AddDate(0, 0, 7)
	if err := p.OpenNomination(c.admin, nominate); err != nil {
		return fmt.Errorf("open nomination: %w", err)
	}
	ens := make([]*enrollment.Enrollment, len(trainees))
	for k, i := range trainees {
		tid := g.teacherID(i)
		eid := enrollment.ID(pid, tid)
		if err := p.ReserveSeat(c.code, eid, nominate); err != nil {
			return fmt.Errorf("seat: %w", err)
		}
		e := enrollment.Load(nil)
		if err := e.Nominate(c.admin, p, tid, c.code, nominate); err != nil {
			return fmt.Errorf("nominate: %w", err)
		}
		if err := e.Approve(c.admin, p, g.inst.ID, class.ID, nominate.AddDate(0, 0, 10)); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		ens[k] = e
	}
	if err := p.Start(c.admin, start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if err := g.save(ctx, project.StreamName(pid), p, c.admin, start, key("project")); err != nil {
		return fmt.Errorf("project: %w", err)
	}
	for k, i := range trainees {
		e := ens[k]
		tid := g.teacherID(i)
		self := access.Actor{UserID: commands.TeacherAccountID(tid), Role: access.RoleTeacher, TeacherID: tid}
		if err := e.Report(self, start.Add(8*time.Hour)); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		offline, online := float64(50+rng.IntN(51)), float64(55+rng.IntN(46))
		if err := e.PostGrade(g.instActor, p, &offline, &online, end.AddDate(0, 0, 3)); err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		if err := g.save(ctx, enrollment.StreamName(e.ID()), e, g.instActor, end.AddDate(0, 0, 3), fmt.Sprintf("seed/%d/%d/enrollment", g.opt.Seed, i)); err != nil {
			return fmt.Errorf("enrollment: %w", err)
		}
	}
	g.projects.Add(1)
	return nil
}

// decide makes teacher i's periodic registration decision through the
// command handlers, on the check they run as the record stands.
func (g *seeder) decide(ctx context.Context, i int) error {
	if !g.fate(i).decides {
		return nil
	}
	id := g.teacherID(i)
	kctx := commands.WithRequest(ctx, commands.Request{IdempotencyKey: fmt.Sprintf("seed/%d/%d/decision", g.opt.Seed, i)})
	chk, err := g.s.Handlers.CheckRegistration(ctx, g.registrar, id, commands.CheckAt{})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if chk.Outcome == registration.OutcomeNotDue {
		return nil
	}
	if _, _, err := g.s.Handlers.DecideRegistration(kctx, g.registrar, id, chk.Outcome, ""); err != nil {
		return fmt.Errorf("decision: %w", err)
	}
	g.decisions.Add(1)
	return nil
}

// teacherID is teacher i's id, a function of the seed and i only.
func (g *seeder) teacherID(i int) uuid.UUID {
	var sb [16]byte
	binary.LittleEndian.PutUint64(sb[:8], g.opt.Seed)
	binary.LittleEndian.PutUint64(sb[8:], uint64(i))
	return uuid.NewSHA1(seedNamespace, sb[:])
}

// setupTraining registers the institution that runs the seeded projects and
// the accounts of the institution and of the province's registration
// authority, through the command handlers (idempotent: a resumed seed finds
// them).
func (g *seeder) setupTraining(ctx context.Context) error {
	h := g.s.Handlers
	sys := access.System("seed")
	key := func(step string) context.Context {
		return commands.WithRequest(ctx, commands.Request{IdempotencyKey: fmt.Sprintf("seed-%d-%s", g.opt.Seed, step)})
	}
	const instName = "河北省中小学教师培训中心"
	inst, err := h.RegisterInstitution(key("institution"), sys, institution.Registration{Name: instName, Code: "HBTTC", Contact: "0311-86000000"})
	if err != nil {
		return fmt.Errorf("seed: institution: %w", err)
	}
	g.inst = project.Institution{ID: inst.ID, Name: instName}
	acc, _, err := h.CreateAccount(key("institution-account"), sys, commands.NewAccount{Login: "seed_hbttc", Role: access.RoleInstitution,
		InstitutionID: inst.ID, DisplayName: instName, Password: DemoPassword})
	if err != nil {
		return fmt.Errorf("seed: institution account: %w", err)
	}
	g.instActor = access.Actor{UserID: acc.ID, Role: access.RoleInstitution, Name: instName, InstitutionID: inst.ID}
	const regName = "河北省教育厅教师资格注册办公室"
	reg, _, err := h.CreateAccount(key("registrar"), sys, commands.NewAccount{Login: "seed_registrar", Role: access.RoleRegistrar,
		Jurisdiction: "13", DisplayName: regName, Password: DemoPassword})
	if err != nil {
		return fmt.Errorf("seed: registrar: %w", err)
	}
	g.registrar = access.Actor{UserID: reg.ID, Role: access.RoleRegistrar, Name: regName, Jurisdiction: "13"}
	return nil
}

// trainingAndDecisions writes every county's projects of every year, then
// the sampled registration decisions, each phase by opt.Workers workers.
func (g *seeder) trainingAndDecisions(ctx context.Context, out io.Writer, start time.Time) error {
	years := g.opt.LastYear - g.opt.FirstYear + 1
	if err := g.parallel(ctx, len(g.cs)*years, func(k int) error { return g.project(ctx, k/years, g.opt.FirstYear+k%years) }); err != nil {
		return err
	}
	fmt.Fprintf(out, "seed: %d training projects, %d events after %s\n", g.projects.Load(), g.events.Load(), time.Since(start).Round(time.Second))
	if err := g.parallel(ctx, g.opt.Teachers, func(i int) error { return g.decide(ctx, i) }); err != nil {
		return err
	}
	fmt.Fprintf(out, "seed: %d registration decisions after %s\n", g.decisions.Load(), time.Since(start).Round(time.Second))
	return nil
}

// parallel runs do(0..n-1) on opt.Workers goroutines and returns the errors.
func (g *seeder) parallel(ctx context.Context, n int, do func(int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var errs error
	var wg sync.WaitGroup
	for range g.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= n || ctx.Err() != nil {
					return
				}
				if err := do(k); err != nil {
					mu.Lock()
					errs = errors.Join(errs, fmt.Errorf("seed: %d: %w", k, err))
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs, ctx.Err())
}
