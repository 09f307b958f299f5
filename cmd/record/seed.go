package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
	"github.com/hbte/record/eventstore"
)

// SeedOptions configures Seed.
type SeedOptions struct {
	Teachers  int
	FirstYear int // credits and appraisals from this year
	LastYear  int // up to this year (appraisals up to the year before)
	Seed      uint64
	Workers   int
	// PerUnit is the average number of teachers of a school (default 60).
	PerUnit int
}

// SeedReport says what Seed wrote.
type SeedReport struct {
	Counties, Units, Teachers int
	Events, Appends           int64
	Projects, Decisions       int64
	Took                      time.Duration
}

// seedCmd is `record seed --teachers N --years 2018-2026 --seed S`.
func seedCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(out)
	n := fs.Int("teachers", 10000, "how many teachers")
	years := fs.String("years", "2018-2026", "credit and appraisal years, FIRST-LAST")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same teachers")
	workers := fs.Int("workers", 16, "concurrent writers")
	createDB := fs.Bool("create-db", false, "create the database if it does not exist")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the seed to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	first, last, ok := strings.Cut(*years, "-")
	fy, err1 := strconv.Atoi(first)
	ly, err2 := strconv.Atoi(last)
	if !ok || err1 != nil || err2 != nil || fy < credit.FirstYear || ly < fy {
		return fmt.Errorf("seed: --years %q: want FIRST-LAST, e.g. 2018-2026", *years)
	}
	if *createDB {
		if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	// The generated teachers' initial passwords are hashed at bcrypt's
	// lowest cost: a million hashes at the default cost take CPU-hours. A
	// teacher's first password change hashes at the configured cost.
	cfg.BcryptCost = bcrypt.MinCost
	// A generator may lose its last commits in a crash (it is resumed by
	// running it again: every append is idempotent), so its sessions do not
	// wait for each commit's flush to disk.
	dsn, err := withRuntimeParam(cfg.DatabaseURL, "synchronous_commit", "off")
	if err != nil {
		return err
	}
	cfg.DatabaseURL = dsn
	svc, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	rep, err := svc.Seed(ctx, SeedOptions{Teachers: *n, FirstYear: fy, LastYear: ly, Seed: *seed, Workers: *workers}, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seed: %d teachers in %d units of %d counties, %d training projects, %d registration decisions; %d events in %d appends; %s (%.0f events/s)\n",
		rep.Teachers, rep.Units, rep.Counties, rep.Projects, rep.Decisions, rep.Events, rep.Appends, rep.Took.Round(time.Second), float64(rep.Events)/rep.Took.Seconds())
	return nil
}

// withRuntimeParam adds a PostgreSQL run-time parameter to a connection URL
// (pgx passes unknown query parameters to the server).
func withRuntimeParam(dsn, name, value string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" { // the error would repeat the URL, password included
		return "", errors.New("seed: DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var (
	seedSurnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
	seedGiven    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文海波宁健俊丹晶慧瑞雪琳颖婷倩洁玉梅")
	seedSubjects = []string{"01", "02", "03", "04", "05", "06", "07", "08", "09"}
)

// Seed writes a province of teachers with their histories through the real
// aggregates (so every event passes the domain's rules) and the repository
// (so every event has its metadata and integrity chain), appending each
// stream's events in as few appends as the history allows. It is
// deterministic from opt.Seed: teacher i's values, IDs and event IDs depend
// only on the seed and i, whatever the number of workers; only the order of
// the streams in the global feed differs between runs. The county admins
// and schools are created through the command handlers first.
//
// Per teacher: the ID-number claim; the registration by the county admin;
// one or two ordinary-field edits by the teacher; the account and its
// credentials; for every year, one to three imported credit entries; for
// every year before the last, the ethics assessment and the annual
// appraisal. About 30 events for 2018-2026.
func (s *Service) Seed(ctx context.Context, opt SeedOptions, out io.Writer) (SeedReport, error) {
	if opt.Teachers <= 0 {
		return SeedReport{}, errors.New("seed: --teachers must be positive")
	}
	if opt.Workers <= 0 {
		opt.Workers = 16
	}
	if opt.PerUnit <= 0 {
		opt.PerUnit = 60
	}
	start := time.Now()
	h := s.Handlers
	counties := region.Default().HebeiCounties()
	rep := SeedReport{Counties: len(counties), Teachers: opt.Teachers}
	// One county admin and ceil(n/PerUnit/counties) schools per county.
	perCounty := max(1, (opt.Teachers/len(counties)+opt.PerUnit-1)/opt.PerUnit)
	cs := make([]seedCounty, len(counties))
	sys := access.System("seed")
	var mu sync.Mutex
	var firstErr error
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(opt.Workers, 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(counties) || ctx.Err() != nil {
					return
				}
				code := counties[i]
				key := fmt.Sprintf("seed-%d-county-%s", opt.Seed, code)
				kctx := commands.WithRequest(ctx, commands.Request{IdempotencyKey: key})
				name := region.Default().Name(code) + "管理员"
				res, _, err := h.CreateAccount(kctx, sys, commands.NewAccount{Login: "seed_" + code, Role: access.RoleCountyAdmin,
					Jurisdiction: code, DisplayName: name, Password: DemoPassword})
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, fmt.Errorf("seed: admin of %s: %w", code, err))
					mu.Unlock()
					return
				}
				c := seedCounty{code: code, admin: access.Actor{UserID: res.ID, Role: access.RoleCountyAdmin, Name: name, Jurisdiction: code}}
				for u := range perCounty {
					uname := fmt.Sprintf("%s第%d中学", region.Default().Name(code), u+1)
					uctx := commands.WithRequest(ctx, commands.Request{IdempotencyKey: fmt.Sprintf("%s-unit-%d", key, u)})
					ur, err := h.RegisterUnit(uctx, c.admin, unit.Registration{Name: uname, County: code, Area: "1", Category: "341", Stage: "3"})
					if err != nil {
						mu.Lock()
						firstErr = errors.Join(firstErr, fmt.Errorf("seed: unit %s: %w", uname, err))
						mu.Unlock()
						return
					}
					c.units = append(c.units, teacher.UnitRef{ID: ur.ID, Name: uname, County: code})
				}
				cs[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return rep, firstErr
	}
	rep.Units = perCounty * len(counties)
	fmt.Fprintf(out, "seed: %d counties, %d schools ready after %s\n", len(counties), rep.Units, time.Since(start).Round(time.Millisecond))

	g := &seeder{s: s, opt: opt, store: s.Store, counties: len(cs), cs: cs}
	if err := g.setupTraining(ctx); err != nil {
		return rep, err
	}
	next.Store(0)
	var done atomic.Int64
	errs := make(chan error, opt.Workers)
	for range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= opt.Teachers || ctx.Err() != nil {
					return
				}
				c := cs[i%len(cs)]
				if err := g.teacher(ctx, i, c.admin, c.units); err != nil {
					errs <- fmt.Errorf("seed: teacher %d: %w", i, err)
					return
				}
				if d := done.Add(1); d%50000 == 0 {
					el := time.Since(start)
					fmt.Fprintf(out, "seed: %d teachers, %d events, %s (%.0f events/s)\n", d, g.events.Load(), el.Round(time.Second), float64(g.events.Load())/el.Seconds())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		firstErr = errors.Join(firstErr, err)
	}
	if err := ctx.Err(); err != nil {
		firstErr = errors.Join(firstErr, err)
	}
	if firstErr == nil {
		firstErr = g.trainingAndDecisions(ctx, out, start)
	}
	rep.Events, rep.Appends, rep.Took = g.events.Load(), g.appends.Load(), time.Since(start)
	rep.Projects, rep.Decisions = g.projects.Load(), g.decisions.Load()
	return rep, firstErr
}

type seeder struct {
	s                   *Service
	opt                 SeedOptions
	store               eventstore.Store
	counties            int
	cs                  []seedCounty
	inst                project.Institution
	instActor           access.Actor
	registrar           access.Actor
	events, appends     atomic.Int64
	projects, decisions atomic.Int64
	hashes              sync.Map // initial password → bcrypt hash
}

// initialHash is the bcrypt hash of an initial password, computed once per
// distinct password: the generated ID numbers share their last six
// characters (birth day, a sequence of 000 or 001, the check character), so
// a million teachers have a few hundred initial passwords, and hashing each
// teacher's took 39 % of the generator's CPU. Teachers with the same
// initial password share a salt; this is generated data, and a password
// change hashes afresh with a salt of its own.
func (g *seeder) initialHash(password string) ([]byte, error) {
	if h, ok := g.hashes.Load(password); ok {
		return h.([]byte), nil
	}
	h, err := g.s.Creds.HashPassword(password)
	if err != nil {
		return nil, err
	}
	actual, _ := g.hashes.LoadOrStore(password, h)
	return actual.([]byte), nil
}

// seedCounty is a county of the seeded province: its admin and schools.
type seedCounty struct {
	code  string
	admin access.Actor
	units []teacher.UnitRef
}

// save appends agg's recorded events with deterministic event IDs.
func (g *seeder) save(ctx context.Context, stream string, agg commands.Aggregate, actor access.Actor, at time.Time, key string) error {
	n := len(agg.Changes())
	if n == 0 {
		return nil
	}
	w := commands.Write{Meta: event.Metadata{ActorID: actor.UserID, ActorRole: string(actor.Role), ActorName: actor.RecordedName(),
		Jurisdiction: actor.Jurisdiction, OccurredAt: at.UTC(), CorrelationID: key}, IdempotencyKey: key}
	if _, err := g.s.Handlers.Repo.Save(ctx, stream, agg, w); err != nil {
		return err
	}
	g.events.Add(int64(n))
	g.appends.Add(1)
	return nil
}

// teacher writes teacher i's history.
func (g *seeder) teacher(ctx context.Context, i int, admin access.Actor, units []teacher.UnitRef) error {
	var sb [16]byte
	binary.LittleEndian.PutUint64(sb[:8], g.opt.Seed)
	binary.LittleEndian.PutUint64(sb[8:], uint64(i))
	rng := rand.New(rand.NewPCG(g.opt.Seed, uint64(i)*0x9E3779B97F4A7C15+1))
	id := uuid.NewSHA1(seedNamespace, sb[:])
	key := func(step string) string { return fmt.Sprintf("seed/%d/%d/%s", g.opt.Seed, i, step) }
	u := units[rng.IntN(len(units))]

	// The ID number: the county, a birth date in 1965-1999 and a sequence
	// whose last digit is odd for men. Teacher j of a county (i = j*counties
	// + county) gets day (j*7919) mod 12775, a bijection of the 35 years'
	// days, and sequence j/12775, so no two teachers share a number.
	j := i / g.counties
	birth := time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (j*7919)%12775)
	seq := fmt.Sprintf("%03d", (j/12775)*2+rng.IntN(2))
	first17 := u.County + birth.Format("20060102") + seq
	idNumber := first17 + string(ident.CheckChar(first17))
	workStart := birth.AddDate(22+rng.IntN(3), 0, 0)
	if workStart.Year() >= g.opt.FirstYear { // registered early in FirstYear: work started before
		workStart = time.Date(g.opt.FirstYear-1, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	certType := []string{"2", "3", "4"}[rng.IntN(3)]
	certYear := max(workStart.Year(), 1996)
	cert := fmt.Sprintf("%04d13010%s%s%06d", certYear, certType, string('1'+byte(rng.IntN(2))), i%1000000)
	name := string(seedSurnames[rng.IntN(len(seedSurnames))]) + string(seedGiven[rng.IntN(len(seedGiven))])
	if rng.IntN(2) == 0 {
		name += string(seedGiven[rng.IntN(len(seedGiven))])
	}
	profile := teacher.Profile{Name: name, IDType: "1", IDNumber: idNumber, WorkStart: workStart.Format("2006-01"),
		CertificateType: certType, CertificateNumber: cert, Ethnicity: "01", MainStage: "3",
		MainSubject: seedSubjects[rng.IntN(len(seedSubjects))], Mobile: fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000))}
	regAt := time.Date(g.opt.FirstYear, time.Month(1+rng.IntN(3)), 1+rng.IntN(28), 8+rng.IntN(9), rng.IntN(60), 0, 0, time.UTC)

	c := claim.New(commands.ClaimIDNumber)
	if err := c.Take(id, regAt); err != nil {
		return err
	}
	if err := g.save(ctx, claim.StreamName(commands.ClaimIDNumber, idNumber), c, admin, regAt, key("claim")); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	t := teacher.New(id)
	if _, err := t.Register(teacher.Registration{Profile: profile, Unit: u}, admin, regAt); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	// The credentials and the account go first: the account process of a
	// running service then finds them and does nothing (it would otherwise
	// derive both from the registration, racing this writer).
	accID := commands.TeacherAccountID(id)
	hash, err := g.initialHash(commands.InitialPassword(idNumber))
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	err = g.s.Creds.CreateAccountHashed(ctx, commands.Principal{AccountID: accID, Login: idNumber, Role: access.RoleTeacher,
		TeacherID: id, DisplayName: name}, hash, true)
	if err != nil && !errors.Is(err, domain.ErrDuplicate) { // a resumed seed
		return fmt.Errorf("credentials: %w", err)
	}
	a := account.New(accID)
	if err := a.Create(account.Creation{Login: idNumber, Role: access.RoleTeacher, TeacherID: id, TeacherCounty: u.County, DisplayName: name}, admin, regAt); err != nil {
		return fmt.Errorf("account: %w", err)
	}
	if err := g.save(ctx, account.StreamName(accID), a, admin, regAt, key("account")); err != nil {
		return fmt.Errorf("account: %w", err)
	}
	if err := g.save(ctx, teacher.StreamName(id), t, admin, regAt, key("register")); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	self := access.Actor{UserID: accID, Role: access.RoleTeacher, Name: name, TeacherID: id}
	editAt := regAt.AddDate(0, 1+rng.IntN(6), 0)
	edits := map[string]string{"political_status": []string{"01", "03", "13"}[rng.IntN(3)]}
	if rng.IntN(2) == 0 {
		edits["marital_status"] = []string{"10", "20"}[rng.IntN(2)]
	}
	if err := t.EditOrdinary(self, edits, "", editAt); err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	if err := g.save(ctx, teacher.StreamName(id), t, self, editAt, key("edit")); err != nil {
		return fmt.Errorf("edit: %w", err)
	}

	l := credit.NewLedger(id)
	ap := appraisal.NewRecord(id)
	lastAt := regAt
	for y := g.opt.FirstYear; y <= g.opt.LastYear; y++ {
		for k := range 1 + rng.IntN(3) {
			on := time.Date(y, time.Month(3+rng.IntN(9)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			hours := []int{8, 16, 24, 40, 60}[rng.IntN(5)]
			_, err := l.Grant(admin, u.County, credit.Grant{
				EntryID: uuid.NewSHA1(seedNamespace, []byte(key(fmt.Sprintf("credit/%d/%d", y, k)))), Year: y, CompletedOn: on,
				Level:    []credit.Level{credit.LevelProvincial, credit.LevelCity, credit.LevelCounty, credit.LevelSchool}[rng.IntN(4)],
				Category: []credit.Category{credit.CategoryTraining, credit.CategorySchoolBased}[rng.IntN(2)],
				Hours:    credit.Whole(hours), Credits: credit.Tenths(hours * 10 / 8), Title: fmt.Sprintf("%d年度继续教育培训（%d）", y, k+1),
				Source: credit.Source{Kind: credit.SourceImport, System: "seed", ExternalID: key(fmt.Sprintf("%d/%d", y, k))},
				At:     on.AddDate(0, 0, 7),
			})
			if err != nil {
				return fmt.Errorf("credit %d: %w", y, err)
			}
			lastAt = on.AddDate(0, 0, 7)
		}
		if y < g.opt.LastYear {
			at := time.Date(y+1, 1, 10+rng.IntN(10), 9, 0, 0, 0, time.UTC)
			src := appraisal.Source{BatchID: uuid.NewSHA1(seedNamespace, []byte(fmt.Sprintf("seed/%d/batch/%s/%d", g.opt.Seed, u.County, y))), Row: 1 + i/len(units)%5000}
			if _, err := ap.RecordEthics(admin, u.County, appraisal.Ethics{Year: y, Passed: rng.IntN(200) != 0}, src, at); err != nil {
				return fmt.Errorf("ethics %d: %w", y, err)
			}
			grade := []appraisal.Grade{appraisal.GradeExcellent, appraisal.GradeCompetent, appraisal.GradeCompetent, appraisal.GradeCompetent, appraisal.GradeBasic}[rng.IntN(5)]
			if _, err := ap.RecordAnnual(admin, u.County, y, grade, src, at); err != nil {
				return fmt.Errorf("annual %d: %w", y, err)
			}
		}
	}
	if err := g.save(ctx, credit.StreamName(id), l, admin, lastAt, key("credits")); err != nil {
		return fmt.Errorf("credits: %w", err)
	}
	if err := g.save(ctx, appraisal.StreamName(id), ap, admin, lastAt, key("appraisal")); err != nil {
		return fmt.Errorf("appraisal: %w", err)
	}
	return g.teacherExtras(ctx, i, t, self, admin, key)
}

var seedNamespace = uuid.MustParse("0b5f3a52-39a4-4f44-8d8e-6c1f1f4a2d11")
