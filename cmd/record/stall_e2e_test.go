package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// A transaction left open elsewhere on the server holds every projection
// back. The operations view counts the held-back events in the lag and
// names the transaction; after the thresholds the stall is reported and
// /readyz fails; when the transaction ends, all is well again.
func TestStallsAreVisible(t *testing.T) {
	a := demoApp(t)
	a.svc.Cfg.ReadyMaxStall = time.Second
	prov := a.login("hb_admin", DemoPassword, "Hebei#2026a")
	ctx := context.Background()
	tx, err := a.svc.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var pid int
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Store.Append(ctx, "unrelated-"+uuid.NewString(), eventstore.Any(),
		eventstore.EventData{ID: uuid.New(), Type: "test.unrelated", Data: []byte(`{}`), Metadata: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	type view struct {
		Horizon struct {
			HeldBack int `json:"held_back"`
			Blocker  *struct {
				PID        int     `json:"pid"`
				AgeSeconds float64 `json:"age_seconds"`
			} `json:"blocker"`
			Stalled string `json:"stalled"`
		} `json:"horizon"`
		Projections []struct {
			Name string `json:"name"`
			Lag  int    `json:"lag"`
		} `json:"projections"`
	}
	ops := func() view {
		var v view
		prov.a.last = "" // do not wait for the held-back event
		prov.must(200, "GET", "/api/v1/ops/projections", nil).json(t, &v)
		return v
	}
	v := ops()
	// The blocker is the oldest open transaction on the server: ours, or
	// an older one of a test running beside this one.
	if v.Horizon.HeldBack < 1 || v.Horizon.Blocker == nil || v.Horizon.Blocker.PID == 0 {
		t.Fatalf("horizon = %+v, want the event held back by a transaction (ours is pid %d)", v.Horizon, pid)
	}
	for _, p := range v.Projections {
		if p.Lag < 1 {
			t.Fatalf("projection %s shows lag %d while an event is held back", p.Name, p.Lag)
		}
	}
	ready := func() int {
		r, err := http.Get(a.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	time.Sleep(5500 * time.Millisecond) // past StallThreshold and ReadyMaxStall
	if v := ops(); v.Horizon.Stalled == "" {
		t.Fatalf("no stall reported after 5.5 s: %+v", v.Horizon)
	}
	if s := ready(); s != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the stall: %d", s)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready after the transaction ended", func() bool { return ready() == http.StatusOK })
}
