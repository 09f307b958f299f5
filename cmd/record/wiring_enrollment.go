package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/httpapi/certpdf"
	"github.com/hbte/record/projections"
)

// enrollmentEvents registers the enrollment area's event types.
func enrollmentEvents(r *event.Registry) {
	project.RegisterEvents(r)
	enrollment.RegisterEvents(r)
	institution.RegisterEvents(r)
}

// enrollmentProjections are the enrollment area's read models, and the
// process that withdraws the enrollments of a teacher transferred out of
// the province.
func enrollmentProjections(s *Service) []projections.Projection {
	return []projections.Projection{projections.EnrollmentsProjection{}, commands.NewTransferOutProcess(s.Handlers)}
}

// enrollmentAreas are the enrollment area's routes.
func enrollmentAreas(s *Service) []httpapi.Area {
	return []httpapi.Area{projectArea(s)}
}

// projectArea serves the authenticated routes and, through its
// PublicRoutes, the public ones (certificate verification, JWKS): the server
// mounts those for every area that has them.
func projectArea(s *Service) *httpapi.ProjectArea {
	// A missing CJK font must not stop the service: everything but the
	// PDFs works, and the PDF endpoints say why they cannot.
	pdf, err := certpdf.NewRenderer(certpdf.Fonts{CJK: s.Cfg.FontPath})
	if err != nil {
		s.Log.Warn("certificate PDFs disabled", "err", err)
		pdf = nil
	}
	return &httpapi.ProjectArea{
		Cmd: s.Handlers, Q: projections.NewEnrollmentQueries(s.Pool), PDF: pdf,
		SSO:       &httpapi.SSOKeys{Pool: s.Pool, Issuer: s.Cfg.PublicURL, Now: s.Now},
		PublicURL: s.Cfg.PublicURL,
	}
}

// loadEnrollmentDemo adds a training project to the demo data (call it at
// the end of LoadDemo): an institution with a login, a province project
// with a class, three nominations from two counties, one still awaiting
// the city, one approved with its class notice, and one graded with a
// printable certificate. Every step goes through the command handlers,
// acted by the demo's own accounts.
func (s *Service) loadEnrollmentDemo(ctx context.Context, out io.Writer) error {
	h := s.Handlers
	actor := func(login string) (access.Actor, error) {
		var a access.Actor
		var role string
		err := s.Pool.QueryRow(ctx, `SELECT account_id, role, jurisdiction, display_name FROM auth_accounts WHERE login = $1`, login).
			Scan(&a.UserID, &role, &a.Jurisdiction, &a.Name)
		a.Role = access.Role(role)
		if err != nil {
			return a, fmt.Errorf("demo account %s: %w", login, err)
		}
		return a, nil
	}
	var actors []access.Actor
	for _, login := range []string{"hb_admin", "sjz_admin", "changan_admin", "qiaoxi_admin"} {
		a, err := actor(login)
		if err != nil {
			return err
		}
		actors = append(actors, a)
	}
	province, city, changan, qiaoxi := actors[0], actors[1], actors[2], actors[3]

	inst, err := h.RegisterInstitution(ctx, province, institution.Registration{Name: "河北师范大学继续教育学院", Code: "HEBTU", Contact: "王老师 0311-80789999"})
	if err != nil {
		return fmt.Errorf("institution: %w", err)
	}
	acc, _, err := h.CreateAccount(ctx, province, commands.NewAccount{Login: "hebtu", Role: access.RoleInstitution,
		InstitutionID: inst.ID, DisplayName: "河北师范大学继续教育学院", Password: DemoPassword})
	if err != nil {
		return fmt.Errorf("institution account: %w", err)
	}
	school := access.Actor{UserID: acc.ID, Role: access.RoleInstitution, Name: "河北师范大学继续教育学院", InstitutionID: inst.ID}

	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	proj, err := h.CreateProject(ctx, province, commands.NewProjectInput{Kind: project.KindProvincial, Category: project.CategoryProvincial,
		Owner: "13", Institutions: []uuid.UUID{inst.ID}, Details: project.Details{Name: "2026年省培计划初中骨干教师培训", Year: 2026,
			Mode: project.Mode(2), Start: day(7, 6), End: day(7, 15), Hours: 80, Credits: 8, RemoteURL: "https://learn.hebtu.example/sso/hbte"}})
	if err != nil {
		return fmt.Errorf("project: %w", err)
	}
	class, err := h.ChangeProject(ctx, province, proj.ID, commands.ProjectChange{Action: "add_class", InstitutionID: inst.ID, ClassName: "初中语文一班"})
	if err != nil {
		return fmt.Errorf("class: %w", err)
	}
	for _, c := range []commands.ProjectChange{{Action: "quota", Region: "130102", Count: 2}, {Action: "quota", Region: "130104", Count: 1}, {Action: "open_nomination"}} {
		if _, err := h.ChangeProject(ctx, province, proj.ID, c); err != nil {
			return fmt.Errorf("project %s: %w", c.Action, err)
		}
	}
	teacher := func(first17 string) (uuid.UUID, error) { return h.TeacherByIDNumber(ctx, demoID(first17)) }
	wang, err := teacher("13010219800515011")
	if err != nil {
		return err
	}
	li, err := teacher("13010219880921022")
	if err != nil {
		return err
	}
	zhang, err := teacher("13010419920107035")
	if err != nil {
		return err
	}
	var eids []uuid.UUID
	for _, n := range []struct {
		by access.Actor
		t  uuid.UUID
	}{{changan, wang}, {changan, li}, {qiaoxi, zhang}} {
		res, err := h.Nominate(ctx, n.by, proj.ID, n.t)
		if err != nil {
			return fmt.Errorf("nominate: %w", err)
		}
		eids = append(eids, res.ID)
	}
	notice := enrollment.Notice{ReportDate: time.Date(2026, 7, 5, 6, 30, 0, 0, time.UTC), ReportPlace: "河北师范大学汇华学院报告厅",
		Contact: "王老师 0311-80789999", Notes: "请携带身份证和笔记本电脑"}
	for _, eid := range eids[:2] {
		if _, err := h.CityApprove(ctx, city, eid); err != nil {
			return fmt.Errorf("city approval: %w", err)
		}
		if _, err := h.Approve(ctx, province, eid, inst.ID, class.ID); err != nil {
			return fmt.Errorf("approval: %w", err)
		}
		if _, err := h.PublishNotice(ctx, school, eid, notice); err != nil {
			return fmt.Errorf("notice: %w", err)
		}
	}
	self := access.Actor{UserID: commands.TeacherAccountID(wang), Role: access.RoleTeacher, Name: "王建国", TeacherID: wang}
	if _, err := h.Report(ctx, self, eids[0]); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := h.RecordProgress(ctx, school, eids[0], enrollment.Progress{OnlinePercent: 100, SessionsAttended: 8, SessionsTotal: 8}); err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	// Nomination closes and the training starts before anyone is graded
	// (a grade needs the class to have started).
	if _, err := h.ChangeProject(ctx, province, proj.ID, commands.ProjectChange{Action: "start"}); err != nil {
		return fmt.Errorf("project start: %w", err)
	}
	offline, online := 88.0, 92.0
	if _, _, err := h.PostGrade(ctx, school, eids[0], &offline, &online); err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	// The county's own project, open for nomination: one seat for 长安区,
	// taken by 王建国.
	own, err := h.CreateProject(ctx, changan, commands.NewProjectInput{Kind: project.KindCounty, Category: project.CategoryCounty,
		Owner: "130102", Institutions: []uuid.UUID{inst.ID}, Details: project.Details{Name: "2026年长安区初中教师课堂教学能力提升培训", Year: 2026,
			Mode: project.Mode(2), Start: day(12, 14), End: day(12, 18), Hours: 40, Credits: 4}})
	if err != nil {
		return fmt.Errorf("county project: %w", err)
	}
	for _, c := range []commands.ProjectChange{{Action: "quota", Region: "130102", Count: 1}, {Action: "open_nomination"}} {
		if _, err := h.ChangeProject(ctx, changan, own.ID, c); err != nil {
			return fmt.Errorf("county project %s: %w", c.Action, err)
		}
	}
	if _, err := h.Nominate(ctx, changan, own.ID, wang); err != nil {
		return fmt.Errorf("county nomination: %w", err)
	}
	fmt.Fprintf(out, "Training project %q: institution login hebtu (initial password %s); 王建国 passed with a certificate, 李秀英 has a class notice, 张伟 awaits the city's review.\n",
		"2026年省培计划初中骨干教师培训", DemoPassword)
	return nil
}
