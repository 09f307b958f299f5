//go:build soak

package main

// The fault suite (make soak; not part of make test): the service binary
// under concurrent registrations with idempotency keys and client
// timeouts, killed with SIGKILL and restarted, a poison event and a long
// transaction injected, then checked against the database. Loopback only;
// bounded by SOAK_SECONDS of load, SOAK_KILLS kills and SOAK_MAX commands.
// docs/RELIABILITY.md has the figures.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/migrations"
	"github.com/hbte/record/migrations/pgtest"
)

func soakEnv(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

// soakService is the binary under test, started and killed by the suite.
type soakService struct {
	t                 *testing.T
	bin, dir, logPath string
	env               []string
	base              string
	cmd               *exec.Cmd
	starts            int
}

func (s *soakService) run(args ...string) string {
	s.t.Helper()
	c := exec.Command(s.bin, args...)
	c.Env = s.env
	out, err := c.CombinedOutput()
	if err != nil {
		s.t.Fatalf("record %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *soakService) start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.starts++
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the service did not start: %v (log %s)", err, s.logPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *soakService) kill() {
	_ = s.cmd.Process.Kill() // SIGKILL
	_ = s.cmd.Wait()
}

func (s *soakService) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.t.Error("the service did not stop on SIGTERM")
		s.kill()
	}
}

// soakCall is one HTTP call; status 0 is a transport error or a timeout.
func soakCall(base, token, method, path string, body any, timeout time.Duration, headers ...string) (int, []byte) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil
	}
	return res.StatusCode, raw
}

func soakLogin(t *testing.T, base, login, password, newPassword string) string {
	t.Helper()
	st, raw := soakCall(base, "", "POST", "/api/v1/sessions", map[string]string{"login": login, "password": password}, 10*time.Second)
	if st != 201 {
		t.Fatalf("login %s: %d %s", login, st, raw)
	}
	var lr struct {
		Token              string `json:"token"`
		MustChangePassword bool   `json:"must_change_password"`
	}
	_ = json.Unmarshal(raw, &lr)
	if lr.MustChangePassword {
		if st, raw := soakCall(base, lr.Token, "PUT", "/api/v1/me/password", map[string]string{"old_password": password, "new_password": newPassword}, 10*time.Second); st != 200 {
			t.Fatalf("password change %s: %d %s", login, st, raw)
		}
	}
	return lr.Token
}

// attempt is the fate of one registration, identified by its index i
// (ID number, key and certificate number follow from it).
type attempt struct {
	mu        sync.Mutex
	acked     string // teacher ID of a 201
	refused   int    // a final 4xx other than 409 request_in_progress
	tries     int
	cutOff    int // tries without an answer (timeout, killed)
	inFlight  int // 409 request_in_progress answers
	unavailab int // 503 answers
}

func soakIDNumber(i int) string {
	birth := time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%12775)
	first17 := "130102" + birth.Format("20060102") + fmt.Sprintf("%03d", 2*(i/12775)+1)
	return first17 + string(ident.CheckChar(first17))
}

func soakRegistration(i int, unitID string) map[string]string {
	return map[string]string{"name": "测试教师", "id_type": "1", "id_number": soakIDNumber(i), "unit_id": unitID,
		"work_start": "2012-09", "certificate_type": "3", "certificate_number": fmt.Sprintf("2012130103%d%06d", 1, i),
		"mobile": fmt.Sprintf("138%08d", i)}
}

// try sends registration i once, with a client timeout; it reports whether
// the outcome is final.
func (a *attempt) try(base, token string, i int, unitID string, timeout time.Duration) bool {
	st, raw := soakCall(base, token, "POST", "/api/v1/teachers", soakRegistration(i, unitID), timeout,
		"Idempotency-Key", fmt.Sprintf("soak-%d", i))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tries++
	switch {
	case st == 201:
		var r struct{ ID string }
		_ = json.Unmarshal(raw, &r)
		a.acked = r.ID
		return true
	case st == 0:
		a.cutOff++
	case st == 409 && strings.Contains(string(raw), "request_in_progress"):
		a.inFlight++
	case st == 503 || st >= 500:
		a.unavailab++
	default:
		a.refused = st
		return true
	}
	return false
}

func TestSoak(t *testing.T) {
	loadFor := time.Duration(soakEnv("SOAK_SECONDS", 40)) * time.Second
	kills := soakEnv("SOAK_KILLS", 4)
	workers := soakEnv("SOAK_WORKERS", 6)
	maxCommands := soakEnv("SOAK_MAX", 3000)
	began := time.Now()
	ctx := context.Background()

	dir := t.TempDir()
	bin := filepath.Join(dir, "record")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbName := "record_soak_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	dsn := pgtest.URLFor(dbName)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	svc := &soakService{t: t, bin: bin, dir: dir, logPath: filepath.Join(dir, "service.log"), base: "http://" + addr,
		env: append(os.Environ(), "DATABASE_URL="+dsn, "HTTP_ADDR="+addr, "BCRYPT_COST=4", "DATA_DIR="+filepath.Join(dir, "data"),
			"READY_MAX_STALL=3s", "LOG_LEVEL=info", "INTEGRITY_DIGEST_INTERVAL=0")}
	svc.run("migrate", "--create-db")
	t.Cleanup(func() {
		if os.Getenv("SOAK_KEEP") != "" {
			t.Logf("kept database %s and log %s", dbName, svc.logPath)
			return
		}
		if c, err := pgx.Connect(context.Background(), pgtest.ServerURL()); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	svc.run("create-admin", "--login", "prov", "--name", "省级管理员", "--password", "Prov-Pass-1")
	svc.start()
	defer func() {
		if svc.cmd != nil && svc.cmd.ProcessState == nil {
			svc.kill()
		}
	}()
	base := svc.base
	prov := soakLogin(t, base, "prov", "Prov-Pass-1", "Prov-Pass-2")
	st, raw := soakCall(base, prov, "POST", "/api/v1/accounts", map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}, 10*time.Second)
	if st != 201 {
		t.Fatalf("county admin: %d %s", st, raw)
	}
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	_ = json.Unmarshal(raw, &created)
	county := soakLogin(t, base, "ca_admin", created.InitialPassword, "County-Pass-1")
	st, raw = soakCall(base, county, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}, 10*time.Second)
	if st != 201 {
		t.Fatalf("unit: %d %s", st, raw)
	}
	var unit struct{ ID string }
	_ = json.Unmarshal(raw, &unit)

	pool, err := migrations.NewPool(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Load: workers register teachers until the load time is over, each
	// with its key, retrying what got no answer; one try in three has a
	// client timeout of 5-60 ms (cut off mid-command).
	attempts := make([]*attempt, maxCommands)
	for i := range attempts {
		attempts[i] = &attempt{}
	}
	var next atomic.Int64
	var serviceUp atomic.Bool
	serviceUp.Store(true)
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				i := int(next.Add(1) - 1)
				if i >= maxCommands {
					return
				}
				a := attempts[i]
				for tries := 0; tries < 6; tries++ {
					timeout := 10 * time.Second
					if rng.IntN(3) == 0 {
						timeout = time.Duration(5+rng.IntN(55)) * time.Millisecond
					}
					if a.try(base, county, i, unit.ID, timeout) {
						break
					}
					select {
					case <-stopLoad:
						return
					case <-time.After(time.Duration(50+rng.IntN(200)) * time.Millisecond):
					}
				}
			}
		})
	}

	// The poison event: a known type whose data does not decode.
	poison := uuid.New()
	poisonStream := "teacher-" + uuid.NewString()
	time.Sleep(2 * time.Second)
	if _, err := postgres.New(pool).Append(ctx, poisonStream, eventstore.NoStream(), eventstore.EventData{
		ID: poison, Type: "teacher.registered", Data: []byte(`{"teacher_id": 42}`), Metadata: []byte(`{}`)}); err != nil {
		t.Fatalf("poison: %v", err)
	}

	// Kills spread over the load time, with a window for the long
	// transaction after the second one.
	step := loadFor / time.Duration(kills+2)
	var stall stallWatch
	for k := 0; k < kills; k++ {
		time.Sleep(step)
		svc.kill()
		time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
		svc.start()
		if k == 1 {
			stall = holdTransaction(t, ctx, dsn, base, prov, 9*time.Second)
		}
	}
	time.Sleep(step)
	close(stopLoad)
	wg.Wait()

	// A last kill, then every command without a final answer is retried
	// with its key until it has one; a key still in progress after its
	// lease is stuck.
	svc.kill()
	svc.start()
	stuck := 0
	commandsSent := min(int(next.Load()), maxCommands)
	retriedToEnd := 0
	for i := 0; i < commandsSent; i++ {
		a := attempts[i]
		a.mu.Lock()
		final := a.acked != "" || a.refused != 0
		a.mu.Unlock()
		if final {
			continue
		}
		retriedToEnd++
		deadline := time.Now().Add(httpapi.IdempotencyLease + 15*time.Second)
		for !a.try(base, county, i, unit.ID, 30*time.Second) {
			if time.Now().After(deadline) {
				stuck++
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	// Wait for the projections to apply everything.
	waitCaughtUp(t, base, prov)

	// Checks against the database.
	acked, refused, cutOff, inFlight, busy, tries := 0, 0, 0, 0, 0, 0
	ackedIDs := map[int]string{}
	for i := 0; i < commandsSent; i++ {
		a := attempts[i]
		tries += a.tries
		cutOff += a.cutOff
		inFlight += a.inFlight
		busy += a.unavailab
		switch {
		case a.acked != "":
			acked++
			ackedIDs[i] = a.acked
		case a.refused != 0:
			refused++
			t.Errorf("registration %d refused with %d", i, a.refused)
		}
	}
	lost := 0
	for i, id := range ackedIDs {
		var events, profiles int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM es_events WHERE stream = $1 AND event_type = 'teacher.registered'`, "teacher-"+id).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles WHERE teacher_id = $1`, id).Scan(&profiles); err != nil {
			t.Fatal(err)
		}
		if events != 1 || profiles != 1 {
			lost++
			t.Errorf("acknowledged registration %d (teacher %s): %d events, %d profiles", i, id, events, profiles)
		}
	}
	// Applied at most once: one registration per ID number, and no
	// teacher stream beyond the acknowledged ones and the poison.
	var twice, streams int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT n FROM (
			SELECT jsonb_path_query_first(convert_from(data, 'UTF8')::jsonb, '$.**.id_number') AS n
			FROM es_events WHERE event_type = 'teacher.registered' AND stream <> $1
		) r GROUP BY n HAVING count(*) > 1) d`, poisonStream).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM es_events WHERE event_type = 'teacher.registered' AND stream <> $1`, poisonStream).Scan(&streams); err != nil {
		t.Fatal(err)
	}
	if twice != 0 || streams != acked {
		t.Errorf("%d ID numbers registered twice; %d registrations stored for %d acknowledged", twice, streams, acked)
	}
	var openKeys int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys WHERE status IS NULL`).Scan(&openKeys); err != nil {
		t.Fatal(err)
	}
	stuck += openKeys
	var orphans int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM es_events e WHERE e.event_type = 'teacher.registered' AND e.stream <> $1
		AND NOT EXISTS (SELECT 1 FROM auth_accounts a WHERE 'teacher-' || a.teacher_id::text = e.stream)`, poisonStream).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	var parkedIn int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT projection) FROM projection_parked WHERE event_id = $1`, poison).Scan(&parkedIn); err != nil {
		t.Fatal(err)
	}
	if parkedIn == 0 {
		t.Error("the poison event was not parked")
	}
	if !stall.reported || !stall.notReady {
		t.Errorf("the stall was not reported while it lasted: %+v", stall)
	}
	if stall.stillAfter {
		t.Error("the stall was still reported after the transaction ended")
	}

	// Read models equal a full rebuild by the binary.
	svc.stop()
	tables := readModelTables(t, pool)
	before := dumpTables(t, pool, tables)
	svc.run("rebuild")
	after := dumpTables(t, pool, tables)
	differ, rows := 0, 0
	for _, table := range tables {
		rows += len(before[table])
		if strings.Join(before[table], "\n") != strings.Join(after[table], "\n") {
			differ++
			t.Errorf("table %s differs after the rebuild: %d rows before, %d after", table, len(before[table]), len(after[table]))
		}
	}
	if lost+twice+stuck+orphans != 0 {
		t.Errorf("lost %d, twice %d, stuck %d, orphans %d", lost, twice, stuck, orphans)
	}
	if svc.starts < 3+1 {
		t.Errorf("only %d starts", svc.starts)
	}
	summary := fmt.Sprintf("soak: %d kills (SIGKILL), %d registrations by %d workers in %d tries (%d cut off by client timeouts or kills, %d answered in progress, %d answered 503, %d retried after the load), %d acknowledged, %d lost, %d applied twice, %d stuck keys, %d teachers without a login, poison parked in %d projections, stall reported %.1fs after it began (readyz 503: %v), read models = rebuild: %d of %d tables differ (%d rows), %s",
		kills+1, commandsSent, workers, tries, cutOff, inFlight, busy, retriedToEnd, acked, lost, twice, stuck, orphans, parkedIn,
		stall.reportedAfter.Seconds(), stall.notReady, differ, len(tables), rows, time.Since(began).Round(time.Second))
	fmt.Println(summary)
	t.Log(summary)
}

// stallWatch is what the operations view and /readyz said while a long
// transaction held the feed back.
type stallWatch struct {
	reported      bool
	reportedAfter time.Duration
	notReady      bool
	stillAfter    bool
}

// holdTransaction opens a transaction with an ID for d (the feed of a
// PostgreSQL store waits for it) and watches the operations view and
// /readyz meanwhile, then checks the stall clears.
func holdTransaction(t *testing.T, ctx context.Context, dsn, base, token string, d time.Duration) stallWatch {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var w stallWatch
	for time.Since(began) < d {
		var v struct {
			Horizon struct {
				Stalled string `json:"stalled"`
			} `json:"horizon"`
		}
		if st, raw := soakCall(base, token, "GET", "/api/v1/ops/projections", nil, 5*time.Second); st == 200 {
			_ = json.Unmarshal(raw, &v)
			if v.Horizon.Stalled != "" && !w.reported {
				w.reported, w.reportedAfter = true, time.Since(began)
			}
		}
		if st, _ := soakCall(base, "", "GET", "/readyz", nil, 5*time.Second); st == 503 {
			w.notReady = true
		}
		time.Sleep(250 * time.Millisecond)
	}
	_ = tx.Rollback(ctx)
	// The report ends with the transaction (allow the other tests' own
	// transactions on a shared server a moment).
	deadline := time.Now().Add(15 * time.Second)
	for {
		var v struct {
			Horizon struct {
				Stalled string `json:"stalled"`
			} `json:"horizon"`
		}
		st, raw := soakCall(base, token, "GET", "/api/v1/ops/projections", nil, 5*time.Second)
		_ = json.Unmarshal(raw, &v)
		if st == 200 && v.Horizon.Stalled == "" {
			break
		}
		if time.Now().After(deadline) {
			w.stillAfter = true
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return w
}

// waitCaughtUp waits until every projection's lag is 0.
func waitCaughtUp(t *testing.T, base, token string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var v struct {
			Projections []struct {
				Name string `json:"name"`
				Lag  int    `json:"lag"`
			} `json:"projections"`
		}
		st, raw := soakCall(base, token, "GET", "/api/v1/ops/projections", nil, 10*time.Second)
		_ = json.Unmarshal(raw, &v)
		behind := 0
		for _, p := range v.Projections {
			behind += p.Lag
		}
		if st == 200 && len(v.Projections) > 0 && behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections not caught up: %d %s", st, raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readModelTables are the tables of every projection, as the wiring has them.
func readModelTables(t *testing.T, pool *pgxpool.Pool) []string {
	cfg := ConfigFromEnv()
	cfg.DataDir = t.TempDir()
	s := Wire(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, postgres.New(pool), time.Now)
	var out []string
	for _, p := range allProjections(s) {
		out = append(out, p.Tables()...)
	}
	sort.Strings(out)
	return out
}

func dumpTables(t *testing.T, pool *pgxpool.Pool, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT to_jsonb(t)::text FROM %s t ORDER BY 1`, pgx.Identifier{table}.Sanitize()))
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
	}
	return out
}
