package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestTransferMovesJurisdiction is the proof of issue 10, items 10 and 11:
// after a transfer the receiving county holds the teacher's enrollments,
// credits and checks while the sending county keeps a read-only view of
// what happened before; a transfer out of the province is confirmed by the
// province admin and leaves a read-only record marked 已调出本省.
func TestTransferMovesJurisdiction(t *testing.T) { forBackends(t, testTransferMovesJurisdiction) }

func testTransferMovesJurisdiction(t *testing.T, backend string) {
	p := setupPipeline(t, backend)
	root, changan, qiaoxi := p.root, p.changan, p.qiaoxi
	T := p.teachers
	project := func(name string) string {
		var created struct{ ID string }
		root.must(201, "POST", "/api/v1/projects", map[string]any{"kind": "provincial", "category": 20, "owner": "13", "name": name, "year": 2026,
			"mode": 2, "start": "2026-07-06", "end": "2026-07-15", "hours": 24, "credits": 2.5, "institutions": []string{p.inst1ID}}).json(t, &created)
		for _, c := range []string{"130102", "130104"} {
			root.must(200, "POST", "/api/v1/projects/"+created.ID+"/changes", map[string]any{"action": "quota", "region": c, "count": 2})
		}
		root.must(200, "POST", "/api/v1/projects/"+created.ID+"/changes", map[string]any{"action": "open_nomination"})
		return created.ID
	}
	nominate := func(c *client, pid, teacherID string) string {
		var nom bulkResult
		c.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{teacherID}}).json(t, &nom)
		if nom.Succeeded != 1 {
			t.Fatalf("nomination: %s", mustJSON(nom))
		}
		return nom.Results[0].ID
	}
	importCredit := func(tr teacherRef, year int) {
		line := fmt.Sprintf("%s,%s,%d,%d-06-30,省级,培训,90,4,河北省骨干教师培训%d,%s-%d", tr.IDNumber, tr.Name, year, year, year, tr.IDNumber, year)
		root.creditUpload(200, "/api/v1/credit-imports", "history.csv", "text/csv", cwCSV(cwImportHeader, line), "system", "河北省继续教育管理系统（2018）")
	}
	type creditsView struct {
		Entries []struct {
			Title string `json:"title"`
		} `json:"entries"`
	}
	credits := func(c *client, id string) creditsView {
		var v creditsView
		c.must(200, "GET", "/api/v1/teachers/"+id+"/credits", nil).json(t, &v)
		return v
	}

	// 张伟 (130102) is nominated and has a credit, then moves to 桥西区.
	pid := project("2026年省培计划班主任培训")
	zhang := T[0]
	eOld := nominate(changan, pid, zhang.ID)
	importCredit(zhang, 2021)
	var unit struct{ ID string }
	qiaoxi.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市桥西区第二实验小学", "county": "130104", "area": "1", "category": "211"}).json(t, &unit)
	var tr struct{ ID string }
	changan.must(201, "POST", "/api/v1/teachers/"+zhang.ID+"/transfers", map[string]string{"to_county": "130104", "to_unit_id": unit.ID, "reason": "工作调动"}).json(t, &tr)
	qiaoxi.must(200, "POST", "/api/v1/teachers/"+zhang.ID+"/transfers/"+tr.ID+"/accept", nil)
	// After the move: a credit granted and a nomination made by the new county.
	importCredit(zhang, 2022)
	pid2 := project("2026年省培计划心理健康教育培训")
	eNew := nominate(qiaoxi, pid2, zhang.ID)

	// The old county reads what happened while she was its own...
	var old struct {
		Stage    string `json:"stage"`
		County   string `json:"county"`
		ReadOnly bool   `json:"read_only"`
	}
	changan.must(200, "GET", "/api/v1/enrollments/"+eOld, nil).json(t, &old)
	if old.Stage != "nominated" || old.County != "130102" || !old.ReadOnly {
		t.Fatalf("the old county's view of its enrollment: %+v", old)
	}
	if c := credits(changan, zhang.ID); len(c.Entries) != 1 || !strings.Contains(c.Entries[0].Title, "2021") {
		t.Fatalf("the old county's view of the credits: %+v", c)
	}
	// ...changes nothing, and what is now the new county's is not found.
	if r := changan.do("POST", "/api/v1/enrollments/"+eOld+"/withdrawal", map[string]string{"reason": "调离本县"}); r.Status != 404 {
		t.Fatalf("the old county withdraws: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/api/v1/enrollments/" + eNew, "/api/v1/teachers/" + zhang.ID + "/registration/check"} {
		if r := changan.do("GET", path, nil); r.Status != 404 {
			t.Fatalf("the old county reads %s: %d %s", path, r.Status, r.Body)
		}
	}
	// The new county holds all of it.
	var now struct {
		Stage  string `json:"stage"`
		County string `json:"county"`
	}
	qiaoxi.must(200, "GET", "/api/v1/enrollments/"+eOld, nil).json(t, &now)
	if now.County != "130104" {
		t.Fatalf("the new county's view: %+v", now)
	}
	if c := credits(qiaoxi, zhang.ID); len(c.Entries) != 2 {
		t.Fatalf("the new county's view of the credits: %+v", c)
	}
	// The check is the new county's to run (this teacher has no first
	// registration yet, which the check names: not a refusal of the county).
	if r := qiaoxi.do("GET", "/api/v1/teachers/"+zhang.ID+"/registration/check", nil); r.Status != 409 || !strings.Contains(string(r.Body), "首次注册") {
		t.Fatalf("the new county's registration check: %d %s", r.Status, r.Body)
	}
	qiaoxi.must(200, "POST", "/api/v1/enrollments/"+eOld+"/withdrawal", map[string]string{"reason": "调入本区后另行安排"})
	// What the old county keeps is the enrollment as it stood then.
	changan.must(200, "GET", "/api/v1/enrollments/"+eOld, nil).json(t, &old)
	if old.Stage != "nominated" {
		t.Fatalf("the old county sees what happened after the move: %+v", old)
	}

	// --- out of the province (item 11) --------------------------------------
	wang := T[1]
	var out struct{ ID string }
	changan.must(201, "POST", "/api/v1/teachers/"+wang.ID+"/transfers", map[string]string{"to_county": "110105", "reason": "调往北京市朝阳区"}).json(t, &out)
	// Nobody accepts it: accepting is the receiving county's, which is not
	// Hebei's (the sending and another county get 404), and the province
	// admin, who decides it, is told to confirm it instead.
	for _, c := range []*client{changan, qiaoxi} {
		if r := c.do("POST", "/api/v1/teachers/"+wang.ID+"/transfers/"+out.ID+"/accept", nil); r.Status != 404 {
			t.Fatalf("accepting a transfer out of the province: %d %s", r.Status, r.Body)
		}
	}
	for _, c := range []*client{root} {
		if r := c.do("POST", "/api/v1/teachers/"+wang.ID+"/transfers/"+out.ID+"/accept", nil); r.Status != 409 || !strings.Contains(string(r.Body), "省级管理员确认") {
			t.Fatalf("accepting a transfer out of the province: %d %s", r.Status, r.Body)
		}
	}
	if r := changan.do("POST", "/api/v1/teachers/"+wang.ID+"/transfers/"+out.ID+"/confirm-out", nil); r.Status != 404 {
		t.Fatalf("the county confirms its own transfer out: %d %s", r.Status, r.Body)
	}
	var queue struct {
		Items []struct {
			TransferID    string `json:"transfer_id"`
			Incoming      bool   `json:"incoming"`
			OutOfProvince bool   `json:"out_of_province"`
		} `json:"items"`
	}
	root.must(200, "GET", "/api/v1/transfers", nil).json(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].TransferID != out.ID || !queue.Items[0].Incoming || !queue.Items[0].OutOfProvince {
		t.Fatalf("the province's queue: %+v", queue)
	}
	root.must(200, "POST", "/api/v1/teachers/"+wang.ID+"/transfers/"+out.ID+"/confirm-out", nil)
	root.must(200, "GET", "/api/v1/transfers", nil).json(t, &queue)
	if len(queue.Items) != 0 {
		t.Fatalf("a confirmed transfer out still pending: %+v", queue)
	}
	// Read-only from now on, with the reason; nothing blocks any more.
	refused := func(r resp, what string) {
		t.Helper()
		if r.Status != 409 || !strings.Contains(string(r.Body), "已调出本省") {
			t.Fatalf("%s on a record transferred out: %d %s", what, r.Status, r.Body)
		}
	}
	refused(changan.do("POST", "/api/v1/teachers/"+wang.ID+"/transfers", map[string]string{"to_county": "130104", "reason": "调回"}), "a new transfer")
	refused(changan.do("POST", "/api/v1/projects/"+pid2+"/nominations", map[string]any{"teacher_ids": []string{wang.ID}}), "a nomination")
	var prof struct {
		StatusLabel string `json:"status_label"`
	}
	changan.must(200, "GET", "/api/v1/teachers/"+wang.ID, nil).json(t, &prof)
	if prof.StatusLabel != "已调出本省" {
		t.Fatalf("the profile of a teacher transferred out: %+v", prof)
	}
	var roster struct {
		Rows []struct {
			TeacherID   string `json:"teacher_id"`
			StatusLabel string `json:"status_label"`
		} `json:"rows"`
	}
	changan.must(200, "GET", "/api/v1/teachers?jurisdiction=130102", nil).json(t, &roster)
	found := false
	for _, r := range roster.Rows {
		if r.TeacherID == wang.ID {
			found = r.StatusLabel == "已调出本省"
		}
	}
	if !found {
		t.Fatalf("the roster does not mark the teacher transferred out: %+v", roster)
	}
}
