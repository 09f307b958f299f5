package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// codeInbox stands in for the SMS and mail gateways, which cannot run here.
type codeInbox struct {
	mu    sync.Mutex
	codes map[string]string
}

func (b *codeInbox) SendCode(_ context.Context, field, to, code string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[field+":"+to] = code
	return nil
}

func (b *codeInbox) code(field, to string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.codes[field+":"+to]
}

func TestNewMobileNeedsTheCodeSentToIt(t *testing.T) {
	forBackends(t, testNewMobileNeedsTheCodeSentToIt)
}

func testNewMobileNeedsTheCodeSentToIt(t *testing.T, backend string) {
	a := startApp(t, backend)
	inbox := &codeInbox{codes: map[string]string{}}
	a.svc.Handlers.Notifier = inbox
	ctx := context.Background()
	if _, err := a.svc.CreateProvinceAdmin(ctx, "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}).json(t, &created)
	admin := a.login("ca_admin", created.InitialPassword, "County-Pass-1")
	var unit, reg struct{ ID string }
	admin.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}).json(t, &unit)
	id := demoID("13010219890909099")
	admin.must(201, "POST", "/api/v1/teachers", map[string]string{"name": "周杰", "id_type": "1", "id_number": id, "unit_id": unit.ID,
		"work_start": "2012-09", "certificate_type": "3", "certificate_number": "20121301031000999", "mobile": "13800000001"}).json(t, &reg)
	me := a.login(id, id[12:], "Teacher-Pass-1")
	rev := func() string {
		var p struct{ Revision int }
		me.must(200, "GET", "/api/v1/teachers/"+reg.ID, nil).json(t, &p)
		return fmt.Sprintf(`"%d"`, p.Revision)
	}
	edit := func(codes map[string]string) resp {
		return me.do("PATCH", "/api/v1/teachers/"+reg.ID, map[string]any{"changes": map[string]string{"mobile": "139 0000 0002"}, "codes": codes}, "If-Match", rev())
	}
	if r := edit(nil); r.Status != 422 {
		t.Fatalf("new mobile without a code: %d %s", r.Status, r.Body)
	}
	me.must(202, "POST", "/api/v1/me/contact-codes", map[string]string{"field": "mobile", "value": "+86 139-0000-0002"})
	code := inbox.code("mobile", "13900000002")
	if len(code) != 6 {
		t.Fatalf("no code sent to the new mobile: %v", inbox.codes)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := edit(map[string]string{"mobile": wrong}); r.Status != 422 {
		t.Fatalf("wrong code: %d %s", r.Status, r.Body)
	}
	me.must(200, "PATCH", "/api/v1/teachers/"+reg.ID, map[string]any{"changes": map[string]string{"mobile": "13900000002"}, "codes": map[string]string{"mobile": code}}, "If-Match", rev())
	if r := edit(map[string]string{"mobile": code}); r.Status != 200 {
		// Unchanged value now: nothing to confirm, nothing recorded.
		t.Fatalf("repeating the same mobile: %d %s", r.Status, r.Body)
	}
	// An admin changes it on the teacher's behalf without a code.
	var p struct{ Revision int }
	admin.must(200, "GET", "/api/v1/teachers/"+reg.ID, nil).json(t, &p)
	admin.must(200, "PATCH", "/api/v1/teachers/"+reg.ID, map[string]any{"changes": map[string]string{"mobile": "13700000003"}}, "If-Match", fmt.Sprintf(`"%d"`, p.Revision))
}
