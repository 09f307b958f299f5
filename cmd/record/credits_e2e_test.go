package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"
)

// creditWorld is one app with the admins, schools and helpers the credit
// and registration stories share. Every case gets its own teacher.
type creditWorld struct {
	t         *testing.T
	a         *app
	prov      *client
	changan   *client // county admin 130102
	qiaoxi    *client // county admin 130104
	registrar *client // registration authority, Hebei
	regOut    *client // registration authority of another city (Tangshan)
	unitA     string
	unitB     string
	n         int
}

const (
	cwUnitAName = "石家庄市第二十五中学"
	cwUnitBName = "石家庄市桥西区实验小学"
)

func newCreditWorld(t *testing.T, backend string) *creditWorld {
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "cw_prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	w := &creditWorld{t: t, a: a, prov: a.login("cw_prov", "Prov-Pass-1", "Prov-Pass-2")}
	mk := func(login, role, region string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		w.prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login}).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-Pass-"+login)
	}
	w.changan = mk("cw_changan", "county_admin", "130102")
	w.qiaoxi = mk("cw_qiaoxi", "county_admin", "130104")
	w.registrar = mk("cw_registrar", "registration_authority", "13")
	w.regOut = mk("cw_reg_ts", "registration_authority", "1302")
	var ua, ub struct{ ID string }
	w.changan.must(201, "POST", "/api/v1/units", map[string]string{"name": cwUnitAName, "county": "130102", "area": "1", "category": "341"}).json(t, &ua)
	w.qiaoxi.must(201, "POST", "/api/v1/units", map[string]string{"name": cwUnitBName, "county": "130104", "area": "1", "category": "211"}).json(t, &ub)
	w.unitA, w.unitB = ua.ID, ub.ID
	return w
}

type cwTeacher struct {
	id, idNumber, name, county, unit string
	admin                            *client
}

// teacher registers a fresh teacher (male, born in 1985) in 130102 (unit
// A) or 130104 (unit B).
func (w *creditWorld) teacher(name, county string) cwTeacher {
	w.t.Helper()
	w.n++
	admin, unit, unitName := w.changan, w.unitA, cwUnitAName
	if county == "130104" {
		admin, unit, unitName = w.qiaoxi, w.unitB, cwUnitBName
	}
	idNumber := demoID(fmt.Sprintf("%s198501%02d011", county, w.n))
	var r struct{ ID string }
	admin.must(201, "POST", "/api/v1/teachers", map[string]string{"name": name, "id_type": "1", "id_number": idNumber, "unit_id": unit,
		"work_start": "2008-09", "certificate_type": "3", "certificate_number": fmt.Sprintf("20081301031%06d", 100+w.n)}).json(w.t, &r)
	return cwTeacher{id: r.ID, idNumber: idNumber, name: name, county: county, unit: unitName, admin: admin}
}

func (w *creditWorld) loginTeacher(tc cwTeacher) *client {
	return w.a.login(tc.idNumber, tc.idNumber[12:], "Teacher-Pass-"+tc.idNumber[12:])
}

// cwMultipart builds a form with one file part and plain fields.
func cwMultipart(t *testing.T, name, contentType string, data []byte, fields ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func (c *client) creditUpload(want int, path, name, contentType string, data []byte, fields ...string) resp {
	c.a.t.Helper()
	body, ct := cwMultipart(c.a.t, name, contentType, data, fields...)
	return c.must(want, "POST", path, body, "Content-Type", ct)
}

func cwCSV(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

type cwCheck struct {
	Outcome       string `json:"outcome"`
	PolicyVersion string `json:"policy_version"`
	Reasons       []struct {
		Code   string `json:"code"`
		Effect string `json:"effect"`
	} `json:"reasons"`
	Progress struct {
		Hours    int `json:"hours"`
		Required int `json:"required"`
	} `json:"progress"`
	Cycle struct {
		Start time.Time `json:"start"`
	} `json:"cycle"`
}

func (r cwCheck) codes() []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.Code)
	}
	return out
}

func (w *creditWorld) check(c *client, teacherID, asOf string) cwCheck {
	w.t.Helper()
	path := "/api/v1/teachers/" + teacherID + "/registration/check"
	if asOf != "" {
		path += "?as_of=" + asOf
	}
	var out cwCheck
	c.must(200, "GET", path, nil).json(w.t, &out)
	return out
}

// cwImportLines are training records to import for teacher: n records of
// 90 hours, one each year from 2020, inside the cycle that starts
// 2019-09-01.
func cwImportLines(tc cwTeacher, n int) []string {
	var lines []string
	for i := range n {
		y := 2020 + i
		lines = append(lines, fmt.Sprintf("%s,%s,%d,%d-06-30,省级,培训,90,4,河北省骨干教师培训%d,%s-%d", tc.idNumber, tc.name, y, y, y, tc.idNumber, y))
	}
	return lines
}

const cwImportHeader = "身份证件号码,姓名,年度,完成日期,级别,类别,学时,学分,培训名称,原系统记录编号"

// TestReRegistrationCasesThroughHTTP is the proof of issue 5: re-
// registration cases drawn from the 2013 rules, every input entered and
// every check read through the HTTP API.
func TestReRegistrationCasesThroughHTTP(t *testing.T) {
	forBackends(t, testReRegistrationCasesThroughHTTP)
}

func testReRegistrationCasesThroughHTTP(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	type spec struct {
		name    string
		county  string
		records int               // 90-hour records in the cycle
		annual  map[int]string    // year -> grade; default 合格
		ethics  map[int][2]string // year -> result, serious breach; default 达标
		absence map[string]any    // recorded by the county admin
		want    string
		codes   []string // reasons the check must carry
		policy  string
	}
	cases := []spec{
		{name: "pass", county: "130102", records: 4, want: "pass", policy: "national-2013"},
		{name: "hours short", county: "130102", records: 3, want: "deferred", codes: []string{"hours_short"}, policy: "national-2013"},
		{name: "one year appraisal 不合格", county: "130102", records: 4, annual: map[int]string{2021: "不合格"}, want: "deferred",
			codes: []string{"appraisal_incompetent"}},
		{name: "two consecutive years 不合格", county: "130102", records: 4, annual: map[int]string{2020: "不合格", 2021: "不合格"}, want: "fail",
			codes: []string{"appraisal_incompetent_consecutive", "appraisal_incompetent"}},
		{name: "serious ethics breach", county: "130102", records: 4, ethics: map[int][2]string{2022: {"不达标", "是"}}, want: "fail",
			codes: []string{"ethics_serious_breach"}},
		{name: "absence over a semester without approved leave", county: "130102", records: 4, want: "deferred", codes: []string{"absence_unapproved"},
			absence: map[string]any{"from": "2021-02-01", "until": "2021-09-01", "approved": false, "note": "未办理请假手续"}},
		{name: "absence over a semester with approved leave", county: "130102", records: 4, want: "pass",
			absence: map[string]any{"from": "2021-02-01", "until": "2021-09-01", "approved": true, "note": "产假"}},
		{name: "policy change in the middle of the cycle", county: "130104", records: 4, want: "deferred", codes: []string{"hours_short"},
			policy: "hebei-130104-2022"},
	}
	teachers := make([]cwTeacher, len(cases))
	var importA, importB, annualA, annualB, ethicsA, ethicsB []string
	for i, c := range cases {
		tc := w.teacher(fmt.Sprintf("案例%c", 'A'+i), c.county)
		teachers[i] = tc
		annual, ethics := &annualA, &ethicsA
		imports := &importA
		if c.county == "130104" {
			annual, ethics, imports = &annualB, &ethicsB, &importB
		}
		*imports = append(*imports, cwImportLines(tc, c.records)...)
		for y := 2019; y <= 2023; y++ {
			g := "合格"
			if v, ok := c.annual[y]; ok {
				g = v
			}
			*annual = append(*annual, fmt.Sprintf("%d,%s,%s,男,%s,%s", y, tc.name, tc.idNumber, tc.unit, g))
			e := [2]string{"达标", "否"}
			if v, ok := c.ethics[y]; ok {
				e = v
			}
			*ethics = append(*ethics, fmt.Sprintf("%d,%s,%s,男,%s,%s,%s,", y, tc.name, tc.idNumber, tc.unit, e[0], e[1]))
		}
		w.registrar.must(201, "POST", "/api/v1/teachers/"+tc.id+"/registration/first", map[string]string{"on": "2019-09-01", "note": "首次注册"})
		w.registrar.must(201, "POST", "/api/v1/teachers/"+tc.id+"/fitness", map[string]string{"on": "2024-08-01", "note": "体检合格"})
		if c.absence != nil {
			tc.admin.must(201, "POST", "/api/v1/teachers/"+tc.id+"/absences", c.absence)
		}
	}

	// Training records since 2018 from an earlier system: one file for the
	// province, imported once; a second import of the same file counts
	// nothing again.
	all := append(append([]string{cwImportHeader}, importA...), importB...)
	var rep struct {
		Rows, Granted, Unchanged, Rejected int
		Errors                             []struct{ Row int }
	}
	w.prov.creditUpload(200, "/api/v1/credit-imports", "history.csv", "text/csv", cwCSV(all...), "system", "河北省继续教育管理系统（2018）").json(t, &rep)
	if rep.Rows != len(all)-1 || rep.Granted != rep.Rows || rep.Rejected != 0 {
		t.Fatalf("import: %+v", rep)
	}
	w.prov.creditUpload(200, "/api/v1/credit-imports", "history.csv", "text/csv", cwCSV(all...), "system", "河北省继续教育管理系统（2018）").json(t, &rep)
	if rep.Granted != 0 || rep.Unchanged != rep.Rows {
		t.Fatalf("second import of the same file counted again: %+v", rep)
	}

	annualHeader := "年度,姓名,身份证件号码,性别,单位,考核结果"
	ethicsHeader := "年度,姓名,身份证件号码,性别,单位,师德考核结果,是否严重违反师德,荣誉"
	var up struct {
		Rows, Accepted, Rejected int
	}
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "年度考核.csv", "text/csv", cwCSV(append([]string{annualHeader}, annualA...)...), "kind", "annual").json(t, &up)
	if up.Rejected != 0 || up.Accepted != len(annualA) {
		t.Fatalf("annual upload 130102: %+v", up)
	}
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "师德考核.csv", "text/csv", cwCSV(append([]string{ethicsHeader}, ethicsA...)...), "kind", "ethics").json(t, &up)
	if up.Rejected != 0 {
		t.Fatalf("ethics upload 130102: %+v", up)
	}
	w.qiaoxi.creditUpload(201, "/api/v1/appraisal-uploads", "年度考核.csv", "text/csv", cwCSV(append([]string{annualHeader}, annualB...)...), "kind", "annual")
	w.qiaoxi.creditUpload(201, "/api/v1/appraisal-uploads", "师德考核.csv", "text/csv", cwCSV(append([]string{ethicsHeader}, ethicsB...)...), "kind", "ethics")

	// The policy change: 130104 raises the cycle minimum to 400 hours from
	// 2022, in the middle of the cycle 2019-09-01..2024-08-31. The rules in
	// force on the cycle's last day apply.
	beforePolicy := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(5 * time.Millisecond)
	w.prov.must(201, "POST", "/api/v1/registration-policies", map[string]any{"version": "hebei-130104-2022", "scope": "130104",
		"effective_from": "2022-01-01", "cycle_years": 5, "min_cycle_hours": 400, "max_unapproved_absence_days": 183,
		"degree_study_hours_per_year": 72, "class_teacher_hours_per_year": 30, "note": "桥西区提高周期学时要求"})
	// Only the province admin publishes.
	if r := w.qiaoxi.do("POST", "/api/v1/registration-policies", map[string]any{"version": "x", "scope": "130104", "effective_from": "2022-01-01",
		"cycle_years": 5, "min_cycle_hours": 1, "max_unapproved_absence_days": 1}); r.Status != 403 {
		t.Fatalf("county admin publishes a policy: %d %s", r.Status, r.Body)
	}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := w.check(w.registrar, teachers[i].id, "")
			if got.Outcome != c.want {
				t.Fatalf("outcome %s, want %s; reasons %v", got.Outcome, c.want, got.codes())
			}
			for _, code := range c.codes {
				if !slices.Contains(got.codes(), code) {
					t.Errorf("reasons %v lack %s", got.codes(), code)
				}
			}
			if c.want == "pass" && len(got.Reasons) != 0 {
				t.Errorf("a pass with reasons %v", got.codes())
			}
			if c.policy != "" && got.PolicyVersion != c.policy {
				t.Errorf("policy %s, want %s", got.PolicyVersion, c.policy)
			}
			if want := time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC); !got.Cycle.Start.Equal(want) {
				t.Errorf("cycle starts %s", got.Cycle.Start)
			}
			if got.Progress.Hours != 90*c.records {
				t.Errorf("hours %d, want %d", got.Progress.Hours, 90*c.records)
			}
		})
	}

	t.Run("as of before the policy was published", func(t *testing.T) {
		got := w.check(w.registrar, teachers[7].id, beforePolicy)
		if got.Outcome != "pass" || got.PolicyVersion != "national-2013" {
			t.Fatalf("as of %s: %s under %s (%v)", beforePolicy, got.Outcome, got.PolicyVersion, got.codes())
		}
	})

	t.Run("as of check differs from today's after a later correction", func(t *testing.T) {
		tc := teachers[2] // 2021 不合格
		before := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(5 * time.Millisecond)
		w.changan.must(200, "POST", "/api/v1/teachers/"+tc.id+"/appraisals/2021/annual-correction",
			map[string]string{"grade": "合格", "reason": "复议后改为合格（县教育局〔2024〕12号）"})
		today := w.check(w.registrar, tc.id, "")
		then := w.check(w.registrar, tc.id, before)
		if today.Outcome != "pass" || then.Outcome != "deferred" || !slices.Contains(then.codes(), "appraisal_incompetent") {
			t.Fatalf("today %s %v, as of %s %s %v", today.Outcome, today.codes(), before, then.Outcome, then.codes())
		}
		// The per-year read model shows the correction.
		var ap struct {
			Items []struct {
				Year            int    `json:"year"`
				AnnualGrade     string `json:"annual_grade"`
				AnnualCorrected bool   `json:"annual_corrected"`
			}
		}
		w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/appraisals", nil).json(t, &ap)
		if len(ap.Items) != 5 || ap.Items[2].Year != 2021 || ap.Items[2].AnnualGrade != "2" || !ap.Items[2].AnnualCorrected {
			t.Fatalf("appraisals: %+v", ap.Items)
		}
	})

	t.Run("decisions", func(t *testing.T) {
		pass, fail := teachers[0], teachers[3]
		var d struct {
			Check cwCheck `json:"check"`
		}
		w.registrar.must(201, "POST", "/api/v1/teachers/"+pass.id+"/registration/decisions", map[string]string{}).json(t, &d)
		if d.Check.Outcome != "pass" {
			t.Fatalf("decision rests on %+v", d.Check)
		}
		w.registrar.must(201, "POST", "/api/v1/teachers/"+fail.id+"/registration/decisions", map[string]string{})
		// Departing from the check needs a note.
		if r := w.registrar.do("POST", "/api/v1/teachers/"+teachers[1].id+"/registration/decisions", map[string]string{"outcome": "pass"}); r.Status != 422 {
			t.Fatalf("departing without a note: %d %s", r.Status, r.Body)
		}
		// After the pass the next cycle has started today: not due.
		if r := w.registrar.do("POST", "/api/v1/teachers/"+pass.id+"/registration/decisions", map[string]string{}); r.Status != 409 {
			t.Fatalf("deciding a cycle that is not due: %d %s", r.Status, r.Body)
		}
		var st struct {
			FirstRegisteredOn string `json:"first_registered_on"`
			LastRegisteredOn  string `json:"last_registered_on"`
			LastOutcome       string `json:"last_outcome"`
			Decisions         []struct {
				Kind          string `json:"kind"`
				PolicyVersion string `json:"policy_version"`
			}
		}
		w.changan.must(200, "GET", "/api/v1/teachers/"+pass.id+"/registration", nil).json(t, &st)
		// Decisions are dated on the users' (China) date.
		today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
		if st.FirstRegisteredOn != "2019-09-01" || st.LastRegisteredOn != today || st.LastOutcome != "pass" || len(st.Decisions) != 2 ||
			st.Decisions[1].Kind != "periodic" || st.Decisions[1].PolicyVersion != "national-2013" {
			t.Fatalf("status after the decision: %+v", st)
		}
		var list struct {
			Items []struct {
				Name        string `json:"name"`
				IDNumber    string `json:"id_number"`
				LastOutcome string `json:"last_outcome"`
			}
		}
		w.registrar.must(200, "GET", "/api/v1/registration/status?county=130102&outcome=fail", nil).json(t, &list)
		if len(list.Items) != 1 || list.Items[0].Name != fail.name || strings.Contains(list.Items[0].IDNumber, fail.idNumber[6:14]) {
			t.Fatalf("failed teachers of 130102: %+v", list.Items)
		}
		// Only the registration authority of the teacher's region decides.
		if r := w.regOut.do("POST", "/api/v1/teachers/"+teachers[4].id+"/registration/decisions", map[string]string{}); r.Status != 404 {
			t.Fatalf("registrar of another city: %d %s", r.Status, r.Body)
		}
		if r := w.changan.do("POST", "/api/v1/teachers/"+teachers[4].id+"/registration/decisions", map[string]string{}); r.Status != 404 {
			t.Fatalf("county admin decides: %d %s", r.Status, r.Body)
		}
	})

	t.Run("batch check for a county and for a list, as CSV and XLSX", func(t *testing.T) {
		r := w.registrar.must(200, "GET", "/api/v1/registration/checks?county=130102&format=csv", nil)
		body := string(r.Body)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "核查结论") {
			t.Fatalf("csv: %s %q", r.Header.Get("Content-Type"), body)
		}
		for _, tc := range teachers[:7] {
			if !strings.Contains(body, tc.name) {
				t.Errorf("batch lacks %s", tc.name)
			}
		}
		if strings.Contains(body, teachers[7].name) || strings.Contains(body, teachers[0].idNumber) {
			t.Errorf("batch of 130102 shows another county's teacher or an unmasked ID number")
		}
		if !strings.Contains(body, "暂缓注册") || !strings.Contains(body, "不合格") {
			t.Errorf("batch lacks outcomes: %s", body)
		}
		x := w.registrar.must(200, "GET", "/api/v1/registration/checks?county=130102&format=xlsx", nil)
		if !bytes.HasPrefix(x.Body, []byte("PK")) {
			t.Fatalf("xlsx is not a zip: %q", x.Body[:min(20, len(x.Body))])
		}
		list := cwCSV("身份证件号码", teachers[1].idNumber, teachers[7].idNumber, demoID("13010219991231011"))
		var items struct {
			Items []struct {
				Line         int    `json:"line"`
				Outcome      string `json:"outcome"`
				OutcomeLabel string `json:"outcome_label"`
			}
		}
		w.registrar.creditUpload(200, "/api/v1/registration/checks", "名单.csv", "text/csv", list).json(t, &items)
		if len(items.Items) != 3 || items.Items[0].Outcome != "deferred" || items.Items[1].Outcome != "deferred" ||
			items.Items[2].OutcomeLabel != "本辖区内没有该证件号码的教师" || items.Items[2].Line != 4 {
			t.Fatalf("list check: %+v", items.Items)
		}
		lx := w.registrar.creditUpload(200, "/api/v1/registration/checks?format=xlsx", "名单.csv", "text/csv", list)
		if !bytes.HasPrefix(lx.Body, []byte("PK")) {
			t.Fatal("list check xlsx is not a zip")
		}
		// A county admin checks only inside the county.
		if r := w.qiaoxi.do("GET", "/api/v1/registration/checks?county=130102", nil); r.Status != 403 {
			t.Fatalf("county admin of 130104 checks 130102: %d", r.Status)
		}
		// A teacher of 130104 on the list of a 130104 admin is checked; one
		// of 130102 is reported exactly like a number nobody has.
		var q struct {
			Items []struct {
				OutcomeLabel string `json:"outcome_label"`
			}
		}
		w.qiaoxi.creditUpload(200, "/api/v1/registration/checks", "名单.csv", "text/csv", cwCSV("身份证件号码", teachers[0].idNumber)).json(t, &q)
		if len(q.Items) != 1 || q.Items[0].OutcomeLabel != "本辖区内没有该证件号码的教师" {
			t.Fatalf("list with a teacher outside: %+v", q.Items)
		}
	})

	t.Run("authorization", func(t *testing.T) {
		own := w.loginTeacher(teachers[0])
		if got := w.check(own, teachers[0].id, ""); got.Outcome == "" {
			t.Fatal("a teacher reads their own check")
		}
		// ID numbers: masked for others unless revealed, and the reveal is audited.
		idOf := func(c *client, query string) string {
			var v struct {
				IDNumber string `json:"id_number"`
			}
			c.must(200, "GET", "/api/v1/teachers/"+teachers[0].id+"/registration/check"+query, nil).json(t, &v)
			return v.IDNumber
		}
		if got := idOf(own, ""); got != teachers[0].idNumber {
			t.Errorf("the teacher sees %s", got)
		}
		if got := idOf(w.changan, ""); got == teachers[0].idNumber || got[:6] != teachers[0].idNumber[:6] {
			t.Errorf("the county admin sees %s unasked", got)
		}
		if got := idOf(w.registrar, "?reveal=true"); got != teachers[0].idNumber {
			t.Errorf("the registrar asking to reveal sees %s", got)
		}
		var n int
		if err := w.a.svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM security_audit WHERE action = 'reveal_personal_data' AND subject = $1`,
			"teacher:"+teachers[0].id).Scan(&n); err != nil || n != 1 {
			t.Errorf("reveals recorded: %d %v", n, err)
		}
		other := teachers[7] // 130104
		for _, path := range []string{"/registration/check", "/credits", "/appraisals", "/registration", "/growth"} {
			if r := own.do("GET", "/api/v1/teachers/"+other.id+path, nil); r.Status != 404 {
				t.Errorf("teacher reads another teacher's %s: %d", path, r.Status)
			}
			if r := w.qiaoxi.do("GET", "/api/v1/teachers/"+teachers[0].id+path, nil); r.Status != 404 {
				t.Errorf("county admin of 130104 reads a 130102 teacher's %s: %d", path, r.Status)
			}
		}
		if r := w.qiaoxi.do("POST", "/api/v1/teachers/"+teachers[0].id+"/appraisals/2020/annual-correction",
			map[string]string{"grade": "优秀", "reason": "x"}); r.Status != 404 {
			t.Errorf("county admin of 130104 corrects a 130102 result: %d %s", r.Status, r.Body)
		}
		if r := w.qiaoxi.do("POST", "/api/v1/teachers/"+teachers[0].id+"/absences", map[string]any{"from": "2022-01-01"}); r.Status != 404 {
			t.Errorf("county admin of 130104 records an absence in 130102: %d %s", r.Status, r.Body)
		}
		if r := own.do("POST", "/api/v1/teachers/"+teachers[0].id+"/registration/first", map[string]string{"on": "2020-01-01"}); r.Status != 404 {
			t.Errorf("teacher registers themselves: %d %s", r.Status, r.Body)
		}
		if r := w.qiaoxi.do("GET", "/api/v1/registration/status?county=130102", nil); r.Status != 403 {
			t.Errorf("county admin lists another county: %d", r.Status)
		}
	})

	t.Run("credit history since 2018 with totals per year and per cycle", func(t *testing.T) {
		tc := teachers[0]
		var h struct {
			Entries []struct {
				Imported     bool   `json:"imported"`
				SourceSystem string `json:"source_system"`
				ExternalID   string `json:"external_id"`
				Hours        int    `json:"hours"`
			}
			Years []struct {
				Year  int `json:"year"`
				Hours int `json:"hours"`
			}
			Cycles []struct {
				Start string `json:"start"`
				Hours int    `json:"hours"`
			}
		}
		w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
		if len(h.Entries) != 4 || !h.Entries[0].Imported || h.Entries[0].SourceSystem == "" || h.Entries[0].ExternalID != tc.idNumber+"-2020" {
			t.Fatalf("entries: %+v", h.Entries)
		}
		// Every year from 2018 is listed, years without records as 0.
		if len(h.Years) < 9 || h.Years[0].Year != 2018 || h.Years[0].Hours != 0 || h.Years[2].Year != 2020 || h.Years[2].Hours != 90 {
			t.Fatalf("years: %+v", h.Years)
		}
		if len(h.Cycles) < 1 || h.Cycles[0].Start != "2019-09-01" || h.Cycles[0].Hours != 360 {
			t.Fatalf("cycles: %+v", h.Cycles)
		}
	})

	t.Run("read models rebuild to the same answers", func(t *testing.T) {
		cwRebuildChangesNothing(t, w, w.registrar, "/api/v1/registration/status?county=13",
			"/api/v1/teachers/"+teachers[0].id+"/registration", "/api/v1/teachers/"+teachers[2].id+"/appraisals",
			"/api/v1/appraisals?year=2021", "/api/v1/teachers/"+teachers[0].id+"/credits")
		cwApplyTwiceChangesNothing(t, w)
	})
}
