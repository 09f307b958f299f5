package esdb_test

import (
	"context"
	"testing"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
)

// The identity is kept on the node: a store opened again on it sees the
// same; another namespace on the same node is another store.
func TestIdentityKeptOnNode(t *testing.T) {
	ctx := context.Background()
	a, srv := openFake(t)
	ia, err := a.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := esdb.New(ctx, srv.ConnString(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ib, err := b.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ia != ib || ia.Kind != eventstore.KindEventStore {
		t.Fatalf("two stores on one node: %v and %v", ia, ib)
	}
	c, err := esdb.New(ctx, srv.ConnString(), quiet(), esdb.WithNamespace("other-"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ic, err := c.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ic.ID == ia.ID {
		t.Fatalf("two namespaces share the identity %v", ic)
	}
}
