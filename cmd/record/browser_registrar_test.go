package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The registration authority runs a batch check of a county, sees the
// outcomes, downloads the export, opens a teacher's check with its evidence
// and records a decision; finds a teacher by ID number and by name, records
// a first registration; checks an uploaded list with per-row results. A
// county admin gets the batch check of their own county only.
func TestBrowserRegistrarStory(t *testing.T) {
	a := demoApp(t)
	wangID, zhangID := demoID("13010219800515011"), demoID("13010419920107035")

	p := a.newPerson("注册机构")
	p.loginChanged("hb_registrar", DemoPassword, "Registrar#2026")
	if got := p.path(); got != "/registrar" {
		t.Fatalf("the registrar lands on %s, want /registrar", got)
	}
	p.see("资格注册", "注册状态一览", "王建国", "张伟")

	// Batch check of 长安区: 王建国's cycle is due and short of hours
	// (deferred), 李秀英's runs until 2028 (not due).
	p.click("批量核查")
	p.fill("区县", "长安区")
	p.click("核查该区县")
	p.see("核查结果：河北省石家庄市长安区")
	p.seeIn("王建国", "暂缓注册")
	p.seeIn("李秀英", "未到注册期")
	p.seeIn("王建国", "130102********"+wangID[14:])
	p.notSee(wangID)
	p.notSee("张伟") // 桥西区

	ctype, csv := p.download("导出 CSV")
	if !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("CSV export: content type %q", ctype)
	}
	if body := string(csv); !strings.Contains(body, "王建国") || !strings.Contains(body, "暂缓注册") || !strings.Contains(body, "未到注册期") ||
		strings.Contains(body, wangID) || strings.Contains(body, "张伟") {
		t.Fatalf("CSV export of 长安区:\n%s", body)
	}
	ctype, xlsx := p.download("导出 Excel")
	if !strings.Contains(ctype, "spreadsheetml") || !strings.HasPrefix(string(xlsx), "PK") {
		t.Fatalf("XLSX export: %q, %d bytes", ctype, len(xlsx))
	}

	p.fill("区县", "桥西区")
	p.click("核查该区县")
	p.seeIn("张伟", "合格")
	p.seeIn("刘芳", "无注册记录")
	p.shot("registrar-batch")

	// 王建国's check: outcome, reasons, evidence, policy version.
	p.open("/registrar/batch?county=130102")
	p.clickIn("王建国", "依据")
	p.see("资格注册核查：王建国", "核查结论：暂缓注册", "原因", "各周期年度学时", "师德考核与年度考核",
		"周期内的培训学时记录", "2022年河北省骨干教师网络研修", "政策版本", "national-2013")
	p.seeIn("2021", "合格") // the annual appraisal of a cycle year
	p.shot("registrar-check")

	// A decision that departs from the check needs a reason; the form keeps
	// what was chosen.
	p.fill("注册结论", "合格")
	p.click("记录决定")
	p.see("必须说明理由")
	if v := eval[string](p, `document.getElementById("dec-outcome").value`); v != "pass" {
		t.Fatalf("the refused decision lost the outcome: %q", v)
	}
	p.fill("注册结论", "按核查结论")
	p.fill("说明", "学时不足，补足后重新申请")
	p.click("记录决定")
	p.see("已记录注册决定：暂缓注册")
	p.seeIn("学时不足，补足后重新申请", "定期注册")
	p.seeIn("学时不足，补足后重新申请", "暂缓注册")

	// The single check finds a teacher by the full ID number.
	p.click("单人核查")
	p.fill("身份证件号码", zhangID[:14])
	p.click("查找")
	p.see("本辖区没有该证件号码的教师")
	p.fill("身份证件号码", zhangID)
	p.click("查找")
	p.see("资格注册核查：张伟", "核查结论：合格", "2023年国培计划小学数学教师研修")

	// By name: 刘芳 has no registration; the registrar records her first.
	p.click("单人核查")
	p.fill("姓名", "刘")
	p.click("查找")
	p.seeIn("刘芳", "130104********")
	p.clickIn("刘芳", "核查")
	p.see("核查结论：无注册记录", "记录首次注册")
	p.fill("首次注册日期", "2024-09-01")
	p.click("记录首次注册")
	p.see("已记录首次注册（2024-09-01）", "核查结论：未到注册期", "首次注册")

	// An uploaded list: each line gets its outcome or the reason it has none.
	dir := t.TempDir()
	list := filepath.Join(dir, "名单.csv")
	unknown := demoID("13010219700101123")
	content := "身份证件号码,姓名\n" + zhangID + ",张伟\n" + unknown + ",查无此人\n,没填号码\n"
	if err := os.WriteFile(list, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p.click("批量核查")
	p.upload("名单文件", list)
	p.click("上传并核查")
	p.see("核查结果：名单 名单.csv")
	p.seeIn("张伟", "合格")
	p.seeIn("查无此人", "本辖区内没有该证件号码的教师")
	p.seeIn("没填号码", "缺少证件号码")
	p.see("第4行：身份证件号码不能为空")
	_, csv = p.download("导出 CSV")
	if body := string(csv); !strings.Contains(body, "张伟") || !strings.Contains(body, "本辖区内没有该证件号码的教师") || strings.Contains(body, zhangID) {
		t.Fatalf("CSV export of the list:\n%s", body)
	}

	// A file that is not a list is refused with the reason.
	bad := filepath.Join(dir, "notes.txt.pdf")
	if err := os.WriteFile(bad, []byte("%PDF-1.4"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.upload("名单文件", bad)
	p.click("上传并核查")
	p.see("仅支持.xlsx或.csv文件")

	// On a phone the page does not scroll sideways: wide tables scroll in
	// their own box.
	p.do("phone viewport", chromedp.EmulateViewport(390, 844))
	p.open("/registrar/batch?county=130102")
	p.seeIn("王建国", "暂缓注册")
	if w := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Fatalf("the batch page is %d px wider than a 390 px phone", w)
	}
	p.shot("registrar-batch-phone")
	p.open("/registrar/check?id_number=" + zhangID)
	p.see("核查结论：合格")
	if w := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Fatalf("the check page is %d px wider than a 390 px phone", w)
	}

	// A county admin: the batch check of their own county only.
	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	admin.click("资格注册核查")
	n := eval[int](admin, `document.querySelectorAll("#b-county-sel option").length`)
	if n != 1 {
		t.Fatalf("the county admin may choose among %d counties, want only their own", n)
	}
	admin.click("核查该区县")
	admin.seeIn("王建国", "暂缓注册")
	admin.notSee("张伟")
	admin.open("/registrar/batch?county=130104")
	admin.see("无权访问")
	admin.open("/registrar/check")
	admin.see("无权访问")
}
