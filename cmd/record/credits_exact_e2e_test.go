package main

import (
	"bytes"
	"fmt"
	"testing"
)

// Hours and credits carry one decimal place through the importer, the
// credit bank and the read models, and add up exactly (issue 10, item 2).
func TestCreditFractionsAreExact(t *testing.T) { forBackends(t, testCreditFractionsAreExact) }

func testCreditFractionsAreExact(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("钱半", "130102")
	line := func(hours, credits, ext string) string {
		return fmt.Sprintf("%s,钱半,2021,2021-05-01,30,培训,%s,%s,继续教育培训,%s", tc.idNumber, hours, credits, ext)
	}
	file := cwCSV(cwImportHeader,
		line("12.5", "0.5", "F1"), // 2: granted
		line("0.1", "0", "F2"),    // 3: granted
		line("0.25", "1", "F3"),   // 4: two decimal places: refused, not rounded
		line("8", "0.75", "F4"),   // 5: credits with two places: refused
		line("1e2", "1", "F5"),    // 6: not a plain decimal
	)
	var rep struct {
		Rows, Granted, Rejected int
		Errors                  []struct {
			Row    int
			Field  string
			Reason string
		}
	}
	w.changan.creditUpload(200, "/api/v1/credit-imports", "old.csv", "text/csv", file, "system", "旧平台").json(t, &rep)
	if rep.Granted != 2 || rep.Rejected != 3 {
		t.Fatalf("report: %+v", rep)
	}
	fields := map[int]string{}
	for _, e := range rep.Errors {
		fields[e.Row] = e.Field
	}
	if fields[4] != "hours" || fields[5] != "credits" || fields[6] != "hours" {
		t.Fatalf("row errors: %+v", rep.Errors)
	}

	me := w.loginTeacher(tc)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 100)...)
	var ref map[string]any
	me.creditUpload(201, "/api/v1/files", "证明.pdf", "application/pdf", pdf).json(t, &ref)
	sub := map[string]any{"kind": "off_platform", "title": "半天研讨", "organiser": "市教研室", "level": "30",
		"start_on": "2021-04-10", "end_on": "2021-04-10", "claimed_hours": 3.5, "evidence": []any{ref}}
	var req struct{ ID string }
	me.must(201, "POST", "/api/v1/credit-bank", sub).json(t, &req)
	sub["claimed_hours"] = 3.55
	if r := me.do("POST", "/api/v1/credit-bank", sub); r.Status != 422 {
		t.Fatalf("claimed 3.55 h: %d %s", r.Status, r.Body)
	}
	if r := w.changan.do("POST", "/api/v1/credit-bank/"+req.ID+"/recognise", map[string]any{"hours": 3.45}); r.Status != 422 {
		t.Fatalf("recognised 3.45 h: %d %s", r.Status, r.Body)
	}
	w.changan.must(200, "POST", "/api/v1/credit-bank/"+req.ID+"/recognise", map[string]any{"hours": 3.4, "credits": 0.2})

	var h struct {
		Entries []struct {
			Hours   float64 `json:"hours"`
			Credits float64 `json:"credits"`
		}
		Years []struct {
			Year    int            `json:"year"`
			Hours   jsonNumberText `json:"hours"`
			Credits jsonNumberText `json:"credits"`
		}
	}
	me.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
	// 12.5 + 0.1 + 3.4 = 16 exactly; credits 0.5 + 0 + 0.2 = 0.7.
	if len(h.Entries) != 3 || len(h.Years) < 9 || h.Years[3].Year != 2021 || h.Years[3].Hours != "16" || h.Years[3].Credits != "0.7" {
		t.Fatalf("history: %+v", h)
	}
	var bank struct {
		Items []struct {
			ClaimedHours    jsonNumberText `json:"claimed_hours"`
			RecognisedHours jsonNumberText `json:"recognised_hours"`
		}
	}
	me.must(200, "GET", "/api/v1/credit-bank", nil).json(t, &bank)
	if len(bank.Items) != 1 || bank.Items[0].ClaimedHours != "3.5" || bank.Items[0].RecognisedHours != "3.4" {
		t.Fatalf("my requests: %+v", bank.Items)
	}
}

// jsonNumberText keeps a JSON number's text, so a test sees "0.7", not a
// float that merely prints like it.
type jsonNumberText string

func (n *jsonNumberText) UnmarshalJSON(b []byte) error { *n = jsonNumberText(b); return nil }
