package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/ledger"
	"github.com/hbte/record/migrations"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/shred"
	"github.com/hbte/record/web"
)

// Service is the whole application wired once: main and the end-to-end
// tests build it the same way.
type Service struct {
	Cfg      Config
	Log      *slog.Logger
	Pool     *pgxpool.Pool
	Store    eventstore.Store
	Registry *event.Registry
	Repo     *commands.Repository
	Creds    *commands.Credentials
	Security *commands.SecurityLog
	Runner   *projections.Runner
	Handlers *commands.Handlers
	Teachers *projections.TeacherQueries
	HTTP     *httpapi.Server
	Web      *web.Kit
	// Handler serves the API and the pages: what the HTTP server runs.
	Handler http.Handler
	// StorePool and ProjPool are the event store's and the projections'
	// pools (the same as Pool when wired with one; pools.go).
	StorePool, ProjPool *pgxpool.Pool
	Metrics             *httpapi.Metrics
	Limiter             *httpapi.Limiter
	Now                 func() time.Time
	// Personal seals and opens personal fields (wiring_erasure.go).
	Personal *shred.Codec

	ledgerOnce sync.Once
	issuer     *ledger.Issuer // see ledger()
}

// Open connects, migrates and wires everything. The store is EventStoreDB
// when EVENTSTORE_URL is an esdb:// URL, PostgreSQL otherwise.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if _, err := httpapi.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
		// pgx's default (max(4, cores)) is too small for the API.
		pcfg.MaxConns = envInt32("POOL_API", defaultAPIPool)
	}
	migrations.Configure(pcfg)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", redact(cfg.DatabaseURL), err)
	}
	if err := migrations.Up(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	var store eventstore.Store
	if err := checkEventStoreURL(cfg.EventStoreURL); err != nil {
		pool.Close()
		return nil, err
	}
	storePool, projPool, err := openExtraPools(ctx, pcfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if cfg.EventStoreURL != "" {
		store, err = esdb.New(ctx, cfg.EventStoreURL)
		if err != nil {
			pool.Close()
			storePool.Close()
			projPool.Close()
			return nil, fmt.Errorf("eventstoredb: %w", err)
		}
		log.Info("event store: EventStoreDB")
		storePool.Close() // the store keeps its own gRPC connection
		storePool = nil
	} else {
		store = postgres.New(storePool)
		log.Info("event store: PostgreSQL")
	}
	return WirePools(cfg, log, Pools{API: pool, Store: storePool, Projections: projPool}, store, time.Now), nil
}

// Wire builds the service on an open pool and store.
func Wire(cfg Config, log *slog.Logger, pool *pgxpool.Pool, store eventstore.Store, now func() time.Time) *Service {
	return WirePools(cfg, log, Pools{API: pool}, store, now)
}

// WirePools builds the service on open pools (Store and Projections
// default to API) and store.
func WirePools(cfg Config, log *slog.Logger, pools Pools, store eventstore.Store, now func() time.Time) *Service {
	pool := pools.API
	reg := newRegistry()
	s := &Service{Cfg: cfg, Log: log, Pool: pool, Store: store, Registry: reg, Now: now,
		StorePool: cmp.Or(pools.Store, pool), ProjPool: cmp.Or(pools.Projections, pool), Metrics: httpapi.NewMetrics()}
	s.Limiter = httpapi.NewLimiter(cfg.Limits, s.Metrics)
	s.Repo = commands.NewRepository(instrumentedStore{Store: store, m: s.Metrics}, reg)
	s.Creds = commands.NewCredentials(pool, cfg.BcryptCost, now)
	s.Security = commands.NewSecurityLog(pool, now)
	s.wirePersonalData(pool)
	s.Handlers = commands.NewHandlers(commands.Deps{Repo: s.Repo, Creds: s.Creds, Now: now, Files: commands.NewFileStore(pool, now),
		Subjects: projections.NewRegistrationInputs(pool)})
	s.Runner = projections.NewRunnerWithConfig(projections.Config{Store: store, Registry: reg, Pool: s.ProjPool, Logger: log,
		OnBatch: onBatch(s.Metrics), Personal: s.personalOpener(),
		LiveGroups: int(envInt32("PROJECTION_GROUPS", 0))}, allProjections(s)...)
	s.Teachers = projections.NewTeacherQueries(pool)
	s.HTTP = httpapi.New(httpapi.Config{
		Log: log, Pool: pool, Creds: s.Creds, Security: s.Security, Waiter: s.Runner,
		Accounts: s.Handlers, Areas: areas(s), Ready: s.ready, Metrics: s.Metrics,
	})
	s.wireWeb()
	s.Handler = s.instrument(s.Handler)
	checkLimits(log, cfg.Limits, pool)
	return s
}

// Serve runs the projections and the HTTP server until ctx ends, then shuts
// down gracefully: HTTP drains first (in-flight requests may still wait for
// the read models), then the projections stop.
func (s *Service) Serve(ctx context.Context) error {
	srv := NewHTTPServer(s.Cfg.HTTPAddr, s.Handler)
	runnerCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// One instance applies the projections; the others stand by
		// (projections/leader.go).
		err := projections.RunAsLeader(runnerCtx, s.leaderConfig(), s.Runner.Run)
		if err == nil && runnerCtx.Err() == nil {
			err = errors.New("projection runner stopped")
		}
		return err
	})
	g.Go(func() error { s.Runner.WatchStalls(runnerCtx, projections.StallThreshold); return nil })
	g.Go(func() error { s.runDigests(gctx); return nil })
	if s.Cfg.AdminAddr != "" {
		admin := &http.Server{Addr: s.Cfg.AdminAddr, Handler: s.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
		g.Go(func() error {
			s.Log.Info("admin listener (metrics, pprof)", "addr", s.Cfg.AdminAddr)
			if err := admin.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("admin listener: %w", err)
			}
			return nil
		})
		g.Go(func() error { <-gctx.Done(); return admin.Close() })
	}
	g.Go(func() error {
		s.Log.Info("listening", "addr", s.Cfg.HTTPAddr)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done() // a signal, or the runner or listener failed
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		s.Log.Info("shutting down: draining HTTP")
		err := srv.Shutdown(shutdownCtx)
		s.Log.Info("shutting down: stopping projections")
		stopRunner()
		return err
	})
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// ready is /readyz beyond the database ping: the event store answers and
// the projections are not held back for longer than ReadyMaxStall.
func (s *Service) ready(ctx context.Context) error {
	if _, err := s.Store.ReadAll(ctx, eventstore.Start, 1); err != nil {
		return fmt.Errorf("event store: %w", err)
	}
	h, _, err := s.Runner.Horizon(ctx)
	if err != nil {
		return err
	}
	if msg := projections.Stalled(h, s.Cfg.ReadyMaxStall); msg != "" {
		return errors.New("projections stalled: " + msg)
	}
	return nil
}

// NewHTTPServer bounds every connection: headers in 10 s, a request body
// (uploads of up to 32 MB included) in 2 minutes, an answer in 2 minutes
// (downloads extend their own deadline, httpapi.ExportWriteTimeout), an
// idle keep-alive connection 2 minutes. A client that stops reading cannot
// hold a handler, and with it a database connection, for longer.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// Rebuild rebuilds one projection, or all from one read of the feed,
// blue/green (projections/rebuild.go): the service may run meanwhile and
// keeps answering from the live tables until each swap; a second rebuild
// of the same projection, from any process, is refused naming the first.
func (s *Service) Rebuild(ctx context.Context, names string, out io.Writer) error {
	start := time.Now()
	if names == "" {
		if err := s.Runner.RebuildAll(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "all projections rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	}
	// Several names (comma-separated) are rebuilt from one read of the feed.
	list := strings.Split(names, ",")
	for i, n := range list {
		list[i] = strings.TrimSpace(n)
	}
	if err := s.Runner.RebuildSome(ctx, list); err != nil {
		return err
	}
	fmt.Fprintf(out, "projection %s rebuilt in %s\n", strings.Join(list, ", "), time.Since(start).Round(time.Millisecond))
	return nil
}

// leaderConfig is the projections' leadership on the projections' pool.
func (s *Service) leaderConfig() projections.LeaderConfig {
	return projections.LeaderConfig{Pool: s.ProjPool, Logger: s.Log}
}

func (s *Service) Close() {
	if s.Runner != nil {
		s.Runner.StopRebuilds() // rebuilds started through the ops API
	}
	if err := s.Store.Close(); err != nil {
		s.Log.Warn("close store", "err", err)
	}
	for _, p := range []*pgxpool.Pool{s.StorePool, s.ProjPool} {
		if p != s.Pool {
			p.Close()
		}
	}
	s.Pool.Close()
}

// checkEventStoreURL refuses an EVENTSTORE_URL this build cannot use, so
// a typo (or kurrentdb://) never falls back to PostgreSQL silently.
func checkEventStoreURL(u string) error {
	if u == "" || strings.HasPrefix(u, "esdb://") || strings.HasPrefix(u, "esdb+discover://") {
		return nil
	}
	scheme, _, _ := strings.Cut(u, "://")
	return fmt.Errorf("EVENTSTORE_URL: scheme %q is not supported (use esdb:// or esdb+discover://, or leave it empty for PostgreSQL)", scheme)
}

func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}
