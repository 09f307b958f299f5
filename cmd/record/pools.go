package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/httpapi"
)

// Pools are the service's PostgreSQL pools. serve opens three, so that no
// kind of work can starve another of connections: the API's (queries,
// commands' side tables, downloads; its requests bounded per class by
// httpapi.Limits below its size), the event store's (appends, the feed,
// its listener) and the projections' (one transaction per batch and
// projection, checkpoints, read-your-writes). Tests may use one pool for
// all three.
type Pools struct {
	API, Store, Projections *pgxpool.Pool
}

// Pool sizes when DATABASE_URL sets no pool_max_conns (POOL_API,
// POOL_STORE, POOL_PROJECTIONS override them). The API's must exceed the
// sum of the request limits (LIMIT_QUERIES + LIMIT_COMMANDS +
// LIMIT_DOWNLOADS) so /readyz and the health checks always find one.
const (
	defaultAPIPool         = 24
	defaultStorePool       = 16
	defaultProjectionsPool = 16
)

// openExtraPools opens the store's and the projections' pools beside the
// API's, with the same connection settings.
func openExtraPools(ctx context.Context, base *pgxpool.Config) (store, proj *pgxpool.Pool, err error) {
	open := func(name, env string, size int32) (*pgxpool.Pool, error) {
		c := base.Copy()
		c.MaxConns = envInt32(env, size)
		c.ConnConfig.RuntimeParams["application_name"] = "record-" + name
		p, err := pgxpool.NewWithConfig(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("database (%s pool): %w", name, err)
		}
		return p, nil
	}
	if store, err = open("store", "POOL_STORE", defaultStorePool); err != nil {
		return nil, nil, err
	}
	if proj, err = open("projections", "POOL_PROJECTIONS", defaultProjectionsPool); err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, proj, nil
}

func envInt32(k string, def int32) int32 {
	if v, err := strconv.Atoi(strings.TrimSpace(os.Getenv(k))); err == nil && v > 0 {
		return int32(v)
	}
	return def
}

// limitsFromEnv reads LIMIT_QUERIES, LIMIT_COMMANDS, LIMIT_DOWNLOADS and
// LIMIT_WAIT; unset values keep httpapi.DefaultLimits.
func limitsFromEnv() httpapi.Limits {
	l := httpapi.DefaultLimits
	l.Queries = int(envInt32("LIMIT_QUERIES", int32(l.Queries)))
	l.Commands = int(envInt32("LIMIT_COMMANDS", int32(l.Commands)))
	l.Downloads = int(envInt32("LIMIT_DOWNLOADS", int32(l.Downloads)))
	if d, err := time.ParseDuration(strings.TrimSpace(os.Getenv("LIMIT_WAIT"))); err == nil && d > 0 {
		l.Wait = d
	}
	return l
}

// checkLimits warns when the request limits could take the whole API pool.
func checkLimits(log *slog.Logger, l httpapi.Limits, api *pgxpool.Pool) {
	if sum := l.Queries + l.Commands + l.Downloads; int32(sum) >= api.Config().MaxConns {
		log.Warn("request limits reach the API pool's size: /readyz may wait for a connection",
			"limits", sum, "pool", api.Config().MaxConns)
	}
}
