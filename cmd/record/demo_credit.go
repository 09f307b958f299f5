package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
)

// demoCreditSystem is the earlier system the demo's historical records come
// from.
const demoCreditSystem = "河北省中小学教师继续教育管理系统（2018版）"

// demoCreditTeacher is what the credit demo records for one demo teacher.
type demoCreditTeacher struct {
	first17, name, gender, unit string
	county                      *access.Actor // the admin of the teacher's county
	registeredOn                time.Time     // first registration: starts the cycle
	years                       [2]int        // ethics and annual results, 合格 and 达标, for these years
	fitOn                       time.Time     // fitness confirmed; zero: not yet
	imports                     []demoCreditRecord
}

// demoCreditRecord is one historical training record of the demo.
type demoCreditRecord struct {
	ExternalID, Title, Level, Completed string
	Hours                               int
}

// loadCreditDemo adds the credits and registration area to the demo data
// (call it at the end of LoadDemo, after loadEnrollmentDemo): first
// registrations so each teacher has a cycle, ethics and annual appraisal
// results uploaded by the county admins, historical training records
// imported by the county admins from an earlier system, fitness to teach,
// and a credit bank request awaiting the county. The outcomes differ on
// purpose: 王建国's cycle is due and short of hours (deferred), 张伟's is
// due and complete (pass), 李秀英's runs until 2028 (not due), 刘芳 has no
// registration. Every step goes through the command handlers, acted by the
// demo's own accounts; it does nothing when 王建国 is already registered,
// so calling it twice is harmless.
func (s *Service) loadCreditDemo(ctx context.Context, out io.Writer) error {
	h := s.Handlers
	actors := map[string]access.Actor{}
	for _, login := range []string{"changan_admin", "qiaoxi_admin", "hb_registrar"} {
		a, err := s.demoActor(ctx, login)
		if err != nil {
			return err
		}
		actors[login] = a
	}
	changan, qiaoxi, registrar := actors["changan_admin"], actors["qiaoxi_admin"], actors["hb_registrar"]
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

	teachers := []demoCreditTeacher{
		{first17: "13010219800515011", name: "王建国", gender: "男", unit: "石家庄市第二十五中学", county: &changan,
			registeredOn: day(2021, 9, 1), years: [2]int{2021, 2025}, fitOn: day(2026, 8, 1),
			imports: []demoCreditRecord{
				{"WJG-2021-01", "2021年长安区初中教师全员培训", "县级", "2021-12-20", 40},
				{"WJG-2022-01", "2022年河北省骨干教师网络研修", "省级", "2022-06-30", 90},
			}},
		{first17: "13010219880921022", name: "李秀英", gender: "女", unit: "石家庄市第二十五中学", county: &changan,
			registeredOn: day(2023, 9, 1), years: [2]int{2023, 2025},
			imports: []demoCreditRecord{
				{"LXY-2024-01", "2024年河北省初中语文教师培训", "省级", "2024-07-20", 48},
			}},
		{first17: "13010419920107035", name: "张伟", gender: "男", unit: "石家庄市桥西区实验小学", county: &qiaoxi,
			registeredOn: day(2020, 9, 1), years: [2]int{2020, 2024}, fitOn: day(2025, 7, 1),
			imports: []demoCreditRecord{
				{"ZW-2020-01", "2020年桥西区小学数学教师培训", "县级", "2020-12-18", 60},
				{"ZW-2021-01", "2021年河北省小学骨干教师培训", "省级", "2021-07-16", 90},
				{"ZW-2022-01", "2022年石家庄市小学教师信息技术应用能力提升", "市级", "2022-08-12", 90},
				{"ZW-2023-01", "2023年国培计划小学数学教师研修", "国家级", "2023-07-28", 90},
				{"ZW-2024-01", "2024年桥西区小学教师暑期研修", "县级", "2024-06-28", 60},
			}},
	}
	ids := make([]uuid.UUID, len(teachers))
	for i, tc := range teachers {
		id, err := h.TeacherByIDNumber(ctx, demoID(tc.first17))
		if err != nil {
			return fmt.Errorf("demo teacher %s: %w", tc.name, err)
		}
		ids[i] = id
	}
	reg, err := h.LoadRegistration(ctx, ids[0])
	if err != nil {
		return err
	}
	if reg.History().Registered() {
		fmt.Fprintln(out, "credit demo: already loaded")
		return nil
	}

	annual := map[*access.Actor][]appraisal.Row{}
	ethics := map[*access.Actor][]appraisal.Row{}
	imports := map[*access.Actor][]commands.CreditImportRow{}
	for i, tc := range teachers {
		if _, err := h.RecordFirstRegistration(ctx, registrar, ids[i], tc.registeredOn, "首次注册"); err != nil {
			return fmt.Errorf("first registration of %s: %w", tc.name, err)
		}
		idNumber := demoID(tc.first17)
		for y := tc.years[0]; y <= tc.years[1]; y++ {
			row := appraisal.Row{Year: strconv.Itoa(y), Name: tc.name, IDNumber: idNumber, Gender: tc.gender, Unit: tc.unit}
			a, e := row, row
			a.Result = "合格"
			e.Result, e.SeriousBreach = "达标", "否"
			annual[tc.county] = append(annual[tc.county], a)
			ethics[tc.county] = append(ethics[tc.county], e)
		}
		for _, r := range tc.imports {
			imports[tc.county] = append(imports[tc.county], commands.CreditImportRow{
				Line: len(imports[tc.county]) + 2, IDNumber: idNumber, Name: tc.name, Year: r.Completed[:4], CompletedOn: r.Completed,
				Level: r.Level, Category: "培训", Hours: strconv.Itoa(r.Hours), Title: r.Title, ExternalID: r.ExternalID})
		}
		if !tc.fitOn.IsZero() {
			if _, err := h.ConfirmFitness(ctx, registrar, ids[i], tc.fitOn, "注册申请体检合格"); err != nil {
				return fmt.Errorf("fitness of %s: %w", tc.name, err)
			}
		}
	}
	for _, admin := range []*access.Actor{&changan, &qiaoxi} {
		for _, up := range []struct {
			kind appraisal.Kind
			name string
			rows []appraisal.Row
		}{{appraisal.KindAnnual, "年度考核.xlsx", annual[admin]}, {appraisal.KindEthics, "师德考核.xlsx", ethics[admin]}} {
			if err := demoUploadAppraisals(ctx, h, *admin, up.kind, up.name, up.rows); err != nil {
				return err
			}
		}
		rep, err := h.ImportCredits(ctx, *admin, demoCreditSystem, imports[admin])
		if err != nil {
			return fmt.Errorf("credit import by %s: %w", admin.Name, err)
		}
		if rep.Rejected > 0 {
			return fmt.Errorf("credit import by %s: %d rows rejected: %+v", admin.Name, rep.Rejected, rep.Errors)
		}
	}

	// A credit bank request of 王建国, waiting in Chang'an's queue: the
	// school-based research that would help close his gap in hours.
	self := access.Actor{UserID: commands.TeacherAccountID(ids[0]), Role: access.RoleTeacher, Name: teachers[0].name, TeacherID: ids[0]}
	files := commands.NewFileStore(s.Pool, s.Now)
	evidence, err := files.Put(ctx, self, commands.FileAttachment, "校本研修结业证明.pdf", "application/pdf", demoPDF("2025年大单元教学校本研修 结业证明 王建国 24学时"))
	if err != nil {
		return fmt.Errorf("credit bank evidence: %w", err)
	}
	if _, err := h.SubmitBankRequest(ctx, self, credit.Submission{TeacherID: ids[0], Kind: credit.BankSchoolBased,
		Title: "2025年大单元教学校本研修", Organiser: "石家庄市第二十五中学", Level: credit.LevelSchool,
		StartOn: day(2025, 3, 1), EndOn: day(2025, 6, 30), ClaimedHours: credit.Whole(24), Evidence: []file.FileRef{evidence}}); err != nil {
		return fmt.Errorf("credit bank request: %w", err)
	}

	fmt.Fprintf(out, "Credits and registration: 王建国 is due and short of hours (a credit bank request awaits changan_admin), 张伟 is due and passes, "+
		"李秀英's cycle runs until %s, 刘芳 has no registration; historical records from %q.\n",
		teachers[1].registeredOn.AddDate(5, 0, -1).Format(time.DateOnly), demoCreditSystem)
	return nil
}

// demoActor is a demo account as the actor it signs in as.
func (s *Service) demoActor(ctx context.Context, login string) (access.Actor, error) {
	var a access.Actor
	var role string
	err := s.Pool.QueryRow(ctx, `SELECT account_id, role, jurisdiction, display_name FROM auth_accounts WHERE login = $1`, login).
		Scan(&a.UserID, &role, &a.Jurisdiction, &a.Name)
	if err != nil {
		return a, fmt.Errorf("demo account %s: %w", login, err)
	}
	a.Role = access.Role(role)
	return a, nil
}

// demoUploadAppraisals uploads results as a county admin does, as a file
// whose content is its rows, and fails on any row the upload refuses.
func demoUploadAppraisals(ctx context.Context, h *commands.Handlers, admin access.Actor, kind appraisal.Kind, name string, rows []appraisal.Row) error {
	var content strings.Builder
	lines := make([]int, len(rows))
	for i, r := range rows {
		fmt.Fprintf(&content, "%s,%s,%s,%s,%s,%s,%s\n", r.Year, r.Name, r.IDNumber, r.Gender, r.Unit, r.Result, r.SeriousBreach)
		lines[i] = i + 2
	}
	sum := sha256.Sum256([]byte(string(kind) + "\n" + content.String()))
	res, err := h.UploadAppraisals(ctx, admin, commands.AppraisalUpload{Kind: kind, FileName: name, FileSHA256: hex.EncodeToString(sum[:]), Rows: rows, Lines: lines})
	if err != nil {
		return fmt.Errorf("%s upload by %s: %w", kind, admin.Name, err)
	}
	if n := len(res.Batch.Errors); n > 0 {
		return fmt.Errorf("%s upload by %s: %d rows refused: %+v", kind, admin.Name, n, res.Batch.Errors)
	}
	return nil
}

// demoPDF is a minimal one-page PDF naming text, enough for a viewer to
// open the demo's evidence.
func demoPDF(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% " + text + "\ntrailer<</Root 1 0 R>>\n%%EOF\n")
}
