package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// Identity implements eventstore.Store: the ID in es_store, made at the
// first call on the database.
func (s *Store) Identity(ctx context.Context) (eventstore.Identity, error) {
	if s.isClosed() {
		return eventstore.Identity{}, eventstore.ErrClosed
	}
	id, err := s.storeID(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		// Concurrent first calls: one insert wins, the others find its row
		// in their next statement.
		if _, err := s.pool.Exec(ctx, `INSERT INTO es_store (id) VALUES ($1) ON CONFLICT (singleton) DO NOTHING`, uuid.New()); err != nil {
			return eventstore.Identity{}, fmt.Errorf("store identity: %w", err)
		}
		id, err = s.storeID(ctx)
	}
	if err != nil {
		return eventstore.Identity{}, fmt.Errorf("store identity: %w", err)
	}
	return eventstore.Identity{ID: id, Kind: eventstore.KindPostgres}, nil
}

func (s *Store) storeID(ctx context.Context) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT id FROM es_store`).Scan(&id)
	return id, err
}

var _ eventstore.PositionFloor = (*Store)(nil)

// PositionFloor implements eventstore.PositionFloor: the next transaction id
// the server will assign. An event's commit position is its transaction's
// id, so every later append lands at or above it; a stored position at or
// above it comes from before a restore into a cluster whose counter
// restarted lower.
func (s *Store) PositionFloor(ctx context.Context) (eventstore.Position, error) {
	var next int64
	if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&next); err != nil {
		return eventstore.Position{}, fmt.Errorf("position floor: %w", err)
	}
	return eventstore.Position{Commit: uint64(next)}, nil
}
