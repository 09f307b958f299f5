package main

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/web"
)

// BenchmarkPersonalSpaceAtScale is issue 14's personal-space row: 16
// readers at once (PS_BENCH_READERS), each a teacher of a seeded database
// reading her own pages (the four pages of the personal space, then the
// JSON of her credits, profile and history) with her own session, for
// PS_BENCH_SECONDS (10) after a warm-up; p50 and p99 per path. Baseline in
// the same run: the same readers on the smallest authenticated read
// (GET /api/v1/me: the session and one profile row), so the ratio shows
// what each page adds to that.
//
//	PS_BENCH_DATABASE_URL=postgres://…/s100k DATA_DIR=<the seed's> \
//	  go test -run '^$' -bench PersonalSpaceAtScale -benchtime 1x ./cmd/record/
//
// The database must have been seeded (record seed) and its read models
// built (record rebuild); the runner is not started. PS_BENCH_SKIP=history
// leaves out the two history pages (for a database whose teacher_history
// was not rebuilt).
func BenchmarkPersonalSpaceAtScale(b *testing.B) {
	url := os.Getenv("PS_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("PS_BENCH_DATABASE_URL not set: a seeded database with its read models")
	}
	ctx := context.Background()
	readers := envInt("PS_BENCH_READERS", 16)
	phase := time.Duration(envInt("PS_BENCH_SECONDS", 10)) * time.Second
	cfg := ConfigFromEnv()
	cfg.DatabaseURL = url
	cfg.BcryptCost = 4
	svc, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()

	// 200 teachers spread over the province, each with a session.
	rows, err := svc.Pool.Query(ctx, `SELECT teacher_id FROM teacher_profiles TABLESAMPLE SYSTEM (5) REPEATABLE (1) LIMIT 200`)
	if err != nil {
		b.Fatal(err)
	}
	var teachers []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		teachers = append(teachers, id)
	}
	rows.Close()
	if len(teachers) < readers {
		b.Fatalf("%d teachers sampled", len(teachers))
	}
	var total int
	if err := svc.Pool.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	cookies := make([]*http.Cookie, len(teachers))
	for i, id := range teachers {
		acc := commands.TeacherAccountID(id)
		tok, _, err := svc.Creds.NewSession(ctx, acc, "127.0.0.1", "bench")
		if err != nil {
			b.Fatalf("session of %s: %v", id, err)
		}
		if err := svc.Creds.SetPassword(ctx, acc, "Bench-Reader-2026", false, tok); err != nil {
			b.Fatal(err)
		}
		cookies[i] = &http.Cookie{Name: web.SessionCookie, Value: tok}
	}
	// PS_BENCH_SKIP (comma-separated last path segments, e.g. "history")
	// leaves pages out, for a database whose read model for them was not
	// built.
	skip := strings.Split(os.Getenv("PS_BENCH_SKIP"), ",")
	paths := func(id string) []string {
		t := "/api/v1/teachers/" + id
		all := []string{"/me", "/me/trainings", "/me/credits", "/me/history", t, t + "/credits", t + "/history"}
		return slices.DeleteFunc(all, func(p string) bool {
			return slices.ContainsFunc(skip, func(s string) bool { return s != "" && strings.HasSuffix(p, "/"+s) })
		})
	}
	get := func(path string, c *http.Cookie) (time.Duration, int) {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		start := time.Now()
		svc.Handler.ServeHTTP(rec, req)
		return time.Since(start), rec.Code
	}
	// run has every reader read for d; pick returns the paths of one visit.
	run := func(d time.Duration, pick func(i int) []string) map[string][]time.Duration {
		var mu sync.Mutex
		out := map[string][]time.Duration{}
		var wg sync.WaitGroup
		deadline := time.Now().Add(d)
		for r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(r), 14))
				mine := map[string][]time.Duration{}
				for time.Now().Before(deadline) {
					i := rng.IntN(len(teachers))
					for k, p := range pick(i) {
						took, code := get(p, cookies[i])
						if code != http.StatusOK {
							b.Errorf("GET %s: %d", p, code)
							return
						}
						mine[label(k)] = append(mine[label(k)], took)
					}
				}
				mu.Lock()
				for k, v := range mine {
					out[k] = append(out[k], v...)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		return out
	}
	all := func(i int) []string { return paths(teachers[i].String()) }
	base := func(i int) []string { return []string{"/api/v1/me"} }
	run(2*time.Second, all) // warm-up: plans, caches
	b.ResetTimer()
	for range b.N {
		baseline := run(phase/2, base)["0"]
		got := run(phase, all)
		bp50, bp99 := pct(baseline, 50), pct(baseline, 99)
		b.Logf("%d teachers in the database, %d readers; baseline GET /api/v1/me p50 %.2f ms, p99 %.2f ms (%d requests)",
			total, readers, ms(bp50), ms(bp99), len(baseline))
		worst := time.Duration(0)
		for k, p := range paths("{id}") {
			lat := got[label(k)]
			p50, p99 := pct(lat, 50), pct(lat, 99)
			worst = max(worst, p99)
			b.Logf("%-40s p50 %6.2f ms  p99 %6.2f ms  (%d requests; p99 %.1fx the baseline's)", p, ms(p50), ms(p99), len(lat), float64(p99)/float64(bp99))
		}
		if st, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(st), "\n") {
				if strings.HasPrefix(l, "VmHWM:") || strings.HasPrefix(l, "VmRSS:") {
					b.Logf("the process (the whole service in it): %s", strings.Join(strings.Fields(l), " "))
				}
			}
		}
		b.ReportMetric(ms(worst), "worst_p99_ms")
		b.ReportMetric(ms(bp99), "baseline_p99_ms")
		b.ReportMetric(float64(worst)/float64(bp99), "x-baseline")
	}
}

func label(k int) string { return string(rune('0' + k)) }

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
