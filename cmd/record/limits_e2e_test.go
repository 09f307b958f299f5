package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/migrations/pgtest"
)

// Thirty clients whose downloads hang (their query waits on a lock held
// elsewhere, as a slow query would) take at most the download class's
// slots and connections: a normal query, a command and /readyz still
// answer within a bound, the waiting downloads are refused with 503 and
// Retry-After once their wait is over, and the projections (their own
// pool) keep applying. Before the limits and pools, the 30 held all 24
// pooled connections and every other call waited for one.
func TestSlowDownloadsDoNotStarveTheService(t *testing.T) {
	_, dsn := pgtest.NewWithURL(t)
	cfg := ConfigFromEnv()
	cfg.DatabaseURL = dsn
	cfg.BcryptCost = 4
	cfg.DataDir = t.TempDir()
	cfg.Limits = httpapi.Limits{Queries: 12, Commands: 8, Downloads: 2, Wait: 3 * time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr = l.Addr().String()
	l.Close()
	if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg.AdminAddr = l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if svc.ProjPool == svc.Pool || svc.StorePool == svc.Pool {
		t.Fatal("serve's wiring shares one pool")
	}
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ctx) }()
	defer func() { cancel(); <-served }()
	if _, err := svc.CreateProvinceAdmin(ctx, "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	base := "http://" + cfg.HTTPAddr
	var token string
	for i := 0; ; i++ {
		if token, err = apiLogin(base, "prov", "Prov-Pass-1"); err == nil {
			break
		}
		if i > 100 {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	call := func(timeout time.Duration, method, path, body string) (int, http.Header, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := (&http.Client{Timeout: timeout}).Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header, nil
	}
	// The admin listener serves the metrics of the three pools.
	var res *http.Response
	for i := 0; ; i++ { // the admin listener starts in its own goroutine
		if res, err = http.Get("http://" + cfg.AdminAddr + "/metrics"); err == nil {
			break
		}
		if i > 100 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	scrape, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, p := range []string{"api", "store", "projections"} {
		if !strings.Contains(string(scrape), `record_db_pool_max_connections{pool="`+p+`"}`) {
			t.Fatalf("admin /metrics lacks the %s pool", p)
		}
	}
	if st, _, err := call(10*time.Second, "PUT", "/api/v1/me/password", `{"old_password":"Prov-Pass-1","new_password":"Prov-Pass-2"}`); err != nil || st != 200 {
		t.Fatalf("password change: %d %v", st, err)
	}

	// Hold the export's table from outside the service's pools.
	lockConn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer lockConn.Close(context.Background())
	lockTx, err := lockConn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockTx.Exec(ctx, `LOCK TABLE key_field_audit IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			_ = lockTx.Rollback(context.Background())
		}
	}
	defer release()

	const slow = 30
	statuses := make(chan int, slow)
	var wg sync.WaitGroup
	for range slow {
		wg.Go(func() {
			st, h, err := call(60*time.Second, "GET", "/api/v1/audit/key-field-changes?format=csv", "")
			if err != nil {
				t.Errorf("download: %v", err)
				return
			}
			if st == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			statuses <- st
		})
	}
	// The download class is full: two downloads hang on the lock.
	deadline := time.Now().Add(10 * time.Second)
	for svc.Limiter.InUse(httpapi.ClassDownload) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the downloads never started")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Everything else answers within a bound while they hang (the bound is
	// generous: the point is that it is met at all, not how fast).
	const bound = 2 * time.Second
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/me", ""},
		{"GET", "/readyz", ""},
		{"POST", "/api/v1/accounts", `{"login":"ca_admin","role":"county_admin","jurisdiction":"130102","display_name":"长安"}`},
		{"GET", "/api/v1/ops/projections", ""},
	} {
		st, _, err := call(bound, c.method, c.path, c.body)
		if err != nil || st >= 300 {
			t.Fatalf("%s %s while 30 downloads hang: status %d, %v", c.method, c.path, st, err)
		}
	}
	if n := svc.Limiter.InUse(httpapi.ClassDownload); n > 2 {
		t.Fatalf("%d downloads in the handler, bound 2", n)
	}
	if n := svc.Pool.Stat().AcquiredConns(); n > 2+2 {
		t.Fatalf("%d API connections in use with two downloads hanging", n)
	}

	// The waiting downloads are refused after their wait; the two that
	// held slots finish once the lock goes.
	time.Sleep(cfg.Limits.Wait + time.Second)
	release()
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for st := range statuses {
		counts[st]++
	}
	if counts[200] < 2 || counts[503] == 0 || counts[200]+counts[503] != slow {
		t.Fatalf("download answers %v: want the two admitted to succeed and the rest refused with 503", counts)
	}
	fams, err := svc.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if v := value(fams, "record_http_limit_refusals_total", map[string]string{"class": "download"}); v != float64(counts[503]) {
		t.Fatalf("refusals counted %v, answered %d", v, counts[503])
	}
}
