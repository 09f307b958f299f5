package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/eventstore"
)

// After some traffic (commands, queries, failed logins up to a lockout and
// a rate limit, an append conflict) the scrape holds every series the
// operators rely on, with values that match the traffic.
func TestMetricsScrapedAfterTraffic(t *testing.T) {
	a := startApp(t, "postgres")
	ctx := context.Background()
	if _, err := a.svc.CreateProvinceAdmin(ctx, "m_root", "省级管理员", "Root-Pass-1"); err != nil {
		t.Fatal(err)
	}
	root := a.login("m_root", "Root-Pass-1", "Root-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	root.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "m_county", "role": "county_admin", "jurisdiction": "130102", "display_name": "m_county"}).json(t, &created)
	county := a.login("m_county", created.InitialPassword, "Changed-County-1")
	var unit struct{ ID string }
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}).json(t, &unit)
	county.must(200, "GET", "/api/v1/units/"+unit.ID, nil)

	// A request ID on every answer: the caller's when it is sane, a new one otherwise.
	r := county.do("GET", "/api/v1/units/"+unit.ID, nil, "X-Request-ID", "trace-abc.123")
	if got := r.Header.Get("X-Request-ID"); got != "trace-abc.123" {
		t.Fatalf("X-Request-ID echoed %q", got)
	}
	r = county.do("GET", "/api/v1/units/"+unit.ID, nil, "X-Request-ID", "bad id\twith tab")
	if got := r.Header.Get("X-Request-ID"); uuid.Validate(got) != nil {
		t.Fatalf("X-Request-ID for an unusable incoming one: %q", got)
	}
	if got := a.anon().do("GET", "/login", nil).Header.Get("X-Request-ID"); got == "" {
		t.Fatal("a page answers without X-Request-ID")
	}

	// Failed logins until a lockout, then past the login rate (20 a minute).
	failures, limited := 0, 0
	for i := 0; i < 22; i++ {
		switch r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": "m_county", "password": "Wrong-Pass-9"}); r.Status {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized, http.StatusLocked:
			failures++
		default:
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
	}
	if failures < commands.MaxFailedLogins || limited == 0 {
		t.Fatalf("failures %d, rate-limited %d: the traffic did not reach a lockout and the limit", failures, limited)
	}

	// An append conflict through the store the commands use.
	st := instrumentedStore{Store: a.svc.Store, m: a.svc.Metrics}
	stream := "metrics-" + uuid.NewString()
	ev := func() eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: "test.metrics", Data: []byte(`{}`), Metadata: []byte(`{}`)}
	}
	if _, err := st.Append(ctx, stream, eventstore.NoStream(), ev()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, stream, eventstore.NoStream(), ev()); err == nil {
		t.Fatal("second append to a new stream accepted")
	}

	// The scrape, over HTTP from the admin handler.
	rec := httptest.NewRecorder()
	a.svc.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("admin /metrics: %d", rec.Code)
	}
	text := rec.Body.String()
	for _, series := range []string{
		`record_http_requests_total{method="POST",route="/api/v1/units",status="201"} 1`,
		`record_http_requests_total{method="GET",route="/api/v1/units/{id}",status="200"} 3`,
		`record_http_request_duration_seconds_bucket{method="POST",route="/api/v1/sessions",le="+Inf"}`,
		`record_login_lockouts_total 1`,
		`record_rate_limited_total{route="/api/v1/sessions"}`,
		`record_eventstore_append_conflicts_total 1`,
		`record_eventstore_append_duration_seconds_count`,
		`record_projection_lag_events{projection="accounts"}`,
		`record_projection_lag_seconds{projection=`,
		`record_projection_parked_events{projection=`,
		`record_projection_checkpoint_commit{projection=`,
		`record_projection_events_total{path=`,
		`record_projection_status_up 1`,
		`record_feed_held_back_events`,
		`record_db_pool_max_connections{pool="api"}`,
		`record_db_pool_acquired_connections{pool="api"}`,
		`record_http_limit_in_use{class="command"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, series) {
			t.Errorf("scrape lacks %s", series)
		}
	}
	// Routes are patterns, never IDs.
	if uuidRe.MatchString(metricLines(text, "record_http_requests_total")) {
		t.Error("a route label holds an ID")
	}

	// Values that follow the traffic, from the registry itself.
	fams := gather(t, a)
	if v := value(fams, "record_login_failures_total", nil); v < float64(failures) {
		t.Errorf("login failures %v, want at least %d", v, failures)
	}
	if v := value(fams, "record_rate_limited_total", map[string]string{"route": "/api/v1/sessions"}); v != float64(limited) {
		t.Errorf("rate-limited %v, want %d", v, limited)
	}
	commandsRun := value(fams, "record_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/units", "status": "201"}) +
		value(fams, "record_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/accounts", "status": "201"})
	if n := histCount(fams, "record_eventstore_append_duration_seconds"); n < commandsRun {
		t.Errorf("appends timed %v, fewer than the %v commands that appended", n, commandsRun)
	}
	if v := value(fams, "record_db_pool_max_connections", map[string]string{"pool": "api"}); v != float64(a.svc.Pool.Config().MaxConns) {
		t.Errorf("pool max %v, want %d", v, a.svc.Pool.Config().MaxConns)
	}
	for _, name := range a.svc.Runner.Names() {
		if v := value(fams, "record_projection_parked_events", map[string]string{"projection": name}); v != 0 {
			t.Errorf("%s parked %v", name, v)
		}
		if v := value(fams, "record_projection_lag_events", map[string]string{"projection": name}); v < 0 {
			t.Errorf("%s lag %v", name, v)
		}
	}
	if v := value(fams, "record_projection_checkpoint_commit", map[string]string{"projection": "accounts"}); v <= 0 {
		t.Errorf("accounts checkpoint %v after commands", v)
	}

	// Not on the public listener unless METRICS_PUBLIC=true.
	if r := a.anon().do("GET", "/metrics", nil); strings.Contains(string(r.Body), "record_http_requests_total") {
		t.Fatalf("/metrics served publicly by default: %d", r.Status)
	}
	// pprof only on the admin handler.
	rec = httptest.NewRecorder()
	a.svc.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
	if rec.Code != 200 {
		t.Fatalf("admin pprof: %d", rec.Code)
	}
	if r := a.anon().do("GET", "/debug/pprof/", nil); r.Status == 200 && strings.Contains(string(r.Body), "goroutine") {
		t.Fatal("pprof on the public listener")
	}
	t.Setenv("ADMIN_ADDR", "")
	if ConfigFromEnv().AdminAddr != "" {
		t.Fatal("admin listener on by default")
	}
}

// With METRICS_PUBLIC=true the public listener serves /metrics too.
func TestMetricsPublicWhenAsked(t *testing.T) {
	t.Setenv("METRICS_PUBLIC", "true")
	if !ConfigFromEnv().MetricsPublic {
		t.Fatal("METRICS_PUBLIC=true not read")
	}
	a := startApp(t, "postgres")
	res, err := http.Get(a.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), "record_projection_status_up") {
		t.Fatalf("public /metrics with METRICS_PUBLIC=true: %d", res.StatusCode)
	}
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func metricLines(text, name string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+"{") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func gather(t *testing.T, a *app) []*dto.MetricFamily {
	t.Helper()
	fams, err := a.svc.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func find(fams []*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// value is a counter's or gauge's value (-1 when the series is missing).
func value(fams []*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := find(fams, name, labels)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

func histCount(fams []*dto.MetricFamily, name string) float64 {
	if m := find(fams, name, nil); m != nil && m.Histogram != nil {
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}
