package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/eventstoretest"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

func TestContract(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			// Enough connections for the suite's concurrent writers to
			// really race inside PostgreSQL.
			_, dsn := pgtest.NewWithURL(t)
			pool, err := pgxpool.New(context.Background(), dsn+"&pool_max_conns=12")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return postgres.New(pool)
		})
	})
}
