package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/projections"
)

// The teacher's personal space, as a teacher uses it.

const teacherNewPassword = "Teacher#2026"

// teacherLogin logs a demo teacher in with the default password (the last
// six characters of the ID number) and sets a new one, as forced.
func teacherLogin(a *app, name, first17 string) *person {
	a.t.Helper()
	id := demoID(first17)
	p := a.newPerson(name)
	p.login(id, commands.InitialPassword(id))
	if got := p.path(); got != "/password" {
		p.fatalf("first login lands on %s, want the forced password change", got)
	}
	p.see("首次登录")
	p.fill("原密码", commands.InitialPassword(id))
	p.fill("新密码", teacherNewPassword)
	p.fill("再次输入新密码", teacherNewPassword)
	p.click("保存新密码")
	p.see("密码已修改", name)
	if got := p.path(); got != "/me" {
		p.fatalf("after the change the teacher lands on %s, want /me", got)
	}
	return p
}

// selected is the visible text of the chosen option of a select.
func selected(p *person, label string) string {
	p.t.Helper()
	id := p.control(label, "")
	return eval[string](p, fmt.Sprintf(`(function(){const s=document.getElementById(%q);return s.options[s.selectedIndex].text})()`, string(id)))
}

// fieldValue is what an input with this label holds.
func fieldValue(p *person, label string) string {
	p.t.Helper()
	id := p.control(label, "")
	return eval[string](p, fmt.Sprintf(`document.getElementById(%q).value`, string(id)))
}

// The required story: first login with the forced password change, an
// ordinary field edited and saved, a key field asked to be corrected, the
// county admin approving it in another browser, and the teacher seeing
// the new value and the correction in the history.
func TestBrowserTeacherStory(t *testing.T) {
	a := demoApp(t)
	wang := teacherLogin(a, "王建国", "13010219800515011")

	// The basic information: grouped, labelled, personal data masked.
	wang.see("基本信息", "身份", "任职", "学历", "教师资格", "联系方式与其他")
	wang.seeIn("参加工作年月", "2003-08")
	wang.seeIn("民族", "汉族")
	wang.seeIn("政治面貌", "中共党员")
	wang.seeIn("身份证件号码", "130102********")
	wang.notSee(demoID("13010219800515011"))
	wang.seeIn("手机号码", "138****0001")
	wang.notSee("13803110001")
	wang.seeIn("参加工作年月", "申请更正")
	wang.shot("teacher-basic-info")

	// An ordinary field: edited in the form and saved.
	wang.click("修改基本信息")
	if got := selected(wang, "民族"); got != "汉族" {
		t.Fatalf("the edit form shows 民族 %q, want the stored 汉族", got)
	}
	wang.fill("民族", "满族")
	wang.fill("籍贯", "河北省正定县")
	wang.click("保存")
	wang.see("基本信息已保存")
	wang.seeIn("民族", "满族")
	wang.seeIn("籍贯", "河北省正定县")

	// A key field: read-only, changed only through a request.
	wang.clickIn("参加工作年月", "申请更正")
	wang.see("申请更正关键信息", "参加工作年月", "2003-08")
	wang.fill("正确的值", "2003-09")
	wang.fill("更正理由", "人事档案记载2003年9月参加工作")
	wang.click("提交更正申请")
	wang.see("更正申请已提交")
	wang.seeIn("我的更正申请", "待审核")
	wang.seeIn("参加工作年月", "更正审核中")
	wang.seeIn("参加工作年月", "2003-08")

	// The county admin, at another computer, approves it.
	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	admin.open("/county/corrections")
	admin.seeIn("王建国", "2003-09")
	admin.clickIn("王建国", "批准")
	admin.notSee("人事档案记载2003年9月参加工作")

	// The teacher sees the new value and the whole story in the history.
	wang.open("/me")
	wang.seeIn("参加工作年月", "2003-09")
	wang.notSee("我的更正申请")
	wang.click("档案记录")
	wang.see("申请将 参加工作年月 由 “2003-08” 更正为 “2003-09”", "通过了 参加工作年月 的更正申请",
		"将 参加工作年月 由 “2003-08” 更正为 “2003-09”", "（依教师更正申请）", "将 民族 由 “汉族” 修改为 “满族”", "长安区管理员")
	wang.shot("teacher-history")
	wang.click("关键字段更正")
	wang.see("更正为 “2003-09”")
	wang.notSee("修改为 “满族”")
}

// A refused form keeps what was typed and says why next to the field; a
// record changed by someone else since the form was loaded is not
// overwritten; a correction with a wrong value is refused at once; the
// mobile changes only with the code sent to it.
func TestBrowserTeacherForms(t *testing.T) {
	a := demoApp(t)
	inbox := &codeInbox{codes: map[string]string{}}
	a.svc.Handlers.Notifier = inbox
	wang := teacherLogin(a, "王建国", "13010219800515011")

	wang.click("修改基本信息")
	wang.fill("籍贯", "河北省正定县")
	wang.fill("特岗教师", "是")
	wang.fill("特岗教师招聘年份", "1800")
	wang.click("保存")
	wang.see("应为1950至")
	if got := fieldValue(wang, "籍贯"); got != "河北省正定县" {
		t.Fatalf("the refused form lost 籍贯: %q", got)
	}
	if got := fieldValue(wang, "特岗教师招聘年份"); got != "1800" {
		t.Fatalf("the refused form lost the year: %q", got)
	}
	if got := selected(wang, "特岗教师"); got != "是" {
		t.Fatalf("the refused form lost 特岗教师: %q", got)
	}
	wang.seeIn("特岗教师招聘年份", "应为1950至")
	wang.fill("特岗教师招聘年份", "2012")
	wang.click("保存")
	wang.see("基本信息已保存")
	wang.seeIn("特岗教师招聘年份", "2012")

	// Stale: the same teacher saves from another browser between load
	// and submit.
	wang.click("修改基本信息")
	wang.fill("籍贯", "河北省石家庄市")
	other := a.newPerson("王建国（手机）")
	other.login(demoID("13010219800515011"), teacherNewPassword)
	other.open("/me/edit")
	other.fill("婚姻状况", "初婚")
	other.click("保存")
	other.see("基本信息已保存")
	wang.click("保存")
	wang.see("有人刚刚修改了这条记录")
	if got := fieldValue(wang, "籍贯"); got != "河北省石家庄市" {
		t.Fatalf("the conflict lost what was typed: %q", got)
	}
	wang.open("/me")
	wang.seeIn("籍贯", "河北省正定县")
	wang.seeIn("婚姻状况", "初婚")

	// A correction the record can never accept is refused with the reason.
	wang.open("/me/corrections/new")
	wang.fill("要更正的字段", "性别")
	wang.click("下一步")
	wang.fill("正确的值", "女")
	wang.fill("更正理由", "录入错误")
	wang.click("提交更正申请")
	wang.see("性别与身份证号码不一致")
	if got := fieldValue(wang, "更正理由"); got != "录入错误" {
		t.Fatalf("the refused correction lost the reason: %q", got)
	}
	wang.open("/me")
	wang.notSee("我的更正申请")

	// A new mobile: a code goes to it, a wrong code is refused, the right
	// one changes it.
	wang.clickIn("手机号码", "修改手机号")
	wang.fill("新手机号码", "1390000")
	wang.click("获取验证码")
	wang.see("手机号码应为")
	wang.fill("新手机号码", "139 0000 0002")
	wang.click("获取验证码")
	wang.see("验证码已发送至", "139****0002")
	code := inbox.code("mobile", "13900000002")
	if len(code) != 6 {
		t.Fatalf("no code sent: %v", inbox.codes)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wang.fill("验证码", wrong)
	wang.click("确认修改")
	wang.see("验证码错误")
	wang.fill("验证码", code)
	wang.click("确认修改")
	wang.see("手机号码已修改")
	wang.seeIn("手机号码", "139****0002")
	wang.notSee("13900000002")

	wang.open("/me/history")
	wang.see("将 手机号码 由 “138****0001” 修改为 “139****0002”")

	// The certificate photo: an image only, then shown on the page.
	dir := t.TempDir()
	notImage := filepath.Join(dir, "证明.pdf")
	photo := filepath.Join(dir, "证件照.png")
	img := image.NewRGBA(image.Rect(0, 0, 132, 176))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0x43, 0x8e, 0xdb, 0xff}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, demoPDF("证明"), 0o644); err != nil {
		t.Fatal(err)
	}
	wang.open("/me")
	wang.clickIn("证书照片", "上传证书照片")
	wang.upload("选择照片", notImage)
	wang.click("上传")
	wang.see("照片应为 JPG 或 PNG 图片")
	wang.upload("选择照片", photo)
	wang.click("上传")
	wang.see("证书照片已上传")
	deadline := time.Now().Add(stepTimeout)
	for eval[int](wang, `(document.querySelector('img[alt="证书照片"]')||{}).naturalWidth||0`) != 132 {
		if time.Now().After(deadline) {
			t.Fatal("the certificate photo is not shown on /me")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The training lists exactly as the manual has them, the certificate and
// the notice printed, remote learning entered, the search by name and year.
func TestBrowserTeacherTrainings(t *testing.T) {
	a := demoApp(t)
	wang := teacherLogin(a, "王建国", "13010219800515011")
	wang.click("继续教育")
	wang.see("未开始项目", "进行中项目", "已结束项目")
	wang.seeIn("已结束项目", "2026年省培计划初中骨干教师培训")
	for _, col := range []string{"项目名称", "承培机构", "开始时间", "结束时间", "学时", "集中学习", "网络学习", "总成绩", "操作"} {
		wang.seeIn("已结束项目", col)
	}
	wang.seeIn("2026年省培计划初中骨干教师培训", "河北师范大学继续教育学院")
	wang.seeIn("2026年省培计划初中骨干教师培训", "88")
	wang.seeIn("2026年省培计划初中骨干教师培训", "92")
	wang.seeIn("2026年省培计划初中骨干教师培训", "合格")
	wang.shot("teacher-trainings")
	ct, pdf := wang.download("打印证书")
	if !strings.HasPrefix(ct, "application/pdf") || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("certificate: %s, %d bytes starting %q", ct, len(pdf), pdf[:min(8, len(pdf))])
	}

	wang.fill("项目名称", "国培")
	wang.click("检索")
	wang.see("没有符合条件的已结束项目")
	wang.notSee("88")
	if got := fieldValue(wang, "项目名称"); got != "国培" {
		t.Fatalf("the search lost its term: %q", got)
	}
	wang.fill("项目名称", "骨干")
	wang.fill("年度", "2026")
	wang.click("检索")
	wang.seeIn("已结束项目", "2026年省培计划初中骨干教师培训")
	wang.fill("年度", "2024")
	wang.click("检索")
	wang.see("没有符合条件的已结束项目")
	wang.fill("年度", "二〇二四")
	wang.click("检索")
	wang.see("年度应为四位年份")
	wang.click("清除条件")
	wang.seeIn("已结束项目", "2026年省培计划初中骨干教师培训")

	// 李秀英: assigned with a class notice, not started: the steps with
	// who and when, and the notice to print for the school.
	li := teacherLogin(a, "李秀英", "13010219880921022")
	// Her pending name correction (demo): listed, then withdrawn.
	li.seeIn("我的更正申请", "李秀瑛")
	li.seeIn("李秀瑛", "待审核")
	li.seeIn("姓名", "更正审核中")
	li.clickIn("李秀瑛", "撤回")
	li.see("更正申请已撤回")
	li.notSee("我的更正申请")
	li.seeIn("姓名", "申请更正")
	li.click("继续教育")
	li.seeIn("未开始项目", "2026年省培计划初中骨干教师培训")
	li.click("2026年省培计划初中骨干教师培训")
	li.see("区县管理员", "市级管理员", "河北师范大学继续教育学院")
	ct, pdf = li.download("打印开班通知")
	if !strings.HasPrefix(ct, "application/pdf") || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("class notice: %s", ct)
	}

	// Once reported she is in progress, with the 8 columns and the entry
	// to remote learning (a signed assertion for the institution).
	liID, err := a.svc.Handlers.TeacherByIDNumber(t.Context(), demoID("13010219880921022"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := projections.NewEnrollmentQueries(a.svc.Pool).Trainings(t.Context(), liID, projections.TrainingFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("李秀英's trainings: %v %v", list, err)
	}
	self := access.Actor{UserID: commands.TeacherAccountID(liID), Role: access.RoleTeacher, Name: "李秀英", TeacherID: liID}
	res, err := a.svc.Handlers.Report(t.Context(), self, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.svc.Runner.WaitFor(t.Context(), res.Position); err != nil {
		t.Fatal(err)
	}
	li.open("/me/trainings")
	for _, col := range []string{"项目名称", "年份", "培训性质", "培训机构", "开始时间", "结束时间", "学时", "操作"} {
		li.seeIn("进行中项目", col)
	}
	li.seeIn("2026年省培计划初中骨干教师培训", "进入远程学习")
	_, body := li.download("进入远程学习")
	if !bytes.Contains(body, []byte("learn.hebtu.example")) || !bytes.Contains(body, []byte("assertion")) {
		t.Fatalf("remote learning: %s", body)
	}
}

// Credits since 2018 with the chart, the registration status with what is
// missing, the growth track with an uploaded file, the credit bank, the
// studios.
func TestBrowserTeacherCreditsGrowthStudios(t *testing.T) {
	a := demoApp(t)
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	host, err := a.svc.Handlers.TeacherByIDNumber(t.Context(), demoID("13010219880921022"))
	if err != nil {
		t.Fatal(err)
	}
	admin.must(201, "POST", "/api/v1/studios", map[string]any{"name": "李秀英语文名师工作室", "host_teacher_id": host,
		"host_name": "李秀英", "region": "130102", "subject": "语文", "description": "大单元教学研究"})
	prov := a.login("hb_admin", DemoPassword, "Hebei#2026x")
	prov.must(201, "POST", "/api/v1/links/reading", map[string]string{"title": "教育部推荐书目", "url": "https://www.moe.gov.cn/"})

	wang := teacherLogin(a, "王建国", "13010219800515011")

	wang.click("学分")
	wang.see("2018 年以来累计学时", "每年学时")
	bars := eval[int](wang, `document.querySelectorAll("svg.chart rect").length`)
	if bars < 8 {
		t.Fatalf("the chart has %d bars, want one per year since 2018", bars)
	}
	if title := eval[string](wang, `document.querySelector("svg.chart title").textContent`); !strings.Contains(title, "每年学时") {
		t.Fatalf("chart title %q", title)
	}
	wang.see("2026年省培计划初中骨干教师培训", "平台培训项目")
	wang.shot("teacher-credits")

	wang.click("资格注册")
	wang.see("注册状态", "今日核查结果", "暂缓注册", "还差", "依据政策")
	wang.shot("teacher-registration")

	// Growth: an honor, then an achievement with its file; a bad book
	// number is refused next to the field, the rest stays.
	wang.click("成长轨迹与师德")
	wang.click("添加荣誉")
	wang.fillIn("添加荣誉", "年度", "2021")
	wang.fillIn("添加荣誉", "等级", "市级")
	wang.fillIn("添加荣誉", "称号", "石家庄市优秀教师")
	wang.clickIn("添加荣誉", "添加荣誉")
	wang.see("荣誉已添加")
	wang.seeIn("石家庄市优秀教师", "市级")

	scan := filepath.Join(t.TempDir(), "论文首页.pdf")
	if err := os.WriteFile(scan, demoPDF("论文首页"), 0o644); err != nil {
		t.Fatal(err)
	}
	wang.click("添加教学成果")
	wang.fillIn("添加教学成果", "年度", "2022")
	wang.fillIn("添加教学成果", "类别", "论文")
	wang.fillIn("添加教学成果", "级别", "省级")
	wang.fillIn("添加教学成果", "题目", "初中数学大单元教学的实践")
	wang.fillIn("添加教学成果", "作者", "王建国")
	wang.fillIn("添加教学成果", "书号/刊号", "ISBN 978-7-111-11111-1")
	wang.upload("文件上传", scan)
	wang.clickIn("添加教学成果", "添加教学成果")
	wang.see("书号校验位不正确")
	if got := fieldValue(wang, "题目"); got != "初中数学大单元教学的实践" {
		t.Fatalf("the refused achievement lost its title: %q", got)
	}
	wang.fill("书号/刊号", "CN 13-1011/G4")
	wang.upload("文件上传", scan)
	wang.clickIn("添加教学成果", "添加教学成果")
	wang.see("教学成果已添加")
	wang.seeIn("初中数学大单元教学的实践", "论文首页.pdf")
	ct, body := wang.download("论文首页.pdf")
	if !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Fatalf("achievement file: %s %q", ct, body[:min(8, len(body))])
	}
	wang.clickIn("石家庄市优秀教师", "修改")
	wang.fill("称号", "石家庄市模范教师")
	wang.click("保存")
	wang.see("荣誉已修改", "石家庄市模范教师")
	wang.clickIn("石家庄市模范教师", "删除")
	wang.see("荣誉已删除")
	wang.notSee("石家庄市模范教师")

	// The credit bank: the demo's pending request, a new one refused
	// without evidence, then submitted, then withdrawn.
	wang.click("学分银行")
	wang.see("我的认定申请", "待认定")
	wang.fill("学习名称", "全国初中数学教学研讨会")
	wang.fill("组织单位", "中国教育学会")
	wang.fill("学习类型", "平台外培训")
	wang.fill("级别", "国家级")
	wang.fill("开始日期", "2025-10-11")
	wang.fill("结束日期", "2025-10-12")
	wang.fill("申请学时", "12")
	wang.click("提交申请")
	wang.see("请上传证明材料")
	if got := fieldValue(wang, "学习名称"); got != "全国初中数学教学研讨会" {
		t.Fatalf("the refused request lost its title: %q", got)
	}
	wang.upload("证明材料", scan)
	wang.click("提交申请")
	wang.see("学分认定申请已提交")
	wang.seeIn("全国初中数学教学研讨会", "待认定")
	wang.clickIn("全国初中数学教学研讨会", "撤回")
	wang.see("申请已撤回")
	wang.seeIn("全国初中数学教学研讨会", "已撤回")

	// Studios: join and follow, the reading list.
	wang.click("名师工作室")
	wang.see("我的工作室", "我的关注", "还没有加入工作室", "教育部推荐书目")
	wang.clickIn("李秀英语文名师工作室", "加入工作室")
	wang.see("已加入工作室")
	wang.seeIn("我的工作室", "李秀英语文名师工作室")
	wang.clickIn("李秀英语文名师工作室", "关注")
	wang.see("已关注工作室")
	wang.seeIn("我的关注", "李秀英语文名师工作室")

	// On a phone: the menu and the tables stay usable (no page-wide
	// horizontal scroll).
	wang.do("phone", chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/me", "/me/trainings", "/me/credits", "/me/registration", "/me/growth", "/me/history"} {
		wang.open(path)
		if w := eval[int](wang, `document.documentElement.scrollWidth`); w > 400 {
			t.Errorf("%s is %dpx wide on a 390px phone", path, w)
		}
		if path == "/me" {
			wang.shot("teacher-basic-info-phone")
		}
	}
	wang.do("desktop", chromedp.EmulateViewport(1280, 900))

	// Other roles do not get in.
	admin2 := a.newPerson("桥西区管理员")
	admin2.loginChanged("qiaoxi_admin", DemoPassword, "Qiaoxi#2026")
	for _, path := range []string{"/me", "/me/trainings", "/me/credits", "/me/growth", "/me/history"} {
		admin2.open(path)
		admin2.see("无权访问")
	}
}
