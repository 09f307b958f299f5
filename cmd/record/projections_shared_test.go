package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/projections"
)

// mutationCheck wraps a projection and records every event (or metadata)
// whose JSON differs after Apply: the runner hands every projection the
// same decoded envelope (projections/envcache.go), so none may change it.
type mutationCheck struct {
	projections.Projection
	mu      *sync.Mutex
	changed map[string]string
}

func (m mutationCheck) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	before, berr := json.Marshal(env.Event)
	meta, merr := json.Marshal(env.Metadata)
	err := m.Projection.Apply(ctx, tx, env)
	after, aerr := json.Marshal(env.Event)
	metaAfter, _ := json.Marshal(env.Metadata)
	if berr != nil || merr != nil || aerr != nil || !bytes.Equal(before, after) || !bytes.Equal(meta, metaAfter) {
		m.mu.Lock()
		m.changed[m.Name()+" "+env.Type] = string(before) + "\n→ " + string(after)
		m.mu.Unlock()
	}
	return err
}

func (m mutationCheck) Flush(ctx context.Context, tx pgx.Tx) error {
	if f, ok := m.Projection.(projections.Flusher); ok {
		return f.Flush(ctx, tx)
	}
	return nil
}

// No projection of the service changes the events it applies: a rebuild of
// all of them over the demo's and the generator's histories, each Apply
// wrapped in a check of the event's and the metadata's JSON before and
// after.
func TestProjectionsDoNotMutateEvents(t *testing.T) {
	a := startApp(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := a.svc.LoadDemo(ctx, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if _, err := a.svc.Seed(ctx, SeedOptions{Teachers: 30, FirstYear: 2022, LastYear: 2026, Seed: 11, Workers: 2}, &out); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	if err := a.svc.Runner.WaitFor(ctx, a.lastEventPosition()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	changed := map[string]string{}
	var ps []projections.Projection
	for _, p := range allProjections(a.svc) {
		ps = append(ps, mutationCheck{Projection: p, mu: &mu, changed: changed})
	}
	r := projections.NewRunnerWithConfig(projections.Config{Store: a.svc.Store, Registry: a.svc.Registry, Pool: a.svc.Pool,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Personal: a.svc.personalOpener()}, ps...)
	if err := r.RebuildAll(ctx); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	for k, v := range changed {
		t.Errorf("%s changed the event it applied:\n%s", k, v)
	}
}
