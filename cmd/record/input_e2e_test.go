package main

import (
	"context"
	"strings"
	"testing"
)

// storeSize counts every committed event of a PostgreSQL-backed app, to
// prove a refusal stored nothing. It counts rows rather than reading the
// feed, which shows an event only once every older transaction on the
// server has ended.
func storeSize(t *testing.T, a *app) int {
	t.Helper()
	return a.eventCount()
}

func TestBadInputIsRefusedWithFieldAndReasonAndStoresNothing(t *testing.T) {
	forBackends(t, testBadInputIsRefusedWithFieldAndReasonAndStoresNothing)
}

func testBadInputIsRefusedWithFieldAndReasonAndStoresNothing(t *testing.T, backend string) {
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}).json(t, &created)
	admin := a.login("ca_admin", created.InitialPassword, "County-Pass-1")
	var unit struct{ ID string }
	admin.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}).json(t, &unit)

	valid := func() map[string]any {
		return map[string]any{"name": "孙丽", "id_type": "1", "id_number": demoID("13010219910512024"), "unit_id": unit.ID,
			"work_start": "2013-09", "certificate_type": "2", "certificate_number": "20131301022000011"}
	}
	with := func(k string, v any) map[string]any { m := valid(); m[k] = v; return m }
	badID := demoID("13010219910512024")
	badID = badID[:17] + map[bool]string{true: "1", false: "2"}[badID[17] != '1'] // wrong check character

	before := storeSize(t, a)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"malformed JSON", `{"name": "孙丽",`, 400, "malformed_json", ""},
		{"not an object", `[1,2]`, 400, "malformed_json", ""},
		{"two objects", `{"name":"a"}{"name":"b"}`, 400, "malformed_json", ""},
		{"wrong type", with("name", 42), 400, "malformed_json", "name"},
		{"unknown field", with("nickname", "丽丽"), 400, "unknown_field", "nickname"},
		{"bad check character", with("id_number", badID), 422, "validation_failed", "id_number"},
		{"impossible birth date", with("id_number", demoID("13010219910230024")), 422, "validation_failed", "id_number"},
		{"gender disagrees with ID", with("gender", "1"), 422, "validation_failed", "gender"},
		{"certificate type digit disagrees", with("certificate_type", "4"), 422, "validation_failed", "certificate_number"},
		{"bad mobile", with("mobile", "12345"), 422, "validation_failed", "mobile"},
		{"bad e-mail", with("email", "not-an-email"), 422, "validation_failed", "email"},
		{"unknown ethnicity code", with("ethnicity", "77"), 422, "validation_failed", "ethnicity"},
		{"no unit", with("unit_id", ""), 400, "bad_unit", ""},
		{"NUL in a text field", with("native_place", "石家\x00庄"), 422, "validation_failed", "native_place"},
		{"bell in a name", with("name", "孙\a丽"), 422, "validation_failed", "name"},
		{"C1 control character", with("former_name", "孙\u0085丽"), 422, "validation_failed", "former_name"},
		{"oversized body", with("native_place", strings.Repeat("河", 1<<19)), 413, "body_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.do("POST", "/api/v1/teachers", tc.body)
			if r.Status != tc.status || r.errCode() != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.errCode(), tc.status, tc.code, r.Body)
			}
			if tc.field == "" {
				return
			}
			var e struct {
				Error struct {
					Details []struct{ Field, Reason string } `json:"details"`
				} `json:"error"`
			}
			r.json(t, &e)
			for _, d := range e.Error.Details {
				if d.Field == tc.field && d.Reason != "" {
					return
				}
			}
			t.Fatalf("no reason given for field %s: %s", tc.field, r.Body)
		})
	}
	if after := storeSize(t, a); after != before {
		t.Fatalf("refused requests stored %d events", after-before)
	}
	if r := admin.do("POST", "/api/v1/teachers", valid(), "Content-Type", "text/plain"); r.Status != 415 {
		t.Fatalf("wrong content type: %d", r.Status)
	}
	// A query string is checked at the same boundary: no 500 from SQL.
	for _, q := range []string{"/api/v1/teachers?name=%00", "/api/v1/accounts?login=%01", "/api/v1/projects?name=a%00b", "/api/v1/teachers?name=%zz"} {
		if r := admin.do("GET", q, nil); r.Status != 400 {
			t.Fatalf("GET %s: %d %s", q, r.Status, r.Body)
		}
	}
	// Decomposed text is stored composed (NFC), so searches find it.
	m := valid()
	m["native_place"] = "e\u0301"
	var reg struct{ ID string }
	admin.must(201, "POST", "/api/v1/teachers", m).json(t, &reg)
	var prof struct {
		Profile struct {
			NativePlace string `json:"native_place"`
		} `json:"profile"`
	}
	admin.must(200, "GET", "/api/v1/teachers/"+reg.ID, nil).json(t, &prof)
	if prof.Profile.NativePlace != "\u00e9" {
		t.Fatalf("native_place stored as %q, want NFC", prof.Profile.NativePlace)
	}
}

func TestIdempotencyKeyReplaysTheFirstResponse(t *testing.T) {
	forBackends(t, testIdempotencyKeyReplaysTheFirstResponse)
}

func testIdempotencyKeyReplaysTheFirstResponse(t *testing.T, backend string) {
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}).json(t, &created)
	admin := a.login("ca_admin", created.InitialPassword, "County-Pass-1")
	body := map[string]string{"name": "石家庄市第九中学", "county": "130102", "area": "1", "category": "311"}
	first := admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-9")
	events := storeSize(t, a)
	again := admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-9")
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry answered %s, first %s", again.Body, first.Body)
	}
	if storeSize(t, a) != events {
		t.Fatal("a retried command stored events")
	}
	other := map[string]string{"name": "石家庄市第十中学", "county": "130102", "area": "1", "category": "311"}
	if r := admin.do("POST", "/api/v1/units", other, "Idempotency-Key", "unit-9"); r.Status != 422 || r.errCode() != "idempotency_key_reused" {
		t.Fatalf("key reused for another request: %d %s", r.Status, r.Body)
	}
	// Without the HTTP record (e.g. the server died after appending), the
	// deterministic event IDs still make the retry a no-op.
	if _, err := a.svc.Pool.Exec(context.Background(), `DELETE FROM idempotency_keys`); err != nil {
		t.Fatal(err)
	}
	admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-9")
	if n := storeSize(t, a); n != events {
		t.Fatalf("retry after losing the response record stored %d events", n-events)
	}
}

func TestIdempotentReplayNeverStoresAnInitialPassword(t *testing.T) {
	forBackends(t, testIdempotentReplayNeverStoresAnInitialPassword)
}

func testIdempotentReplayNeverStoresAnInitialPassword(t *testing.T, backend string) {
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	body := map[string]string{"login": "ca_admin", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安"}
	var first struct {
		InitialPassword string `json:"initial_password"`
	}
	prov.must(201, "POST", "/api/v1/accounts", body, "Idempotency-Key", "acct-1").json(t, &first)
	if first.InitialPassword == "" {
		t.Fatal("no initial password in the first response")
	}
	var stored int
	if err := a.svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM idempotency_keys WHERE position($1::bytea in response) > 0`,
		[]byte(first.InitialPassword)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatal("the initial password was stored with the idempotent response")
	}
	again := prov.must(201, "POST", "/api/v1/accounts", body, "Idempotency-Key", "acct-1")
	if strings.Contains(string(again.Body), first.InitialPassword) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %s", again.Body)
	}
}

// A key whose first attempt never stored an answer (a crash, a client gone
// before the end) is in progress only for its lease: a retry meanwhile is
// told to wait, a retry after it runs the command again, which changes
// nothing twice.
func TestIdempotencyKeyInProgressHasALease(t *testing.T) {
	forBackends(t, testIdempotencyKeyInProgressHasALease)
}

func testIdempotencyKeyInProgressHasALease(t *testing.T, backend string) {
	a := demoAppOn(t, backend)
	ctx := context.Background()
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	body := map[string]string{"name": "石家庄市第十中学", "county": "130102", "area": "1", "category": "311"}
	admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-10")
	events := storeSize(t, a)
	stuck := func(lease string) {
		t.Helper()
		if _, err := a.svc.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = NULL, response = NULL,
			lease_until = now() + $1::interval WHERE key = 'unit-10'`, lease); err != nil {
			t.Fatal(err)
		}
	}
	stuck("20 seconds")
	r := admin.do("POST", "/api/v1/units", body, "Idempotency-Key", "unit-10")
	if r.Status != 409 || r.errCode() != "request_in_progress" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("within the lease: %d %s", r.Status, r.Body)
	}
	stuck("-1 seconds")
	admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-10")
	if n := storeSize(t, a); n != events {
		t.Fatalf("the re-run stored %d more events", n-events)
	}
	// And its answer is kept again.
	if r := admin.must(201, "POST", "/api/v1/units", body, "Idempotency-Key", "unit-10"); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("the re-run's answer was not kept")
	}
}
