package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/projections"
)

// Sampled audits of credit claims (issue 10, item 7): a county draws a
// seeded sample of its imports and credit-bank recognitions; the same seed
// over the same population draws the same entries; revoking one takes its
// hours out of the teacher's totals, upholding another keeps them; an entry
// is reviewed once (409); another county sees nothing (404) and may not
// draw for this one (403); the province's share rounds up; a rebuild gives
// the same rows.
func TestCreditAuditSample(t *testing.T) { forBackends(t, testCreditAuditSample) }

func testCreditAuditSample(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	ctx := context.Background()
	ta, tb := w.teacher("审慎", "130102"), w.teacher("桥西甲", "130104")
	row := func(tc cwTeacher, title, day, hours, ext string) string {
		return fmt.Sprintf("%s,%s,2022,%s,40,培训,%s,0,%s,%s", tc.idNumber, tc.name, day, hours, title, ext)
	}
	var rep struct{ Granted, Rejected int }
	w.changan.creditUpload(200, "/api/v1/credit-imports", "a.csv", "text/csv",
		cwCSV(cwImportHeader, row(ta, "2022年县级班主任培训", "2022-03-10", "24", "X1"), row(ta, "2022年信息技术应用能力提升", "2022-05-20", "30", "X2"),
			row(ta, "2022年心理健康教育专题", "2022-09-01", "16", "X3")), "system", "原继教平台").json(t, &rep)
	if rep.Granted != 3 {
		t.Fatalf("import A: %+v", rep)
	}
	w.qiaoxi.creditUpload(200, "/api/v1/credit-imports", "b.csv", "text/csv",
		cwCSV(cwImportHeader, row(tb, "2022年学科教研活动", "2022-04-02", "12", "Y1")), "system", "原继教平台").json(t, &rep)
	if rep.Granted != 1 {
		t.Fatalf("import B: %+v", rep)
	}
	me := w.loginTeacher(ta)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("y"), 100)...)
	var ref map[string]any
	me.creditUpload(201, "/api/v1/files", "证明.pdf", "application/pdf", pdf).json(t, &ref)
	var req struct{ ID string }
	me.must(201, "POST", "/api/v1/credit-bank", map[string]any{"kind": "off_platform", "title": "校本研修成果展示", "organiser": "区教研室",
		"level": "30", "start_on": "2022-11-05", "end_on": "2022-11-06", "claimed_hours": 8, "evidence": []any{ref}}).json(t, &req)
	w.changan.must(200, "POST", "/api/v1/credit-bank/"+req.ID+"/recognise", map[string]any{"hours": 8, "credits": 0.5})
	hours2022 := func() string {
		var h struct {
			Years []struct {
				Year  int            `json:"year"`
				Hours jsonNumberText `json:"hours"`
			}
		}
		w.changan.must(200, "GET", "/api/v1/teachers/"+ta.id+"/credits", nil).json(t, &h)
		for _, y := range h.Years {
			if y.Year == 2022 {
				return string(y.Hours)
			}
		}
		return ""
	}
	if got := hours2022(); got != "78" {
		t.Fatalf("2022 before the audit: %s h", got)
	}

	type entry struct {
		EntryID     string `json:"entry_id"`
		TeacherName string `json:"teacher_name"`
		SourceKind  string `json:"source_kind"`
		ExternalID  string `json:"external_id"`
		Hours       float64
		Outcome     string `json:"outcome"`
		Reason      string `json:"reason"`
	}
	type sample struct {
		Sample struct {
			Seed             string `json:"seed"`
			Algorithm        string `json:"algorithm"`
			PopulationSize   int    `json:"population_size"`
			PopulationDigest string `json:"population_digest"`
			SampleSize       int    `json:"sample_size"`
			Reviewed         int    `json:"reviewed"`
			Upheld           int    `json:"upheld"`
			Revoked          int    `json:"revoked"`
		}
		Entries []entry
	}
	draw := func(c *client, body map[string]any) (string, sample) {
		var r struct{ ID string }
		c.must(201, "POST", "/api/v1/credit-audits", body).json(t, &r)
		var s sample
		c.must(200, "GET", "/api/v1/credit-audits/"+r.ID, nil).json(t, &s)
		return r.ID, s
	}
	id, s := draw(w.changan, map[string]any{"scope": "130102", "count": 3, "seed": "2025年第一轮"})
	if s.Sample.PopulationSize != 4 || s.Sample.SampleSize != 3 || len(s.Entries) != 3 || s.Sample.Algorithm != creditaudit.Algorithm {
		t.Fatalf("county sample: %+v", s)
	}
	// Anyone can repeat the draw from what is recorded: the population
	// (here read again from the read model), the seed and the algorithm.
	pop, err := projections.NewCreditAuditQueries(w.a.svc.Pool).AuditPopulation(ctx, "130102",
		[]credit.SourceKind{credit.SourceCreditBank, credit.SourceImport}, time.Time{}, time.Time{})
	if err != nil || creditaudit.PopulationDigest(pop) != s.Sample.PopulationDigest {
		t.Fatalf("population %d entries, digest differs: %v", len(pop), err)
	}
	var want, got []string
	for _, c := range creditaudit.Select("2025年第一轮", pop, 3) {
		want = append(want, c.EntryID.String())
	}
	for _, e := range s.Entries {
		got = append(got, e.EntryID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sample %v, the algorithm gives %v", got, want)
	}
	// The same seed over the same population: the same entries.
	if _, again := draw(w.changan, map[string]any{"scope": "130102", "count": 3, "seed": "2025年第一轮"}); fmt.Sprint(again.Entries) != fmt.Sprint(s.Entries) {
		t.Fatalf("same seed, another sample: %+v vs %+v", again.Entries, s.Entries)
	}

	// Another county: the sample does not exist for it; it may not draw here.
	for _, r := range []resp{
		w.qiaoxi.do("GET", "/api/v1/credit-audits/"+id, nil),
		w.qiaoxi.do("POST", "/api/v1/credit-audits/"+id+"/entries/"+s.Entries[0].EntryID+"/review", map[string]string{"outcome": "revoked", "reason": "x"}),
	} {
		if r.Status != 404 {
			t.Fatalf("another county: %d %s", r.Status, r.Body)
		}
	}
	if r := w.qiaoxi.do("GET", "/api/v1/credit-audits/"+uuid.NewString(), nil); r.Status != 404 {
		t.Fatalf("missing sample: %d", r.Status)
	}
	if r := w.qiaoxi.do("POST", "/api/v1/credit-audits", map[string]any{"scope": "130102", "count": 1, "seed": "s"}); r.Status != 403 {
		t.Fatalf("another county drew: %d %s", r.Status, r.Body)
	}
	var list struct {
		Items []struct {
			SampleID string `json:"sample_id"`
		}
	}
	w.qiaoxi.must(200, "GET", "/api/v1/credit-audits", nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another county lists %+v", list.Items)
	}

	// Revoke an import, uphold the next entry.
	var imp, other entry
	for _, e := range s.Entries {
		if e.SourceKind == "import" && imp.EntryID == "" {
			imp = e
		} else if other.EntryID == "" {
			other = e
		}
	}
	if imp.EntryID == "" || other.EntryID == "" || imp.TeacherName != "审慎" {
		t.Fatalf("entries: %+v", s.Entries)
	}
	review := func(e entry) string { return "/api/v1/credit-audits/" + id + "/entries/" + e.EntryID + "/review" }
	if r := w.changan.do("POST", review(imp), map[string]string{"outcome": "revoked", "reason": " "}); r.Status != 422 && r.Status != 400 {
		t.Fatalf("no reason: %d %s", r.Status, r.Body)
	}
	w.changan.must(200, "POST", review(imp), map[string]string{"outcome": "revoked", "reason": "原系统无此培训的签到记录"})
	w.changan.must(200, "POST", review(other), map[string]string{"outcome": "upheld", "reason": "证明材料齐全"})
	if r := w.changan.do("POST", review(imp), map[string]string{"outcome": "upheld", "reason": "再看"}); r.Status != 409 || !strings.Contains(string(r.Body), "已经复核") {
		t.Fatalf("second review: %d %s", r.Status, r.Body)
	}
	if got, want := hours2022(), fmt.Sprint(78-imp.Hours); got != want {
		t.Fatalf("2022 after revoking %v h: %s, want %s", imp.Hours, got, want)
	}
	var cr struct {
		Entries []struct {
			EntryID      string `json:"entry_id"`
			Revoked      bool   `json:"revoked"`
			RevokeReason string `json:"revoke_reason"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+ta.id+"/credits", nil).json(t, &cr)
	for _, e := range cr.Entries {
		if revoked := e.EntryID == imp.EntryID; e.Revoked != revoked || (revoked && !strings.Contains(e.RevokeReason, "抽查复核")) {
			t.Fatalf("ledger entry %+v", e)
		}
	}
	w.changan.must(200, "GET", "/api/v1/credit-audits/"+id, nil).json(t, &s)
	if s.Sample.Reviewed != 2 || s.Sample.Revoked != 1 || s.Sample.Upheld != 1 {
		t.Fatalf("progress: %+v", s.Sample)
	}
	var pending sample
	w.changan.must(200, "GET", "/api/v1/credit-audits/"+id+"?pending=true", nil).json(t, &pending)
	if len(pending.Entries) != 1 || pending.Entries[0].Outcome != "" {
		t.Fatalf("queue: %+v", pending.Entries)
	}
	// The city sees the county's sample; the province draws a share of the
	// province, rounded up: 50 % of 4 counting entries (3 left in 130102,
	// 1 in 130104) is 2; 30 % of 4 is 1.2, so 2.
	var one sample
	w.prov.must(200, "GET", "/api/v1/credit-audits/"+id, nil).json(t, &one)
	if _, ps := draw(w.prov, map[string]any{"scope": "13", "share_percent": 30, "seed": "省级抽查"}); ps.Sample.PopulationSize != 4 || ps.Sample.SampleSize != 2 {
		t.Fatalf("province sample: %+v", ps.Sample)
	}
	if r := w.prov.do("POST", "/api/v1/credit-audits", map[string]any{"scope": "13", "share_percent": 2.55, "seed": "s"}); r.Status != 422 && r.Status != 400 {
		t.Fatalf("share with two decimals: %d %s", r.Status, r.Body)
	}

	assertRebuildIdentical(t, w.a)
}
