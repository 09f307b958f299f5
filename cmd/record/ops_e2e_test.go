package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// TestUnapplicableEventIsParkedAndShown: an event no read model can apply
// (a known type with data that does not decode) is parked, not retried for
// ever and not dropped, and an auditor sees it in the operations view.
func TestUnapplicableEventIsParkedAndShown(t *testing.T) {
	forBackends(t, testUnapplicableEventIsParkedAndShown)
}

func testUnapplicableEventIsParkedAndShown(t *testing.T, backend string) {
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

	bad := uuid.New()
	if _, err := a.svc.Store.Append(ctx, "teacher-"+uuid.NewString(), eventstore.NoStream(), eventstore.EventData{
		ID: bad, Type: "teacher.registered", Data: []byte(`{"teacher_id": 42}`), Metadata: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var view struct {
		Projections []struct {
			Name   string `json:"name"`
			Parked int    `json:"parked"`
		} `json:"projections"`
		Parked []struct {
			Projection string `json:"projection"`
			EventID    string `json:"event_id"`
			Error      string `json:"error"`
		} `json:"parked"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		auditor.must(200, "GET", "/api/v1/ops/projections", nil).json(t, &view)
		parked := map[string]bool{}
		for _, p := range view.Parked {
			if p.EventID == bad.String() && p.Error != "" {
				parked[p.Projection] = true
			}
		}
		// Every teacher read model decodes teacher events, so each parks it.
		if parked["teacher_profile"] && parked["teacher_history"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was not parked: %+v", view.Parked)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(view.Projections) < 6 {
		t.Fatalf("projections listed: %+v", view.Projections)
	}
	// The runner moved on: a later command is still applied.
	var unit struct{ ID string }
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第四十二中学", "county": "130102", "area": "1", "category": "311"}).json(t, &unit)
	county.must(200, "GET", "/api/v1/units/"+unit.ID, nil)
	if r := county.do("GET", "/api/v1/ops/projections", nil); r.Status != 403 {
		t.Fatalf("county admin reading the operations view: %d", r.Status)
	}
}
