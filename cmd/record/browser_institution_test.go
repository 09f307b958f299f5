package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/ident"
)

// The institution: hebtu opens its class, sees the roster with masked ID
// numbers, publishes the class notice, and (once 李秀英 has reported)
// uploads a grade file with one bad row, which is reported with its row
// number and a downloadable report; the good rows grade 李秀英, whose
// certificate appears in the roster, and she downloads its PDF from her
// own trainings page.
func TestBrowserInstitutionStory(t *testing.T) {
	a := demoApp(t)
	ctx := context.Background()
	wangID, liID, zhangID := demoID("13010219800515011"), demoID("13010219880921022"), demoID("13010419920107035")

	inst := a.newPerson("河北师范大学")
	inst.loginChanged("hebtu", DemoPassword, "Hebtu#2026ok")
	if got := inst.path(); got != "/institution" {
		t.Fatalf("the institution lands on %s, want /institution", got)
	}
	inst.see("2026年省培计划初中骨干教师培训", "80 学时 / 8 学分")
	inst.click("初中语文一班")
	inst.seeIn("王建国", "已结业")
	inst.seeIn("王建国", "合格")
	inst.seeIn("李秀英", "已发布开班通知")
	inst.notSee(wangID) // ID numbers masked
	inst.notSee(liID)
	inst.notSee("张伟") // not assigned (awaits the city)
	// The form starts from the notice the class already has.
	if v := eval[string](inst, `document.getElementById("n-place").value`); v != "河北师范大学汇华学院报告厅" {
		t.Fatalf("notice place prefilled with %q", v)
	}
	inst.shot("institution-class")

	// A notice without a place is refused next to the field.
	inst.fill("报到地点", " ")
	inst.click("发布报到通知")
	inst.see("报到地点不能为空")
	inst.fill("报到日期", "2026-07-05")
	inst.fill("报到时间", "14:30")
	inst.fill("报到地点", "河北师范大学东区图书馆报告厅")
	inst.fill("联系人及电话", "李老师 0311-80780000")
	inst.fill("注意事项", "请携带身份证")
	inst.click("发布报到通知")
	inst.see("已向 1 名学员发布报到通知")
	e := enrollmentOf(t, a, liID)
	if n, ok := e.Notice(); !ok || n.ReportPlace != "河北师范大学东区图书馆报告厅" || n.ReportDate.In(ident.ChinaTime).Format("2006-01-02 15:04") != "2026-07-05 14:30" {
		t.Fatalf("李秀英's notice: %+v", n)
	}

	// 李秀英 reports (her own action on her trainings page).
	liTeacher, err := a.svc.Handlers.TeacherByIDNumber(ctx, liID)
	if err != nil {
		t.Fatal(err)
	}
	li := access.Actor{UserID: commands.TeacherAccountID(liTeacher), Role: access.RoleTeacher, Name: "李秀英", TeacherID: liTeacher}
	if _, err := a.svc.Handlers.Report(ctx, li, e.ID()); err != nil {
		t.Fatalf("report: %v", err)
	}

	// The grade file: 王建国 again with his posted scores (unchanged),
	// 张伟 who is not in this class (the bad row 3), 李秀英 passing.
	csv := "身份证号,姓名,集中学习成绩,网络学习成绩\n" +
		wangID + ",王建国,88,92\n" +
		zhangID + ",张伟,70,80\n" +
		liID + ",李秀英,85,90\n"
	file := filepath.Join(t.TempDir(), "成绩.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	inst.open(inst.path())
	inst.click("上传成绩")
	inst.see("请选择要上传的成绩文件")
	inst.upload("成绩文件（.xlsx 或 .csv）", file)
	inst.click("上传成绩")
	inst.see("有 1 行未能导入", "共 3 行：新发布 1 条，未变 1 条，出错 1 行")
	if got := rowCells(inst, "第 3 行"); len(got) != 3 || got[0] != "第 3 行" || !strings.Contains(got[2], "不在本机构") && !strings.Contains(got[2], "未参加本项目") {
		t.Fatalf("the bad row: %q", got)
	}
	inst.seeIn("李秀英", "合格")
	inst.seeIn("李秀英", "证书PDF")
	inst.shot("institution-grades")
	ctype, report := inst.download("下载错误报告")
	if !strings.HasPrefix(ctype, "text/csv") || !strings.Contains(string(report), "错误原因") || !strings.Contains(string(report), "张伟") || strings.Contains(string(report), "李秀英") {
		t.Fatalf("error report %s:\n%s", ctype, report)
	}
	cert := rowCells(inst, "李秀英")
	certNo := strings.TrimSuffix(strings.TrimSpace(cert[len(cert)-1]), "证书PDF")
	certNo = strings.TrimSpace(certNo)
	if certNo == "" {
		t.Fatalf("no certificate number in the roster: %q", cert)
	}

	// The trainee's own page shows the grade and certificate.
	inst.click("李秀英")
	inst.see("总评", "87.5", "80 学时 / 8 学分", certNo)

	// 李秀英 downloads her certificate with her own session.
	teacher := a.newPerson("李秀英")
	teacher.loginChanged(liID, commands.InitialPassword(liID), "Xiuying#2026")
	teacher.open("/me/trainings")
	ctype, pdf := teacher.download("打印证书")
	if ctype != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("certificate: %s, %d bytes", ctype, len(pdf))
	}
	if text := pdfText(t, pdf); !strings.Contains(text, certNo) || !strings.Contains(text, "李秀英") {
		t.Fatalf("the certificate PDF lacks the number %s or the name:\n%s", certNo, text)
	}
	// A posted grade is corrected only with a reason; the form keeps the
	// scores typed when the reason is missing.
	inst.click("更正成绩")
	inst.fill("集中学习成绩", "86")
	inst.fill("网络学习成绩", "90")
	inst.click("提交更正")
	inst.see("更正成绩须填写原因")
	if v := eval[string](inst, `document.getElementById("c-off").value`); v != "86" {
		t.Fatalf("the refused correction lost the score: %q", v)
	}
	inst.fill("更正原因", "集中学习成绩录入错误")
	inst.click("提交更正")
	inst.see("成绩已更正", "88", certNo)

	// Another teacher's certificate is not hers to print.
	wang := enrollmentOf(t, a, wangID)
	teacher.open("/api/v1/enrollments/" + wang.ID().String() + "/certificate.pdf")
	teacher.see(`"error"`)
	teacher.notSee("%PDF")
}

// enrollmentOf is a demo teacher's enrollment in the demo project.
func enrollmentOf(t *testing.T, a *app, idNumber string) *enrollment.Enrollment {
	t.Helper()
	ctx := context.Background()
	tid, err := a.svc.Handlers.TeacherByIDNumber(ctx, idNumber)
	if err != nil {
		t.Fatal(err)
	}
	var pid uuid.UUID
	if err := a.svc.Pool.QueryRow(ctx, `SELECT project_id FROM enrollments WHERE teacher_id = $1`, tid).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	e, err := a.svc.Handlers.LoadEnrollment(ctx, enrollment.ID(pid, tid))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
