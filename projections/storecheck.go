package projections

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// ErrForeignStore is matched by *ForeignStoreError.
var ErrForeignStore = errors.New("checkpoints of another event store")

// ForeignStoreError refuses to run projections whose checkpoints are
// positions of another event store than the one connected: applying the
// connected store's feed after them would skip or repeat events at random.
// A rebuild (record rebuild) builds them again from the connected store.
type ForeignStoreError struct {
	Connected   eventstore.Identity
	Stored      eventstore.Identity // the store the checkpoints belong to
	Projections []string
}

func (e *ForeignStoreError) Error() string {
	return fmt.Sprintf("projections %s were built from event store %s, but the service is connected to event store %s; "+
		"their checkpoints are positions of the other store: run \"record rebuild\" to rebuild the read models from the connected store",
		strings.Join(e.Projections, ", "), e.Stored, e.Connected)
}

func (e *ForeignStoreError) Is(target error) bool { return target == ErrForeignStore }

// ErrStoreBehind is matched by *StoreBehindError.
var ErrStoreBehind = errors.New("event store positions behind the checkpoints")

// StoreBehindError refuses to run projections on a store whose next
// position is not above a stored checkpoint: a PostgreSQL database restored
// into a new cluster, whose transaction counter restarted below the stored
// positions. New events would be placed before the checkpoints and never
// applied (and held back from the feed until the counter passes the old
// events). No rebuild repairs that; the cluster's counter must be moved past
// the highest stored position first.
type StoreBehindError struct {
	Store      eventstore.Identity
	Floor      eventstore.Position
	Checkpoint eventstore.Position
	Projection string
}

func (e *StoreBehindError) Error() string {
	return fmt.Sprintf("event store %s: its next position %s is not above checkpoint %s of projection %s; "+
		"the database was restored into a cluster whose transaction counter is behind the stored positions: "+
		"advance the cluster's transaction id past %d before starting (docs/EVENTSTOREDB.md, \"Checkpoints know their store\")",
		e.Store, e.Floor, e.Checkpoint, e.Projection, e.Checkpoint.Commit)
}

func (e *StoreBehindError) Is(target error) bool { return target == ErrStoreBehind }

// recordStore adds the store to projection_stores.
func recordStore(ctx context.Context, db execer, id eventstore.Identity) error {
	if _, err := db.Exec(ctx, `INSERT INTO projection_stores (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id.ID, id.Kind); err != nil {
		return fmt.Errorf("record event store %s: %w", id, err)
	}
	return nil
}

// adoptStore marks the checkpoints of names as positions of the store id.
func adoptStore(ctx context.Context, db execer, id eventstore.Identity, names []string) error {
	if _, err := db.Exec(ctx, `UPDATE projection_checkpoints SET store_id = $1 WHERE name = ANY($2)`, id.ID, names); err != nil {
		return fmt.Errorf("adopt event store %s: %w", id, err)
	}
	return nil
}

// checkStore runs at the start of Run, after every checkpoint row exists:
// checkpoints of the connected store pass; a checkpoint that records no
// store (new, or from before stores were recorded) or that never moved is
// adopted; checkpoints of another store are refused (*ForeignStoreError).
// On a store with a position floor (PostgreSQL), the highest checkpoint
// must be below it (*StoreBehindError).
func (r *Runner) checkStore(ctx context.Context) error {
	id, err := r.cfg.Store.Identity(ctx)
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	if err := recordStore(ctx, r.cfg.Pool, id); err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	rows, err := r.cfg.Pool.Query(ctx, `
		SELECT c.name, c.store_id, coalesce(s.kind, ''), c.commit_position, c.prepare_position
		FROM projection_checkpoints c LEFT JOIN projection_stores s ON s.id = c.store_id
		WHERE c.name = ANY($1)`, r.Names())
	if err != nil {
		return fmt.Errorf("projections: read checkpoint stores: %w", err)
	}
	var adopt []string
	foreign := map[eventstore.Identity][]string{}
	var highest eventstore.Position
	highestName := ""
	for rows.Next() {
		var name, kind string
		var sid *uuid.UUID
		var c, p int64
		if err := rows.Scan(&name, &sid, &kind, &c, &p); err != nil {
			rows.Close()
			return fmt.Errorf("projections: read checkpoint stores: %w", err)
		}
		pos := eventstore.Position{Commit: uint64(c), Prepare: uint64(p)}
		switch {
		case sid != nil && *sid == id.ID:
		case sid == nil || pos.IsZero():
			if sid == nil && !pos.IsZero() {
				r.cfg.Logger.WarnContext(ctx, "projection checkpoint recorded no event store; adopting the connected one",
					"projection", name, "checkpoint", pos.String(), "store", id.String())
			}
			adopt = append(adopt, name)
		default:
			k := eventstore.Identity{ID: *sid, Kind: kind}
			foreign[k] = append(foreign[k], name)
			continue
		}
		if highest.Less(pos) {
			highest, highestName = pos, name
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("projections: read checkpoint stores: %w", err)
	}
	if len(foreign) > 0 {
		// Name the store most projections were built from, with all of
		// them; the others are named in the log.
		var stored eventstore.Identity
		var names []string
		for k, ns := range foreign {
			if len(ns) > len(names) || (len(ns) == len(names) && k.ID.String() < stored.ID.String()) {
				stored = k
			}
			names = append(names, ns...)
			if len(foreign) > 1 {
				r.cfg.Logger.ErrorContext(ctx, "projections built from another event store", "store", k.String(), "projections", ns)
			}
		}
		sort.Strings(names)
		return &ForeignStoreError{Connected: id, Stored: stored, Projections: names}
	}
	if len(adopt) > 0 {
		if err := adoptStore(ctx, r.cfg.Pool, id, adopt); err != nil {
			return fmt.Errorf("projections: %w", err)
		}
	}
	if f, ok := r.cfg.Store.(eventstore.PositionFloor); ok && !highest.IsZero() {
		floor, err := f.PositionFloor(ctx)
		if err != nil {
			return fmt.Errorf("projections: %w", err)
		}
		if !highest.Less(floor) {
			return &StoreBehindError{Store: id, Floor: floor, Checkpoint: highest, Projection: highestName}
		}
	}
	return nil
}
