package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/migrations/pgtest"
)

// BenchmarkAPIWriteLoad is the write side of issue 14's table, measured
// through the HTTP API of the whole service (in process: chi, sessions,
// commands, the PostgreSQL store, the projection runner applying live) by
// LOAD_BENCH_CLIENTS (32) clients at once, each a county admin of its own
// county, for LOAD_BENCH_SECONDS (10) per phase:
//
//   - raw: the baseline, single-row INSERT transactions (autocommit) of the
//     same concurrency into a table with a bigserial key, in the same run;
//   - edits: PATCH /teachers/{id} of an ordinary field with If-Match, each
//     client walking its county's teachers (the revision from the answer);
//   - registrations: POST /teachers of new teachers (valid ID numbers).
//
// For each API phase: requests/s, the ratio to raw, p50/p99 latency, and
// how far the read models were behind: every 250 ms the newest position
// answered is waited for (the read-your-writes delay, p50 and max), and
// after the phase how long the projections took to apply everything; and
// what a request cost the machine against what a raw INSERT did (opCost):
// the CPU of the whole machine, the service's and PostgreSQL's, the
// transactions and the WAL.
//
//	go test -run '^$' -bench APIWriteLoad -benchtime 1x ./cmd/record/            # seeds 2,000 teachers
//	LOAD_BENCH_DATABASE_URL=postgres://…/scale go test …                          # a seeded database, read models built
//
// Alternate raw and API phases are in one run, so outside load falls on both.
func BenchmarkAPIWriteLoad(b *testing.B) {
	ctx := context.Background()
	url := os.Getenv("LOAD_BENCH_DATABASE_URL")
	if url == "" {
		var p *pgxpool.Pool
		p, url = pgtest.NewWithURL(b)
		p.Close()
	}
	clients := envInt("LOAD_BENCH_CLIENTS", 32)
	phase := time.Duration(envInt("LOAD_BENCH_SECONDS", 10)) * time.Second
	cfg := ConfigFromEnv()
	cfg.DatabaseURL = url
	cfg.BcryptCost = 4
	cfg.DataDir = os.Getenv("LOAD_BENCH_DATA_DIR") // the seeded store's keys
	if cfg.DataDir == "" {
		cfg.DataDir = b.TempDir()
	}
	// The service as serve opens it: its three pools (API, store,
	// projections) of their production sizes.
	svc, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	pool := svc.Pool
	if os.Getenv("LOAD_BENCH_DATABASE_URL") == "" {
		if _, err := svc.Seed(ctx, SeedOptions{Teachers: envInt("LOAD_BENCH_TEACHERS", 2000), FirstYear: 2018, LastYear: 2026, Seed: 1, Workers: 8}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Runner.Run(rctx) }()
	defer func() { stop(); <-done }()
	svc.HTTP.MaxWait = time.Minute
	srv := httptest.NewServer(svc.Handler)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}

	var teachers int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM es_events WHERE stream LIKE 'teacher-%' AND revision = 0`).Scan(&teachers); err != nil {
		b.Fatal(err)
	}
	if err := waitAll(ctx, svc, pool); err != nil {
		b.Fatal(err)
	}

	// One county admin a client, the counties with the most teachers.
	rows, err := pool.Query(ctx, `SELECT a.account_id, a.jurisdiction FROM auth_accounts a
		JOIN (SELECT county, count(*) n FROM teacher_profiles GROUP BY county) c ON c.county = a.jurisdiction
		WHERE a.login LIKE 'seed\_%' AND a.role = 'county_admin' ORDER BY c.n DESC, a.login LIMIT $1`, clients)
	if err != nil {
		b.Fatal(err)
	}
	type admin struct {
		id                  uuid.UUID
		county, token, unit string
	}
	var admins []*admin
	for rows.Next() {
		var a admin
		if err := rows.Scan(&a.id, &a.county); err != nil {
			b.Fatal(err)
		}
		admins = append(admins, &a)
	}
	rows.Close()
	if len(admins) < clients {
		b.Fatalf("%d county admins, want %d", len(admins), clients)
	}
	for _, a := range admins {
		// Sessions made directly: 32 logins through the API would meet its
		// per-IP login rate limit, which is not what is measured.
		if err := svc.Creds.SetPassword(ctx, a.id, "Bench-Load-2026", false, ""); err != nil {
			b.Fatal(err)
		}
		if a.token, _, err = svc.Creds.NewSession(ctx, a.id, "127.0.0.1", "bench"); err != nil {
			b.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT unit_id FROM units WHERE county = $1 ORDER BY unit_id LIMIT 1`, a.county).Scan(&a.unit); err != nil {
			b.Fatalf("unit of %s: %v", a.county, err)
		}
	}

	raw := func() loadResult {
		if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, k text NOT NULL, data jsonb NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		defer pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_insert`)
		return runLoad(clients, phase, nil, func(c, i int) (string, error) {
			_, err := pool.Exec(ctx, `INSERT INTO bench_raw_insert (k, data) VALUES ($1, $2)`,
				fmt.Sprintf("%d/%d", c, i), `{"changes":{"political_status":"01"},"reason":""}`)
			return "", err
		})
	}
	edits := func() loadResult {
		type target struct {
			id  string
			rev int64
		}
		lists := make([][]target, clients)
		for c, a := range admins {
			rows, err := pool.Query(ctx, `SELECT teacher_id, revision FROM teacher_profiles WHERE county = $1 ORDER BY teacher_id LIMIT 500`, a.county)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var t target
				if err := rows.Scan(&t.id, &t.rev); err != nil {
					b.Fatal(err)
				}
				lists[c] = append(lists[c], t)
			}
			rows.Close()
		}
		statuses := []string{"01", "03", "13"}
		return runLoad(clients, phase, &loadLag{svc: svc}, func(c, i int) (string, error) {
			t := &lists[c][i%len(lists[c])]
			body := fmt.Sprintf(`{"changes":{"political_status":%q}}`, statuses[i%3])
			res, err := loadDo(hc, "PATCH", srv.URL+"/api/v1/teachers/"+t.id, admins[c].token, body, "If-Match", `"`+strconv.FormatInt(t.rev, 10)+`"`)
			if err != nil {
				return "", err
			}
			if res.status != http.StatusOK {
				return "", fmt.Errorf("edit %s: %d %s", t.id, res.status, res.body)
			}
			var r struct {
				Revision int64 `json:"revision"`
			}
			if err := json.Unmarshal(res.body, &r); err != nil {
				return "", err
			}
			t.rev = r.Revision
			return res.position, nil
		})
	}
	var regSeq atomic.Int64
	regs := func() loadResult {
		return runLoad(clients, phase, &loadLag{svc: svc}, func(c, i int) (string, error) {
			a := admins[c]
			n := regSeq.Add(1)
			birth := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%1400))
			first17 := a.county + birth.Format("20060102") + fmt.Sprintf("%03d", 500+(n/1400)%500)
			id := first17 + string(ident.CheckChar(first17))
			body := fmt.Sprintf(`{"name":"测试教师","id_type":"1","id_number":%q,"unit_id":%q,"work_start":"2024-09","certificate_type":"2","certificate_number":"20241301021%06d","mobile":"13900000000"}`,
				id, a.unit, n%1000000)
			res, err := loadDo(hc, "POST", srv.URL+"/api/v1/teachers", a.token, body)
			if err != nil {
				return "", err
			}
			if res.status != http.StatusCreated {
				return "", fmt.Errorf("register %s: %d %s", id, res.status, res.body)
			}
			return res.position, nil
		})
	}

	// LOAD_BENCH_CPUPROFILE=/tmp/x profiles each API phase alone, into
	// /tmp/x.edits and /tmp/x.registrations (the seed and catch-up before
	// them left out).
	profiled := func(name string, phase func() loadResult) loadResult {
		b.Logf("%s phase starts at %s", name, time.Now().UTC().Format("15:04:05.000"))
		prefix := os.Getenv("LOAD_BENCH_CPUPROFILE")
		if prefix == "" {
			return phase()
		}
		f, err := os.Create(prefix + "." + name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
		return phase()
	}

	b.ResetTimer()
	for range b.N {
		r1 := costOf(ctx, pool, raw)
		e := costOf(ctx, pool, func() loadResult { return profiled("edits", edits) })
		r2 := costOf(ctx, pool, raw)
		g := costOf(ctx, pool, func() loadResult { return profiled("registrations", regs) })
		r3 := costOf(ctx, pool, raw)
		base := (r1.perSec + r2.perSec + r3.perSec) / 3
		b.Logf("%d teachers, %d clients, %s a phase; raw INSERT tx/s %.0f / %.0f / %.0f", teachers, clients, phase, r1.perSec, r2.perSec, r3.perSec)
		for _, x := range []struct {
			name string
			r    loadResult
		}{{"edits", e}, {"registrations", g}} {
			b.Logf("%s: %.0f req/s = %.3f x raw; p50 %.1f ms, p99 %.1f ms; errors %d; read models behind: p50 %.0f ms, max %.0f ms; caught up %.2f s after the load",
				x.name, x.r.perSec, x.r.perSec/base, x.r.p50, x.r.p99, x.r.errors, x.r.lagP50, x.r.lagMax, x.r.catchUp.Seconds())
			b.Logf("%s: cost a request: %s; raw INSERT: %s", x.name, x.r.cost, r2.cost)
			if x.r.firstErr != nil {
				b.Logf("%s: first error: %v", x.name, x.r.firstErr)
			}
		}
		b.ReportMetric(base, "raw_tx/s")
		b.ReportMetric(e.perSec/base, "edits_x_raw")
		b.ReportMetric(e.p99, "edit_p99_ms")
		b.ReportMetric(g.perSec/base, "regs_x_raw")
		b.ReportMetric(g.p99, "reg_p99_ms")
		b.ReportMetric(max(e.catchUp, g.catchUp).Seconds(), "catchup_s")
		if raw := r2.cost.machineMs; raw > 0 {
			// The ceiling of edits_x_raw on a machine busy on every core.
			b.ReportMetric(e.cost.machineMs/raw, "edit_cpu_x_raw")
			b.ReportMetric(g.cost.machineMs/raw, "reg_cpu_x_raw")
		}
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// waitAll waits until the projections applied everything stored (the
// newest committed row of the PostgreSQL store).
func waitAll(ctx context.Context, svc *Service, pool *pgxpool.Pool) error {
	last := eventstore.Start
	err := pool.QueryRow(ctx, `SELECT xid, seq FROM es_events ORDER BY xid DESC, seq DESC LIMIT 1`).Scan(&last.Commit, &last.Prepare)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Minute)
	defer cancel()
	return svc.Runner.WaitFor(wctx, last)
}

type loadResult struct {
	perSec, p50, p99 float64
	errors           int
	firstErr         error
	lagP50, lagMax   float64
	catchUp          time.Duration
	ops              int
	cost             opCost
}

// opCost is what one operation of a phase cost the machine: CPU time of
// the whole machine (from /proc/stat) and of this process (the service and
// the load's clients, from getrusage; the rest is PostgreSQL's), the
// transactions PostgreSQL committed in the database (xact_commit: reads in
// autocommit count too, the projections' included) and the WAL it wrote.
// On a machine whose cores are all busy, the ratio of two phases'
// throughputs is about the inverse ratio of their machine CPU per
// operation.
type opCost struct {
	machineMs, selfMs, commits, walBytes float64
}

func (c opCost) String() string {
	return fmt.Sprintf("machine CPU %.3f ms (this process %.3f, the rest %.3f), %.2f transactions, %.0f WAL bytes",
		c.machineMs, c.selfMs, c.machineMs-c.selfMs, c.commits, c.walBytes)
}

type costSample struct {
	machine, self time.Duration
	commits       int64
	wal           int64
}

func sampleCost(ctx context.Context, pool *pgxpool.Pool) (costSample, error) {
	var s costSample
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	f := strings.Fields(string(line)) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 8 || f[0] != "cpu" {
		return s, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += n
	}
	s.machine = time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return s, err
	}
	s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	err = pool.QueryRow(ctx, `SELECT xact_commit, pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.commits, &s.wal)
	return s, err
}

// costOf runs a phase and divides what it cost by the operations it did.
// pg_stat_database's counters lag by up to a second (a backend reports
// them when idle), so the end is sampled after that.
func costOf(ctx context.Context, pool *pgxpool.Pool, phase func() loadResult) loadResult {
	before, err1 := sampleCost(ctx, pool)
	r := phase()
	time.Sleep(1100 * time.Millisecond)
	after, err2 := sampleCost(ctx, pool)
	if err1 != nil || err2 != nil || r.ops == 0 {
		return r
	}
	n := float64(r.ops)
	r.cost = opCost{
		machineMs: float64((after.machine - before.machine).Microseconds()) / 1000 / n,
		selfMs:    float64((after.self - before.self).Microseconds()) / 1000 / n,
		commits:   float64(after.commits-before.commits) / n,
		walBytes:  float64(after.wal-before.wal) / n,
	}
	return r
}

// loadLag samples how far behind the read models are during a phase.
type loadLag struct {
	svc    *Service
	latest atomic.Value // string position
	mu     sync.Mutex
	delays []float64
	wg     sync.WaitGroup
}

func (l *loadLag) sample(ctx context.Context) {
	p, _ := l.latest.Load().(string)
	if p == "" {
		return
	}
	pos, err := eventstore.ParsePosition(p)
	if err != nil {
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		start := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if l.svc.Runner.WaitFor(wctx, pos) == nil {
			l.mu.Lock()
			l.delays = append(l.delays, float64(time.Since(start).Microseconds())/1000)
			l.mu.Unlock()
		}
	}()
}

// runLoad runs do on clients goroutines for d and measures it.
func runLoad(clients int, d time.Duration, lag *loadLag, do func(client, i int) (string, error)) loadResult {
	ctx := context.Background()
	var mu sync.Mutex
	var lat []float64
	var res loadResult
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	stopSampling := make(chan struct{})
	if lag != nil {
		go func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-t.C:
					lag.sample(ctx)
				}
			}
		}()
	}
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				pos, err := do(c, i)
				if err != nil {
					mu.Lock()
					res.errors++
					if res.firstErr == nil {
						res.firstErr = err
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000)
				if lag != nil && pos != "" {
					lag.latest.Store(pos)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(stopSampling)
	if lag != nil {
		if p, _ := lag.latest.Load().(string); p != "" {
			pos, _ := eventstore.ParsePosition(p)
			wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			t0 := time.Now()
			_ = lag.svc.Runner.WaitFor(wctx, pos)
			res.catchUp = time.Since(t0)
			cancel()
		}
		lag.wg.Wait()
		slices.Sort(lag.delays)
		if n := len(lag.delays); n > 0 {
			res.lagP50, res.lagMax = lag.delays[n/2], lag.delays[n-1]
		}
	}
	slices.Sort(lat)
	res.ops = len(lat)
	res.perSec = float64(len(lat)) / took.Seconds()
	if n := len(lat); n > 0 {
		res.p50, res.p99 = lat[n/2], lat[min(n-1, n*99/100)]
	}
	return res
}

type loadResp struct {
	status   int
	body     []byte
	position string
}

func loadDo(hc *http.Client, method, url, token, body string, headers ...string) (loadResp, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return loadResp{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		return loadResp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return loadResp{status: res.StatusCode, body: raw, position: res.Header.Get("X-Event-Position")}, err
}
