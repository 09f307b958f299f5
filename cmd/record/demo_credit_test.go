package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

// TestCreditDemo: the credit demo, loaded after LoadDemo through the
// handlers, gives the registration check, the credit history and the
// county's credit bank queue something to show, and loads once.
func TestCreditDemo(t *testing.T) { forBackends(t, testCreditDemo) }

func testCreditDemo(t *testing.T, backend string) {
	a := startApp(t, backend)
	ctx := context.Background()
	var out bytes.Buffer
	if err := a.svc.LoadDemo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	// LoadDemo may already call loadCreditDemo; either way the data is
	// there once after this call, and another call adds nothing.
	if err := a.svc.loadCreditDemo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Credits and registration") {
		t.Fatalf("demo output: %s", out.String())
	}
	before := lastPosition(t, a)
	out.Reset()
	if err := a.svc.loadCreditDemo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already loaded") || lastPosition(t, a) != before {
		t.Fatalf("a second load wrote events: %s", out.String())
	}

	id := func(first17 string) string {
		t.Helper()
		v, err := a.svc.Handlers.TeacherByIDNumber(ctx, demoID(first17))
		if err != nil {
			t.Fatal(err)
		}
		return v.String()
	}
	wang, li, zhang := id("13010219800515011"), id("13010219880921022"), id("13010419920107035")
	registrar := a.login("hb_registrar", DemoPassword, "Registrar-Demo-1")
	changan := a.login("changan_admin", DemoPassword, "Changan-Demo-1")

	check := func(teacherID string) cwCheck {
		t.Helper()
		var c cwCheck
		registrar.must(200, "GET", "/api/v1/teachers/"+teacherID+"/registration/check", nil, "X-Consistent-After", before).json(t, &c)
		return c
	}
	// 王建国: every year's appraisal and ethics in, fitness confirmed, only
	// hours missing (130 imported, plus the training project's if granted).
	c := check(wang)
	if c.Outcome != "deferred" || !slices.Equal(c.codes(), []string{"hours_short"}) || c.Progress.Hours < 130 || c.Progress.Hours >= 360 ||
		c.Cycle.Start.Format("2006-01-02") != "2021-09-01" {
		t.Errorf("王建国's check: %+v", c)
	}
	if c := check(zhang); c.Outcome != "pass" || c.Progress.Hours != 390 {
		t.Errorf("张伟's check: %+v", c)
	}
	if c := check(li); c.Outcome != "not_due" || c.Progress.Hours != 48 {
		t.Errorf("李秀英's check: %+v", c)
	}

	var h struct {
		Entries []struct {
			Imported     bool   `json:"imported"`
			SourceSystem string `json:"source_system"`
			ExternalID   string `json:"external_id"`
			Hours        int    `json:"hours"`
		}
	}
	changan.must(200, "GET", "/api/v1/teachers/"+wang+"/credits", nil, "X-Consistent-After", before).json(t, &h)
	var imported []string
	for _, e := range h.Entries {
		if e.Imported && e.SourceSystem == demoCreditSystem {
			imported = append(imported, e.ExternalID)
		}
	}
	if !slices.Equal(imported, []string{"WJG-2021-01", "WJG-2022-01"}) {
		t.Errorf("王建国's credit history: %+v", h.Entries)
	}

	var queue struct {
		Items []struct {
			TeacherName string `json:"teacher_name"`
			Status      string `json:"status"`
		} `json:"items"`
	}
	changan.must(200, "GET", "/api/v1/credit-bank", nil, "X-Consistent-After", before).json(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].Status != "pending" {
		t.Errorf("Chang'an's credit bank queue: %+v", queue.Items)
	}
}
