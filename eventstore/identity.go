package eventstore

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Kinds of event store, as Identity reports them.
const (
	KindMemory     = "memory"
	KindPostgres   = "postgres"
	KindEventStore = "eventstoredb"
)

// Identity names one event store: an ID generated once and kept in the
// store itself, and the kind of backend. Positions mean something only in
// the store that produced them, so whatever keeps a position (a projection
// checkpoint) keeps the identity beside it.
//
// A copy of the store's data (a PostgreSQL dump restored elsewhere) keeps
// the identity; a new store (another cluster, another backend, copy-events'
// target) has its own.
type Identity struct {
	ID   uuid.UUID
	Kind string
}

func (i Identity) String() string { return fmt.Sprintf("%s %s", i.Kind, i.ID) }

// PositionFloor is implemented by stores whose positions come from a
// counter that restoring the store's data elsewhere can set back
// (PostgreSQL's transaction ids: a dump restored into a new cluster keeps
// the stored positions, but the new cluster counts from a lower value, so
// new events would be placed before old ones and before every checkpoint).
type PositionFloor interface {
	// PositionFloor returns a position below every position a later
	// append can get: a position at or above it cannot have been produced
	// by this store yet.
	PositionFloor(ctx context.Context) (Position, error)
}
