package projections

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// runOnce runs r until its projections have applied pos, then stops it.
func runOnce(t *testing.T, r *Runner, pos eventstore.Position) {
	t.Helper()
	stop := start(t, r)
	waitFor(t, r, pos)
	stop()
}

// runErr runs r and returns what Run returns when it refuses to start
// (nil if it is still running after a while).
func runErr(t *testing.T, r *Runner) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return r.Run(ctx)
}

func checkpointStore(t *testing.T, e *env, name string) *uuid.UUID {
	t.Helper()
	var id *uuid.UUID
	if err := e.pool.QueryRow(context.Background(), `SELECT store_id FROM projection_checkpoints WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The same store (another connection to it, as after a restart) is
// accepted, and the checkpoints record it.
func TestCheckpointsKeepTheirStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		p := &toyProjection{name: "toy"}
		createToyTables(t, e.pool, p.name)
		w := newFeedWriter(t, e.store, 3)
		runOnce(t, e.runner(p), w.append(20))
		id, err := e.store.Identity(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := checkpointStore(t, e, p.name); got == nil || *got != id.ID {
			t.Fatalf("checkpoint store = %v, want %v", got, id)
		}
		// Restart on the same store: it continues where it stopped.
		final := w.append(10)
		runOnce(t, e.runner(p), final)
		want, _ := expectedLog(t, e.store, nil)
		if got := dumpLog(t, e.pool, p.name); !reflect.DeepEqual(got, want) {
			t.Fatalf("after a restart: %d rows, want %d", len(got), len(want))
		}
	})
}

// Read models built from one store refuse another (here: PostgreSQL, then
// EventStoreDB, as after a move without a rebuild, and back), naming both;
// a rebuild adopts the connected store, and the runner then starts on it.
func TestForeignStoreRefusedUntilRebuild(t *testing.T) {
	factories := map[string]storeFactory{}
	for _, sf := range storeFactories() {
		factories[sf.name] = sf
	}
	for _, pair := range [][2]string{{"postgres", "esdb"}, {"esdb", "postgres"}, {"memory", "memory"}} {
		t.Run(pair[0]+"_then_"+pair[1], func(t *testing.T) {
			e := newEnv(t, factories[pair[0]])
			p, q := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
			createToyTables(t, e.pool, p.name)
			createToyTables(t, e.pool, q.name)
			runOnce(t, e.runner(p, q), newFeedWriter(t, e.store, 3).append(15))
			old, err := e.store.Identity(context.Background())
			if err != nil {
				t.Fatal(err)
			}

			e.store = factories[pair[1]].new(t, e.pool)
			connected, err := e.store.Identity(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			final := newFeedWriter(t, e.store, 2).append(8)
			err = runErr(t, e.runner(p, q))
			var fe *ForeignStoreError
			if !errors.As(err, &fe) || !errors.Is(err, ErrForeignStore) {
				t.Fatalf("Run on another store = %v, want *ForeignStoreError", err)
			}
			if fe.Stored != old || fe.Connected != connected || !reflect.DeepEqual(fe.Projections, []string{"toy_a", "toy_b"}) {
				t.Fatalf("error = %+v, want stored %v, connected %v, both projections", fe, old, connected)
			}
			for _, s := range []string{old.String(), connected.String(), "record rebuild"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			// Nothing was applied from the new store.
			if got := checkpointStore(t, e, p.name); got == nil || *got != old.ID {
				t.Fatalf("refused start changed the checkpoint's store to %v", got)
			}

			// The operator rebuilds one: the other is still refused.
			r := e.runner(p, q)
			if err := r.Rebuild(context.Background(), p.name); err != nil {
				t.Fatal(err)
			}
			if err := runErr(t, e.runner(p, q)); !errors.As(err, &fe) || !reflect.DeepEqual(fe.Projections, []string{"toy_b"}) {
				t.Fatalf("Run after rebuilding toy_a = %v, want toy_b refused", err)
			}
			if err := r.RebuildAll(context.Background()); err != nil {
				t.Fatal(err)
			}
			runOnce(t, e.runner(p, q), final)
			want, _ := expectedLog(t, e.store, nil)
			for _, n := range []string{p.name, q.name} {
				if got := dumpLog(t, e.pool, n); !reflect.DeepEqual(got, want) {
					t.Errorf("%s after the rebuild: %d rows, want the connected store's %d", n, len(got), len(want))
				}
				if got := checkpointStore(t, e, n); got == nil || *got != connected.ID {
					t.Errorf("%s: checkpoint store %v, want %v", n, got, connected)
				}
			}
		})
	}
}

// A checkpoint from before stores were recorded (no store) is adopted; a
// checkpoint of another store that never moved is adopted too (nothing was
// built from it).
func TestCheckpointWithoutStoreAdopted(t *testing.T) {
	e := newEnv(t, storeFactories()[1]) // postgres
	p := &toyProjection{name: "toy"}
	createToyTables(t, e.pool, p.name)
	w := newFeedWriter(t, e.store, 3)
	runOnce(t, e.runner(p), w.append(10))
	if _, err := e.pool.Exec(context.Background(), `UPDATE projection_checkpoints SET store_id = NULL`); err != nil {
		t.Fatal(err)
	}
	runOnce(t, e.runner(p), w.append(5))
	id, _ := e.store.Identity(context.Background())
	if got := checkpointStore(t, e, p.name); got == nil || *got != id.ID {
		t.Fatalf("checkpoint store = %v, want %v adopted", got, id)
	}
	if !strings.Contains(e.logs.String(), "recorded no event store") {
		t.Errorf("adoption of a moved checkpoint was not logged")
	}
}

// A PostgreSQL event store whose next transaction id is not above the
// highest checkpoint (a dump restored into a new cluster: the stored
// positions are the old cluster's) is refused at start; no rebuild is
// offered, since the feed itself would place new events before old ones.
func TestStoreBehindCheckpointRefused(t *testing.T) {
	e := newEnv(t, storeFactories()[1]) // postgres
	p, q := &toyProjection{name: "toy_a"}, &toyProjection{name: "toy_b"}
	createToyTables(t, e.pool, p.name)
	createToyTables(t, e.pool, q.name)
	runOnce(t, e.runner(p, q), newFeedWriter(t, e.store, 3).append(10))
	floor, err := e.store.(eventstore.PositionFloor).PositionFloor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The old cluster had counted further than this one.
	ahead := int64(floor.Commit) + 1_000_000
	if _, err := e.pool.Exec(context.Background(), `UPDATE projection_checkpoints SET commit_position = $1 WHERE name = 'toy_b'`, ahead); err != nil {
		t.Fatal(err)
	}
	err = runErr(t, e.runner(p, q))
	var be *StoreBehindError
	if !errors.As(err, &be) || !errors.Is(err, ErrStoreBehind) {
		t.Fatalf("Run = %v, want *StoreBehindError", err)
	}
	if be.Projection != "toy_b" || be.Checkpoint.Commit != uint64(ahead) || !strings.Contains(err.Error(), "transaction") {
		t.Fatalf("error = %v (%+v), want toy_b's checkpoint %d named", err, be, ahead)
	}
	// Just above the next ids is refused too.
	if _, err := e.pool.Exec(context.Background(), `UPDATE projection_checkpoints SET commit_position = $1 WHERE name = 'toy_b'`, int64(floor.Commit)+50); err != nil {
		t.Fatal(err)
	}
	if err := runErr(t, e.runner(p, q)); !errors.Is(err, ErrStoreBehind) {
		t.Fatalf("Run with a checkpoint just above the next ids = %v, want ErrStoreBehind", err)
	}
}
