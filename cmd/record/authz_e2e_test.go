package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestAuthorizationMatrix runs every teacher-record endpoint as every role,
// inside and outside the jurisdiction. Allowed callers may still be refused
// for the state of the record (409, 422) but never with 401/403/404;
// everyone else must be refused (403, or 404 on a route naming a record).
func TestAuthorizationMatrix(t *testing.T) { forBackends(t, testAuthorizationMatrix) }

func testAuthorizationMatrix(t *testing.T, backend string) {
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	mk := func(login, role, region string, extra ...string) *client {
		body := map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i]] = extra[i+1]
		}
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		prov.must(201, "POST", "/api/v1/accounts", body).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-Pass-"+login)
	}
	users := map[string]*client{
		"province":    prov,
		"countyIn":    mk("county_in", "county_admin", "130102"),
		"countyOut":   mk("county_out", "county_admin", "130104"),
		"cityIn":      mk("city_in", "city_admin", "1301"),
		"cityOut":     mk("city_out", "city_admin", "1302"),
		"auditor":     mk("auditor", "auditor", "13"),
		"registrar":   mk("registrar", "registration_authority", "13"),
		"institution": mk("inst", "institution", "", "institution_id", uuid.NewString()),
	}
	var ua, ub struct{ ID string }
	users["countyIn"].must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第四十中学", "county": "130102", "area": "1", "category": "311"}).json(t, &ua)
	users["countyOut"].must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市桥西区第一小学", "county": "130104", "area": "1", "category": "211"}).json(t, &ub)
	register := func(admin *client, unit, first17, name string) (string, string) {
		id := demoID(first17)
		var r struct{ ID string }
		admin.must(201, "POST", "/api/v1/teachers", map[string]string{"name": name, "id_type": "1", "id_number": id, "unit_id": unit,
			"work_start": "2010-09", "certificate_type": "3", "certificate_number": "20101301031000001"}).json(t, &r)
		return r.ID, id
	}
	tMain, idMain := register(users["countyIn"], ua.ID, "13010219850101011", "陈一")
	_, idOther := register(users["countyOut"], ub.ID, "13010419860202022", "陈二")
	tMove, _ := register(users["countyIn"], ua.ID, "13010219870303033", "陈三")
	users["self"] = a.login(idMain, idMain[12:], "Self-Pass-123")
	users["otherTeacher"] = a.login(idOther, idOther[12:], "Other-Pass-123")

	var corr, tr struct{ ID string }
	users["self"].must(201, "POST", "/api/v1/teachers/"+tMain+"/corrections", map[string]string{"field": "name", "proposed_value": "陈壹", "reason": "证件为壹"}).json(t, &corr)
	users["countyIn"].must(201, "POST", "/api/v1/teachers/"+tMove+"/transfers", map[string]string{"to_county": "130104", "reason": "调动"}).json(t, &tr)

	stale := []string{"If-Match", `"999"`}
	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		allowed string // space-separated roles
	}{
		{"profile", "GET", "/teachers/" + tMain, nil, nil, "self countyIn cityIn province auditor registrar"},
		{"history", "GET", "/teachers/" + tMain + "/history", nil, nil, "self countyIn cityIn province auditor registrar"},
		{"roster", "GET", "/teachers?jurisdiction=130102", nil, nil, "countyIn cityIn province auditor registrar"},
		{"edit ordinary", "PATCH", "/teachers/" + tMain, map[string]any{"changes": map[string]string{"ethnicity": "02"}}, stale, "self countyIn cityIn province"},
		{"correct key field", "POST", "/teachers/" + tMain + "/key-field-corrections", map[string]any{"changes": map[string]string{"work_start": "2010-08"}, "reason": "档案"}, stale, "countyIn"},
		{"request correction", "POST", "/teachers/" + tMain + "/corrections", map[string]string{"field": "name", "proposed_value": "陈壹", "reason": "证件"}, nil, "self"},
		{"reject correction", "POST", "/teachers/" + tMain + "/corrections/" + corr.ID + "/reject", map[string]string{"reason": "无证明"}, stale, "countyIn"},
		{"approve correction", "POST", "/teachers/" + tMain + "/corrections/" + corr.ID + "/approve", nil, stale, "countyIn"},
		{"withdraw correction", "POST", "/teachers/" + tMain + "/corrections/" + corr.ID + "/withdraw", nil, stale, "self"},
		{"start transfer", "POST", "/teachers/" + tMove + "/transfers", map[string]string{"to_county": "130104", "reason": "调动"}, nil, "countyIn"},
		{"accept transfer", "POST", "/teachers/" + tMove + "/transfers/" + tr.ID + "/accept", nil, stale, "countyOut"},
		{"reject transfer", "POST", "/teachers/" + tMove + "/transfers/" + tr.ID + "/reject", map[string]string{"reason": "编制已满"}, stale, "countyOut"},
		{"cancel transfer", "POST", "/teachers/" + tMove + "/transfers/" + tr.ID + "/cancel", map[string]string{"reason": "撤回"}, stale, "countyIn"},
		{"reset password", "POST", "/teachers/" + tMove + "/password-reset", nil, stale, "countyIn"},
		{"correction queue", "GET", "/corrections?jurisdiction=130102", nil, nil, "countyIn cityIn province"},
		{"transfer queue", "GET", "/transfers?jurisdiction=130102", nil, nil, "countyIn cityIn province"},
		{"key-field audit", "GET", "/audit/key-field-changes?jurisdiction=130102", nil, nil, "countyIn cityIn province auditor registrar"},
		{"security audit", "GET", "/audit/security", nil, nil, "auditor"},
		{"accounts", "GET", "/accounts?jurisdiction=130102", nil, nil, "countyIn cityIn province"},
		{"create account", "POST", "/accounts", map[string]string{"login": "x", "role": "county_admin", "jurisdiction": "130102", "display_name": "x"}, nil, "province"},
		{"register unit", "POST", "/units", map[string]string{"name": "石家庄市第四十一中学", "county": "130102", "area": "1", "category": "311"}, nil, "countyIn"},
		{"register teacher", "POST", "/teachers", map[string]string{"name": "陈四", "id_type": "1", "id_number": demoID("13010219880404044"), "unit_id": ua.ID,
			"work_start": "2011-09", "certificate_type": "3", "certificate_number": "20111301031000004"}, nil, "countyIn"},
	}
	roles := []string{"self", "otherTeacher", "countyIn", "countyOut", "cityIn", "cityOut", "province", "auditor", "registrar", "institution"}
	for _, tc := range cases {
		for _, role := range roles {
			allowed := strings.Contains(" "+tc.allowed+" ", " "+role+" ")
			body := tc.body
			if m, ok := body.(map[string]string); ok && m["login"] == "x" {
				body = map[string]string{"login": "acct_" + role, "role": "county_admin", "jurisdiction": "130102", "display_name": "x"}
			}
			r := users[role].do(tc.method, "/api/v1"+tc.path, body, tc.headers...)
			// A refusal on a route that names a record is a 404, the same
			// answer as for a record that does not exist.
			refused := r.Status == 403 || r.Status == 401 || r.Status == 404
			if allowed && refused {
				t.Errorf("%s as %s: refused with %d, want allowed: %s", tc.name, role, r.Status, r.Body)
			}
			if !allowed && r.Status != 403 && r.Status != 404 {
				t.Errorf("%s as %s: %d, want 403 or 404: %s", tc.name, role, r.Status, r.Body)
			}
		}
	}
}
