package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/httpapi/sso"
)

// pipeline is the cast of the enrollment tests: admins at every level, two
// institutions, teachers in three counties of two cities.
type pipeline struct {
	t        *testing.T
	a        *app
	root     *client // province admin (13)
	sjz      *client // city admin of Shijiazhuang (1301)
	ts       *client // city admin of Tangshan (1302)
	changan  *client // county 130102
	qiaoxi   *client // county 130104
	lubei    *client // county 130203 (Tangshan)
	inst1    *client // 河北师范大学
	inst2    *client // 石家庄学院
	inst1ID  string
	inst2ID  string
	teachers []teacherRef
	logged   map[int]*client
}

type teacherRef struct {
	ID, Name, IDNumber string
}

// seq numbers the pipelines' teachers; setups run in parallel subtests.
var seq atomic.Int64

func setupPipeline(t *testing.T, backend string) *pipeline {
	t.Helper()
	a := startApp(t, backend)
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "hb_root", "省级项目管理员", "Root-Pass-1"); err != nil {
		t.Fatal(err)
	}
	p := &pipeline{t: t, a: a}
	p.root = a.login("hb_root", "Root-Pass-1", "Root-Pass-2")
	mk := func(login, role, region string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		p.root.must(201, "POST", "/api/v1/accounts", map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login + "管理员"}).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-"+login+"-1")
	}
	p.sjz = mk("sjz", "city_admin", "1301")
	p.ts = mk("tangshan", "city_admin", "1302")
	p.changan = mk("changan", "county_admin", "130102")
	p.qiaoxi = mk("qiaoxi", "county_admin", "130104")
	p.lubei = mk("lubei", "county_admin", "130203")

	units := map[string]string{}
	for _, u := range []struct {
		c      *client
		county string
		name   string
	}{{p.changan, "130102", "石家庄市第二十五中学"}, {p.qiaoxi, "130104", "石家庄市桥西区实验小学"}, {p.lubei, "130203", "唐山市路北区第一中学"}} {
		var res struct{ ID string }
		u.c.must(201, "POST", "/api/v1/units", map[string]string{"name": u.name, "county": u.county, "area": "1", "category": "341"}).json(t, &res)
		units[u.county] = res.ID
	}
	names := []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊"}
	counties := []string{"130102", "130102", "130102", "130102", "130102", "130104", "130203"}
	admins := map[string]*client{"130102": p.changan, "130104": p.qiaoxi, "130203": p.lubei}
	for i, name := range names {
		n := 100 + seq.Add(1)
		id := demoID(fmt.Sprintf("%s1985%02d%02d%03d", counties[i], 1+i, 10+i, n%1000))
		var reg struct{ ID string }
		admins[counties[i]].must(201, "POST", "/api/v1/teachers", map[string]string{"name": name, "id_type": "1", "id_number": id,
			"unit_id": units[counties[i]], "work_start": "2008-09", "certificate_type": "3",
			"certificate_number": fmt.Sprintf("200813010311%05d", n), "mobile": fmt.Sprintf("1380311%04d", n)}).json(t, &reg)
		p.teachers = append(p.teachers, teacherRef{ID: reg.ID, Name: name, IDNumber: id})
	}

	// The register of institutions is the province's.
	inst := map[string]string{"name": "河北师范大学", "code": "HEBTU", "contact": "王老师 0311-80789999"}
	if r := p.sjz.do("POST", "/api/v1/institutions", inst); r.Status != 403 {
		t.Fatalf("city admin registers an institution: %d %s", r.Status, r.Body)
	}
	var i1, i2 struct{ ID string }
	p.root.must(201, "POST", "/api/v1/institutions", inst).json(t, &i1)
	if r := p.root.do("POST", "/api/v1/institutions", inst); r.Status != 409 {
		t.Fatalf("same institution code twice: %d %s", r.Status, r.Body)
	}
	p.root.must(201, "POST", "/api/v1/institutions", map[string]string{"name": "石家庄学院", "code": "SJZU", "contact": "李老师 0311-66617000"}).json(t, &i2)
	p.inst1ID, p.inst2ID = i1.ID, i2.ID
	instLogin := func(id, login string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		p.root.must(201, "POST", "/api/v1/institutions/"+id+"/accounts", map[string]string{"login": login}).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-"+login+"-1")
	}
	p.inst1 = instLogin(i1.ID, "hebtu_staff")
	p.inst2 = instLogin(i2.ID, "sjzu_staff")
	return p
}

// teacher logs teacher i in once (the first login changes the password).
func (p *pipeline) teacher(i int) *client {
	if c, ok := p.logged[i]; ok {
		return c
	}
	tr := p.teachers[i]
	c := p.a.login(tr.IDNumber, commands.InitialPassword(tr.IDNumber), "Teacher-Pass-"+tr.Name+"-1")
	if p.logged == nil {
		p.logged = map[int]*client{}
	}
	p.logged[i] = c
	return c
}

// enrollmentID finds the enrollment of teacher i through the county's view.
func (p *pipeline) enrollmentOf(c *client, projectID string, i int) string {
	p.t.Helper()
	var roster struct {
		Items []struct {
			ID        string `json:"id"`
			TeacherID string `json:"teacher_id"`
		} `json:"items"`
	}
	c.must(200, "GET", "/api/v1/projects/"+projectID+"/roster", nil).json(p.t, &roster)
	for _, it := range roster.Items {
		if it.TeacherID == p.teachers[i].ID {
			return it.ID
		}
	}
	p.t.Fatalf("teacher %d not in the roster of %s", i, projectID)
	return ""
}

type bulkResult struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Results   []struct {
		Key    string `json:"key"`
		ID     string `json:"id"`
		Status int    `json:"status"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
}

type queueView struct {
	Items []struct {
		ID          string `json:"id"`
		TeacherName string `json:"teacher_name"`
		Stage       string `json:"stage"`
	} `json:"items"`
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext missing: install poppler-utils")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, string(out))
}

// upload posts a file as multipart form data.
func (c *client) postFile(path, filename string, data []byte) resp {
	c.a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		c.a.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.a.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if pos := res.Header.Get("X-Event-Position"); pos != "" {
		c.a.last = pos
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: buf.Bytes()}
}

type uploadResult struct {
	Rows        int    `json:"rows"`
	Posted      int    `json:"posted"`
	Unchanged   int    `json:"unchanged"`
	Failed      int    `json:"failed"`
	ErrorReport string `json:"error_report"`
	Errors      []struct {
		Row    int    `json:"row"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// TestEnrollmentPipelineEndToEnd walks issue 4 through HTTP on each backend:
// a province project from creation to printed certificate, with quota,
// rejection, withdrawal, re-nomination, authorization, grade uploads (CSV
// and XLSX, bad rows, repeated uploads), corrections, remote learning and
// public verification.
func TestEnrollmentPipelineEndToEnd(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { pipelineStory(t, backend) })
	}
}

func pipelineStory(t *testing.T, backend string) {
	p := setupPipeline(t, backend)
	root, sjz, ts, changan, qiaoxi, lubei, inst1, inst2 := p.root, p.sjz, p.ts, p.changan, p.qiaoxi, p.lubei, p.inst1, p.inst2
	T := p.teachers

	// --- project setup -------------------------------------------------------
	proj := map[string]any{"kind": "provincial", "category": 20, "owner": "13", "name": "2026年省培计划骨干教师培训", "year": 2026,
		"mode": 2, "start": "2026-07-06", "end": "2026-07-15", "hours": 24, "credits": 2.5,
		"remote_url": "https://learn.hebtu.example/sso/hbte", "institutions": []string{p.inst1ID, p.inst2ID}}
	if r := changan.do("POST", "/api/v1/projects", proj); r.Status != 403 {
		t.Fatalf("county admin creates a province project: %d %s", r.Status, r.Body)
	}
	bad := map[string]any{"kind": "provincial", "category": 30, "owner": "13", "name": "", "year": 2026, "mode": 7,
		"start": "2026-07-06", "end": "2026-07-01", "hours": 0}
	if r := root.do("POST", "/api/v1/projects", bad); r.Status != 422 || !strings.Contains(string(r.Body), "category") || !strings.Contains(string(r.Body), "hours") {
		t.Fatalf("invalid project: %d %s", r.Status, r.Body)
	}
	var created struct{ ID string }
	root.must(201, "POST", "/api/v1/projects", proj).json(t, &created)
	pid := created.ID
	var classA, classB struct{ ID string }
	root.must(201, "POST", "/api/v1/projects/"+pid+"/classes", map[string]string{"institution_id": p.inst1ID, "name": "初中语文一班"}).json(t, &classA)
	root.must(201, "POST", "/api/v1/projects/"+pid+"/classes", map[string]string{"institution_id": p.inst2ID, "name": "初中数学一班"}).json(t, &classB)
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "quota", "region": "130102", "count": 3})
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "quota", "region": "130104", "count": 1})
	// Nominating before the project opens is refused.
	if r := changan.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[0].ID}}); r.Status != 409 {
		t.Fatalf("nomination to a draft: %d %s", r.Status, r.Body)
	}
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "open_nomination"})
	var pv struct {
		Status  string         `json:"status"`
		Quotas  map[string]int `json:"quotas"`
		Classes []struct{ ID, Name string }
	}
	changan.must(200, "GET", "/api/v1/projects/"+pid, nil).json(t, &pv)
	if pv.Status != "nominating" || pv.Quotas["130102"] != 3 || len(pv.Classes) != 2 {
		t.Fatalf("project as the county sees it: %+v", pv)
	}

	// --- nomination: a list, within the quota, never twice ------------------
	var nom bulkResult
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[0].ID, T[1].ID, T[2].ID, T[3].ID}}).json(t, &nom)
	if nom.Succeeded != 3 || nom.Failed != 1 || nom.Results[3].Status != 409 || nom.Results[3].Error.Code != "invalid_state" {
		t.Fatalf("nominating 4 on a quota of 3: %s", mustJSON(nom))
	}
	if r := changan.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[0].ID}}); r.Status != 409 || r.errCode() != "duplicate" {
		t.Fatalf("nominating twice: %d %s", r.Status, r.Body)
	}
	if r := changan.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[5].ID}}); r.Status != 404 {
		t.Fatalf("nominating another county's teacher: %d %s", r.Status, r.Body)
	}
	qiaoxi.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"id_numbers": []string{strings.ToLower(T[5].IDNumber)}}).json(t, &nom)
	if nom.Succeeded != 1 || strings.Contains(nom.Results[0].Key, T[5].IDNumber[6:14]) {
		t.Fatalf("nomination by ID number: %s", mustJSON(nom))
	}
	if r := lubei.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[6].ID}}); r.Status != 409 {
		t.Fatalf("nominating from a county without quota: %d %s", r.Status, r.Body)
	}
	e := func(i int) string { return p.enrollmentOf(root, pid, i) }
	e0, e1, e2, e5 := e(0), e(1), e(2), e(5)

	// --- city review: queue per jurisdiction, approve a list, reject ---------
	var q queueView
	sjz.must(200, "GET", "/api/v1/enrollments/queue", nil).json(t, &q)
	if len(q.Items) != 4 {
		t.Fatalf("Shijiazhuang's queue: %+v", q)
	}
	ts.must(200, "GET", "/api/v1/enrollments/queue", nil).json(t, &q)
	if len(q.Items) != 0 {
		t.Fatalf("Tangshan sees Shijiazhuang's nominations: %+v", q)
	}
	if r := ts.do("POST", "/api/v1/enrollments/"+e0+"/city-approval", nil); r.Status != 404 {
		t.Fatalf("another city approves: %d %s", r.Status, r.Body)
	}
	if r := root.do("POST", "/api/v1/enrollments/"+e0+"/approval", map[string]string{"institution_id": p.inst1ID, "class_id": classA.ID}); r.Status != 409 {
		t.Fatalf("province approves before the city: %d %s", r.Status, r.Body)
	}
	var dec bulkResult
	sjz.must(200, "POST", "/api/v1/enrollments/decisions", map[string]any{"items": []map[string]string{
		{"enrollment_id": e0, "decision": "approve"}, {"enrollment_id": e1, "decision": "approve"},
		{"enrollment_id": e2, "decision": "approve"}, {"enrollment_id": e5, "decision": "reject"},
	}}).json(t, &dec)
	if dec.Succeeded != 3 || dec.Results[3].Status != 422 {
		t.Fatalf("a rejection without a reason: %s", mustJSON(dec))
	}
	sjz.must(200, "POST", "/api/v1/enrollments/"+e5+"/city-rejection", map[string]string{"reason": "材料不全"})
	// The rejection freed Qiaoxi's only seat: the county nominates again.
	qiaoxi.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[5].ID}})
	// Withdrawal frees a seat too: Chang'an swaps teacher 2 for teacher 3.
	if r := changan.do("POST", "/api/v1/enrollments/"+e2+"/withdrawal", map[string]string{"reason": ""}); r.Status != 422 {
		t.Fatalf("withdrawal without reason: %d %s", r.Status, r.Body)
	}
	changan.must(200, "POST", "/api/v1/enrollments/"+e2+"/withdrawal", map[string]string{"reason": "教师因病无法参训"})
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[3].ID}})
	e3 := e(3)
	sjz.must(200, "POST", "/api/v1/enrollments/"+e3+"/city-approval", nil)
	sjz.must(200, "POST", "/api/v1/enrollments/"+e5+"/city-approval", nil)

	// --- province decision: approve and assign, reject -----------------------
	root.must(200, "GET", "/api/v1/enrollments/queue?project_id="+pid, nil).json(t, &q)
	if len(q.Items) != 4 {
		t.Fatalf("province queue: %+v", q)
	}
	if r := root.do("POST", "/api/v1/enrollments/"+e0+"/approval", map[string]string{"institution_id": p.inst1ID, "class_id": classB.ID}); r.Status != 422 {
		t.Fatalf("assigning to another institution's class: %d %s", r.Status, r.Body)
	}
	root.must(200, "POST", "/api/v1/enrollments/decisions", map[string]any{"items": []map[string]string{
		{"enrollment_id": e0, "decision": "approve", "institution_id": p.inst1ID, "class_id": classA.ID},
		{"enrollment_id": e1, "decision": "approve", "institution_id": p.inst2ID, "class_id": classB.ID},
		{"enrollment_id": e3, "decision": "approve", "institution_id": p.inst1ID, "class_id": classA.ID},
		{"enrollment_id": e5, "decision": "reject", "reason": "不符合参训条件"},
	}}).json(t, &dec)
	if dec.Succeeded != 4 {
		t.Fatalf("province decisions: %s", mustJSON(dec))
	}
	// A rejected teacher sees where and why, at every level.
	var t5lists struct {
		NotStarted []struct {
			Stage  string `json:"stage"`
			Reason string `json:"reason"`
			Steps  []struct {
				Label  string `json:"label"`
				Reason string `json:"reason"`
			} `json:"steps"`
		} `json:"not_started"`
	}
	p.teacher(5).must(200, "GET", "/api/v1/me/trainings", nil).json(t, &t5lists)
	if len(t5lists.NotStarted) != 1 || t5lists.NotStarted[0].Stage != "province_rejected" || t5lists.NotStarted[0].Reason != "不符合参训条件" ||
		len(t5lists.NotStarted[0].Steps) != 5 || t5lists.NotStarted[0].Steps[1].Reason != "材料不全" {
		t.Fatalf("rejected teacher's list: %+v", t5lists)
	}
	// The training starts: nomination closes.
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "start"})
	if r := qiaoxi.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[5].ID}}); r.Status != 409 {
		t.Fatalf("nomination after the start: %d %s", r.Status, r.Body)
	}
	if r := p.teacher(1).do("GET", "/api/v1/enrollments/queue", nil); r.Status != 403 {
		t.Fatalf("a teacher reads an approval queue: %d %s", r.Status, r.Body)
	}

	// --- who sees what -------------------------------------------------------
	var roster struct {
		Items []struct {
			ID          string `json:"id"`
			TeacherName string `json:"teacher_name"`
			IDNumber    string `json:"id_number"`
			ClassName   string `json:"class_name"`
		} `json:"items"`
	}
	inst1.must(200, "GET", "/api/v1/projects/"+pid+"/roster", nil).json(t, &roster)
	if len(roster.Items) != 2 || roster.Items[0].ClassName != "初中语文一班" || strings.Contains(roster.Items[0].IDNumber, T[0].IDNumber[6:14]) {
		t.Fatalf("institution 1's roster: %+v", roster)
	}
	inst2.must(200, "GET", "/api/v1/projects/"+pid+"/roster?class_id="+classA.ID, nil).json(t, &roster)
	if len(roster.Items) != 0 {
		t.Fatalf("institution 2 sees institution 1's class: %+v", roster)
	}
	ts.must(200, "GET", "/api/v1/projects/"+pid+"/roster", nil).json(t, &roster)
	if len(roster.Items) != 0 {
		t.Fatalf("Tangshan sees Shijiazhuang's trainees: %+v", roster)
	}
	changan.must(200, "GET", "/api/v1/projects/"+pid+"/roster", nil).json(t, &roster)
	if len(roster.Items) != 4 { // 0, 1, 2 (withdrawn), 3
		t.Fatalf("Chang'an's roster: %+v", roster)
	}
	if r := ts.do("GET", "/api/v1/enrollments/"+e0, nil); r.Status != 404 {
		t.Fatalf("another city reads an enrollment: %d %s", r.Status, r.Body)
	}
	if r := inst2.do("POST", "/api/v1/enrollments/"+e0+"/notice", map[string]any{"report_date": "2026-07-05T14:30:00+08:00", "report_place": "x", "contact": "y"}); r.Status != 404 {
		t.Fatalf("institution 2 publishes for institution 1's trainee: %d %s", r.Status, r.Body)
	}

	// --- class notice, reporting, remote learning ----------------------------
	var notices bulkResult
	inst1.must(200, "POST", "/api/v1/projects/"+pid+"/classes/"+classA.ID+"/notice", map[string]any{
		"report_date": "2026-07-05T06:30:00Z", "report_place": "河北师范大学汇华学院报告厅", "contact": "王老师 0311-80789999",
		"notes": "请携带身份证和笔记本电脑"}).json(t, &notices)
	if notices.Succeeded != 2 {
		t.Fatalf("class notice: %s", mustJSON(notices))
	}
	t0 := p.teacher(0)
	var lists struct {
		NotStarted []struct {
			EnrollmentID string `json:"enrollment_id"`
			ProjectName  string `json:"project_name"`
			Start        string `json:"start"`
			NoticePDF    string `json:"notice_pdf"`
			Steps        []struct {
				Label string `json:"label"`
				At    string `json:"at"`
				By    struct {
					Name string `json:"name"`
					Role string `json:"role"`
				} `json:"by"`
			} `json:"steps"`
		} `json:"not_started"`
		InProgress []map[string]any `json:"in_progress"`
		Finished   []map[string]any `json:"finished"`
	}
	t0.must(200, "GET", "/api/v1/me/trainings", nil).json(t, &lists)
	if len(lists.NotStarted) != 1 || lists.NotStarted[0].ProjectName != "2026年省培计划骨干教师培训" || lists.NotStarted[0].NoticePDF == "" {
		t.Fatalf("not started: %+v", lists)
	}
	steps := lists.NotStarted[0].Steps
	if len(steps) != 5 || steps[0].Label != "区县推荐" || steps[0].By.Name != "changan管理员" || steps[1].By.Role != "city_admin" ||
		steps[2].Label != "省级审核通过" || steps[4].Label != "发布开班通知" || steps[0].At == "" {
		t.Fatalf("pipeline steps: %+v", steps)
	}
	notice := t0.must(200, "GET", lists.NotStarted[0].NoticePDF, nil)
	if ct := notice.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("notice content type %q", ct)
	}
	if txt := pdfText(t, notice.Body); !strings.Contains(txt, "开班通知") || !strings.Contains(txt, T[0].Name) ||
		!strings.Contains(txt, "初中语文一班") || !strings.Contains(txt, "河北师范大学汇华学院报告厅") || !strings.Contains(txt, "2026年7月5日14:30") {
		t.Fatalf("notice text: %s", txt)
	}
	// Remote learning is offered only while studying.
	if r := t0.do("POST", "/api/v1/enrollments/"+e0+"/remote-learning", nil); r.Status != 409 {
		t.Fatalf("remote learning before reporting: %d %s", r.Status, r.Body)
	}
	t0.must(200, "POST", "/api/v1/enrollments/"+e0+"/report", nil)
	inst1.must(200, "POST", "/api/v1/enrollments/"+e3+"/report", nil) // at the desk
	t1 := p.teacher(1)
	t1.must(200, "POST", "/api/v1/enrollments/"+e1+"/report", nil) // no notice needed
	if r := changan.do("POST", "/api/v1/enrollments/"+e0+"/withdrawal", map[string]string{"reason": "工作冲突"}); r.Status != 409 {
		t.Fatalf("withdrawal after reporting: %d %s", r.Status, r.Body)
	}
	if r := t1.do("GET", "/api/v1/enrollments/"+e0, nil); r.Status != 404 {
		t.Fatalf("a teacher reads another's enrollment: %d %s", r.Status, r.Body)
	}
	t0.must(200, "GET", "/api/v1/me/trainings?status=in_progress", nil).json(t, &lists)
	if len(lists.InProgress) != 1 || len(lists.NotStarted) != 0 {
		t.Fatalf("in progress: %+v", lists)
	}
	ip := lists.InProgress[0]
	for _, col := range []string{"project_name", "year", "nature", "institution", "start", "end", "hours", "remote_learning"} {
		if v, ok := ip[col]; !ok || v == "" {
			t.Fatalf("in-progress column %s missing: %+v", col, ip)
		}
	}
	if ip["nature"] != "省培" || ip["institution"] != "河北师范大学" || ip["hours"].(float64) != 24 {
		t.Fatalf("in progress row: %+v", ip)
	}
	var remote httpapi.RemoteLearningResponse
	t0.must(200, "POST", ip["remote_learning"].(string), nil).json(t, &remote)
	if !strings.HasPrefix(remote.LaunchURL, "https://learn.hebtu.example/sso/hbte#assertion=") || time.Until(remote.ExpiresAt) > sso.MaxTTL {
		t.Fatalf("remote learning: %+v", remote)
	}
	page := t0.must(200, "POST", ip["remote_learning"].(string), nil, "Accept", "text/html,application/xhtml+xml")
	if !strings.Contains(string(page.Body), `action="https://learn.hebtu.example/sso/hbte"`) || !strings.Contains(string(page.Body), `name="assertion" value="ey`) ||
		page.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("browser flow page: %s", page.Body)
	}
	if r := t1.do("POST", "/api/v1/enrollments/"+e0+"/remote-learning", nil); r.Status != 404 {
		t.Fatalf("another teacher enters remote learning: %d %s", r.Status, r.Body)
	}
	public := p.publicClient()
	jwks := public.must(200, "GET", "/api/v1/public/sso/jwks.json", nil)
	verifier, err := sso.NewVerifier(jwks.Body, a(p).svc.Cfg.PublicURL, sso.NewMemoryReplayCache())
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verifier.Verify(remote.Assertion, p.inst1ID, time.Now())
	if err != nil || claims.TeacherID.String() != T[0].ID || claims.EnrollmentID.String() != e0 || claims.Name != "张*" {
		t.Fatalf("assertion: %+v %v", claims, err)
	}
	if _, err := verifier.Verify(remote.Assertion, p.inst1ID, time.Now()); err == nil {
		t.Fatal("a replayed assertion verified")
	}
	if _, err := sso.NewVerifier(jwks.Body, a(p).svc.Cfg.PublicURL, nil); err == nil {
		if v2, _ := sso.NewVerifier(jwks.Body, a(p).svc.Cfg.PublicURL, sso.NewMemoryReplayCache()); v2 != nil {
			if _, err := v2.Verify(remote.Assertion, p.inst2ID, time.Now()); err == nil {
				t.Fatal("institution 2 accepted an assertion meant for institution 1")
			}
		}
	}
	inst1.must(200, "POST", "/api/v1/enrollments/"+e0+"/progress", map[string]any{"online_percent": 80, "sessions_attended": 5, "sessions_total": 6})
	if r := inst1.do("POST", "/api/v1/enrollments/"+e0+"/progress", map[string]any{"online_percent": 120, "sessions_attended": 7, "sessions_total": 6}); r.Status != 422 {
		t.Fatalf("impossible progress: %d %s", r.Status, r.Body)
	}

	// --- grade upload: CSV with bad rows, then the same file again ----------
	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	w.WriteAll([][]string{
		{"身份证号", "姓名", "集中学习成绩", "网络学习成绩"},
		{T[0].IDNumber, T[0].Name, "90", "80"},             // pass
		{T[3].IDNumber, T[3].Name, "40", "50"},             // a valid fail
		{T[1].IDNumber, T[1].Name, "88", "88"},             // institution 2's trainee
		{T[0].IDNumber, T[0].Name, "90", "80"},             // duplicate row
		{demoID("13010219700101999"), "查无此人", "60", "60"},  // unknown
		{T[5].IDNumber, T[5].Name, "60", "60"},             // not a trainee of this institution
		{T[3].IDNumber[:17] + "0", T[3].Name, "abc", "50"}, // bad score
	})
	w.Flush()
	var up uploadResult
	inst1.postFile("/api/v1/projects/"+pid+"/grades", "成绩.csv", csvBuf.Bytes()).json(t, &up)
	if up.Rows != 7 || up.Posted != 2 || up.Unchanged != 0 || up.Failed != 5 || up.ErrorReport == "" {
		t.Fatalf("first upload: %+v", up)
	}
	report := inst1.must(200, "GET", up.ErrorReport, nil)
	for _, want := range []string{"错误原因", "与第2行重复", "不在本机构的班级中", "查无此身份证号的教师", "成绩应为0到100之间的数字"} {
		if !strings.Contains(string(report.Body), want) {
			t.Fatalf("error report lacks %q: %s", want, report.Body)
		}
	}
	if n := strings.Count(string(report.Body), "\n"); n != 6 { // header and five bad rows
		t.Fatalf("error report has %d lines: %s", n, report.Body)
	}
	if r := inst2.do("GET", up.ErrorReport, nil); r.Status != 404 {
		t.Fatalf("another account downloads the report: %d", r.Status)
	}
	var before, after struct {
		Revision int64 `json:"revision"`
	}
	inst1.must(200, "GET", "/api/v1/enrollments/"+e0, nil).json(t, &before)
	inst1.postFile("/api/v1/projects/"+pid+"/grades", "成绩.csv", csvBuf.Bytes()).json(t, &up)
	if up.Posted != 0 || up.Unchanged != 2 || up.Failed != 5 {
		t.Fatalf("repeated upload: %+v", up)
	}
	inst1.must(200, "GET", "/api/v1/enrollments/"+e0, nil).json(t, &after)
	if before.Revision != after.Revision {
		t.Fatalf("repeated upload changed the enrollment: %d -> %d", before.Revision, after.Revision)
	}
	// A different grade is refused: posted grades are final.
	if r := inst1.do("POST", "/api/v1/enrollments/"+e3+"/grade", map[string]any{"offline_score": 70, "online_score": 70}); r.Status != 409 {
		t.Fatalf("overwriting a grade: %d %s", r.Status, r.Body)
	}

	// --- grade upload: XLSX by institution 2, bad row, repeated -------------
	// The institution fills in its template: trainees by enrollment number,
	// ID numbers masked.
	tpl := inst2.must(200, "GET", "/api/v1/projects/"+pid+"/grades/template", nil)
	x, err := excelize.OpenReader(bytes.NewReader(tpl.Body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := x.GetSheetName(0)
	tplRows, _ := x.GetRows(sheet)
	if len(tplRows) != 2 || tplRows[1][0] != e1 || tplRows[1][1] != T[1].Name || strings.Contains(tplRows[1][2], T[1].IDNumber[6:14]) {
		t.Fatalf("grade template: %v", tplRows)
	}
	x.SetCellValue(sheet, "F2", 70)
	x.SetCellValue(sheet, "G2", 75)
	x.SetSheetRow(sheet, "A3", &[]any{e1, "冒名", "", "", "", 10, 10}) // another name for the enrollment
	var xb bytes.Buffer
	x.Write(&xb)
	inst2.postFile("/api/v1/projects/"+pid+"/grades", "grades.xlsx", xb.Bytes()).json(t, &up)
	if up.Posted != 1 || up.Failed != 1 {
		t.Fatalf("xlsx upload: %+v", up)
	}
	xr := inst2.must(200, "GET", up.ErrorReport, nil)
	if xr.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx report type %q", xr.Header.Get("Content-Type"))
	}
	if xf, err := excelize.OpenReader(bytes.NewReader(xr.Body)); err != nil {
		t.Fatal(err)
	} else if rr, _ := xf.GetRows(xf.GetSheetName(0)); len(rr) != 2 || rr[1][0] != "3" || !strings.Contains(rr[1][1], "姓名与报名编号不符") {
		t.Fatalf("xlsx error report: %v", rr)
	}
	inst2.postFile("/api/v1/projects/"+pid+"/grades", "grades.xlsx", xb.Bytes()).json(t, &up)
	if up.Posted != 0 || up.Unchanged != 1 {
		t.Fatalf("repeated xlsx upload: %+v", up)
	}

	// --- finished list, credits, certificate ---------------------------------
	t0.must(200, "GET", "/api/v1/me/trainings?status=finished&q=骨干", nil).json(t, &lists)
	if len(lists.Finished) != 1 {
		t.Fatalf("finished: %+v", lists)
	}
	fin := lists.Finished[0]
	for _, col := range []string{"project_name", "institution", "start", "end", "hours", "offline_score", "online_score", "total_score", "print_certificate"} {
		if _, ok := fin[col]; !ok {
			t.Fatalf("finished column %s missing: %+v", col, fin)
		}
	}
	if fin["total_score"].(float64) != 85 || fin["certificate_number"] == nil {
		t.Fatalf("finished row: %+v", fin)
	}
	t0.must(200, "GET", "/api/v1/me/trainings?q=不存在的项目", nil).json(t, &lists)
	if len(lists.Finished)+len(lists.InProgress)+len(lists.NotStarted) != 0 {
		t.Fatalf("search by name: %+v", lists)
	}
	t0.must(200, "GET", "/api/v1/me/trainings?from=2027-01-01", nil).json(t, &lists)
	if len(lists.Finished) != 0 {
		t.Fatalf("search by time: %+v", lists)
	}
	ledger, err := a(p).svc.Handlers.LoadLedger(context.Background(), uuid.MustParse(T[0].ID))
	if err != nil || len(ledger.Live()) != 1 || ledger.Live()[0].Hours != credit.Whole(24) || ledger.Live()[0].Credits != credit.Tenths(25) {
		t.Fatalf("ledger after a pass: %+v %v", ledger, err)
	}
	number := fin["certificate_number"].(string)
	certPDF := t0.must(200, "GET", fin["print_certificate"].(string), nil)
	txt := pdfText(t, certPDF.Body)
	for _, want := range []string{"培训结业证书", T[0].Name, "2026年省培计划骨干教师培训", "河北师范大学", "24学时", "2.5学分", "证书编号：" + number} {
		if !strings.Contains(txt, want) {
			t.Fatalf("certificate text lacks %q: %s", want, txt)
		}
	}
	if strings.Contains(txt, T[0].IDNumber[6:14]) {
		t.Fatal("certificate prints the birth date of the ID number")
	}
	code := between(txt, "验证码：", 8)
	if strings.Contains(txt, "培训”培训") {
		t.Fatalf("the certificate doubles 培训: %s", txt)
	}
	if r := inst2.do("GET", fin["print_certificate"].(string), nil); r.Status != 404 {
		t.Fatalf("another institution prints the certificate: %d", r.Status)
	}

	// --- public verification --------------------------------------------------
	// Public routes carry no read-your-writes header; an authenticated
	// read waits for the read models first.
	root.must(200, "GET", "/api/v1/enrollments/"+e0, nil)
	var ver httpapi.CertificateVerification
	public.must(200, "GET", "/api/v1/public/certificates/verify?number="+number+"&code="+strings.ToLower(code), nil).json(t, &ver)
	if !ver.Valid || ver.TeacherName != "张*" || ver.IDNumber != T[0].IDNumber[:6]+"********"+T[0].IDNumber[14:] || ver.Hours != 24 {
		t.Fatalf("verification: %+v", ver)
	}
	if r := public.do("GET", "/api/v1/public/certificates/verify?number="+number+"&code=ZZZZZZZZ", nil); r.Status != 404 {
		t.Fatalf("wrong code: %d %s", r.Status, r.Body)
	}
	if r := public.do("GET", "/api/v1/public/certificates/verify?number=HB2026200000000&code="+code, nil); r.Status != 422 {
		t.Fatalf("malformed number: %d %s", r.Status, r.Body)
	}

	// --- corrections: explicit, with a reason, in the history ----------------
	if r := inst1.do("POST", "/api/v1/enrollments/"+e3+"/grade-corrections", map[string]any{"offline_score": 60, "online_score": 70}); r.Status != 422 {
		t.Fatalf("correction without reason: %d %s", r.Status, r.Body)
	}
	var corrected, current struct {
		Revision int64 `json:"revision"`
	}
	inst1.must(200, "POST", "/api/v1/enrollments/"+e3+"/grade-corrections", map[string]any{"offline_score": 60, "online_score": 70, "reason": "集中学习成绩录入错误"}).json(t, &corrected)
	inst1.must(200, "GET", "/api/v1/enrollments/"+e3, nil).json(t, &current)
	if corrected.Revision != current.Revision {
		t.Fatalf("a correction that issued a certificate reports revision %d, the enrollment is at %d", corrected.Revision, current.Revision)
	}
	root.must(200, "POST", "/api/v1/enrollments/"+e0+"/grade-corrections", map[string]any{"offline_score": 50, "online_score": 50, "reason": "经复核存在代学行为"})
	var ev struct {
		Passed     *bool   `json:"passed"`
		CertNumber *string `json:"certificate_number"`
		Steps      []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"steps"`
	}
	root.must(200, "GET", "/api/v1/enrollments/"+e0, nil).json(t, &ev)
	if ev.Passed == nil || *ev.Passed || ev.CertNumber != nil {
		t.Fatalf("after a correction to a fail: %+v", ev)
	}
	foundCorrection := false
	for _, s := range ev.Steps {
		if s.Type == "enrollment.grade_corrected" && s.Reason == "经复核存在代学行为" {
			foundCorrection = true
		}
	}
	if !foundCorrection {
		t.Fatalf("the correction is not in the history: %+v", ev.Steps)
	}
	// A revoked certificate with its right code says when and why; with a
	// wrong code it is any wrong code.
	var rev httpapi.CertificateVerification
	public.must(200, "GET", "/api/v1/public/certificates/verify?number="+number+"&code="+code, nil).json(t, &rev)
	if rev.Valid || rev.RevokedReason != "经复核存在代学行为" || rev.RevokedOn == "" || rev.Number != number {
		t.Fatalf("a revoked certificate: %+v", rev)
	}
	if r := public.do("GET", "/api/v1/public/certificates/verify?number="+number+"&code=ZZZZZZZZ", nil); r.Status != 404 {
		t.Fatalf("a revoked certificate with a wrong code: %d %s", r.Status, r.Body)
	}
	// The page a scanned QR code opens: human-readable, number and code
	// filled in.
	vpage := public.do("GET", "/api/v1/public/certificates/verify?number="+number+"&code="+code, nil, "Accept", "text/html,application/xhtml+xml")
	if vpage.Status != 200 || !strings.Contains(string(vpage.Body), "该证书已于 "+rev.RevokedOn+" 撤销，原因：经复核存在代学行为") ||
		!strings.Contains(string(vpage.Body), `value="`+number+`"`) {
		t.Fatalf("verification page of a revoked certificate: %d %s", vpage.Status, vpage.Body)
	}
	form := public.do("GET", "/api/v1/public/certificates/verify?number="+number, nil, "Accept", "text/html")
	if form.Status != 200 || !strings.Contains(string(form.Body), "请输入证书上的验证码") {
		t.Fatalf("verification page without a code: %d %s", form.Status, form.Body)
	}
	t.Run("public routes mounted by the server", func(t *testing.T) {
		r := p.a.anon().do("GET", "/api/v1/public/certificates/verify?number="+number+"&code=ZZZZZZZZ", nil)
		if r.Status != 404 || r.errCode() != "certificate_not_found" {
			t.Fatalf("mounted verification with a wrong code: %d %s", r.Status, r.Body)
		}
	})
	ledger, _ = a(p).svc.Handlers.LoadLedger(context.Background(), uuid.MustParse(T[0].ID))
	if len(ledger.Live()) != 0 {
		t.Fatalf("credits stay after a correction to a fail: %+v", ledger.Live())
	}
	root.must(200, "GET", "/api/v1/enrollments/"+e3, nil).json(t, &ev)
	if ev.Passed == nil || !*ev.Passed || ev.CertNumber == nil {
		t.Fatalf("after a correction to a pass: %+v", ev)
	}

	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "finish"})
	var listed struct {
		Items []struct{ ID, Status string } `json:"items"`
	}
	changan.must(200, "GET", "/api/v1/projects?status=finished&year=2026", nil).json(t, &listed)
	if len(listed.Items) != 1 || listed.Items[0].ID != pid {
		t.Fatalf("finished projects as a county sees them: %+v", listed)
	}
	inst2.must(200, "GET", "/api/v1/projects?status=nominating", nil).json(t, &listed)
	if len(listed.Items) != 0 {
		t.Fatalf("status filter: %+v", listed)
	}

	// --- statistics per project and county -----------------------------------
	var stats struct {
		Counties []struct {
			County                                           string
			Nominated, Approved, Rejected, Withdrawn, Passed int
		} `json:"counties"`
	}
	root.must(200, "GET", "/api/v1/projects/"+pid+"/statistics", nil).json(t, &stats)
	want := fmt.Sprintf("%+v", stats.Counties)
	if len(stats.Counties) != 2 || stats.Counties[0].County != "130102" || stats.Counties[0].Nominated != 4 || stats.Counties[0].Approved != 3 ||
		stats.Counties[0].Withdrawn != 1 || stats.Counties[0].Passed != 2 || stats.Counties[1].Rejected != 1 {
		t.Fatalf("statistics: %s", want)
	}
	changan.must(200, "GET", "/api/v1/projects/"+pid+"/statistics", nil).json(t, &stats)
	if len(stats.Counties) != 1 || stats.Counties[0].County != "130102" {
		t.Fatalf("Chang'an's statistics: %+v", stats.Counties)
	}
}

// TestCountyProjectEndToEnd: a county's own project has no city level (the
// county decides), and a cancelled project tells its trainees why.
func TestCountyProjectEndToEnd(t *testing.T) { forBackends(t, testCountyProjectEndToEnd) }

func testCountyProjectEndToEnd(t *testing.T, backend string) {
	p := setupPipeline(t, backend)
	changan, qiaoxi, sjz := p.changan, p.qiaoxi, p.sjz
	T := p.teachers
	proj := map[string]any{"kind": "county", "category": 40, "name": "2026年长安区班主任培训", "year": 2026,
		"mode": 2, "start": "2026-08-01", "end": "2026-08-03", "hours": 12, "credits": 1, "institutions": []string{p.inst1ID}}
	if r := qiaoxi.do("POST", "/api/v1/projects", map[string]any{"kind": "county", "category": 40, "owner": "130102", "name": "x", "year": 2026,
		"mode": 2, "start": "2026-08-01", "end": "2026-08-03", "hours": 12, "institutions": []string{p.inst1ID}}); r.Status != 403 {
		t.Fatalf("a county creates another county's project: %d %s", r.Status, r.Body)
	}
	var created struct{ ID string }
	changan.must(201, "POST", "/api/v1/projects", proj).json(t, &created) // owner defaults to the admin's county
	pid := created.ID
	var class struct{ ID string }
	changan.must(201, "POST", "/api/v1/projects/"+pid+"/classes", map[string]string{"institution_id": p.inst1ID, "name": "班主任一班"}).json(t, &class)
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "open_nomination"})
	var nom bulkResult
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[4].ID}}).json(t, &nom)
	eid := nom.Results[0].ID
	if r := qiaoxi.do("POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{T[5].ID}}); r.Status != 422 {
		t.Fatalf("a teacher outside the owner county: %d %s", r.Status, r.Body)
	}
	var q queueView
	changan.must(200, "GET", "/api/v1/enrollments/queue?project_id="+pid, nil).json(t, &q)
	if len(q.Items) != 1 || q.Items[0].ID != eid {
		t.Fatalf("the county's own queue: %+v", q)
	}
	sjz.must(200, "GET", "/api/v1/enrollments/queue?project_id="+pid, nil).json(t, &q)
	if len(q.Items) != 0 {
		t.Fatalf("a county project in the city's queue: %+v", q)
	}
	if r := sjz.do("POST", "/api/v1/enrollments/"+eid+"/city-approval", nil); r.Status != 409 {
		t.Fatalf("city review of a county project: %d %s", r.Status, r.Body)
	}
	changan.must(200, "POST", "/api/v1/enrollments/"+eid+"/approval", map[string]string{"institution_id": p.inst1ID, "class_id": class.ID})
	// A published notice is voided when the trainee moves to another class.
	p.inst1.must(200, "POST", "/api/v1/enrollments/"+eid+"/notice", map[string]any{"report_date": "2026-07-31T01:00:00Z", "report_place": "长安区教师发展中心", "contact": "赵老师"})
	var class2 struct{ ID string }
	changan.must(201, "POST", "/api/v1/projects/"+pid+"/classes", map[string]string{"institution_id": p.inst1ID, "name": "班主任二班"}).json(t, &class2)
	if r := p.inst1.do("POST", "/api/v1/enrollments/"+eid+"/reassignment", map[string]string{"institution_id": p.inst1ID, "class_id": class2.ID}); r.Status != 404 {
		t.Fatalf("an institution reassigns: %d %s", r.Status, r.Body)
	}
	changan.must(200, "POST", "/api/v1/enrollments/"+eid+"/reassignment", map[string]string{"institution_id": p.inst1ID, "class_id": class2.ID})
	var moved struct {
		Stage     string `json:"stage"`
		ClassName string `json:"class_name"`
	}
	p.inst1.must(200, "GET", "/api/v1/enrollments/"+eid, nil).json(t, &moved)
	if moved.Stage != "approved" || moved.ClassName != "班主任二班" {
		t.Fatalf("after reassignment: %+v", moved)
	}
	if r := p.teacher(4).do("GET", "/api/v1/enrollments/"+eid+"/notice.pdf", nil); r.Status != 404 {
		t.Fatalf("the voided notice still prints: %d", r.Status)
	}
	if r := changan.do("POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "cancel"}); r.Status != 422 {
		t.Fatalf("cancel without reason: %d %s", r.Status, r.Body)
	}
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "cancel", "reason": "经费未落实"})
	var lists struct {
		NotStarted []struct {
			Stage         string `json:"stage"`
			ProjectStatus string `json:"project_status"`
			CancelReason  string `json:"project_cancel_reason"`
			Steps         []struct{ Label string }
		} `json:"not_started"`
	}
	p.teacher(4).must(200, "GET", "/api/v1/me/trainings", nil).json(t, &lists)
	// Cancelling withdrew the enrollment with the project's reason: a sixth
	// step, 撤销推荐.
	if len(lists.NotStarted) != 1 || lists.NotStarted[0].ProjectStatus != "cancelled" || lists.NotStarted[0].CancelReason != "经费未落实" ||
		lists.NotStarted[0].Stage != "withdrawn" || len(lists.NotStarted[0].Steps) != 6 || lists.NotStarted[0].Steps[5].Label != "撤销推荐" {
		t.Fatalf("cancelled project in the personal space: %+v", lists)
	}
}

func a(p *pipeline) *app { return p.a }

// between returns the n characters after marker in s.
func between(s, marker string, n int) string {
	i := strings.Index(s, marker)
	if i < 0 || len(s) < i+len(marker)+n {
		return ""
	}
	return s[i+len(marker) : i+len(marker)+n]
}

func mustJSON(v any) string { return fmt.Sprintf("%+v", v) }

// publicClient reaches the public routes: through the service when the
// server mounts them, otherwise through a router that mounts them the way
// the server should (inside /api/v1, outside the authenticated group).
// publicClient has no session: the public routes need none.
func (p *pipeline) publicClient() *client { return p.a.anon() }
