package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/web"
)

// BenchmarkPersonalSpace renders the teacher's personal space, server side
// and with its queries, for a teacher with 100 finished trainings and
// credit records in 8 years (2018-2025). Each page is compared with the
// JSON API answer of the same data measured in the same run (x-json: how
// much the page costs over the bare query and encoding).
//
//	go test -run '^$' -bench PersonalSpace -benchtime 200x ./cmd/record/
func BenchmarkPersonalSpace(b *testing.B) {
	svc, handler, cookie, stop := personalSpaceFixture(b)
	defer stop()
	_ = svc
	get := func(path string, headers ...string) int {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
		}
		return rec.Body.Len()
	}
	perOp := func(n int, f func()) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		return time.Since(start) / time.Duration(n)
	}
	for _, page := range []struct{ name, html, json string }{
		{"trainings", "/me/trainings", "/api/v1/me/trainings"},
		{"credits", "/me/credits", "/api/v1/teachers/{id}/credits"},
		{"basic-info", "/me", "/api/v1/teachers/{id}"},
		{"history", "/me/history", "/api/v1/teachers/{id}/history"},
	} {
		b.Run(page.name, func(b *testing.B) {
			jsonPath := strings.ReplaceAll(page.json, "{id}", svc.teacherID.String())
			size := get(page.html) // warm up both
			get(jsonPath)
			baseline := perOp(100, func() { get(jsonPath) })
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				get(page.html)
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/page")
			b.ReportMetric(float64(baseline.Microseconds())/1000, "ms/json")
			b.ReportMetric(float64(per)/float64(baseline), "x-json")
			b.ReportMetric(float64(size)/1024, "KB/page")
		})
	}
}

type benchService struct {
	*Service
	teacherID uuid.UUID
}

// personalSpaceFixture is the demo data plus, for 王建国, 100 finished
// trainings (projects of 2018-2025, through every step of the pipeline)
// and 24 imported credit records, 3 a year.
func personalSpaceFixture(b *testing.B) (*benchService, http.Handler, *http.Cookie, func()) {
	b.Helper()
	pool := pgtest.New(b)
	store := postgres.New(pool)
	cfg := ConfigFromEnv()
	cfg.BcryptCost = 4
	svc := Wire(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, store, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Runner.Run(ctx) }()
	stop := func() { cancel(); <-done; store.Close() }
	if err := svc.LoadDemo(ctx, io.Discard); err != nil {
		b.Fatal(err)
	}
	actor := func(login string) access.Actor {
		var a access.Actor
		var role string
		if err := pool.QueryRow(ctx, `SELECT account_id, role, jurisdiction, display_name FROM auth_accounts WHERE login = $1`, login).
			Scan(&a.UserID, &role, &a.Jurisdiction, &a.Name); err != nil {
			b.Fatalf("account %s: %v", login, err)
		}
		a.Role = access.Role(role)
		return a
	}
	province, city, county := actor("hb_admin"), actor("sjz_admin"), actor("changan_admin")
	h := svc.Handlers
	idNumber := demoID("13010219800515011")
	tid, err := h.TeacherByIDNumber(ctx, idNumber)
	if err != nil {
		b.Fatal(err)
	}
	self := access.Actor{UserID: commands.TeacherAccountID(tid), Role: access.RoleTeacher, Name: "王建国", TeacherID: tid}
	inst, err := h.RegisterInstitution(ctx, province, institution.Registration{Name: "基准测试培训学院", Code: "BENCH", Contact: "张老师"})
	if err != nil {
		b.Fatal(err)
	}
	acc, _, err := h.CreateAccount(ctx, province, commands.NewAccount{Login: "bench_inst", Role: access.RoleInstitution,
		InstitutionID: inst.ID, DisplayName: "基准测试培训学院", Password: DemoPassword})
	if err != nil {
		b.Fatal(err)
	}
	school := access.Actor{UserID: acc.ID, Role: access.RoleInstitution, Name: "基准测试培训学院", InstitutionID: inst.ID}
	must := func(what string, err error) {
		if err != nil {
			b.Fatalf("%s: %v", what, err)
		}
	}
	for i := 0; i < 100; i++ {
		year := 2018 + i%8
		startDay := time.Date(year, time.Month(1+i%12), 1+i%20, 0, 0, 0, 0, time.UTC)
		p, err := h.CreateProject(ctx, province, commands.NewProjectInput{Kind: project.KindProvincial, Category: project.CategoryProvincial,
			Owner: "13", Institutions: []uuid.UUID{inst.ID}, Details: project.Details{Name: fmt.Sprintf("%d年省级教师培训第%d期", year, i+1), Year: year,
				Mode: project.Mode(3), Start: startDay, End: startDay.AddDate(0, 0, 5), Hours: 24, Credits: 2}})
		must("project", err)
		class, err := h.ChangeProject(ctx, province, p.ID, commands.ProjectChange{Action: "add_class", InstitutionID: inst.ID, ClassName: "一班"})
		must("class", err)
		for _, c := range []commands.ProjectChange{{Action: "quota", Region: "130102", Count: 5}, {Action: "open_nomination"}} {
			_, err := h.ChangeProject(ctx, province, p.ID, c)
			must(c.Action, err)
		}
		e, err := h.Nominate(ctx, county, p.ID, tid)
		must("nominate", err)
		_, err = h.CityApprove(ctx, city, e.ID)
		must("city", err)
		_, err = h.Approve(ctx, province, e.ID, inst.ID, class.ID)
		must("approve", err)
		_, err = h.PublishNotice(ctx, school, e.ID, enrollment.Notice{ReportDate: startDay, ReportPlace: "线上", Contact: "张老师"})
		must("notice", err)
		_, err = h.Report(ctx, self, e.ID)
		must("report", err)
		_, err = h.RecordProgress(ctx, school, e.ID, enrollment.Progress{OnlinePercent: 100, SessionsAttended: 4, SessionsTotal: 4})
		must("progress", err)
		_, err = h.ChangeProject(ctx, province, p.ID, commands.ProjectChange{Action: "start"})
		must("start", err)
		off, on := 80.0+float64(i%20), 85.0
		_, _, err = h.PostGrade(ctx, school, e.ID, &off, &on)
		must("grade", err)
	}
	var rows []commands.CreditImportRow
	for year := 2018; year <= 2025; year++ {
		for k := 0; k < 3; k++ {
			rows = append(rows, commands.CreditImportRow{Line: len(rows) + 2, IDNumber: idNumber, Name: "王建国", Year: fmt.Sprint(year),
				CompletedOn: fmt.Sprintf("%d-%02d-15", year, 3+k*3), Level: "40", Category: "培训", Hours: "12", Credits: "1",
				Title: fmt.Sprintf("%d年区县教研活动第%d次", year, k+1), ExternalID: fmt.Sprintf("OLD-%d-%d", year, k)})
		}
	}
	rep, err := h.ImportCredits(ctx, county, "河北省中小学教师继续教育管理系统（2018版）", rows)
	if err != nil || rep.Rejected > 0 {
		b.Fatalf("import: %v %+v", err, rep.Errors)
	}
	// The teacher's own session, as the browser holds it.
	tok, _, err := svc.Creds.NewSession(ctx, self.UserID, "127.0.0.1", "bench")
	must("session", err)
	must("password", svc.Creds.SetPassword(ctx, self.UserID, "Jianguo#2026", false, tok))
	waitCtx, wc := context.WithTimeout(ctx, 2*time.Minute)
	defer wc()
	must("read models", svc.Runner.WaitFor(waitCtx, rep.Position))
	return &benchService{Service: svc, teacherID: tid}, svc.Handler, &http.Cookie{Name: web.SessionCookie, Value: tok}, stop
}
