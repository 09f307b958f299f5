package projections

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/migrations/pgtest"
)

// pooledProjection is a toy projection whose Apply also reads through the
// pool it runs on, as the Merkle tree reads the feed and the runner opens
// data keys: a second connection while its transaction holds one.
type pooledProjection struct {
	toyProjection
	pool *pgxpool.Pool
}

func (p *pooledProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var one int
	if err := p.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return err
	}
	return p.toyProjection.Apply(ctx, tx, env)
}

// More projections than the pool has connections, a backlog for every one
// of them, and each Apply needing a second connection: without a bound on
// the projection transactions open at once, every connection ends up held
// by a transaction waiting for another and nothing moves again.
func TestProjectionsCannotExhaustTheirPool(t *testing.T) {
	base, url := pgtest.NewWithURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	sf := storeFactories()[1] // PostgreSQL on a pool of its own: the feed takes none of the runner's
	e := &env{pool: pool, store: sf.new(t, base), reg: toyRegistry(), logs: &logBuffer{}}
	var ps []Projection
	for i := range 6 {
		name := fmt.Sprintf("pooled%d", i)
		createToyTables(t, pool, name)
		ps = append(ps, &pooledProjection{toyProjection: toyProjection{name: name}, pool: pool})
	}
	// The backlog arrives while the projections are live, so their
	// handlers open transactions side by side.
	r := e.runner(ps...)
	start(t, r)
	w := newFeedWriter(t, e.store, 5)
	waitFor(t, r, w.append(0))
	var last eventstore.Position
	for k := 1; k < 120; k++ {
		last = w.append(k)
	}
	waitFor(t, r, last)
	want, _ := expectedLog(t, e.store, nil)
	for _, p := range ps {
		if got := dumpLog(t, pool, p.Name()); len(got) != len(want) {
			t.Fatalf("%s applied %d events, want %d", p.Name(), len(got), len(want))
		}
	}
}
