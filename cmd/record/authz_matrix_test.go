package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/hbte/record/httpapi"
)

// callers are the kinds of user every operation is tried as. The record
// the operations act on is 王建国's (长安区 130102, 石家庄市 1301, 河北 13),
// his enrollment in the demo's province project (institution hebtu), his
// credit-bank request, uploads and files.
var callers = []string{
	"self",    // 王建国, the teacher of the record
	"teacher", // 张伟, another teacher (桥西区)
	"county",  // 长安区管理员 (the record's county)
	"county2", // 桥西区管理员 (another county of the same city)
	"city",    // 石家庄市管理员
	"city2",   // 唐山市管理员 (another city)
	"prov",    // 河北省项目管理员
	"aud",     // 省级审计员 (13)
	"aud2",    // 桥西区审计员 (another county)
	"reg",     // 河北省教师资格注册机构 (13)
	"reg2",    // 唐山市注册机构 (another city)
	"inst",    // the institution assigned to the enrollment
	"inst2",   // another institution
}

// authzRules declares, for every operation of the OpenAPI document, who may
// call it on 王建国's record. Everyone else must be refused (403 or 404),
// and refused alike whether the thing exists or not (permission before
// state). A new operation without a rule fails the test.
//
// "ALL" is every logged-in caller; "ADMINS" county city prov (the record's
// chain of admins); names as in callers. A rule starting with "~" is decided
// by the request body (the region a studio is for): the callers outside it
// are refused whatever the body, the ones inside only for some bodies.
var authzRules = map[string]string{
	"DELETE /links/{kind}/{id}":                               "prov",
	"DELETE /sessions/current":                                "ALL",
	"DELETE /teachers/{id}/achievements/{aid}":                "self",
	"DELETE /teachers/{id}/honors/{hid}":                      "self",
	"GET /accounts":                                           "ADMINS county2 city2",
	"GET /appraisal-uploads":                                  "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /appraisal-uploads/{id}":                             "ADMINS aud reg",
	"GET /appraisal-uploads/{id}/errors":                      "ADMINS aud reg",
	"GET /appraisals":                                         "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /audit/digests":                                      "prov aud aud2",
	"GET /audit/digests/consistency":                          "prov aud aud2",
	"GET /audit/integrity":                                    "prov aud aud2",
	"GET /audit/key-field-changes":                            "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /audit/security":                                     "aud aud2",
	"GET /corrections":                                        "ADMINS county2 city2",
	"GET /credit-audits":                                      "ADMINS county2 city2",
	"GET /credit-audits/{id}":                                 "ADMINS",
	"GET /credit-bank":                                        "self teacher ADMINS county2 city2 aud aud2 reg reg2",
	"GET /credit-bank/{id}":                                   "self ADMINS aud reg",
	"GET /enrollments/queue":                                  "ADMINS county2 city2",
	"GET /enrollments/{id}":                                   "self ADMINS aud reg inst",
	"GET /enrollments/{id}/certificate.pdf":                   "self ADMINS aud inst",
	"GET /enrollments/{id}/notice.pdf":                        "self ADMINS aud inst",
	"GET /files/{sha}":                                        "self ADMINS aud reg",
	"GET /institutions":                                       "ADMINS county2 city2 aud aud2",
	"GET /links/{kind}":                                       "ALL",
	"GET /me":                                                 "ALL",
	"GET /me/studios":                                         "self teacher",
	"GET /me/trainings":                                       "self teacher",
	"GET /ops/projections":                                    "prov aud aud2",
	"POST /ops/projections/{name}/rebuild":                    "prov", // auditors watch, they do not operate
	"GET /projects":                                           "ALL",
	"GET /projects/{id}":                                      "ALL",
	"GET /projects/{id}/grades/template":                      "inst",
	"GET /projects/{id}/roster":                               "self teacher ADMINS county2 city2 aud aud2 reg reg2 inst inst2", // each sees only what is theirs
	"GET /projects/{id}/statistics":                           "ADMINS county2 city2 aud aud2 inst inst2",
	"GET /public/certificates/verify":                         "PUBLIC",
	"GET /public/integrity/keys":                              "PUBLIC",
	"GET /public/sso/jwks.json":                               "PUBLIC",
	"GET /regions":                                            "ALL",
	"GET /regions/{code}":                                     "ALL",
	"GET /registration-policies":                              "ALL",
	"GET /registration/checks":                                "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /registration/status":                                "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /studios":                                            "self teacher ADMINS county2 city2 aud aud2 reg reg2",
	"GET /teachers":                                           "ADMINS county2 city2 aud aud2 reg reg2",
	"GET /teachers/{id}":                                      "self ADMINS aud reg",
	"GET /teachers/{id}/appraisals":                           "self ADMINS aud reg",
	"GET /teachers/{id}/credits":                              "self ADMINS aud reg",
	"GET /teachers/{id}/growth":                               "self ADMINS aud reg",
	"GET /teachers/{id}/history/proof":                        "self county aud reg",
	"GET /teachers/{id}/history":                              "self ADMINS aud reg",
	"GET /teachers/{id}/registration":                         "self ADMINS aud reg",
	"GET /teachers/{id}/registration/check":                   "self ADMINS aud reg",
	"GET /transfers":                                          "ADMINS county2 city2",
	"GET /units":                                              "ALL",
	"GET /units/{id}":                                         "ALL",
	"GET /uploads/{id}/report":                                "inst",
	"PATCH /teachers/{id}":                                    "self ADMINS",
	"POST /accounts":                                          "prov",
	"POST /audit/digests":                                     "prov aud aud2",
	"POST /appraisal-uploads":                                 "county county2",
	"POST /credit-bank":                                       "self teacher",
	"POST /credit-bank/{id}/recognise":                        "county",
	"POST /credit-bank/{id}/reject":                           "county",
	"POST /credit-bank/{id}/withdraw":                         "self",
	"POST /credit-imports":                                    "county county2 prov",
	"POST /enrollments/decisions":                             "ADMINS county2 city2",
	"POST /enrollments/{id}/approval":                         "prov",
	"POST /enrollments/{id}/city-approval":                    "city",
	"POST /enrollments/{id}/city-rejection":                   "city",
	"POST /enrollments/{id}/grade":                            "inst",
	"POST /enrollments/{id}/grade-corrections":                "inst prov",
	"POST /enrollments/{id}/notice":                           "inst",
	"POST /enrollments/{id}/progress":                         "inst",
	"POST /enrollments/{id}/reassignment":                     "prov",
	"POST /enrollments/{id}/rejection":                        "prov",
	"POST /enrollments/{id}/remote-learning":                  "self",
	"POST /enrollments/{id}/report":                           "self inst",
	"POST /enrollments/{id}/withdrawal":                       "county prov",
	"POST /files":                                             "ALL",
	"POST /institutions":                                      "prov",
	"POST /institutions/{id}/accounts":                        "prov",
	"POST /links/{kind}":                                      "prov",
	"POST /me/contact-codes":                                  "self teacher",
	"POST /projects":                                          "ADMINS county2 city2",
	"POST /projects/{id}/changes":                             "prov",
	"POST /projects/{id}/classes":                             "prov",
	"POST /projects/{id}/classes/{class_id}/notice":           "inst",
	"POST /projects/{id}/grades":                              "inst",
	"POST /projects/{id}/nominations":                         "county county2",
	"POST /registration-policies":                             "prov",
	"POST /registration/checks":                               "ADMINS county2 city2 aud aud2 reg reg2",
	"POST /sessions":                                          "PUBLIC",
	"POST /credit-audits":                                     "~ADMINS county2 city2",
	"POST /credit-audits/{id}/entries/{eid}/review":           "ADMINS",
	"POST /studios":                                           "~ADMINS county2 city2",
	"POST /studios/{id}/close":                                "ADMINS",
	"POST /studios/{id}/{action}":                             "self teacher",
	"POST /teachers":                                          "county county2",
	"POST /teachers/{id}/absences":                            "county",
	"POST /teachers/{id}/absences/{aid}/withdraw":             "county",
	"POST /teachers/{id}/achievements":                        "self",
	"POST /teachers/{id}/appraisals/{year}/annual-correction": "county",
	"POST /teachers/{id}/appraisals/{year}/ethics-correction": "county",
	"POST /teachers/{id}/certificate-revocation":              "reg",
	"POST /teachers/{id}/corrections":                         "self",
	"POST /teachers/{id}/corrections/{cid}/approve":           "county",
	"POST /teachers/{id}/corrections/{cid}/reject":            "county",
	"POST /teachers/{id}/corrections/{cid}/withdraw":          "self",
	"POST /teachers/{id}/credits/revocations":                 "county inst",
	"POST /teachers/{id}/erasure":                             "prov",
	"POST /teachers/{id}/fitness":                             "reg",
	"POST /teachers/{id}/honors":                              "self",
	"POST /teachers/{id}/key-field-corrections":               "county",
	"POST /teachers/{id}/password-reset":                      "county",
	"POST /teachers/{id}/registration/decisions":              "reg",
	"POST /teachers/{id}/registration/first":                  "reg",
	"POST /teachers/{id}/transfers":                           "county",
	"POST /teachers/{id}/transfers/{tid}/accept":              "county2",
	"POST /teachers/{id}/transfers/{tid}/cancel":              "county",
	"POST /teachers/{id}/transfers/{tid}/confirm-out":         "prov",
	"POST /teachers/{id}/transfers/{tid}/reject":              "county2",
	"POST /teachers/{id}/unit-change":                         "county",
	"POST /units":                                             "county county2",
	"POST /units/{id}/changes":                                "county",
	"PUT /me/password":                                        "ALL",
	"PUT /teachers/{id}/achievements/{aid}":                   "self",
	"PUT /teachers/{id}/honors/{hid}":                         "self",
}

// sessionOrder are run last in the allowed phase, in this order: they end
// or change sessions.
var sessionOrder = map[string]int{"PUT /me/password": 1, "DELETE /sessions/current": 2, "POST /teachers/{id}/password-reset": 3}

func expandRule(rule string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(strings.TrimPrefix(rule, "~")) {
		switch w {
		case "ALL":
			for _, c := range callers {
				out[c] = true
			}
		case "ADMINS":
			out["county"], out["city"], out["prov"] = true, true, true
		default:
			out[w] = true
		}
	}
	return out
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestAuthorizationMatrixCoversEveryOperation runs every operation of the
// OpenAPI document as every kind of caller: no session and a bad token
// get 401; a caller outside the rule is refused, with the same answer for
// a record that exists and one that does not (a refusal on a route that
// names a record is a 404); a caller inside it is never refused for who it
// is (401/403).
func TestAuthorizationMatrixCoversEveryOperation(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	type op struct {
		key, method, path string
		public            bool
	}
	var ops []op
	for path, item := range doc.Paths.Map() {
		for m, o := range item.Operations() {
			key := m + " " + path
			if _, ok := authzRules[key]; !ok {
				t.Errorf("no authorization rule declared for %s: add it to authzRules", key)
			}
			ops = append(ops, op{key: key, method: m, path: path, public: o.Security != nil && len(*o.Security) == 0})
		}
	}
	for k := range authzRules {
		if doc.Paths.Find(strings.SplitN(k, " ", 2)[1]) == nil {
			t.Errorf("rule for %s names no documented path", k)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	if t.Failed() {
		t.FailNow()
	}

	a := demoApp(t)
	f := newAuthzFixture(t, a)
	params := func(o op, random bool) string {
		return pathParam.ReplaceAllStringFunc(o.path, func(m string) string {
			name := m[1 : len(m)-1]
			v := f.param(o.path, name)
			if random {
				switch {
				case name == "sha":
					v = strings.Repeat("ab", 32)
				case uuidLike(v):
					v = uuid.NewString()
				}
			}
			return v
		})
	}
	call := func(c *client, o op, path string) int {
		var body any
		if o.method != "GET" && o.method != "DELETE" {
			body = map[string]any{}
		}
		c.a.last = "" // no read-your-writes wait: the matrix writes nothing it reads
		return c.do(o.method, "/api/v1"+path, body).Status
	}

	// Phase 1: refusals. Nothing refused may change anything, so their order
	// does not matter.
	for _, o := range ops {
		if o.public {
			continue
		}
		allowed := expandRule(authzRules[o.key])
		path, ghost := params(o, false), params(o, true)
		if s := call(a.anon(), o, path); s != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d, want 401", o.key, s)
		}
		if s := call(&client{a: a, token: "not-a-token"}, o, path); s != http.StatusUnauthorized {
			t.Errorf("%s with a bad token: %d, want 401", o.key, s)
		}
		for _, who := range callers {
			if allowed[who] {
				continue
			}
			s := call(f.users[who], o, path)
			if !refusal(s) {
				t.Errorf("%s as %s: %d, want a refusal (403, 404, or 400/415/422/428 for the empty body)", o.key, who, s)
				continue
			}
			if ghost != path {
				if g := call(f.users[who], o, ghost); g != s {
					t.Errorf("%s as %s: %d for an existing thing but %d for a missing one (an existence oracle)", o.key, who, s, g)
				}
			}
		}
	}
	// Phase 2: callers inside the rule are never refused for who they are.
	// These calls may change state (an empty body is mostly refused as
	// invalid, not all); session changes run last.
	sort.SliceStable(ops, func(i, j int) bool { return sessionOrder[ops[i].key] < sessionOrder[ops[j].key] })
	for _, o := range ops {
		if o.public || strings.HasPrefix(authzRules[o.key], "~") {
			continue
		}
		if sessionOrder[o.key] > 0 {
			f.relogin(t, a) // the previous one may have ended every session
		}
		for _, who := range callers {
			if !expandRule(authzRules[o.key])[who] {
				continue
			}
			if s := call(f.users[who], o, params(o, false)); s == http.StatusUnauthorized || s == http.StatusForbidden {
				t.Errorf("%s as %s: %d, but the rule allows %s", o.key, who, s, who)
			}
		}
	}
}

// refusal: who may not act is refused; an invalid request (the matrix
// sends an empty body) may be refused as invalid first, which tells nothing
// about any record. Never a success, never a state (409).
func refusal(status int) bool {
	switch status {
	case http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity, http.StatusPreconditionRequired:
		return true
	}
	return false
}

func uuidLike(s string) bool { _, err := uuid.Parse(s); return err == nil }

type authzFixture struct {
	users    map[string]*client
	ids      map[string]string
	password map[string][2]string // who -> login, current password
}

// relogin opens a new session for every caller (through the credentials,
// not the login route: its rate limit is not under test here).
func (f *authzFixture) relogin(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	for who, lp := range f.password {
		p, _, err := a.svc.Creds.Authenticate(ctx, lp[0], lp[1])
		if err != nil {
			t.Fatalf("relogin %s: %v", who, err)
		}
		tok, _, err := a.svc.Creds.NewSession(ctx, p.AccountID, "127.0.0.1", "authz-matrix")
		if err != nil {
			t.Fatal(err)
		}
		f.users[who] = &client{a: a, token: tok}
	}
}

// param is the value of a path parameter on the record of 王建国.
func (f *authzFixture) param(path, name string) string {
	switch name {
	case "id":
		for _, prefix := range []string{"teachers", "enrollments", "projects", "units", "credit-bank", "appraisal-uploads",
			"uploads", "institutions", "studios", "links", "credit-audits"} {
			if strings.HasPrefix(path, "/"+prefix+"/") {
				return f.ids[prefix]
			}
		}
	case "aid":
		if strings.Contains(path, "/absences/") {
			return f.ids["absence"]
		}
	case "kind":
		return "reading"
	case "action":
		return "follow"
	case "year":
		return "2024"
	case "code":
		return "130102"
	case "name":
		if strings.HasPrefix(path, "/ops/projections/") {
			return "studios"
		}
	}
	if v, ok := f.ids[name]; ok {
		return v
	}
	panic(fmt.Sprintf("no fixture for {%s} in %s", name, path))
}

func newAuthzFixture(t *testing.T, a *app) *authzFixture {
	t.Helper()
	ctx := context.Background()
	f := &authzFixture{users: map[string]*client{}, ids: map[string]string{}, password: map[string][2]string{}}
	login := func(who, login, initial string) {
		f.users[who] = a.login(login, initial, "Changed#2026"+who)
		f.password[who] = [2]string{login, "Changed#2026" + who}
	}
	login("prov", "hb_admin", DemoPassword)
	prov := f.users["prov"]
	for who, l := range map[string]string{"county": "changan_admin", "county2": "qiaoxi_admin", "city": "sjz_admin",
		"aud": "hb_auditor", "reg": "hb_registrar", "inst": "hebtu"} {
		login(who, l, DemoPassword)
	}
	mk := func(who, login, role, region string, extra ...string) {
		body := map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i]] = extra[i+1]
		}
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		prov.must(201, "POST", "/api/v1/accounts", body).json(t, &created)
		f.users[who] = a.login(login, created.InitialPassword, "Changed#2026"+who)
		f.password[who] = [2]string{login, "Changed#2026" + who}
	}
	mk("city2", "ts_admin", "city_admin", "1302")
	mk("aud2", "qiaoxi_auditor", "auditor", "130104")
	mk("reg2", "ts_registrar", "registration_authority", "1302")
	var inst2 struct{ ID string }
	prov.must(201, "POST", "/api/v1/institutions", map[string]string{"name": "唐山师范学院继续教育学院", "code": "TSTC", "contact": "李老师"}).json(t, &inst2)
	var inst2Acc struct {
		InitialPassword string `json:"initial_password"`
		Login           string `json:"login"`
	}
	prov.must(201, "POST", "/api/v1/institutions/"+inst2.ID+"/accounts", map[string]string{"login": "tstc", "display_name": "唐山师范"}).json(t, &inst2Acc)
	login("inst2", "tstc", inst2Acc.InitialPassword)
	wangID, zhangID := demoID("13010219800515011"), demoID("13010419920107035")
	login("self", wangID, wangID[12:])
	login("teacher", zhangID, zhangID[12:])

	q := func(sql string, args ...any) string {
		// The read models may still be catching up, held back by other
		// tests' transactions on the same server.
		var v string
		deadline := time.Now().Add(time.Minute)
		for a.svc.Pool.QueryRow(ctx, sql, args...).Scan(&v) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("fixture: %s: nothing after a minute", sql)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return v
	}
	tid := q(`SELECT teacher_id::text FROM teacher_profiles WHERE name = '王建国'`)
	f.ids["teachers"] = tid
	// His enrollment with a class (the province project he passed).
	f.ids["enrollments"] = q(`SELECT enrollment_id::text FROM enrollments WHERE teacher_id = $1 AND class_id IS NOT NULL`, tid)
	f.ids["projects"] = q(`SELECT project_id::text FROM enrollments WHERE enrollment_id = $1`, f.ids["enrollments"])
	f.ids["class_id"] = q(`SELECT class_id::text FROM enrollments WHERE enrollment_id = $1`, f.ids["enrollments"])
	f.ids["units"] = q(`SELECT unit_id::text FROM units WHERE county = '130102' LIMIT 1`)
	f.ids["credit-bank"] = q(`SELECT request_id::text FROM credit_bank_requests WHERE teacher_id = $1`, tid)
	f.ids["appraisal-uploads"] = q(`SELECT batch_id::text FROM appraisal_uploads WHERE county = '130102' LIMIT 1`)
	f.ids["institutions"] = q(`SELECT institution_id::text FROM institutions WHERE code = 'HEBTU'`)
	f.ids["sha"] = q(`SELECT sha256 FROM credit_file_uploaders WHERE teacher_id = $1 LIMIT 1`, tid)

	self, county := f.users["self"], f.users["county"]
	var r struct{ ID string }
	self.must(201, "POST", "/api/v1/teachers/"+tid+"/honors", map[string]any{"year": 2024, "level": "40", "title": "区优秀教师"}).json(t, &r)
	f.ids["hid"] = r.ID
	self.must(201, "POST", "/api/v1/teachers/"+tid+"/achievements", map[string]any{"year": 2024, "category": "paper", "level": "40",
		"title": "初中数学单元教学设计", "author": "王建国"}).json(t, &r)
	f.ids["aid"] = r.ID
	self.must(201, "POST", "/api/v1/teachers/"+tid+"/corrections", map[string]string{"field": "work_start", "proposed_value": "2003-09", "reason": "档案记载"}).json(t, &r)
	f.ids["cid"] = r.ID
	county.must(201, "POST", "/api/v1/teachers/"+tid+"/transfers", map[string]string{"to_county": "130104", "reason": "工作调动"}).json(t, &r)
	f.ids["tid"] = r.ID
	var studio struct{ ID string }
	prov.must(201, "POST", "/api/v1/studios", map[string]string{"name": "王建国名师工作室", "host_teacher_id": tid, "host_name": "王建国",
		"region": "130102", "subject": "数学"}).json(t, &studio)
	f.ids["studios"] = studio.ID
	prov.must(201, "POST", "/api/v1/links/reading", map[string]string{"title": "教育的情调", "url": "https://book.example/1"}).json(t, &r)
	f.ids["links"] = r.ID
	// A sampled audit of the county's credit claims and its first entry
	// (a random id when the county has none to sample).
	county.must(201, "POST", "/api/v1/credit-audits", map[string]any{"scope": "130102", "count": 1, "seed": "matrix"}).json(t, &r)
	f.ids["credit-audits"] = r.ID
	var sample struct {
		Entries []struct {
			EntryID string `json:"entry_id"`
		}
	}
	county.must(200, "GET", "/api/v1/credit-audits/"+r.ID, nil).json(t, &sample)
	f.ids["eid"] = uuid.NewString()
	if len(sample.Entries) > 0 {
		f.ids["eid"] = sample.Entries[0].EntryID
	}
	// An absence: its routes name it {aid} like achievements do.
	var abs struct{ ID string }
	county.must(201, "POST", "/api/v1/teachers/"+tid+"/absences", map[string]any{"from": "2025-03-01", "until": "2025-03-20",
		"approved": true, "note": "病假"}).json(t, &abs)
	f.ids["absence"] = abs.ID
	// A grade upload's error report of the institution (as the upload
	// stores it).
	f.ids["uploads"] = uuid.NewString()
	if _, err := a.svc.Pool.Exec(ctx, `INSERT INTO upload_reports (report_id, account_id, filename, content_type, body)
		SELECT $1, account_id, '成绩-错误报告.csv', 'text/csv; charset=utf-8', 'x' FROM auth_accounts WHERE login = 'hebtu'`, f.ids["uploads"]); err != nil {
		t.Fatal(err)
	}
	return f
}
