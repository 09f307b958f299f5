package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestTeacherHistoryCoversEveryStream: the teacher's history (the API the
// teacher's timeline and the auditor read) holds every event that
// concerns the teacher, from every stream, each with who, under which
// role and jurisdiction, and why: an enrollment and its grade, a credit
// grant and its revocation, an ethics result's correction, a registration
// decision. The credit entry says who revoked it, the appraisal who
// corrected it and why; a rebuild gives the same rows.
func TestTeacherHistoryCoversEveryStream(t *testing.T) { forBackends(t, teacherHistoryStory) }

func teacherHistoryStory(t *testing.T, backend string) {
	p := setupPipeline(t, backend)
	root, sjz, changan, inst1 := p.root, p.sjz, p.changan, p.inst1
	T := p.teachers
	tid := T[0].ID
	mk := func(login, role, region string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		root.must(201, "POST", "/api/v1/accounts", map[string]string{"login": login, "role": role, "jurisdiction": region,
			"display_name": login + "用户"}).json(t, &created)
		return p.a.login(login, created.InitialPassword, "Changed-"+login+"-1")
	}
	registrar := mk("th_registrar", "registration_authority", "13")
	auditor := mk("th_auditor", "auditor", "13")
	auditorSJZ := mk("th_aud_sjz", "auditor", "1301")

	// An enrollment through to a passing grade (which grants the credits).
	proj := map[string]any{"kind": "provincial", "category": 20, "owner": "13", "name": "2026年省培计划历史测试培训", "year": 2026,
		"mode": 1, "start": "2026-07-06", "end": "2026-07-15", "hours": 24, "credits": 2.5, "institutions": []string{p.inst1ID}}
	var created struct{ ID string }
	root.must(201, "POST", "/api/v1/projects", proj).json(t, &created)
	pid := created.ID
	var class struct{ ID string }
	root.must(201, "POST", "/api/v1/projects/"+pid+"/classes", map[string]string{"institution_id": p.inst1ID, "name": "历史一班"}).json(t, &class)
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "quota", "region": "130102", "count": 1})
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "open_nomination"})
	changan.must(200, "POST", "/api/v1/projects/"+pid+"/nominations", map[string]any{"teacher_ids": []string{tid}})
	e0 := p.enrollmentOf(root, pid, 0)
	sjz.must(200, "POST", "/api/v1/enrollments/"+e0+"/city-approval", nil)
	root.must(200, "POST", "/api/v1/enrollments/"+e0+"/approval", map[string]string{"institution_id": p.inst1ID, "class_id": class.ID})
	root.must(200, "POST", "/api/v1/projects/"+pid+"/changes", map[string]any{"action": "start"})
	// A refusal names its reason: grading before the trainee reported.
	if r := inst1.do("POST", "/api/v1/enrollments/"+e0+"/grade", map[string]any{"offline_score": 90, "online_score": 85}); r.Status != 409 ||
		strings.Contains(string(r.Body), "当前状态下不能进行此操作") {
		t.Fatalf("grade before reporting: %d %s", r.Status, r.Body)
	}
	// So does a row of an upload's error report.
	var up0 uploadResult
	inst1.postFile("/api/v1/projects/"+pid+"/grades", "成绩.csv",
		cwCSV("身份证号,姓名,集中学习成绩,网络学习成绩", T[0].IDNumber+","+T[0].Name+",90,85")).json(t, &up0)
	if up0.Failed != 1 || up0.ErrorReport == "" {
		t.Fatalf("grade upload before reporting: %+v", up0)
	}
	if rep := string(inst1.must(200, "GET", up0.ErrorReport, nil).Body); !strings.Contains(rep, "不能发布成绩") ||
		strings.Contains(rep, "当前状态下不能进行此操作") {
		t.Fatalf("error report row: %s", rep)
	}
	p.teacher(0).must(200, "POST", "/api/v1/enrollments/"+e0+"/report", nil)
	inst1.must(200, "POST", "/api/v1/enrollments/"+e0+"/grade", map[string]any{"offline_score": 90, "online_score": 85})

	// The credits granted, then revoked by the county with a reason.
	var credits struct {
		Entries []struct {
			Key            string `json:"key"`
			Revoked        bool   `json:"revoked"`
			RevokeReason   string `json:"revoke_reason"`
			RevokedBy      string `json:"revoked_by"`
			RevokedByRole  string `json:"revoked_by_role"`
			RevokedByLabel string `json:"revoked_by_role_label"`
		} `json:"entries"`
	}
	changan.must(200, "GET", "/api/v1/teachers/"+tid+"/credits", nil).json(t, &credits)
	if len(credits.Entries) != 1 || credits.Entries[0].Revoked {
		t.Fatalf("credits after the grade: %+v", credits)
	}
	changan.must(200, "POST", "/api/v1/teachers/"+tid+"/credits/revocations",
		map[string]string{"key": credits.Entries[0].Key, "reason": "同一培训已在原系统计入"})
	changan.must(200, "GET", "/api/v1/teachers/"+tid+"/credits", nil).json(t, &credits)
	if c := credits.Entries[0]; !c.Revoked || c.RevokeReason != "同一培训已在原系统计入" || c.RevokedBy != "changan管理员" ||
		c.RevokedByRole != "county_admin" || c.RevokedByLabel != "区县管理员" {
		t.Fatalf("revoked entry does not say who revoked it: %+v", c)
	}

	// An ethics result, corrected with a reason.
	idNumber := T[0].IDNumber
	gender := "女"
	if (idNumber[16]-'0')%2 == 1 {
		gender = "男"
	}
	ethics := cwCSV("年度,姓名,身份证件号码,性别,单位,师德考核结果,荣誉",
		fmt.Sprintf("2024,%s,%s,%s,石家庄市第二十五中学,达标,", T[0].Name, idNumber, gender))
	body, ct := cwMultipart(t, "师德.csv", "text/csv", ethics, "kind", "ethics")
	var up struct {
		Accepted int `json:"accepted"`
	}
	upr := changan.must(201, "POST", "/api/v1/appraisal-uploads", body, "Content-Type", ct)
	upr.json(t, &up)
	if up.Accepted != 1 {
		t.Fatalf("ethics upload: %s", upr.Body)
	}
	changan.must(200, "POST", "/api/v1/teachers/"+tid+"/appraisals/2024/ethics-correction",
		map[string]any{"passed": false, "reason": "经复核存在有偿补课行为"})
	var ap struct {
		Items []struct {
			Year             int  `json:"year"`
			EthicsCorrected  bool `json:"ethics_corrected"`
			EthicsCorrection *struct {
				By, Role, RoleLabel, Reason string
				At                          string
			} `json:"ethics_correction"`
		} `json:"items"`
	}
	changan.must(200, "GET", "/api/v1/teachers/"+tid+"/appraisals", nil).json(t, &ap)
	if len(ap.Items) != 1 || !ap.Items[0].EthicsCorrected || ap.Items[0].EthicsCorrection == nil ||
		ap.Items[0].EthicsCorrection.By != "changan管理员" || ap.Items[0].EthicsCorrection.Reason != "经复核存在有偿补课行为" ||
		ap.Items[0].EthicsCorrection.At == "" {
		t.Fatalf("ethics correction does not say who and why: %s", mustJSON(ap))
	}

	// A registration decision.
	registrar.must(201, "POST", "/api/v1/teachers/"+tid+"/registration/first", map[string]string{"on": "2024-09-01", "note": "材料齐全，准予首次注册"})
	// Refused again, with its reason rather than the generic text.
	if r := registrar.do("POST", "/api/v1/teachers/"+tid+"/registration/first", map[string]string{"on": "2024-09-02"}); r.Status != 409 ||
		!strings.Contains(string(r.Body), "已办理首次注册") {
		t.Fatalf("second first registration: %d %s", r.Status, r.Body)
	}

	type line struct {
		Stream        string `json:"stream"`
		Category      string `json:"category"`
		Type          string `json:"type"`
		Description   string `json:"description"`
		Reason        string `json:"reason"`
		ActorName     string `json:"actor_name"`
		ActorRole     string `json:"actor_role"`
		ActorLabel    string `json:"actor_role_label"`
		Jurisdiction  string `json:"jurisdiction"`
		OccurredAt    string `json:"occurred_at"`
		CategoryLabel string `json:"category_label"`
	}
	want := []struct {
		typ, actor, role, juris, reason, says string
	}{
		{"teacher.registered", "changan管理员", "county_admin", "130102", "", "登记了教师"},
		{"enrollment.nominated", "changan管理员", "county_admin", "130102", "", "推荐参加培训项目“2026年省培计划历史测试培训”"},
		{"enrollment.city_approved", "sjz管理员", "city_admin", "1301", "", "市级审核通过"},
		{"enrollment.grade_posted", "", "institution", "", "", "总评"},
		{"credit.granted", "", "", "", "", "2026年省培计划历史测试培训"},
		{"credit.revoked", "changan管理员", "county_admin", "130102", "同一培训已在原系统计入", "撤销了学时记录“2026年省培计划历史测试培训”"},
		{"appraisal.ethics_recorded", "changan管理员", "county_admin", "130102", "", "2024 年度师德考核：达标"},
		{"appraisal.ethics_corrected", "changan管理员", "county_admin", "130102", "经复核存在有偿补课行为", "更正为：不达标"},
		{"registration.decided", "th_registrar用户", "registration_authority", "13", "材料齐全，准予首次注册", "首次注册结论：合格"},
	}
	for _, reader := range []*client{changan, auditor, p.teacher(0)} {
		var h struct {
			Items []line `json:"items"`
		}
		reader.must(200, "GET", "/api/v1/teachers/"+tid+"/history", nil).json(t, &h)
		for _, w := range want {
			found := false
			for _, l := range h.Items {
				if l.Type != w.typ {
					continue
				}
				found = true
				if (w.actor != "" && l.ActorName != w.actor) || (w.role != "" && l.ActorRole != w.role) ||
					(w.juris != "" && l.Jurisdiction != w.juris) || l.Reason != w.reason ||
					!strings.Contains(l.Description, w.says) || (w.reason != "" && !strings.Contains(l.Description, w.reason)) ||
					l.OccurredAt == "" || l.CategoryLabel == "" {
					t.Errorf("%s: %+v, want %+v", w.typ, l, w)
				}
			}
			if !found {
				t.Errorf("history lacks %s: %s", w.typ, mustJSON(h.Items))
			}
		}
	}
	// The teacher's page shows them too.
	t0 := p.teacher(0)
	page := p.a.anon().must(200, "GET", "/me/history?tab=credits", nil, "Accept", "text/html", "Cookie", "session="+t0.token)
	if s := string(page.Body); !strings.Contains(s, "同一培训已在原系统计入") || !strings.Contains(s, "区县管理员") ||
		strings.Contains(s, "登记了教师") {
		t.Fatalf("history page, credits tab: %s", s)
	}

	// So does the auditor's page of the teacher, linked from the key-field trail.
	audPage := p.a.anon().must(200, "GET", "/audit/teachers/"+tid+"/history", nil, "Accept", "text/html", "Cookie", "session="+auditor.token)
	for _, want := range []string{"经复核存在有偿补课行为", "同一培训已在原系统计入", "材料齐全，准予首次注册", "总评", "教师资格注册机构"} {
		if !strings.Contains(string(audPage.Body), want) {
			t.Fatalf("auditor's history page lacks %q: %s", want, audPage.Body)
		}
	}
	if r := p.a.anon().do("GET", "/audit/teachers/"+T[6].ID+"/history", nil, "Accept", "text/html", "Cookie", "session="+auditorSJZ.token); r.Status != 404 {
		t.Fatalf("an auditor of 石家庄 reads a teacher of 唐山: %d", r.Status)
	}

	assertRebuildIdentical(t, p.a)
}
