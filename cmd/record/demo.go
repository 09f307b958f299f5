package main

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
	"github.com/hbte/record/eventstore"
)

// DemoPassword is the initial password of every demo admin account; each
// must change it at first login, as real accounts do.
const DemoPassword = "Demo2026!"

// CreateProvinceAdmin creates a province admin from the CLI (the system
// actor). An empty password generates one.
func (s *Service) CreateProvinceAdmin(ctx context.Context, login, name, password string) (string, error) {
	_, pw, err := s.Handlers.CreateAccount(ctx, access.System("cli"), commands.NewAccount{
		Login: login, Role: access.RoleProvinceAdmin, Jurisdiction: "13", DisplayName: name, Password: password,
	})
	return pw, err
}

// demoID builds a valid resident ID number from its first 17 digits.
func demoID(first17 string) string { return first17 + string(ident.CheckChar(first17)) }

// LoadDemo fills an EMPTY store with a small piece of Hebei: admins of
// Shijiazhuang and two of its districts, two schools, four teachers and some
// history (an edit, a pending correction, a key-field correction, a pending
// transfer). It does nothing when the store already has events.
func (s *Service) LoadDemo(ctx context.Context, out io.Writer) error {
	existing, err := s.Store.ReadAll(ctx, eventstore.Start, 1)
	if err != nil {
		return err
	}
	// The feed shows an event only once every older transaction on the
	// server has ended; the first demo login is there at once.
	taken, err := s.Creds.LoginTaken(ctx, "hb_admin")
	if err != nil {
		return err
	}
	if len(existing) > 0 || taken {
		fmt.Fprintln(out, "demo: the store already has events; nothing loaded")
		return nil
	}
	h := s.Handlers
	sys := access.System("demo")
	type admin struct {
		login, name string
		role        access.Role
		region      string
	}
	admins := []admin{
		{"hb_admin", "河北省项目管理员", access.RoleProvinceAdmin, "13"},
		{"sjz_admin", "石家庄市管理员", access.RoleCityAdmin, "1301"},
		{"changan_admin", "长安区管理员", access.RoleCountyAdmin, "130102"},
		{"qiaoxi_admin", "桥西区管理员", access.RoleCountyAdmin, "130104"},
		{"hb_auditor", "省级审计员", access.RoleAuditor, "13"},
		{"hb_registrar", "河北省教师资格注册机构", access.RoleRegistrar, "13"},
	}
	actors := map[string]access.Actor{}
	for _, a := range admins {
		res, _, err := h.CreateAccount(ctx, sys, commands.NewAccount{Login: a.login, Role: a.role, Jurisdiction: a.region, DisplayName: a.name, Password: DemoPassword})
		if err != nil {
			return fmt.Errorf("account %s: %w", a.login, err)
		}
		actors[a.login] = access.Actor{UserID: res.ID, Role: a.role, Name: a.name, Jurisdiction: a.region}
	}
	changan, qiaoxi := actors["changan_admin"], actors["qiaoxi_admin"]

	school, err := h.RegisterUnit(ctx, changan, unit.Registration{Name: "石家庄市第二十五中学", County: "130102", Area: "1", Category: "341", Stage: "3"})
	if err != nil {
		return fmt.Errorf("unit: %w", err)
	}
	primary, err := h.RegisterUnit(ctx, qiaoxi, unit.Registration{Name: "石家庄市桥西区实验小学", County: "130104", Area: "1", Category: "211", Stage: "2"})
	if err != nil {
		return fmt.Errorf("unit: %w", err)
	}

	type person struct {
		admin access.Actor
		unit  uuid.UUID
		p     teacher.Profile
	}
	people := []person{
		{changan, school.ID, teacher.Profile{Name: "王建国", IDType: "1", IDNumber: demoID("13010219800515011"), WorkStart: "2003-08",
			CertificateType: "3", CertificateNumber: "20031301031000123", Ethnicity: "01", MainStage: "3", MainSubject: "02", Mobile: "13803110001"}},
		{changan, school.ID, teacher.Profile{Name: "李秀英", IDType: "1", IDNumber: demoID("13010219880921022"), WorkStart: "2010-09",
			CertificateType: "4", CertificateNumber: "20101301042000456", Ethnicity: "01", MainStage: "4", MainSubject: "01", Mobile: "13803110002"}},
		{qiaoxi, primary.ID, teacher.Profile{Name: "张伟", IDType: "1", IDNumber: demoID("13010419920107035"), WorkStart: "2014-09",
			CertificateType: "2", CertificateNumber: "20141301021000789", Ethnicity: "11", MainStage: "2", MainSubject: "03", Mobile: "13803110003"}},
		{qiaoxi, primary.ID, teacher.Profile{Name: "刘芳", IDType: "1", IDNumber: demoID("13010419950630048"), WorkStart: "2017-09",
			CertificateType: "2", CertificateNumber: "20171301022000321", Ethnicity: "01", MainStage: "2", MainSubject: "02", Mobile: "13803110004"}},
	}
	var ids []uuid.UUID
	for _, p := range people {
		reg, err := h.RegisterTeacher(ctx, p.admin, commands.RegisterTeacher{Profile: p.p, UnitID: p.unit})
		if err != nil {
			return fmt.Errorf("teacher %s: %w", p.p.Name, err)
		}
		ids = append(ids, reg.ID)
	}
	self := func(i int) access.Actor {
		return access.Actor{UserID: commands.TeacherAccountID(ids[i]), Role: access.RoleTeacher, Name: people[i].p.Name, TeacherID: ids[i]}
	}
	if _, err := h.EditTeacher(ctx, self(0), ids[0], map[string]string{"political_status": "01", "marital_status": "20"}, "", nil); err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	if _, _, err := h.RequestCorrection(ctx, self(1), ids[1], "name", "李秀瑛", "身份证上的名字是“瑛”，录入时写成了“英”", nil); err != nil {
		return fmt.Errorf("correction request: %w", err)
	}
	if _, err := h.CorrectKeyFields(ctx, qiaoxi, ids[2], map[string]string{"work_start": "2014-08"}, "按人事档案更正参加工作年月", ""); err != nil {
		return fmt.Errorf("key-field correction: %w", err)
	}
	if _, _, err := h.StartTransfer(ctx, qiaoxi, ids[3], "130102", school.ID, "调入石家庄市第二十五中学"); err != nil {
		return fmt.Errorf("transfer: %w", err)
	}

	if err := s.loadEnrollmentDemo(ctx, out); err != nil {
		return fmt.Errorf("training demo: %w", err)
	}
	if err := s.loadCreditDemo(ctx, out); err != nil {
		return fmt.Errorf("credit demo: %w", err)
	}

	fmt.Fprintf(out, "demo data loaded. Admin logins (initial password %s, to be changed at first login):\n", DemoPassword)
	for _, a := range admins {
		fmt.Fprintf(out, "  %-14s %s (%s)\n", a.login, a.name, a.role.Label())
	}
	fmt.Fprintln(out, "Teacher logins are their ID numbers; the initial password is the last six characters:")
	for _, p := range people {
		fmt.Fprintf(out, "  %s %s / %s\n", p.p.Name, p.p.IDNumber, commands.InitialPassword(p.p.IDNumber))
	}
	return nil
}
