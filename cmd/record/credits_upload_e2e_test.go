package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/projections"
)

type cwUpload struct {
	BatchID     string `json:"batch_id"`
	Rows        int    `json:"rows"`
	Accepted    int    `json:"accepted"`
	Rejected    int    `json:"rejected"`
	Repeated    bool   `json:"repeated"`
	ErrorReport string `json:"error_report"`
	FileSHA256  string `json:"file_sha256"`
	Errors      []struct {
		Row    int    `json:"row"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (u cwUpload) rowFields() map[int][]string {
	out := map[int][]string{}
	for _, e := range u.Errors {
		out[e.Row] = append(out[e.Row], e.Field)
	}
	return out
}

type cwAppraisals struct {
	Items []struct {
		Year           int    `json:"year"`
		AnnualGrade    string `json:"annual_grade"`
		EthicsRecorded bool   `json:"ethics_recorded"`
	}
}

// TestAppraisalUploadsReportMismatchedAndMalformedRows: rows are matched to
// teachers by ID number; a row whose name or unit disagrees with the record
// is reported, not applied; errors are per row with the file's line
// numbers; the upload is an event; the same file again changes nothing.
func TestAppraisalUploadsReportMismatchedAndMalformedRows(t *testing.T) {
	forBackends(t, testAppraisalUploadsReportMismatchedAndMalformedRows)
}

func testAppraisalUploadsReportMismatchedAndMalformedRows(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("钱多多", "130102")
	other := w.teacher("孙小美", "130104")
	unknown := demoID("13010219991231011")
	file := cwCSV(
		"年度,姓名,身份证件号码,性别,单位,考核结果",
		fmt.Sprintf("2023,钱多多,%s,男,%s,优秀", strings.ToLower(tc.idNumber), cwUnitAName), // line 2: applied
		fmt.Sprintf("2022,钱多,%s,男,%s,合格", tc.idNumber, cwUnitAName),                   // 3: name differs
		fmt.Sprintf("2021,钱多多,%s,男,石家庄市第二十六中学,合格", tc.idNumber),                       // 4: unit differs
		fmt.Sprintf("20x1,钱多多,%s,男,%s,良好", tc.idNumber, cwUnitAName),                  // 5: malformed year and result
		fmt.Sprintf("2023,无名氏,%s,男,%s,合格", unknown, cwUnitAName),                      // 6: no such teacher
		fmt.Sprintf("2020,钱多多,,男,%s,合格", cwUnitAName),                                 // 7: ID number missing
		fmt.Sprintf("2023,孙小美,%s,女,%s,合格", other.idNumber, cwUnitBName),               // 8: another county (gender differs: not told)
		fmt.Sprintf("2019,钱多多,%s,男,%s,合格", tc.idNumber, cwUnitAName),                  // 9: duplicate of 10
		fmt.Sprintf("2019,钱多多,%s,男,%s,不合格", tc.idNumber, cwUnitAName),                 // 10
	)
	var up cwUpload
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "2023年度考核.csv", "text/csv", file, "kind", "annual").json(t, &up)
	if up.Rows != 9 || up.Accepted != 1 || up.Rejected != 8 || up.Repeated || up.ErrorReport == "" {
		t.Fatalf("upload: %+v", up)
	}
	fields := up.rowFields()
	want := map[int]string{3: "name", 4: "unit", 5: "year", 6: "id_number", 7: "id_number", 8: "id_number", 9: "id_number", 10: "id_number"}
	for row, field := range want {
		if !strings.Contains(strings.Join(fields[row], ","), field) {
			t.Errorf("row %d: errors on %v, want %s", row, fields[row], field)
		}
	}
	// A teacher of another county reads like a number nobody has: nothing
	// of that record (its gender) is compared or told.
	if !strings.Contains(strings.Join(fields[5], ","), "result") || strings.Join(fields[8], ",") != "id_number" {
		t.Errorf("row 5 %v should name result, row 8 %v only id_number", fields[5], fields[8])
	}
	if len(fields[2]) != 0 {
		t.Errorf("the good row has errors %v", fields[2])
	}

	// Only the good row reached the record; the mismatched ones changed nothing.
	var ap cwAppraisals
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/appraisals", nil).json(t, &ap)
	if len(ap.Items) != 1 || ap.Items[0].Year != 2023 || ap.Items[0].AnnualGrade != "1" {
		t.Fatalf("appraisals after the upload: %+v", ap.Items)
	}
	var name struct {
		Name string `json:"name"`
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/registration", nil).json(t, &name)
	if name.Name != "钱多多" {
		t.Fatalf("the record's name became %q", name.Name)
	}

	// The same file again: the same batch, nothing applied twice.
	var again cwUpload
	w.changan.creditUpload(200, "/api/v1/appraisal-uploads", "副本.csv", "text/csv", file, "kind", "annual").json(t, &again)
	if !again.Repeated || again.BatchID != up.BatchID || again.Accepted != 1 {
		t.Fatalf("repeated upload: %+v", again)
	}
	var batches struct {
		Items []cwUpload `json:"items"`
	}
	w.changan.must(200, "GET", "/api/v1/appraisal-uploads", nil).json(t, &batches)
	if len(batches.Items) != 1 || batches.Items[0].Rejected != 8 || len(batches.Items[0].Errors) < 8 {
		t.Fatalf("batches: %+v", batches.Items)
	}

	// The error report: the rejected rows as uploaded, with line and reasons.
	rep := w.changan.must(200, "GET", "/api/v1/appraisal-uploads/"+up.BatchID+"/errors?format=csv", nil)
	body := string(rep.Body)
	for _, s := range []string{"行号", "错误原因", "姓名与教师信息不一致", "单位与教师信息不一致", "本辖区内没有该证件号码的教师", "钱多\r\n", "20x1"} {
		if !strings.Contains(body, strings.TrimSuffix(s, "\r\n")) {
			t.Errorf("error report lacks %q:\n%s", s, body)
		}
	}
	if strings.Count(body, "\r\n") != 9 { // header + 8 rejected rows
		t.Errorf("error report has %d lines:\n%s", strings.Count(body, "\r\n"), body)
	}
	x := w.changan.must(200, "GET", "/api/v1/appraisal-uploads/"+up.BatchID+"/errors?format=xlsx", nil)
	if !bytes.HasPrefix(x.Body, []byte("PK")) {
		t.Fatal("xlsx error report is not a zip")
	}
	if r := w.qiaoxi.do("GET", "/api/v1/appraisal-uploads/"+up.BatchID, nil); r.Status != 404 {
		t.Errorf("another county reads the batch: %d", r.Status)
	}

	// A different result for a year already recorded is refused for that
	// row (a correction with a reason is the way), and the row's other
	// effects never half-apply.
	conflict := cwCSV("年度,姓名,身份证件号码,性别,单位,考核结果",
		fmt.Sprintf("2023,钱多多,%s,男,%s,合格", tc.idNumber, cwUnitAName),
		fmt.Sprintf("2022,钱多多,%s,男,%s,合格", tc.idNumber, cwUnitAName))
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "更正.csv", "text/csv", conflict, "kind", "annual").json(t, &up)
	if up.Accepted != 1 || up.Rejected != 1 || up.Errors[0].Row != 2 || up.Errors[0].Field != "result" {
		t.Fatalf("conflicting upload: %+v", up)
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/appraisals", nil).json(t, &ap)
	if len(ap.Items) != 2 || ap.Items[1].Year != 2023 || ap.Items[1].AnnualGrade != "1" {
		t.Fatalf("after the conflicting upload: %+v", ap.Items)
	}

	// Ethics as XLSX is read the same way; a malformed file is refused whole.
	if r := w.changan.do("POST", "/api/v1/appraisal-uploads", nil); r.Status != 400 && r.Status != 415 {
		t.Errorf("upload without a file: %d", r.Status)
	}
	body2, ct := cwMultipart(t, "a.xls", "application/vnd.ms-excel", []byte("junk"), "kind", "ethics")
	if r := w.changan.do("POST", "/api/v1/appraisal-uploads", body2, "Content-Type", ct); r.Status != 422 {
		t.Errorf("legacy xls: %d %s", r.Status, r.Body)
	}
	// The same new file uploaded twice at once: one batch, recorded once.
	ethics := cwCSV("年度,姓名,身份证件号码,性别,单位,师德考核结果,荣誉",
		fmt.Sprintf("2023,钱多多,%s,男,%s,达标,优秀班主任", tc.idNumber, cwUnitAName))
	second := w.a.login("cw_changan", "Changed-Pass-cw_changan", "")
	statuses := make([]int, 2)
	bodies := make([][]byte, 2)
	var wg sync.WaitGroup
	for i, c := range []*client{w.changan, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mb, mct := cwMultipart(t, "师德.csv", "text/csv", ethics, "kind", "ethics")
			req, _ := http.NewRequest("POST", w.a.srv.URL+"/api/v1/appraisal-uploads", bytes.NewReader(mb))
			req.Header.Set("Content-Type", mct)
			req.Header.Set("Authorization", "Bearer "+c.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			statuses[i] = res.StatusCode
			bodies[i], _ = io.ReadAll(res.Body)
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != 200 || statuses[1] != 201 {
		t.Fatalf("concurrent uploads: %v %s %s", statuses, bodies[0], bodies[1])
	}
	var b0, b1 cwUpload
	resp{Body: bodies[0]}.json(t, &b0)
	resp{Body: bodies[1]}.json(t, &b1)
	if b0.BatchID != b1.BatchID || b0.Accepted != 1 {
		t.Fatalf("concurrent uploads: %+v %+v", b0, b1)
	}

	// XLSX is read like CSV; a 2022 ethics result with a serious breach.
	var xb bytes.Buffer
	if err := tabular.WriteXLSX(&xb, "师德", []string{"考核年度", "姓名", "身份证号", "性别", "工作单位", "是否达标", "是否严重违反师德", "所获荣誉"},
		tabular.Rows([][]string{{"2022", "钱多多", tc.idNumber, "男", cwUnitAName, "不达标", "是", ""}})); err != nil {
		t.Fatal(err)
	}
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "2022师德.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		xb.Bytes(), "kind", "ethics").json(t, &up)
	if up.Accepted != 1 || up.Rejected != 0 {
		t.Fatalf("xlsx upload: %+v", up)
	}
	var ethicsYears struct {
		Items []struct {
			Year          int    `json:"year"`
			EthicsLabel   string `json:"ethics_label"`
			SeriousBreach bool   `json:"serious_breach"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/appraisals?year=2022", nil).json(t, &ethicsYears)
	if len(ethicsYears.Items) != 1 || !ethicsYears.Items[0].SeriousBreach || ethicsYears.Items[0].EthicsLabel != "不达标（严重违反师德）" {
		t.Fatalf("ethics of 2022: %+v", ethicsYears.Items)
	}

	// A renamed school: rows carry the new official name, which the unit
	// now has, though the teacher's own stream still holds the old one.
	w.changan.must(200, "POST", "/api/v1/units/"+w.unitA+"/changes", map[string]string{"field": "name", "value": "石家庄市第二十五中学（东校区）",
		"reason": "更名"}, "If-Match", `"0"`)
	renamed := cwCSV("年度,姓名,身份证件号码,性别,单位,考核结果",
		fmt.Sprintf("2024,钱多多,%s,男,石家庄市第二十五中学（东校区）,合格", tc.idNumber))
	w.changan.creditUpload(201, "/api/v1/appraisal-uploads", "2024.csv", "text/csv", renamed, "kind", "annual").json(t, &up)
	if up.Accepted != 1 {
		t.Fatalf("upload with the school's new name: %+v", up)
	}

	teacher := w.loginTeacher(tc)
	body3, ct3 := cwMultipart(t, "x.csv", "text/csv", file, "kind", "annual")
	if r := teacher.do("POST", "/api/v1/appraisal-uploads", body3, "Content-Type", ct3); r.Status != 403 {
		t.Errorf("a teacher uploads results: %d", r.Status)
	}
}

// TestCreditBankGrowthAndStudios: the credit bank (submit with evidence,
// the county's queue, recognition that grants hours once, rejection with a
// reason), the growth track with an uploaded file, studios and link lists.
func TestCreditBankGrowthAndStudios(t *testing.T) { forBackends(t, testCreditBankGrowthAndStudios) }

func testCreditBankGrowthAndStudios(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("周末", "130102")
	me := w.loginTeacher(tc)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 100)...)
	var ref map[string]any
	me.creditUpload(201, "/api/v1/files", "结业证书.pdf", "application/pdf", pdf).json(t, &ref)
	if len(ref["sha256"].(string)) != 64 {
		t.Fatalf("file ref: %+v", ref)
	}
	// Type and size limits of the file store.
	if r := me.do("POST", "/api/v1/files", nil); r.Status == 201 {
		t.Fatal("empty upload accepted")
	}
	exe, ct := cwMultipart(t, "setup.exe", "application/octet-stream", []byte("MZ"))
	if r := me.do("POST", "/api/v1/files", exe, "Content-Type", ct); r.Status != 422 {
		t.Fatalf("an executable: %d %s", r.Status, r.Body)
	}
	big, ct := cwMultipart(t, "big.pdf", "application/pdf", bytes.Repeat([]byte("a"), 10<<20+1))
	if r := me.do("POST", "/api/v1/files", big, "Content-Type", ct); r.Status != 422 {
		t.Fatalf("a file over 10 MB: %d", r.Status)
	}

	sub := map[string]any{"kind": "off_platform", "title": "全国语文教学研讨会", "organiser": "中国教育学会", "level": "10",
		"start_on": "2024-04-10", "end_on": "2024-04-12", "claimed_hours": 24, "evidence": []any{ref}}
	var req1, req2 struct{ ID string }
	me.must(201, "POST", "/api/v1/credit-bank", sub).json(t, &req1)
	sub["title"] = "校内读书会"
	me.must(201, "POST", "/api/v1/credit-bank", sub).json(t, &req2)
	// Evidence must be in the store.
	bad := map[string]any{"kind": "other", "title": "x", "organiser": "y", "level": "99", "start_on": "2024-01-01", "end_on": "2024-01-02",
		"claimed_hours": 1, "evidence": []any{map[string]any{"sha256": strings.Repeat("a", 64), "name": "a.pdf", "size": 10, "content_type": "application/pdf"}}}
	if r := me.do("POST", "/api/v1/credit-bank", bad); r.Status != 422 {
		t.Fatalf("evidence not uploaded: %d %s", r.Status, r.Body)
	}

	var queue struct {
		Items []struct {
			RequestID string `json:"request_id"`
			Title     string `json:"title"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/credit-bank", nil).json(t, &queue)
	if len(queue.Items) != 2 {
		t.Fatalf("queue: %+v", queue.Items)
	}
	w.qiaoxi.must(200, "GET", "/api/v1/credit-bank", nil).json(t, &queue)
	if len(queue.Items) != 0 {
		t.Fatalf("another county's queue shows %+v", queue.Items)
	}
	if r := w.qiaoxi.do("POST", "/api/v1/credit-bank/"+req1.ID+"/recognise", map[string]any{"hours": 20}); r.Status != 404 {
		t.Fatalf("another county recognises: %d", r.Status)
	}
	w.changan.must(200, "POST", "/api/v1/credit-bank/"+req1.ID+"/recognise", map[string]any{"hours": 20, "credits": 1, "note": "按实际学时认定"})
	if r := w.changan.do("POST", "/api/v1/credit-bank/"+req1.ID+"/recognise", map[string]any{"hours": 20}); r.Status != 409 {
		t.Fatalf("recognising twice: %d", r.Status)
	}
	w.changan.must(200, "POST", "/api/v1/credit-bank/"+req2.ID+"/reject", map[string]string{"reason": "不属于可认定的学习"})

	var h struct {
		Entries []struct {
			SourceKind string `json:"source_kind"`
			Hours      int    `json:"hours"`
			Year       int    `json:"year"`
		}
	}
	me.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
	if len(h.Entries) != 1 || h.Entries[0].SourceKind != "credit_bank" || h.Entries[0].Hours != 20 || h.Entries[0].Year != 2024 {
		t.Fatalf("credits after recognition: %+v", h.Entries)
	}
	var mine struct {
		Items []struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
	}
	me.must(200, "GET", "/api/v1/credit-bank", nil).json(t, &mine)
	if len(mine.Items) != 2 || mine.Items[0].Status != "recognised" || mine.Items[1].Status != "rejected" || mine.Items[1].Reason == "" {
		t.Fatalf("my requests: %+v", mine.Items)
	}
	// The county admin reads the evidence; another county's admin does not.
	sha := ref["sha256"].(string)
	if r := w.changan.must(200, "GET", "/api/v1/files/"+sha, nil); !bytes.Equal(r.Body, pdf) {
		t.Fatal("downloaded evidence differs")
	}
	if r := w.qiaoxi.do("GET", "/api/v1/files/"+sha, nil); r.Status != 404 {
		t.Fatalf("another county downloads evidence: %d", r.Status)
	}

	// Growth track.
	me.must(201, "POST", "/api/v1/teachers/"+tc.id+"/honors", map[string]any{"year": 2023, "level": "20", "title": "河北省优秀教师"})
	me.must(201, "POST", "/api/v1/teachers/"+tc.id+"/achievements", map[string]any{"year": 2022, "category": "paper", "level": "30",
		"title": "初中语文群文阅读教学实践", "author": "周末", "file": ref})
	if r := w.changan.do("POST", "/api/v1/teachers/"+tc.id+"/honors", map[string]any{"year": 2023, "level": "20", "title": "x"}); r.Status != 404 {
		t.Fatalf("an admin edits the growth track: %d", r.Status)
	}
	var g struct {
		Honors       []struct{ Title string } `json:"honors"`
		Achievements []struct {
			Title string         `json:"title"`
			File  map[string]any `json:"file"`
		} `json:"achievements"`
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/growth", nil).json(t, &g)
	if len(g.Honors) != 1 || len(g.Achievements) != 1 || g.Achievements[0].File["sha256"] != sha {
		t.Fatalf("growth: %+v", g)
	}

	// Studios: designated by the county, joined and followed by a teacher.
	host := w.teacher("名师甲", "130102")
	var st struct{ ID string }
	w.changan.must(201, "POST", "/api/v1/studios", map[string]any{"name": "名师甲语文工作室", "host_teacher_id": host.id, "host_name": "名师甲",
		"region": "130102", "subject": "语文"}).json(t, &st)
	me.must(200, "POST", "/api/v1/studios/"+st.ID+"/join", nil)
	me.must(200, "POST", "/api/v1/studios/"+st.ID+"/follow", nil)
	var my struct {
		Joined   []struct{ Name string } `json:"joined"`
		Followed []struct {
			Name    string `json:"name"`
			Members int    `json:"members"`
		} `json:"followed"`
	}
	me.must(200, "GET", "/api/v1/me/studios", nil).json(t, &my)
	if len(my.Joined) != 1 || len(my.Followed) != 1 || my.Followed[0].Members != 2 {
		t.Fatalf("my studios: %+v", my)
	}
	if r := w.qiaoxi.do("POST", "/api/v1/studios", map[string]any{"name": "x", "host_teacher_id": host.id, "host_name": "x", "region": "130102"}); r.Status != 403 {
		t.Fatalf("another county designates a studio: %d", r.Status)
	}

	// Link lists are the province's.
	w.prov.must(201, "POST", "/api/v1/links/reading", map[string]string{"title": "教育部推荐书目", "url": "https://www.moe.gov.cn/"})
	if r := w.changan.do("POST", "/api/v1/links/reading", map[string]string{"title": "x", "url": "https://example.com/"}); r.Status != 403 {
		t.Fatalf("a county admin publishes a link: %d", r.Status)
	}
	var links struct {
		Items []struct{ Title string } `json:"items"`
	}
	me.must(200, "GET", "/api/v1/links/reading", nil).json(t, &links)
	if len(links.Items) != 1 {
		t.Fatalf("links: %+v", links)
	}

	cwRebuildChangesNothing(t, w, w.changan, "/api/v1/teachers/"+tc.id+"/credits", "/api/v1/credit-bank?status=all",
		"/api/v1/studios", "/api/v1/appraisal-uploads")
	cwRebuildChangesNothing(t, w, me, "/api/v1/me/studios")
	cwApplyTwiceChangesNothing(t, w)
}

// cwRebuildChangesNothing rebuilds every read model of the area from the
// event store and checks that each path answers the same as before.
func cwRebuildChangesNothing(t *testing.T, w *creditWorld, c *client, paths ...string) {
	t.Helper()
	before := map[string]string{}
	for _, p := range paths {
		before[p] = string(c.must(200, "GET", p, nil).Body)
	}
	// An unknown name refuses the whole list; several names are rebuilt
	// from one read of the feed (record rebuild --projection a,b).
	if err := w.a.svc.Rebuild(context.Background(), "credit_teachers,no_such_projection", io.Discard); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Fatalf("rebuild with an unknown name: %v, want ErrUnknownProjection", err)
	}
	for _, names := range []string{"credit_teachers, credit_history,appraisal_results", "registration_status", "studios"} {
		if err := w.a.svc.Rebuild(context.Background(), names, io.Discard); err != nil {
			t.Fatalf("rebuild %s: %v", names, err)
		}
	}
	for _, p := range paths {
		if after := string(c.must(200, "GET", p, nil).Body); after != before[p] {
			t.Errorf("%s changed on rebuild:\nbefore %s\nafter  %s", p, before[p], after)
		}
	}
}

// cwTables are the area's read-model tables.
var cwTables = []string{"credit_teachers", "credit_entries", "credit_bank_requests", "appraisal_results", "appraisal_uploads",
	"registration_status", "registration_decisions", "studios", "studio_memberships"}

func cwDump(t *testing.T, w *creditWorld) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range cwTables {
		rows, err := w.a.svc.Pool.Query(context.Background(), `SELECT t::text FROM `+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// cwApplyTwiceChangesNothing applies the whole feed once more to the area's
// projections: a redelivered event must be a no-op.
func cwApplyTwiceChangesNothing(t *testing.T, w *creditWorld) {
	t.Helper()
	ctx := context.Background()
	before := cwDump(t, w)
	recs, err := w.a.svc.Store.ReadAll(ctx, eventstore.Start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := w.a.svc.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, p := range projections.CreditProjections() {
		for _, rec := range recs {
			env, err := commands.Decode(w.a.svc.Registry, rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(ctx, tx, env); err != nil {
				t.Fatalf("%s: %s again: %v", p.Name(), env.Type, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	after := cwDump(t, w)
	for _, table := range cwTables {
		if !slices.Equal(before[table], after[table]) {
			t.Errorf("%s changed when the feed was applied again:\nbefore %v\nafter  %v", table, before[table], after[table])
		}
	}
	if len(before["credit_entries"]) == 0 {
		t.Error("nothing to compare: no credit entries")
	}
}

// TestCreditImportReportsBadRowsAndCountsOnce: the teacher's county admin
// imports (issue 5: "imported from earlier systems by a county admin"); rows
// with errors are reported with their line and skipped; a record already
// counted with other figures is refused; the admin of another county and a
// teacher may not import.
func TestCreditImportReportsBadRowsAndCountsOnce(t *testing.T) {
	forBackends(t, testCreditImportReportsBadRowsAndCountsOnce)
}

func testCreditImportReportsBadRowsAndCountsOnce(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("吴用", "130102")
	line := func(name, year, day, level, category, hours, ext string) string {
		return fmt.Sprintf("%s,%s,%s,%s,%s,%s,%s,2,继续教育培训,%s", tc.idNumber, name, year, day, level, category, hours, ext)
	}
	file := cwCSV(cwImportHeader,
		line("吴用", "2018", "2018-07-01", "国家级", "培训", "40", "A1"),                        // 2: granted
		line("吴用", "2019", "", "30", "", "24", "A2"),                                     // 3: granted, 31 Dec, default category
		line("吴用", "2019", "", "30", "", "24", "A2"),                                     // 4: the same record again: unchanged
		line("吴用", "2020", "2020-05-01", "30", "培训", "30", "A2"),                         // 5: same record, other figures
		line("吴用", "2020", "2020-05-01", "部级", "培训", "abc", "A3"),                        // 6: level and hours malformed
		line("吴用", "2020", "2018-05-01", "30", "培训", "8", "A4"),                          // 7: completed before its year
		line("吴勇", "2020", "2020-05-01", "30", "培训", "8", "A5"),                          // 8: name differs
		fmt.Sprintf("%s,某人,2020,2020-05-01,30,培训,8,1,x,A6", demoID("13010219991231011")), // 9: no such teacher
		line("吴用", "2020", "2020-05-01", "30", "培训", "8", ""),                            // 10: no record id
	)
	var rep struct {
		Rows, Granted, Unchanged, Rejected int
		Errors                             []struct {
			Row   int
			Field string
		}
	}
	// The admin of another county grants nothing: every row the reader
	// accepts (all but row 10, which lacks a record id) is refused on the
	// teacher.
	w.qiaoxi.creditUpload(200, "/api/v1/credit-imports", "old.csv", "text/csv", file, "system", "旧平台").json(t, &rep)
	if rep.Rows != 9 || rep.Granted != 0 || rep.Unchanged != 0 || rep.Rejected != 9 {
		t.Fatalf("import by another county: %+v", rep)
	}
	foreign := map[int]bool{}
	for _, e := range rep.Errors {
		if e.Field == "id_number" {
			foreign[e.Row] = true
		}
	}
	for row := 2; row <= 9; row++ {
		if !foreign[row] {
			t.Errorf("import by another county: row %d not refused on the teacher", row)
		}
	}
	var none struct{ Entries []struct{} }
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &none)
	if len(none.Entries) != 0 {
		t.Fatalf("another county's import left %d entries", len(none.Entries))
	}

	w.changan.creditUpload(200, "/api/v1/credit-imports", "old.csv", "text/csv", file, "system", "旧平台").json(t, &rep)
	if rep.Rows != 9 || rep.Granted != 2 || rep.Unchanged != 1 || rep.Rejected != 6 {
		t.Fatalf("report: %+v", rep)
	}
	got := map[int][]string{}
	for _, e := range rep.Errors {
		got[e.Row] = append(got[e.Row], e.Field)
	}
	want := map[int][]string{5: {"external_id"}, 6: {"level", "hours"}, 7: {"completed_on"}, 8: {"name"}, 9: {"id_number"}, 10: {"external_id"}}
	for row, fields := range want {
		for _, f := range fields {
			if !slices.Contains(got[row], f) {
				t.Errorf("row %d: errors on %v, want %s", row, got[row], f)
			}
		}
	}
	var h struct {
		Entries []struct {
			Year        int    `json:"year"`
			CompletedOn string `json:"completed_on"`
			Category    string `json:"category"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
	if len(h.Entries) != 2 || h.Entries[1].CompletedOn != "2019-12-31" || h.Entries[1].Category != "training" {
		t.Fatalf("entries: %+v", h.Entries)
	}
	me := w.loginTeacher(tc)
	body, ct := cwMultipart(t, "old.csv", "text/csv", file, "system", "旧平台")
	if r := me.do("POST", "/api/v1/credit-imports", body, "Content-Type", ct); r.Status != 403 {
		t.Errorf("a teacher imports: %d", r.Status)
	}
	// A revoked import can be counted again, with new figures.
	w.changan.must(200, "POST", "/api/v1/teachers/"+tc.id+"/credits/revocations", map[string]string{"key": "import:旧平台:A2", "reason": "学时录入错误"})
	fixed := cwCSV(cwImportHeader, line("吴用", "2019", "", "30", "", "30", "A2"))
	w.changan.creditUpload(200, "/api/v1/credit-imports", "fix.csv", "text/csv", fixed, "system", "旧平台").json(t, &rep)
	if rep.Granted != 1 {
		t.Fatalf("re-import after revocation: %+v", rep)
	}
	var h2 struct {
		Entries []struct {
			Hours   int  `json:"hours"`
			Revoked bool `json:"revoked"`
		}
		Years []struct {
			Year  int `json:"year"`
			Hours int `json:"hours"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h2)
	if len(h2.Entries) != 3 || !h2.Entries[1].Revoked || len(h2.Years) < 9 || h2.Years[1].Year != 2019 || h2.Years[1].Hours != 30 || h2.Years[2].Hours != 0 {
		t.Fatalf("after the re-import: %+v", h2)
	}
}
