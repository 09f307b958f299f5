package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// Observability wiring: the metrics of the event store, the projections and
// the pools, the limits per request class, /metrics and the admin listener.
//
// /metrics is served on the admin listener (ADMIN_ADDR, off by default,
// with pprof) and on the public listener only when METRICS_PUBLIC=true: the
// series name routes, projections and counts of failed logins, nothing an
// anonymous visitor of the public site needs. Bind ADMIN_ADDR to loopback
// or a private network and let Prometheus scrape it there.

// instrumentedStore times the command path's appends and counts conflicts.
// Only the repository's store is wrapped; reads and the projections' feed
// go to the store itself.
type instrumentedStore struct {
	eventstore.Store
	m *httpapi.Metrics
}

// ReadStreams keeps the store's batched read (eventstore.StreamsReader)
// visible through the wrapper.
func (s instrumentedStore) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error) {
	return eventstore.ReadStreams(ctx, s.Store, streams)
}

func (s instrumentedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, expected, events...)
	s.m.AppendDuration.Observe(time.Since(start).Seconds())
	switch {
	case errors.Is(err, eventstore.ErrWrongExpectedRevision):
		s.m.AppendConflicts.Inc()
	case err != nil:
		s.m.AppendErrors.Inc()
	}
	return res, err
}

// onBatch is the projection runner's OnBatch hook.
func onBatch(m *httpapi.Metrics) func(projections.BatchStats) {
	return func(st projections.BatchStats) {
		m.ProjectionBatch.WithLabelValues(st.Projection, st.Path).Observe(st.Took.Seconds())
		m.ProjectionEvent.WithLabelValues(st.Projection, st.Path).Add(float64(st.Events))
	}
}

// projectionCollector reads the runner's status at scrape time: position,
// lag in events and in seconds, parked events per projection, and the
// stall of the feed.
type projectionCollector struct {
	runner *projections.Runner
	store  eventstore.Store
	now    func() time.Time

	position, lag, lagSeconds, parked, live, heldBack, blockerAge, up *prometheus.Desc
}

func newProjectionCollector(r *projections.Runner, store eventstore.Store, now func() time.Time) *projectionCollector {
	l := []string{"projection"}
	return &projectionCollector{runner: r, store: store, now: now,
		position:   prometheus.NewDesc("record_projection_checkpoint_commit", "The commit part of the projection's stored checkpoint (transaction id on PostgreSQL, log position on EventStoreDB).", l, nil),
		lag:        prometheus.NewDesc("record_projection_lag_events", "Events in the store after the projection's checkpoint, held-back ones included (counted up to 10000).", l, nil),
		lagSeconds: prometheus.NewDesc("record_projection_lag_seconds", "How long the oldest event the projection has not applied has been stored (0 when it is up to date).", l, nil),
		parked:     prometheus.NewDesc("record_projection_parked_events", "Events the projection parked.", l, nil),
		live:       prometheus.NewDesc("record_projection_live", "1 once the projection follows the live feed in this process.", l, nil),
		heldBack:   prometheus.NewDesc("record_feed_held_back_events", "Events stored but held back from the feed by an open transaction.", nil, nil),
		blockerAge: prometheus.NewDesc("record_feed_oldest_transaction_seconds", "Age of the oldest open transaction holding the feed back (0: none holds it).", nil, nil),
		up:         prometheus.NewDesc("record_projection_status_up", "1 when the projections' status could be read at this scrape.", nil, nil),
	}
}

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.position, c.lag, c.lagSeconds, c.parked, c.live, c.heldBack, c.blockerAge, c.up} {
		ch <- d
	}
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sts, err := c.runner.Status(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	h, _, err := c.runner.Horizon(ctx)
	age := 0.0
	if err == nil && h.HeldBack > 0 && h.Blocker != nil {
		age = h.Blocker.Age.Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.heldBack, prometheus.GaugeValue, float64(h.HeldBack))
	ch <- prometheus.MustNewConstMetric(c.blockerAge, prometheus.GaugeValue, age)
	oldest := map[eventstore.Position]float64{} // one read per distinct checkpoint
	for _, s := range sts {
		ch <- prometheus.MustNewConstMetric(c.position, prometheus.GaugeValue, float64(s.Checkpoint.Commit), s.Name)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(s.Lag), s.Name)
		ch <- prometheus.MustNewConstMetric(c.parked, prometheus.GaugeValue, float64(s.Parked), s.Name)
		live := 0.0
		if s.Live {
			live = 1
		}
		ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, live, s.Name)
		secs := 0.0
		if s.Lag > 0 {
			v, ok := oldest[s.Checkpoint]
			if !ok {
				// The first deliverable event after the checkpoint; when
				// only held-back events follow, the stall's age.
				v = age
				if next, err := c.store.ReadAll(ctx, s.Checkpoint, 1); err == nil && len(next) > 0 {
					v = max(v, c.now().Sub(next[0].RecordedAt).Seconds())
				}
				oldest[s.Checkpoint] = v
			}
			secs = v
		}
		ch <- prometheus.MustNewConstMetric(c.lagSeconds, prometheus.GaugeValue, secs, s.Name)
	}
}

// poolCollector reports pgxpool.Stat of each pool by name.
type poolCollector struct {
	pools                                               map[string]*pgxpool.Pool
	acquired, idle, total, max, acquires, waits, waited *prometheus.Desc
}

func newPoolCollector(pools map[string]*pgxpool.Pool) *poolCollector {
	l := []string{"pool"}
	return &poolCollector{pools: pools,
		acquired: prometheus.NewDesc("record_db_pool_acquired_connections", "Connections in use.", l, nil),
		idle:     prometheus.NewDesc("record_db_pool_idle_connections", "Idle connections.", l, nil),
		total:    prometheus.NewDesc("record_db_pool_total_connections", "Open connections.", l, nil),
		max:      prometheus.NewDesc("record_db_pool_max_connections", "The pool's bound.", l, nil),
		acquires: prometheus.NewDesc("record_db_pool_acquires_total", "Connections acquired.", l, nil),
		waits:    prometheus.NewDesc("record_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", l, nil),
		waited:   prometheus.NewDesc("record_db_pool_acquire_wait_seconds_total", "Time spent acquiring connections.", l, nil),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.acquires, c.waits, c.waited} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, p := range c.pools {
		st := p.Stat()
		ch <- prometheus.MustNewConstMetric(c.acquired, prometheus.GaugeValue, float64(st.AcquiredConns()), name)
		ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(st.IdleConns()), name)
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(st.TotalConns()), name)
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(st.MaxConns()), name)
		ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(st.AcquireCount()), name)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(st.EmptyAcquireCount()), name)
		ch <- prometheus.MustNewConstMetric(c.waited, prometheus.CounterValue, st.AcquireDuration().Seconds(), name)
	}
}

// pools names the service's distinct pools.
func (s *Service) pools() map[string]*pgxpool.Pool {
	out := map[string]*pgxpool.Pool{"api": s.Pool}
	if s.StorePool != nil && s.StorePool != s.Pool {
		out["store"] = s.StorePool
	}
	if s.ProjPool != nil && s.ProjPool != s.Pool {
		out["projections"] = s.ProjPool
	}
	return out
}

// instrument wraps the whole handler: request IDs and HTTP metrics
// outermost, then the limits per class; /metrics on the public listener
// only with METRICS_PUBLIC=true.
func (s *Service) instrument(h http.Handler) http.Handler {
	s.Metrics.Registry.MustRegister(newProjectionCollector(s.Runner, s.Store, s.Now), newPoolCollector(s.pools()))
	limited := s.Limiter.Handler(h)
	metrics := s.Metrics.Handler()
	return s.Metrics.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && s.Cfg.MetricsPublic {
			metrics.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	}))
}

// AdminHandler is what the admin listener serves: /metrics and pprof.
func (s *Service) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
