package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/ident"
)

// Proxy headers from an ordinary client change nothing: the login rate
// limit holds however X-Forwarded-For varies, and the security audit
// records the real peer.
func TestSpoofedForwardedForNeitherBypassesTheLoginLimitNorReachesTheAudit(t *testing.T) {
	forBackends(t, testSpoofedForwardedForNeitherBypassesTheLoginLimitNorReachesTheAudit)
}

func testSpoofedForwardedForNeitherBypassesTheLoginLimitNorReachesTheAudit(t *testing.T, backend string) {
	a := demoAppOn(t, backend)
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": "changan_admin", "password": "Wrong#pass1"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i), "X-Real-IP", fmt.Sprintf("203.0.113.%d", i), "True-Client-IP", "192.0.2.1")
		limited = r.Status == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("30 logins with 30 forwarded addresses were never rate-limited")
	}
	var spoofed int
	if err := a.svc.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM security_audit WHERE ip NOT IN ('127.0.0.1', '::1')`).Scan(&spoofed); err != nil {
		t.Fatal(err)
	}
	if spoofed != 0 {
		t.Fatalf("%d audit entries record a forwarded address from an untrusted client", spoofed)
	}
}

// Small things an API client meets: a lower-case "bearer", the initial
// password of an ID ending in X typed with a lower-case x, an error that
// names no Go type, and an Idempotency-Key that does not lift the 1 MB
// JSON limit.
func TestAPIClientDetails(t *testing.T) { forBackends(t, testAPIClientDetails) }

func testAPIClientDetails(t *testing.T, backend string) {
	a := demoAppOn(t, backend)
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	if r := admin.do("GET", "/api/v1/me", nil, "Authorization", "bearer "+admin.token); r.Status != 200 {
		t.Fatalf("lower-case bearer: %d %s", r.Status, r.Body)
	}

	// A teacher whose ID number ends in X.
	first17 := ""
	for seq := 100; seq < 999; seq += 2 { // even: female
		f := fmt.Sprintf("13010219900304%03d", seq)
		if ident.CheckChar(f) == 'X' {
			first17 = f
			break
		}
	}
	id := first17 + "X"
	var units struct {
		Units []struct {
			ID string `json:"unit_id"`
		} `json:"units"`
	}
	admin.must(200, "GET", "/api/v1/units", nil).json(t, &units)
	if len(units.Units) == 0 {
		t.Fatal("no unit in the demo county")
	}
	admin.must(201, "POST", "/api/v1/teachers", map[string]any{"name": "赵敏", "id_type": "1", "id_number": id,
		"unit_id": units.Units[0].ID, "work_start": "2012-09", "certificate_type": "3", "certificate_number": "20121301032000999"})
	lower := strings.ToLower(commands.InitialPassword(id))
	if r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": strings.ToLower(id), "password": lower}); r.Status != 201 {
		t.Fatalf("initial password with a lower-case x: %d %s", r.Status, r.Body)
	}

	r := admin.do("POST", "/api/v1/teachers", `"just a string"`)
	if r.Status != 400 || strings.Contains(string(r.Body), "httpapi.") || strings.Contains(string(r.Body), "Request") {
		t.Fatalf("not an object: %d %s", r.Status, r.Body)
	}

	big := `{"reason":"` + strings.Repeat("a", 2<<20) + `"}`
	if r := admin.do("POST", "/api/v1/teachers", big, "Idempotency-Key", "big-1"); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MB JSON with an Idempotency-Key: %d", r.Status)
	}
}

// A region outside the caller's jurisdiction is refused on every list,
// whatever the parameter is called; none quietly answers with the
// caller's own region.
func TestForeignRegionParametersAre403Everywhere(t *testing.T) {
	a := demoApp(t)
	changan := a.login("changan_admin", DemoPassword, "Changan#2026")
	for _, path := range []string{"/teachers", "/accounts", "/registration/checks", "/registration/status", "/appraisals", "/appraisal-uploads"} {
		for _, param := range []string{"jurisdiction", "county", "region"} {
			if path == "/teachers" || path == "/accounts" {
				if param != "jurisdiction" {
					continue
				}
			}
			r := changan.do("GET", "/api/v1"+path+"?"+param+"=130104", nil)
			if r.Status != http.StatusForbidden {
				t.Errorf("GET %s?%s=130104 as the 130102 admin: %d, want 403", path, param, r.Status)
			}
		}
	}
}

// The audit endpoints mask personal data by its type: the key-field trail
// shows ID numbers masked unless a role that may asks for a reveal, which
// is recorded; the security audit shows a county's auditor its county only,
// with teachers' logins (ID numbers) masked.
func TestAuditEndpointsMaskByTypeAndKeepToTheJurisdiction(t *testing.T) {
	a := demoApp(t)
	wangID := demoID("13010219800515011")
	city := a.login("sjz_admin", DemoPassword, "Sjz#2026aa")
	body := string(city.must(200, "GET", "/api/v1/audit/key-field-changes?field=id_number", nil).Body)
	if !strings.Contains(body, ident.MaskID(wangID)) || strings.Contains(body, wangID) {
		t.Fatalf("the city's key-field trail of ID numbers is not masked: %.400s", body)
	}
	if r := city.do("GET", "/api/v1/audit/key-field-changes?field=id_number&reveal=true", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a city admin revealed ID numbers: %d", r.Status)
	}
	county := a.login("changan_admin", DemoPassword, "Changan#2026")
	if body := string(county.must(200, "GET", "/api/v1/audit/key-field-changes?field=id_number&reveal=true", nil).Body); !strings.Contains(body, wangID) {
		t.Fatalf("a county admin's reveal shows no full ID number: %.400s", body)
	}
	var reveals int
	if err := a.svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM security_audit
		WHERE action = 'reveal_personal_data' AND subject LIKE 'key-field-audit:%' AND login = 'changan_admin'`).Scan(&reveals); err != nil || reveals != 1 {
		t.Fatalf("reveals recorded: %d %v", reveals, err)
	}

	// Logins of 长安区 (a teacher's and its admin's) and of 桥西区.
	a.login(wangID, commands.InitialPassword(wangID), "Jianguo#2026")
	a.login("qiaoxi_admin", DemoPassword, "Qiaoxi#2026a")
	prov := a.login("hb_admin", DemoPassword, "Hebei#2026a")
	prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "qx_auditor", "role": "auditor", "jurisdiction": "130104", "display_name": "桥西区审计员"})
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	r := prov.do("POST", "/api/v1/accounts", map[string]string{"login": "ca_auditor", "role": "auditor", "jurisdiction": "130102", "display_name": "长安区审计员"})
	r.json(t, &created)
	auditor := a.login("ca_auditor", created.InitialPassword, "Auditor#2026")
	var got struct {
		Items []struct {
			Login  string `json:"login"`
			Region string `json:"region"`
		} `json:"items"`
	}
	auditor.must(200, "GET", "/api/v1/audit/security", nil).json(t, &got)
	seen := map[string]bool{}
	for _, e := range got.Items {
		if !strings.HasPrefix(e.Region, "130102") {
			t.Errorf("the 长安区 auditor sees an entry of region %q (%s)", e.Region, e.Login)
		}
		seen[e.Login] = true
	}
	if !seen["changan_admin"] || !seen[ident.MaskID(wangID)] || seen[wangID] || seen["qiaoxi_admin"] {
		t.Fatalf("the 长安区 auditor's view: %v", seen)
	}
}

// Two teachers with one teacher-certificate number: the second
// registration is accepted (legacy data holds such errors) with a warning
// that names the field.
func TestDuplicateCertificateNumberIsWarned(t *testing.T) {
	a := demoApp(t)
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	var units struct {
		Units []struct {
			ID string `json:"unit_id"`
		} `json:"units"`
	}
	admin.must(200, "GET", "/api/v1/units", nil).json(t, &units)
	register := func(first17, name string) []string {
		var out struct {
			Warnings []struct{ Field, Reason string } `json:"warnings"`
		}
		admin.must(201, "POST", "/api/v1/teachers", map[string]any{"name": name, "id_type": "1", "id_number": demoID(first17),
			"unit_id": units.Units[0].ID, "work_start": "2012-09", "certificate_type": "3", "certificate_number": "20121301031000888"}).json(t, &out)
		var fields []string
		for _, w := range out.Warnings {
			fields = append(fields, w.Field)
		}
		return fields
	}
	if w := register("13010219870709031", "郑一"); len(w) != 0 {
		t.Fatalf("the first holder of the number was warned: %v", w)
	}
	if w := register("13010219880810051", "郑二"); len(w) != 1 || w[0] != "certificate_number" {
		t.Fatalf("the second holder: warnings %v, want certificate_number", w)
	}
}
