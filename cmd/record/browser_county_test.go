package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/hbte/record/commands"
)

// xlsxRows reads the first sheet of an XLSX file.
func xlsxRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("PK")) {
		t.Fatalf("not an xlsx (zip) file: %q", data[:min(len(data), 16)])
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatalf("read xlsx: %v", err)
	}
	return rows
}

// writeXLSX builds a sheet file in the test's temp dir, as a county admin
// would save it from Excel.
func writeXLSX(t *testing.T, name string, rows [][]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *person) value(label string) string {
	p.t.Helper()
	id := p.control(label, "")
	return eval[string](p, `document.getElementById("`+string(id)+`").value`)
}

// The county admin's day: roster search, paging and export, a new
// teacher, a key-field correction (and a stale page refused), the
// correction queue, an incoming transfer, and an ethics upload with a bad
// row and its error report.
func TestBrowserCountyStory(t *testing.T) {
	a := demoApp(t)
	wangID := demoID("13010219800515011")
	liID := demoID("13010219880921022")

	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	if got := admin.path(); got != "/county" {
		t.Fatalf("the county admin lands on %s, want /county", got)
	}
	admin.see("工作台", "待审核的信息更正", "待接收的调入", "学分银行待认定")
	admin.seeIn("待审核的信息更正", "1") // 李秀英's request
	admin.seeIn("待接收的调入", "1")   // 刘芳
	admin.shot("county-home")

	// The roster: the county's teachers only, masked.
	admin.click("教师名册")
	admin.see("王建国", "李秀英", "130102********")
	admin.notSee("张伟") // 桥西区
	admin.notSee(wangID)
	admin.shot("county-roster")

	admin.fill("姓名", "王建")
	admin.click("查询")
	admin.see("王建国", "共 1 名教师符合条件")
	admin.notSee("李秀英")
	if v := admin.value("姓名"); v != "王建" {
		t.Fatalf("the search lost what was typed: %q", v)
	}
	admin.click("清除条件")
	admin.fill("证件号码后几位", liID[len(liID)-6:])
	admin.click("查询")
	admin.see("李秀英")
	admin.notSee("王建国")
	admin.fill("证件号码后几位", "12")
	admin.click("查询")
	admin.see("请输入完整证件号码或至少后4位")

	// Paging on the server: one teacher a page.
	admin.open("/county/teachers?limit=1")
	admin.see("共 2 名教师", "下一页")
	admin.notSee("第一页")
	first := eval[string](admin, `document.querySelector("tbody tr td a").innerText`)
	admin.click("下一页") // a cursor, not an offset
	admin.see("第一页")
	admin.notSee("下一页")
	second := eval[string](admin, `document.querySelector("tbody tr td a").innerText`)
	if first == second || !strings.Contains(first+second, "王建国") || !strings.Contains(first+second, "李秀英") {
		t.Fatalf("pages show %q then %q", first, second)
	}

	// The export is an XLSX of the same teachers, masked.
	admin.open("/county/teachers")
	ct, body := admin.download("导出 Excel")
	if !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("export content type %q", ct)
	}
	rows := xlsxRows(t, body)
	if len(rows) != 3 || rows[0][0] != "姓名" {
		t.Fatalf("export rows: %v", rows)
	}
	text := ""
	for _, r := range rows {
		text += strings.Join(r, "|") + "\n"
	}
	if !strings.Contains(text, "王建国") || !strings.Contains(text, "130102********") || strings.Contains(text, wangID) || strings.Contains(text, "张伟") {
		t.Fatalf("export is not the masked county roster:\n%s", text)
	}

	// Register a teacher: a refused form keeps what was typed and says why.
	admin.click("登记教师")
	newID := demoID("13010219900101042")
	admin.fill("姓名", "赵敏")
	badID := newID[:17] + map[bool]string{true: "1", false: "2"}[newID[17] != '1']
	admin.fill("身份证件号码", badID)
	admin.fill("单位", "石家庄市第二十五中学")
	admin.fill("参加工作年月", "2013-09")
	admin.fill("教师资格证种类", "初级中学教师资格")
	admin.fill("教师资格证号码", "20151301031000999")
	admin.click("登记")
	admin.see("身份证号码校验位错误")
	if v := admin.value("姓名"); v != "赵敏" {
		t.Fatalf("the refused form lost the name: %q", v)
	}
	if v := admin.value("参加工作年月"); v != "2013-09" {
		t.Fatalf("the refused form lost the start of work: %q", v)
	}
	admin.fill("身份证件号码", newID)
	admin.click("登记")
	admin.see("已登记教师赵敏", "赵敏", "石家庄市第二十五中学")

	// A key-field correction with a reason; without one it is refused.
	admin.click("教师名册")
	admin.click("王建国")
	admin.see("基本信息", "更正关键信息", "档案历史")
	admin.shot("county-teacher")
	teacherPage := admin.path()
	admin.fill("参加工作年月", "2003-09")
	admin.click("保存更正")
	admin.see("请填写")
	if v := admin.value("参加工作年月"); v != "2003-09" {
		t.Fatalf("the refused correction lost the value: %q", v)
	}
	admin.fill("更正理由", "按人事档案更正")
	admin.click("保存更正")
	admin.see("已更正参加工作年月")
	admin.seeIn("基本信息", "2003-09")
	admin.seeIn("档案历史", "参加工作年月")

	// Another admin changes the record while this page is open: the stale
	// form is refused and says so.
	admin.open(teacherPage)
	other := a.newPerson("长安区管理员（另一台电脑）")
	other.loginChanged("changan_admin", "Changan#2026", "Changan#2026")
	other.open(teacherPage)
	other.fill("参加工作年月", "2003-10")
	other.fill("更正理由", "再次核对人事档案")
	other.click("保存更正")
	other.see("已更正参加工作年月")
	admin.fill("参加工作年月", "2003-11")
	admin.fill("更正理由", "我也来改")
	admin.click("保存更正")
	admin.see("有人刚刚修改了这条记录")
	if v := admin.value("参加工作年月"); v != "2003-11" {
		t.Fatalf("the conflict lost what was typed: %q", v)
	}
	admin.open(teacherPage)
	admin.seeIn("基本信息", "2003-10")

	// The correction queue: 李秀英 asked for her name; rejecting needs a
	// reason; approving changes the record.
	admin.click("更正审核 1") // the header counts the waiting requests
	admin.see("李秀英", "姓名", "李秀瑛")
	admin.shot("county-corrections")
	admin.clickIn("李秀英", "驳回")
	admin.see("请填写")
	admin.clickIn("李秀英", "批准")
	admin.see("已批准更正", "目前没有待审核的更正申请")
	admin.open("/county/teachers?name=" + "李秀瑛")
	admin.see("李秀瑛")

	// 刘芳 comes from 桥西区: accepted into a school of this county.
	admin.click("异动管理 1")
	admin.seeIn("刘芳", "桥西区")
	admin.fillIn("刘芳", "接收单位", "石家庄市第二十五中学")
	admin.clickIn("刘芳", "接收")
	admin.see("已接收调入", "刘芳", "长安区")
	admin.open("/county/teachers")
	admin.see("刘芳")

	// An ethics upload with one bad row (line 3: the gender disagrees with
	// the record): the good row is applied, the bad one reported, and the
	// error report names it.
	file := writeXLSX(t, "2020师德考核.xlsx", [][]string{
		{"年度", "姓名", "身份证件号码", "性别", "单位", "师德考核结果"},
		{"2020", "王建国", wangID, "男", "石家庄市第二十五中学", "达标"},
		{"2020", "李秀瑛", liID, "男", "石家庄市第二十五中学", "达标"},
	})
	admin.click("师德与考核")
	admin.click("上传")
	admin.see("请选择上传类型")
	admin.fill("上传类型", "师德考核")
	admin.upload("结果文件", file)
	admin.click("上传")
	admin.see("师德考核上传结果", "1 行", "第 3 行", "性别")
	admin.shot("county-appraisal-upload")
	admin.seeIn("第 3 行", "性别")
	ct, body = admin.download("下载错误报告")
	if !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("error report content type %q", ct)
	}
	rep := xlsxRows(t, body)
	if len(rep) != 2 || rep[0][0] != "行号" || rep[1][0] != "3" || !strings.Contains(rep[1][1], "性别") || !strings.Contains(strings.Join(rep[1], "|"), "李秀瑛") {
		t.Fatalf("error report: %v", rep)
	}
	admin.click("← 师德与考核")
	admin.seeIn("2020师德考核.xlsx", "师德考核")

	// On a phone the pages fit the screen: wide tables scroll inside
	// their own box, not the page.
	admin.do("phone", chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/county", "/county/teachers", teacherPage, "/county/appraisals", "/county/transfers", "/county/credits"} {
		admin.open(path)
		if w := eval[int](admin, `document.documentElement.scrollWidth`); w > 392 {
			t.Errorf("%s is %dpx wide on a 390px phone", path, w)
		}
	}
	admin.open(teacherPage)
	admin.shot("county-teacher-phone")
	admin.do("desktop", chromedp.EmulateViewport(1280, 900))

	// Another county's admin: the record is outside its reach and answered as
	// missing; a teacher is refused the county pages.
	qiaoxi := a.newPerson("桥西区管理员")
	qiaoxi.loginChanged("qiaoxi_admin", DemoPassword, "Qiaoxi#2026")
	qiaoxi.open(teacherPage)
	qiaoxi.see("记录不存在")
	teacherP := a.newPerson("王建国")
	teacherP.loginChanged(wangID, commands.InitialPassword(wangID), "Jianguo#2026")
	teacherP.open("/county/teachers")
	teacherP.see("无权访问")
}

// The other queues of a county admin: nominations against the quota,
// a transfer out and its cancellation, a password reset, the credit bank
// and an import of earlier training records.
func TestBrowserCountyQueues(t *testing.T) {
	a := demoApp(t)
	wangID := demoID("13010219800515011")
	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")

	// 刘芳 comes in from 桥西区 first, so the county has someone to nominate.
	admin.open("/county/transfers")
	admin.clickIn("刘芳", "接收")
	admin.see("已接收调入")

	// The county's own project gives it one seat, taken by 王建国 (the
	// province project has started: nomination is closed).
	admin.click("项目推荐")
	admin.see("2026年长安区初中教师课堂教学能力提升培训")
	admin.seeIn("2026年长安区初中教师课堂教学能力提升培训", "40\t1\t0\t推荐教师") // hours, quota, seats left
	admin.click("推荐教师")
	admin.see("个剩余名额", "王建国")
	admin.fill("姓名", "刘芳")
	admin.click("查找教师")
	admin.click("推荐所选教师")
	admin.see("请勾选要推荐的教师")
	admin.fill("姓名", "刘芳")
	admin.click("查找教师")
	admin.check("刘芳")
	admin.click("推荐所选教师")
	admin.see("以下教师未能推荐：刘芳")
	admin.clickIn("王建国", "撤销推荐")
	admin.seeIn("王建国", "撤销推荐须填写原因")
	admin.fillIn("王建国", "撤销理由", "另有教学任务")
	admin.clickIn("王建国", "撤销推荐")
	admin.see("已撤销推荐，名额已退回")
	admin.seeIn("王建国", "已撤销推荐")
	admin.fill("姓名", "刘芳")
	admin.click("查找教师")
	admin.check("刘芳")
	admin.click("推荐所选教师")
	admin.see("已推荐1名教师")
	admin.seeIn("刘芳", "区县已推荐")

	// A transfer out, then cancelled; a unit change needs a unit; a
	// password reset.
	admin.open("/county/teachers?name=王建国")
	admin.click("王建国")
	teacherPage := admin.path()
	admin.click("变更单位")
	admin.see("请选择新单位")
	admin.fill("调入区县", "石家庄市桥西区")
	admin.fill("调动原因", "工作调动")
	admin.click("发起调出")
	admin.see("已发起调出", "调出中（1）")
	admin.seeIn("王建国", "调往桥西区")
	admin.fillIn("王建国", "撤销理由", "误操作")
	admin.clickIn("王建国", "撤销调出")
	admin.see("已撤销调出", "没有进行中的调出")
	// Out of the province: a code of another province, which the province
	// admin confirms (a Hebei code or none is refused on the form).
	admin.open(teacherPage)
	admin.fill("调入区县", "外省（调出本省，由省级管理员确认）")
	admin.fill("调动原因", "随配偶调往北京")
	admin.click("发起调出")
	admin.see("调出本省须填写调入地的区县代码")
	admin.fill("外省区县代码", "999999")
	admin.click("发起调出")
	admin.see("不是有效的区县代码")
	admin.fill("外省区县代码", "110105")
	admin.click("发起调出")
	admin.see("已发起调出本省（调往", "等待省级管理员确认")
	admin.fillIn("王建国", "撤销理由", "配偶调动取消")
	admin.clickIn("王建国", "撤销调出")
	admin.see("已撤销调出", "没有进行中的调出")
	wang := a.newPerson("王建国")
	wang.loginChanged(wangID, commands.InitialPassword(wangID), "Jianguo#2026")
	admin.open(teacherPage)
	admin.click("重置密码")
	admin.see("密码已重置")
	again := a.newPerson("王建国（忘了密码）")
	again.login(wangID, commands.InitialPassword(wangID))
	if got := again.path(); got != "/password" {
		t.Fatalf("after the reset the initial password leads to %s, want /password", got)
	}

	// The credit bank: hours must be a number; then recognised.
	admin.click("学分 1")
	admin.see("2025年大单元教学校本研修", "校本研修结业证明.pdf")
	admin.fillIn("2025年大单元教学校本研修", "认定学时", "二十")
	admin.clickIn("2025年大单元教学校本研修", "认定")
	admin.see("认定学时应为数字")
	if v := admin.value("认定学时"); v != "二十" {
		t.Fatalf("the refused recognition lost the hours: %q", v)
	}
	admin.fillIn("2025年大单元教学校本研修", "认定学时", "20")
	admin.fillIn("2025年大单元教学校本研修", "认定学分", "2")
	admin.clickIn("2025年大单元教学校本研修", "认定")
	admin.see("已认定", "没有待认定的申请")
	admin.click("全部")
	admin.seeIn("2025年大单元教学校本研修", "20")

	// An import of earlier records: the system is required; a bad row is
	// reported with its line, the good one counted.
	file := writeXLSX(t, "旧平台.xlsx", [][]string{
		{"身份证件号码", "姓名", "年度", "级别", "培训名称", "原系统记录编号", "学时", "完成日期"},
		{wangID, "王建国", "2019", "县级", "2019年长安区初中教师培训", "OLD-2019-1", "30", "2019-12-20"},
		{wangID, "王建国", "2019", "火星级", "2019年火星培训", "OLD-2019-2", "30", "2019-12-21"},
	})
	admin.upload("记录文件", file)
	admin.click("导入")
	admin.see("请填写数据来源系统名称")
	admin.fill("来源系统", "原继续教育平台")
	admin.upload("记录文件", file)
	admin.click("导入")
	admin.see("导入完成", "新增 1 行", "有错误 1 行")
	admin.seeIn("第 3 行", "级别")
}
