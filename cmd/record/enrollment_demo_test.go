package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hbte/record/domain/enrollment"
)

// TestEnrollmentDemo: the demo's training project is loaded through the
// handlers and shows every list of the personal space.
func TestEnrollmentDemo(t *testing.T) { forBackends(t, testEnrollmentDemo) }

func testEnrollmentDemo(t *testing.T, backend string) {
	a := startApp(t, backend)
	ctx := context.Background()
	var out bytes.Buffer
	if err := a.svc.LoadDemo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "hebtu") {
		t.Fatalf("demo output: %s", out.String())
	}
	inst := a.login("hebtu", DemoPassword, "Hebtu-Demo-Pass-1")
	var roster struct {
		Items []struct {
			TeacherName string `json:"teacher_name"`
			Stage       string `json:"stage"`
			CertNumber  string `json:"certificate_number"`
		} `json:"items"`
	}
	var projects struct {
		Items []struct {
			ID     string
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"items"`
	}
	inst.must(200, "GET", "/api/v1/projects", nil, "X-Consistent-After", lastPosition(t, a)).json(t, &projects)
	if len(projects.Items) != 2 {
		t.Fatalf("institution's projects (the province's and the county's): %+v", projects)
	}
	pid := ""
	for _, p := range projects.Items {
		if p.Name == "2026年省培计划初中骨干教师培训" {
			pid = p.ID
			if p.Status != "in_progress" {
				t.Fatalf("the graded project is %q, want in_progress", p.Status)
			}
		}
	}
	inst.must(200, "GET", "/api/v1/projects/"+pid+"/roster", nil).json(t, &roster)
	got := map[string]string{}
	for _, it := range roster.Items {
		got[it.TeacherName] = it.Stage
		if it.TeacherName == "王建国" && !enrollment.ValidCertificateNumber(it.CertNumber) {
			t.Fatalf("王建国 has no certificate: %+v", it)
		}
	}
	if got["王建国"] != "graded" || got["李秀英"] != "notice_published" || len(got) != 2 {
		t.Fatalf("institution's roster: %+v", got)
	}
}

// lastPosition is the store's newest position, for read-your-writes after
// writes made without HTTP.
func lastPosition(t *testing.T, a *app) string {
	t.Helper()
	p := a.lastEventPosition()
	if p.IsZero() {
		t.Fatal("newest event: the store is empty")
	}
	return p.String()
}
