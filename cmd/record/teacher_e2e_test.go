package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hbte/record/commands"
)

// TestTeacherRecordEndToEnd walks issue 3's story through HTTP on each
// event-store backend: registration, first login, edits, a refused key-field
// edit, a correction, a transfer, the audit trail and a rebuild.
func TestTeacherRecordEndToEnd(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { teacherStory(t, backend) })
	}
}

func teacherStory(t *testing.T, backend string) {
	a := startApp(t, backend)
	ctx := context.Background()
	if _, err := a.svc.CreateProvinceAdmin(ctx, "hb_root", "省级管理员", "Root-Pass-1"); err != nil {
		t.Fatal(err)
	}
	root := a.login("hb_root", "Root-Pass-1", "Root-Pass-2")
	mkAdmin := func(login, role, region string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		root.must(201, "POST", "/api/v1/accounts", map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login}).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-"+login+"-1")
	}
	changan := mkAdmin("changan", "county_admin", "130102")
	qiaoxi := mkAdmin("qiaoxi", "county_admin", "130104")
	auditor := mkAdmin("auditor1", "auditor", "13")

	var unitA, unitB struct{ ID string }
	changan.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}).json(t, &unitA)
	qiaoxi.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市桥西区实验小学", "county": "130104", "area": "1", "category": "211"}).json(t, &unitB)
	// A county admin cannot register a school in another county.
	if r := changan.do("POST", "/api/v1/units", map[string]string{"name": "石家庄市桥西区第二小学", "county": "130104", "area": "1", "category": "211"}); r.Status != 403 {
		t.Fatalf("unit in another county: %d %s", r.Status, r.Body)
	}

	idNumber := demoID("13010219900307123")
	reg := map[string]string{"name": "赵敏", "id_type": "1", "id_number": strings.ToLower(idNumber), "unit_id": unitA.ID,
		"work_start": "2012-09", "certificate_type": "3", "certificate_number": "20121301031000123", "mobile": "+86 138-0311-0009"}
	var registered struct {
		ID    string `json:"id"`
		Login string `json:"login"`
	}
	changan.must(201, "POST", "/api/v1/teachers", reg).json(t, &registered)
	if registered.Login != idNumber[:6]+"********"+idNumber[14:] {
		t.Fatalf("registration shows login %q, want it masked", registered.Login)
	}
	tid := registered.ID
	// The same ID number twice is refused.
	if r := changan.do("POST", "/api/v1/teachers", reg); r.Status != 409 {
		t.Fatalf("duplicate ID number: %d %s", r.Status, r.Body)
	}

	// First login with the last six characters; nothing but a password change until then.
	teacher := a.anon()
	var lr struct {
		Token              string `json:"token"`
		MustChangePassword bool   `json:"must_change_password"`
	}
	teacher.must(201, "POST", "/api/v1/sessions", map[string]string{"login": strings.ToLower(idNumber), "password": commands.InitialPassword(idNumber)}).json(t, &lr)
	if !lr.MustChangePassword {
		t.Fatal("first login does not demand a password change")
	}
	teacher.token = lr.Token
	if r := teacher.do("GET", "/api/v1/teachers/"+tid, nil); r.Status != 403 || r.errCode() != "password_change_required" {
		t.Fatalf("before changing the password: %d %s", r.Status, r.Body)
	}
	if r := teacher.do("PUT", "/api/v1/me/password", map[string]string{"old_password": commands.InitialPassword(idNumber), "new_password": "weak"}); r.Status != 422 {
		t.Fatalf("weak password: %d %s", r.Status, r.Body)
	}
	teacher.must(200, "PUT", "/api/v1/me/password", map[string]string{"old_password": commands.InitialPassword(idNumber), "new_password": "Teacher-Pass-9"})

	var prof struct {
		Revision int `json:"revision"`
		Profile  struct {
			Name, IDNumber, Mobile, Gender, BirthDate, County string
		} `json:"profile"`
		UnitName string `json:"unit_name"`
	}
	decodeProfile := func(r resp) {
		t.Helper()
		var raw struct {
			Revision int               `json:"revision"`
			Profile  map[string]string `json:"profile"`
			UnitName string            `json:"unit_name"`
		}
		r.json(t, &raw)
		prof.Revision, prof.UnitName = raw.Revision, raw.UnitName
		prof.Profile.Name, prof.Profile.IDNumber, prof.Profile.Mobile = raw.Profile["name"], raw.Profile["id_number"], raw.Profile["mobile"]
		prof.Profile.Gender, prof.Profile.BirthDate, prof.Profile.County = raw.Profile["gender"], raw.Profile["birth_date"], raw.Profile["county"]
	}
	decodeProfile(teacher.must(200, "GET", "/api/v1/teachers/"+tid, nil))
	if prof.Profile.IDNumber != idNumber || prof.Profile.Gender != "1" || prof.Profile.BirthDate != "1990-03-07" || prof.Profile.Mobile != "13803110009" {
		t.Fatalf("own profile: %+v", prof.Profile)
	}
	if prof.UnitName != "石家庄市第二十五中学" {
		t.Fatalf("unit name %q", prof.UnitName)
	}

	// Edits carry the revision the client saw.
	edit := map[string]any{"changes": map[string]string{"ethnicity": "01", "native_place": "河北石家庄"}}
	if r := teacher.do("PATCH", "/api/v1/teachers/"+tid, edit); r.Status != 428 {
		t.Fatalf("edit without If-Match: %d %s", r.Status, r.Body)
	}
	rev := fmt.Sprint(prof.Revision)
	teacher.must(200, "PATCH", "/api/v1/teachers/"+tid, edit, "If-Match", `"`+rev+`"`)
	r := teacher.do("PATCH", "/api/v1/teachers/"+tid, map[string]any{"changes": map[string]string{"ethnicity": "03"}}, "If-Match", `"`+rev+`"`)
	var conflict struct {
		Error struct {
			CurrentRevision *int `json:"current_revision"`
		} `json:"error"`
	}
	r.json(t, &conflict)
	if r.Status != 409 || conflict.Error.CurrentRevision == nil || *conflict.Error.CurrentRevision != prof.Revision+2 {
		t.Fatalf("stale edit: %d %s", r.Status, r.Body)
	}
	// Key fields are not the teacher's to change.
	if r := teacher.do("PATCH", "/api/v1/teachers/"+tid, map[string]any{"changes": map[string]string{"name": "赵敏敏"}}, "If-Match", `"99"`); r.Status != 409 && r.Status != 422 {
		t.Fatalf("key field through an edit: %d %s", r.Status, r.Body)
	}
	if r := teacher.do("POST", "/api/v1/teachers/"+tid+"/key-field-corrections", map[string]any{"changes": map[string]string{"name": "赵敏敏"}, "reason": "x"}, "If-Match", `"3"`); r.Status != 404 {
		t.Fatalf("key-field correction by the teacher: %d %s", r.Status, r.Body)
	}

	// The teacher asks; the county admin approves.
	var corr struct{ ID string }
	teacher.must(201, "POST", "/api/v1/teachers/"+tid+"/corrections", map[string]any{"field": "name", "proposed_value": "赵珉", "reason": "身份证上为“珉”"}).json(t, &corr)
	var queue struct {
		Items []struct {
			CorrectionID string `json:"correction_id"`
		} `json:"items"`
	}
	changan.must(200, "GET", "/api/v1/corrections", nil).json(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].CorrectionID != corr.ID {
		t.Fatalf("correction queue: %+v", queue)
	}
	if r := qiaoxi.do("POST", "/api/v1/teachers/"+tid+"/corrections/"+corr.ID+"/approve", nil); r.Status != 404 {
		t.Fatalf("approval by another county: %d %s", r.Status, r.Body)
	}
	changan.must(200, "POST", "/api/v1/teachers/"+tid+"/corrections/"+corr.ID+"/approve", nil)
	decodeProfile(changan.must(200, "GET", "/api/v1/teachers/"+tid, nil))
	if prof.Profile.Name != "赵珉" {
		t.Fatalf("name after approval: %q", prof.Profile.Name)
	}
	if prof.Profile.IDNumber == idNumber {
		t.Fatal("a county admin's default view shows the full ID number")
	}
	decodeProfile(changan.must(200, "GET", "/api/v1/teachers/"+tid+"?reveal=true", nil))
	if prof.Profile.IDNumber != idNumber {
		t.Fatal("reveal did not show the ID number")
	}

	// Transfer to Qiaoxi: the old county loses access, the new one gains it.
	var tr struct{ ID string }
	changan.must(201, "POST", "/api/v1/teachers/"+tid+"/transfers", map[string]string{"to_county": "130104", "to_unit_id": unitB.ID, "reason": "工作调动"}).json(t, &tr)
	var transfers struct {
		Items []struct {
			TransferID string `json:"transfer_id"`
			Incoming   bool   `json:"incoming"`
		} `json:"items"`
	}
	qiaoxi.must(200, "GET", "/api/v1/transfers", nil).json(t, &transfers)
	if len(transfers.Items) != 1 || !transfers.Items[0].Incoming || transfers.Items[0].TransferID != tr.ID {
		t.Fatalf("incoming transfers: %+v", transfers)
	}
	if r := changan.do("POST", "/api/v1/teachers/"+tid+"/transfers/"+tr.ID+"/accept", nil); r.Status != 404 {
		t.Fatalf("acceptance by the sending county: %d %s", r.Status, r.Body)
	}
	qiaoxi.must(200, "POST", "/api/v1/teachers/"+tid+"/transfers/"+tr.ID+"/accept", nil)
	if r := changan.do("GET", "/api/v1/teachers/"+tid, nil); r.Status != 404 {
		t.Fatalf("old county after the transfer: %d %s", r.Status, r.Body)
	}
	decodeProfile(qiaoxi.must(200, "GET", "/api/v1/teachers/"+tid, nil))
	if prof.Profile.County != "130104" || prof.UnitName != "石家庄市桥西区实验小学" {
		t.Fatalf("after the transfer: %+v %s", prof.Profile, prof.UnitName)
	}

	// The auditor sees who changed which key field.
	var audit struct {
		Entries []struct {
			Field     string `json:"field"`
			New       string `json:"new_value"`
			ActorName string `json:"actor_name"`
			ActorRole string `json:"actor_role"`
		} `json:"entries"`
	}
	auditor.must(200, "GET", "/api/v1/audit/key-field-changes?teacher_id="+tid, nil).json(t, &audit)
	seen := map[string]string{}
	for _, e := range audit.Entries {
		seen[e.Field+"="+e.New] = e.ActorName + "/" + e.ActorRole
	}
	if seen["name=赵珉"] != "changan/county_admin" || seen["county=130104"] != "qiaoxi/county_admin" {
		t.Fatalf("audit entries: %+v", seen)
	}
	csv := auditor.must(200, "GET", "/api/v1/audit/key-field-changes?format=csv&teacher_id="+tid, nil)
	if !strings.Contains(string(csv.Body), "赵珉") || strings.Contains(string(csv.Body), idNumber) {
		t.Fatalf("CSV export: %s", csv.Body)
	}
	var history struct {
		Items []struct {
			Description string `json:"description"`
		} `json:"items"`
	}
	teacher = a.login(strings.ToLower(idNumber), "Teacher-Pass-9", "")
	teacher.must(200, "GET", "/api/v1/teachers/"+tid+"/history", nil).json(t, &history)
	if len(history.Items) < 6 {
		t.Fatalf("history has %d entries", len(history.Items))
	}
	var sec struct {
		Items []struct{ Action string } `json:"items"`
	}
	auditor.must(200, "GET", "/api/v1/audit/security?action=reveal_personal_data", nil).json(t, &sec)
	if len(sec.Items) != 1 {
		t.Fatalf("recorded reveals: %+v", sec.Items)
	}

	assertRebuildIdentical(t, a)
}

// assertRebuildIdentical dumps every read-model table, rebuilds every
// projection from the events, and requires identical tables.
func assertRebuildIdentical(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	dump := func() map[string][]string {
		out := map[string][]string{}
		for _, p := range allProjections(a.svc) {
			for _, table := range p.Tables() {
				rows, err := a.svc.Pool.Query(ctx, fmt.Sprintf(`SELECT to_jsonb(t)::text FROM %s t ORDER BY 1`, table))
				if err != nil {
					t.Fatalf("dump %s: %v", table, err)
				}
				for rows.Next() {
					var s string
					if err := rows.Scan(&s); err != nil {
						t.Fatal(err)
					}
					out[table] = append(out[table], s)
				}
				rows.Close()
			}
		}
		return out
	}
	before := dump()
	if len(before["teacher_profiles"]) == 0 {
		t.Fatal("nothing to compare: no teacher profiles")
	}
	for _, p := range allProjections(a.svc) {
		if err := a.svc.Runner.Rebuild(ctx, p.Name()); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
	}
	after := dump()
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if string(b1) != string(b2) {
		for table := range before {
			if fmt.Sprint(before[table]) != fmt.Sprint(after[table]) {
				t.Errorf("table %s differs after rebuild:\nbefore %v\nafter  %v", table, before[table], after[table])
			}
		}
	}
}

var _ = http.StatusOK
