package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus metrics, in a registry of their own
// (not the global one: every Service, and every test, has its own). The
// HTTP series are recorded here; the wiring adds collectors for the event
// store, the projections and the pools (cmd/record/metrics.go).
//
// Every method is safe on a nil *Metrics, so a Server built without them
// (unit tests) records nothing.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	httpInFlight    prometheus.Gauge
	loginFailures   prometheus.Counter
	lockouts        prometheus.Counter
	rateLimited     *prometheus.CounterVec
	AppendDuration  prometheus.Histogram
	AppendConflicts prometheus.Counter
	AppendErrors    prometheus.Counter
	ProjectionBatch *prometheus.HistogramVec
	ProjectionEvent *prometheus.CounterVec
	LimitWaits      *prometheus.CounterVec
	LimitRefusals   *prometheus.CounterVec
	LimitInUse      *prometheus.GaugeVec
}

// NewMetrics registers the service's series and Go's runtime and process
// collectors in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "record_http_requests_total", Help: "HTTP requests answered, by method, chi route pattern and status.",
	}, []string{"method", "route", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "record_http_request_duration_seconds", Help: "Time to answer an HTTP request, by method and chi route pattern.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route"})
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "record_http_requests_in_flight", Help: "HTTP requests being answered.",
	})
	m.loginFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "record_login_failures_total", Help: "Failed logins (bad credentials, locked or disabled accounts), API and pages.",
	})
	m.lockouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "record_login_lockouts_total", Help: "Accounts locked by too many failed logins.",
	})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "record_rate_limited_total", Help: "Requests refused by a rate limit (429), by chi route pattern.",
	}, []string{"route"})
	m.AppendDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "record_eventstore_append_duration_seconds", Help: "Time of a command's append to the event store.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.AppendConflicts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "record_eventstore_append_conflicts_total", Help: "Appends refused for a wrong expected revision (a concurrent writer).",
	})
	m.AppendErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "record_eventstore_append_errors_total", Help: "Appends that failed for another reason than a conflict.",
	})
	m.ProjectionBatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "record_projection_batch_duration_seconds", Help: "Time of one committed projection transaction, by projection and path (live, catchup, rebuild).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"projection", "path"})
	m.ProjectionEvent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "record_projection_events_total", Help: "Events a projection's committed transactions covered (applied, skipped or parked), by projection and path.",
	}, []string{"projection", "path"})
	m.LimitWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "record_http_limit_waits_total", Help: "Requests that waited for a free slot of their class (query, command, download).",
	}, []string{"class"})
	m.LimitRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "record_http_limit_refusals_total", Help: "Requests answered 503 because their class stayed full for the whole wait.",
	}, []string{"class"})
	m.LimitInUse = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "record_http_limit_in_use", Help: "Requests of a class being answered.",
	}, []string{"class"})
	m.Registry.MustRegister(m.httpRequests, m.httpDuration, m.httpInFlight, m.loginFailures, m.lockouts, m.rateLimited,
		m.AppendDuration, m.AppendConflicts, m.AppendErrors, m.ProjectionBatch, m.ProjectionEvent,
		m.LimitWaits, m.LimitRefusals, m.LimitInUse,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// LoginFailed counts a failed login and, when it locked the account, the
// lockout.
func (m *Metrics) LoginFailed(lockedNow bool) {
	if m == nil {
		return
	}
	m.loginFailures.Inc()
	if lockedNow {
		m.lockouts.Inc()
	}
}

// RequestIDHeader carries the request ID in requests (from a proxy that
// set one) and in every response.
const RequestIDHeader = "X-Request-ID"

// validRequestID is what an incoming X-Request-ID may be; anything else
// (too long, odd characters that would end up in logs) is replaced.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,64}$`)

// Instrument is the outermost middleware of the whole service (API and
// pages): it gives the request an ID (the caller's X-Request-ID when it is
// sane, a new UUID otherwise), answers it in X-Request-ID, puts it in the
// context for every log line (LogHandler) and records the request by its
// chi route pattern. It creates the chi routing context itself, so the
// routers below fill in the pattern it reads after the request.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
			r.Header.Set(RequestIDHeader, id) // chi's middleware.RequestID below keeps it
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), middleware.RequestIDKey, id)
		if m == nil {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		rctx := chi.NewRouteContext()
		ctx = context.WithValue(ctx, chi.RouteCtxKey, rctx)
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		m.httpInFlight.Inc()
		defer func() {
			m.httpInFlight.Dec()
			route := rctx.RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			method := metricMethod(r.Method)
			m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			m.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			if status == http.StatusTooManyRequests {
				m.rateLimited.WithLabelValues(route).Inc()
			}
		}()
		next.ServeHTTP(ww, r.WithContext(ctx))
	})
}

// metricMethod keeps the method label to the standard methods: any token
// is a valid method, and a client must not be able to mint series.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// LogHandler adds the request ID of the context, when there is one, to
// every record logged with a context (slog's ...Context methods, LogAttrs).
type LogHandler struct{ slog.Handler }

func (h LogHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := middleware.GetReqID(ctx); id != "" {
		has := false
		rec.Attrs(func(a slog.Attr) bool { has = a.Key == "request_id"; return !has })
		if !has {
			rec.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

func (h LogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(as)}
}
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
