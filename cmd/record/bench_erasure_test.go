package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/projections"
)

// BenchmarkPersonalDataCost measures what crypto-shredding
// (docs/INTEGRITY.md section 6) costs, as ratios measured in the same run
// on the real PostgreSQL store:
//
//   - appends: teachers' events through the repository (a registration,
//     then an edit of mobile and e-mail: 3 events in 2 appends per teacher,
//     4 writers), with sealing (a new data key per teacher included)
//     against without, in alternating rounds of 200 teachers;
//     teachers/s of each and sealed÷plain;
//
//   - rebuild: every read model (the processes and the Merkle tree left
//     out) rebuilt from one read of a store seeded sealed (record seed),
//     by the runner opening sealed values against one that decodes them as
//     stored, alternating; events/s of each, open÷plain, and the share of
//     the rebuild's CPU time spent in Open (the runner opens each event
//     once per projection: Open calls per event).
//
// Command:
//
//	go test -run '^$' -bench PersonalDataCost -benchtime 1x ./cmd/record/   # PERSONAL_BENCH_TEACHERS=1000 by default
func BenchmarkPersonalDataCost(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	store := postgres.New(pool)
	defer store.Close()
	cfg := ConfigFromEnv()
	cfg.BcryptCost = 4
	cfg.DataDir = b.TempDir()
	svc := Wire(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, store, time.Now)
	if svc.Personal == nil {
		b.Fatal("no codec: DATA_DIR is not set")
	}
	codec := svc.Personal
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Name: "长安区管理员", Jurisdiction: "130102"}
	unit := teacher.UnitRef{ID: uuid.New(), Name: "石家庄市第一中学", County: "130102"}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var serial atomic.Int64
	oneTeacher := func() error {
		i := serial.Add(1)
		id := uuid.New()
		first17 := fmt.Sprintf("130102%s%03d", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(i%12000)).Format("20060102"), i/12000%1000)
		t := teacher.New(id)
		p := teacher.Profile{Name: "王小明", IDType: "1", IDNumber: first17 + string(ident.CheckChar(first17)), WorkStart: "2010-09",
			CertificateType: "3", CertificateNumber: fmt.Sprintf("2010130103%07d", i), Ethnicity: "01", MainStage: "3", MainSubject: "03",
			Mobile: "13803110000"}
		if _, err := t.Register(teacher.Registration{Profile: p, Unit: unit}, admin, at); err != nil {
			return err
		}
		w := commands.Write{Meta: event.Metadata{ActorID: admin.UserID, ActorRole: string(admin.Role), ActorName: admin.Name, Jurisdiction: "130102", OccurredAt: at}}
		if _, err := svc.Repo.Save(ctx, teacher.StreamName(id), t, w); err != nil {
			return err
		}
		if err := t.EditOrdinary(admin, map[string]string{"mobile": "13903110001", "email": "wang@example.cn"}, "", at); err != nil {
			return err
		}
		_, err := svc.Repo.Save(ctx, teacher.StreamName(id), t, w)
		return err
	}
	round := func(sealed bool, n int) time.Duration {
		if sealed {
			svc.Repo.Personal = codec
		} else {
			svc.Repo.Personal = nil
		}
		defer func() { svc.Repo.Personal = codec }()
		var next atomic.Int64
		var wg sync.WaitGroup
		var first error
		var mu sync.Mutex
		start := time.Now()
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := oneTeacher(); err != nil {
						mu.Lock()
						first = err
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
		return time.Since(start)
	}

	teachers := 1000
	if n, err := strconv.Atoi(os.Getenv("PERSONAL_BENCH_TEACHERS")); err == nil && n > 0 {
		teachers = n
	}
	opener := &timedOpener{codec: codec}
	plainRunner := projections.NewRunnerWithConfig(projections.Config{Store: store, Registry: svc.Registry, Pool: pool,
		Logger: svc.Log}, allProjections(svc)...)
	openRunner := projections.NewRunnerWithConfig(projections.Config{Store: store, Registry: svc.Registry, Pool: pool,
		Logger: svc.Log, Personal: opener}, allProjections(svc)...)
	var readModels []string
	for _, p := range allProjections(svc) {
		if n := p.Name(); !strings.HasSuffix(n, "_process") && n != "integrity_merkle" {
			readModels = append(readModels, n)
		}
	}

	b.ResetTimer()
	for range b.N {
		// Appends, alternating; the first round of each warms up.
		round(true, 50)
		round(false, 50)
		var sealedT, plainT time.Duration
		for r := range 6 {
			if r%2 == 0 {
				sealedT += round(true, 200)
			} else {
				plainT += round(false, 200)
			}
		}
		sealedRate, plainRate := 600/sealedT.Seconds(), 600/plainT.Seconds()
		b.ReportMetric(sealedRate, "sealed_teachers/s")
		b.ReportMetric(plainRate, "plain_teachers/s")
		b.ReportMetric(sealedRate/plainRate, "append_sealed/plain")

		// A sealed store of record seed's shape.
		if _, err := svc.Seed(ctx, SeedOptions{Teachers: teachers, FirstYear: 2018, LastYear: 2026, Seed: 1, Workers: 8}, io.Discard); err != nil {
			b.Fatal(err)
		}
		var events int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM es_events`).Scan(&events); err != nil {
			b.Fatal(err)
		}
		rebuild := func(r *projections.Runner) (time.Duration, time.Duration) {
			var cpu0 time.Duration
			var start time.Time
			for try := 0; ; try++ {
				// The previous rebuild's lock session may take a moment to
				// end on the server after its connection is closed (the
				// wait is not timed).
				cpu0, start = cpuTime(), time.Now()
				err := r.RebuildSome(ctx, readModels)
				if errors.Is(err, projections.ErrRebuildRunning) && try < 50 {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				if err != nil {
					b.Fatal(err)
				}
				break
			}
			return time.Since(start), cpuTime() - cpu0
		}
		var openWall, plainWall, openCPU time.Duration
		opener.reset()
		// open, plain, open, plain, open: the read models end opened.
		for r := range 5 {
			if r%2 == 0 {
				w, c := rebuild(openRunner)
				openWall, openCPU = openWall+w, openCPU+c
			} else {
				w, _ := rebuild(plainRunner)
				plainWall += w
			}
		}
		openRate, plainRate2 := float64(3*events)/openWall.Seconds(), float64(2*events)/plainWall.Seconds()
		calls, spent := opener.calls.Load(), time.Duration(opener.nanos.Load())
		b.ReportMetric(float64(events), "events")
		b.ReportMetric(float64(len(readModels)), "read_models")
		b.ReportMetric(openRate, "open_events/s")
		b.ReportMetric(plainRate2, "plain_events/s")
		b.ReportMetric(openRate/plainRate2, "rebuild_open/plain")
		b.ReportMetric(float64(calls)/float64(3*events), "opens/event")
		b.ReportMetric(spent.Seconds()/openCPU.Seconds(), "open_share_of_cpu")
		b.Logf("appends: sealed %.0f teachers/s, plain %.0f (ratio %.3f); rebuild of %d read models over %d events (%d teachers): open %.0f events/s, plain %.0f (ratio %.3f); Open called %.1f times per event, %s in Open of %s process CPU in the open rebuilds (%.1f%%)",
			sealedRate, plainRate, sealedRate/plainRate, len(readModels), events, teachers, openRate, plainRate2, openRate/plainRate2,
			float64(calls)/float64(3*events), spent/3, openCPU/3, 100*spent.Seconds()/openCPU.Seconds())
	}
}

// timedOpener counts the runner's Open calls and the time spent in them.
type timedOpener struct {
	codec interface {
		Open(ctx context.Context, typ string, data []byte) ([]byte, error)
	}
	calls atomic.Int64
	nanos atomic.Int64
}

func (o *timedOpener) Open(ctx context.Context, typ string, data []byte) ([]byte, error) {
	start := time.Now()
	out, err := o.codec.Open(ctx, typ, data)
	o.nanos.Add(int64(time.Since(start)))
	o.calls.Add(1)
	return out, err
}

func (o *timedOpener) reset() { o.calls.Store(0); o.nanos.Store(0) }

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
