package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/hbte/record/domain/ident"
)

// Impossible dates and amounts are refused, per row in imports (issue 10,
// item 4): training completed in the future, absurd hours (a policy's
// limits, the national 500 h per training by default), a first
// registration in the future, a policy for a region that does not exist or
// effective before 2018.
func TestImpossibleDatesAndAmountsAreRefused(t *testing.T) {
	forBackends(t, testImpossibleDatesAndAmountsAreRefused)
}

func testImpossibleDatesAndAmountsAreRefused(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("孙实", "130102")
	next := time.Now().In(ident.ChinaTime).Year() + 1
	line := func(year int, day, hours, ext string) string {
		return fmt.Sprintf("%s,孙实,%d,%s,30,培训,%s,1,继续教育培训,%s", tc.idNumber, year, day, hours, ext)
	}
	file := cwCSV(cwImportHeader,
		line(2021, "2021-05-01", "40", "P1"),                  // 2: granted
		line(next, fmt.Sprintf("%d-03-01", next), "40", "P2"), // 3: completed in the future
		line(2021, "2021-06-01", "100000", "P3"),              // 4: absurd hours
		line(next, "", "40", "P4"),                            // 5: a year not begun (31 Dec assumed)
		line(2021, "2021-07-01", "480", "P5"),                 // 6: 520 h in 2021: within one entry, over no year limit
		line(2021, "2021-08-01", "490", "P6"),                 // 7: 1,010 h in 2021: over the year's 1,000
	)
	var rep struct {
		Granted, Rejected int
		Errors            []struct {
			Row    int
			Field  string
			Reason string
		}
	}
	w.changan.creditUpload(200, "/api/v1/credit-imports", "old.csv", "text/csv", file, "system", "旧平台").json(t, &rep)
	fields := map[int]string{}
	for _, e := range rep.Errors {
		fields[e.Row] = e.Field
	}
	if rep.Granted != 2 || rep.Rejected != 4 || fields[3] != "completed_on" || fields[4] != "hours" || fields[5] != "completed_on" || fields[7] != "hours" {
		t.Fatalf("report: %+v", rep)
	}

	// A province's own limits are policy data.
	w.prov.must(201, "POST", "/api/v1/registration-policies", map[string]any{"version": "hebei-limits", "scope": "13",
		"effective_from": "2018-01-01", "cycle_years": 5, "min_cycle_hours": 360, "max_unapproved_absence_days": 183,
		"max_entry_hours": 120})
	w.changan.creditUpload(200, "/api/v1/credit-imports", "more.csv", "text/csv",
		cwCSV(cwImportHeader, line(2022, "2022-05-01", "121", "P7"), line(2022, "2022-05-02", "120", "P8")), "system", "旧平台").json(t, &rep)
	if rep.Granted != 1 || rep.Rejected != 1 || rep.Errors[0].Row != 2 || rep.Errors[0].Field != "hours" {
		t.Fatalf("under the province's 120 h: %+v", rep)
	}

	for name, body := range map[string]map[string]any{
		"a region that does not exist": {"version": "x1", "scope": "139999", "effective_from": "2024-01-01"},
		"effective 1900-01-01":         {"version": "x2", "scope": "13", "effective_from": "1900-01-01"},
	} {
		body["cycle_years"], body["min_cycle_hours"], body["max_unapproved_absence_days"] = 5, 360, 183
		if r := w.prov.do("POST", "/api/v1/registration-policies", body); r.Status != 422 {
			t.Errorf("a policy for %s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := w.registrar.do("POST", "/api/v1/teachers/"+tc.id+"/registration/first", map[string]string{"on": "2030-01-01"}); r.Status != 422 {
		t.Fatalf("a first registration dated 2030: %d %s", r.Status, r.Body)
	}
}
