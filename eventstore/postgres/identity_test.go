package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// The identity is kept in the database: a second store on it (another
// process) sees the same, another database is another store.
func TestIdentityKeptInDatabase(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	a, b := postgres.New(pool), postgres.New(pool)
	defer a.Close()
	defer b.Close()
	ia, err := a.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ia != ib || ia.Kind != eventstore.KindPostgres {
		t.Fatalf("two stores on one database: %v and %v", ia, ib)
	}
	other := postgres.New(pgtest.New(t))
	defer other.Close()
	io, err := other.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if io.ID == ia.ID {
		t.Fatalf("two databases share the identity %v", io)
	}

	// The floor is above every position the store has given.
	res, err := a.Append(ctx, "ident-1", eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "t", Data: []byte(`{}`), Metadata: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	floor, err := a.PositionFloor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Position.Less(floor) {
		t.Fatalf("floor %s is not above the append at %s", floor, res.Position)
	}
}
