package main

import (
	"testing"
)

// TestTransferOutWithdrawsEnrollments is the rest of issue 10 item 11: once
// the province confirms a transfer out of the province, the teacher's open
// enrollments are withdrawn with the reason 已调出本省 (events, by the
// transfer-out process in the projection runner) and their seats go back to
// the county, which could not withdraw them by hand on a read-only record.
// A rebuild replays the process without writing anything.
func TestTransferOutWithdrawsEnrollments(t *testing.T) {
	forBackends(t, testTransferOutWithdrawsEnrollments)
}

func testTransferOutWithdrawsEnrollments(t *testing.T, backend string) {
	p := setupPipeline(t, backend)
	root, changan, sjz := p.root, p.changan, p.sjz
	T := p.teachers
	project := func(name string, quota int) string {
		var created struct{ ID string }
		root.must(201, "POST", "/api/v1/projects", map[string]any{"kind": "provincial", "category": 20, "owner": "13", "name": name, "year": 2026,
			"mode": 2, "start": "2026-07-06", "end": "2026-07-15", "hours": 24, "credits": 2.5, "institutions": []string{p.inst1ID}}).json(t, &created)
		root.must(200, "POST", "/api/v1/projects/"+created.ID+"/changes", map[string]any{"action": "quota", "region": "130102", "count": quota})
		root.must(200, "POST", "/api/v1/projects/"+created.ID+"/changes", map[string]any{"action": "open_nomination"})
		return created.ID
	}
	nominate := func(pid, teacherID string) bulkResult {
		var nom bulkResult
		changan.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{teacherID}}).json(t, &nom)
		return nom
	}
	type enr struct {
		Stage  string `json:"stage"`
		Reason string `json:"reason"`
	}
	get := func(id string) enr {
		var e enr
		root.must(200, "GET", "/api/v1/enrollments/"+id, nil).json(t, &e)
		return e
	}

	// 王芳 holds the one seat of 长安区 in project A, and is city-approved
	// in project B.
	wang, li := T[1], T[2]
	pa := project("2026年省培计划信息技术应用能力培训", 1)
	pb := project("2026年省培计划乡村教师培训", 2)
	nomA := nominate(pa, wang.ID)
	nomB := nominate(pb, wang.ID)
	if nomA.Succeeded != 1 || nomB.Succeeded != 1 {
		t.Fatalf("nominations: %s %s", mustJSON(nomA), mustJSON(nomB))
	}
	eA, eB := nomA.Results[0].ID, nomB.Results[0].ID
	sjz.must(200, "POST", "/api/v1/enrollments/"+eB+"/city-approval", nil)
	full := func() resp {
		return changan.do("POST", "/api/v1/projects/"+pa+"/nominations", map[string]any{"teacher_ids": []string{li.ID}})
	}
	if r := full(); r.Status != 409 {
		t.Fatalf("a second nomination past the quota of 1: %d %s", r.Status, r.Body)
	}

	var out struct{ ID string }
	changan.must(201, "POST", "/api/v1/teachers/"+wang.ID+"/transfers", map[string]string{"to_county": "110105", "reason": "调往北京市朝阳区"}).json(t, &out)
	root.must(200, "POST", "/api/v1/teachers/"+wang.ID+"/transfers/"+out.ID+"/confirm-out", nil)

	for _, id := range []string{eA, eB} {
		eventually(t, "enrollment "+id+" withdrawn", func() bool {
			e := get(id)
			return e.Stage == "withdrawn" && e.Reason == "已调出本省"
		})
	}
	// The seat is free again: 李娜 takes it.
	eventually(t, "the seat of project A given back", func() bool { return full().Status == 200 })
	// Nobody acts on the withdrawn enrollments of a record transferred out.
	if r := changan.do("POST", "/api/v1/enrollments/"+eA+"/withdrawal", map[string]string{"reason": "再撤一次"}); r.Status != 409 {
		t.Fatalf("withdrawing again: %d %s", r.Status, r.Body)
	}

	// A rebuild replays the process: the same tables, no new event (the
	// GET waits for the read models to show every command so far).
	get(eA)
	before := p.a.eventCount()
	assertRebuildIdentical(t, p.a)
	if after := p.a.eventCount(); after != before {
		t.Fatalf("a rebuild wrote %d events", after-before)
	}
}
