package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/projections"
)

// TestOpsRebuild: a province admin starts a blue/green rebuild of the read
// models through the API (202), sees it in GET /ops/projections until each
// is swapped in, and the read models answer throughout and hold the same
// rows afterwards. A rebuild of a projection that another session is
// rebuilding is refused with 409 naming that session; auditors and county
// admins may not start one (404, like an unknown name).
func TestOpsRebuild(t *testing.T) {
	forBackends(t, testOpsRebuild)
}

type opsView struct {
	Projections []struct {
		Name    string `json:"name"`
		Rebuild *struct {
			Running    bool       `json:"running"`
			Holder     string     `json:"holder"`
			StartedAt  *time.Time `json:"started_at"`
			Events     int        `json:"events"`
			FinishedAt *time.Time `json:"finished_at"`
			Error      string     `json:"error"`
		} `json:"rebuild"`
	} `json:"projections"`
}

func testOpsRebuild(t *testing.T, backend string) {
	a := startApp(t, backend)
	ctx := context.Background()
	if _, err := a.svc.CreateProvinceAdmin(ctx, "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "auditor1", "role": "auditor", "jurisdiction": "13", "display_name": "审计"}).json(t, &created)
	auditor := a.login("auditor1", created.InitialPassword, "Auditor-Pass-1")
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}).json(t, &created)
	county := a.login("ca_admin", created.InitialPassword, "County-Pass-1")
	var unit struct{ ID string }
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第四十二中学", "county": "130102", "area": "1", "category": "311"}).json(t, &unit)
	county.must(200, "GET", "/api/v1/units/"+unit.ID, nil)
	before := dumpReadModels(t, a)

	for who, c := range map[string]*client{"auditor": auditor, "county admin": county} {
		// A route naming something refuses with 404 (as for a name that does not exist).
		if r := c.do("POST", "/api/v1/ops/projections/units/rebuild", nil); r.Status != 404 {
			t.Errorf("%s starting a rebuild: %d %s, want 404", who, r.Status, r.Body)
		}
	}
	if r := prov.do("POST", "/api/v1/ops/projections/no_such_model/rebuild", nil); r.Status != 404 {
		t.Errorf("rebuild of an unknown projection: %d %s, want 404", r.Status, r.Body)
	}

	// Another session (another instance, record rebuild) rebuilds units.
	cc := a.svc.Pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = "record rebuild (other instance)"
	other, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	class, key := projections.RebuildLock("units")
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, class, key); err != nil {
		t.Fatal(err)
	}
	r := prov.do("POST", "/api/v1/ops/projections/units/rebuild", nil)
	if r.Status != 409 || r.errCode() != "rebuild_running" || !strings.Contains(string(r.Body), "record rebuild (other instance)") {
		t.Fatalf("rebuild of a projection another session rebuilds: %d %s, want 409 naming the holder", r.Status, r.Body)
	}
	var view opsView
	auditor.must(200, "GET", "/api/v1/ops/projections", nil).json(t, &view)
	for _, p := range view.Projections {
		if p.Name == "units" && (p.Rebuild == nil || !p.Rebuild.Running || !strings.Contains(p.Rebuild.Holder, "other instance")) {
			t.Errorf("units in the operations view while another session rebuilds it: %+v", p.Rebuild)
		}
	}
	// "all" includes units: refused as a whole, nothing started.
	if r := prov.do("POST", "/api/v1/ops/projections/all/rebuild", nil); r.Status != 409 {
		t.Fatalf("rebuild of all while units is being rebuilt: %d %s, want 409", r.Status, r.Body)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, class, key); err != nil {
		t.Fatal(err)
	}

	var started struct {
		Rebuilding []string `json:"rebuilding"`
		Status     string   `json:"status"`
	}
	prov.must(202, "POST", "/api/v1/ops/projections/all/rebuild", nil).json(t, &started)
	if !reflect.DeepEqual(started.Rebuilding, a.svc.Runner.Names()) || started.Status != "/api/v1/ops/projections" {
		t.Fatalf("202 body: %+v", started)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		county.must(200, "GET", "/api/v1/units/"+unit.ID, nil) // the live read model answers meanwhile
		auditor.must(200, "GET", "/api/v1/ops/projections", nil).json(t, &view)
		done := 0
		for _, p := range view.Projections {
			rb := p.Rebuild
			if rb == nil || rb.StartedAt == nil {
				t.Fatalf("%s: no rebuild shown after the 202: %+v", p.Name, rb)
			}
			if rb.Error != "" {
				t.Fatalf("%s: rebuild failed: %s", p.Name, rb.Error)
			}
			if rb.FinishedAt != nil && !rb.Running {
				done++
			}
		}
		if done == len(view.Projections) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebuild not finished after 90 s: %+v", view.Projections)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if after := dumpReadModels(t, a); !reflect.DeepEqual(after, before) {
		for table := range before {
			if !reflect.DeepEqual(after[table], before[table]) {
				t.Errorf("%s differs after the rebuild:\n%v\nbefore:\n%v", table, after[table], before[table])
			}
		}
	}
	// Live after the swap: a new command is applied to the rebuilt tables.
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第四十三中学", "county": "130102", "area": "1", "category": "311"}).json(t, &unit)
	county.must(200, "GET", "/api/v1/units/"+unit.ID, nil)
}
