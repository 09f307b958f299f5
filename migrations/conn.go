package migrations

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Configure prepares a pool's connections as the code expects them:
//
//   - a github.com/google/uuid UUID parameter is sent as the 16 bytes it
//     is. Without it pgx takes the driver.Valuer path for every such
//     parameter: the UUID formatted as text, a binary encode of that text
//     tried and its error built with fmt.Errorf, then the text parsed back;
//     that was 24 % of a rebuild's CPU in the service. Scanning is left as
//     it was.
//   - JIT compilation is off (unless the URL sets jit). Every query here is
//     a short index lookup, but at 43 M events PostgreSQL estimates a
//     stream at 338,000 rows (from the sampled distinct stream names), so a
//     whole-stream read (LIMIT NULL) is costed at 1.3 M, over
//     jit_above_cost and the inlining and optimisation thresholds, and
//     each read of a few events compiled itself first: 305-370 reads/s
//     with jit on against 5,220-6,057 off (pgbench, 16 clients).
func Configure(cfg *pgxpool.Config) {
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	prev := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		RegisterTypes(conn.TypeMap())
		if prev != nil {
			return prev(ctx, conn)
		}
		return nil
	}
}

// RegisterTypes is Configure for one connection's type map.
func RegisterTypes(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{pgxuuid.TryWrapUUIDEncodePlan}, m.TryWrapEncodePlanFuncs...)
}

// NewPool is pgxpool.New with Configure.
func NewPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	Configure(cfg)
	return pgxpool.NewWithConfig(ctx, cfg)
}
