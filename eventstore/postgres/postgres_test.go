package postgres_test

import (
	"testing"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/eventstoretest"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

func TestContract(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			return postgres.New(pgtest.New(t))
		})
	})
}
