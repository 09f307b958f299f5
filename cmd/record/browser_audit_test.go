package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
)

// The auditor filters the key-field trail by field and county, sees the
// demo's correction in 桥西区 by qiaoxi_admin, exports it as CSV (ID
// numbers masked), finds their own login in the security audit and looks
// at the read models' status.
func TestBrowserAuditorStory(t *testing.T) {
	a := demoApp(t)
	p := a.newPerson("审计员")
	p.loginChanged("hb_auditor", DemoPassword, "Auditor#2026")
	if got := p.path(); got != "/audit" {
		t.Fatalf("the auditor lands on %s, want /audit", got)
	}
	p.see("审计", "河北省")

	p.click("关键字段变更")
	p.see("关键字段变更记录", "导出 CSV")
	// Unfiltered, the trail holds every registration of the demo: more than
	// one county and more than one field.
	p.see("长安区", "桥西区", "身份证件号码")

	p.fill("字段", "参加工作年月")
	p.fill("区县", "桥西区")
	p.click("查询")
	if got := p.path(); !strings.Contains(got, "field=work_start") || !strings.Contains(got, "county=130104") {
		t.Fatalf("the filter is not in the address: %s", got)
	}
	p.seeIn("按人事档案更正参加工作年月", "张伟")
	p.seeIn("按人事档案更正参加工作年月", "2014-09")
	p.seeIn("按人事档案更正参加工作年月", "2014-08")
	p.seeIn("按人事档案更正参加工作年月", "桥西区管理员")
	p.seeIn("按人事档案更正参加工作年月", "区县管理员")
	p.notSee("王建国") // 长安区: filtered out
	p.shot("audit-key-fields")

	ctype, csv := p.download("导出 CSV")
	if !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("CSV export has content type %q", ctype)
	}
	body := string(csv)
	if !strings.Contains(body, "张伟") || !strings.Contains(body, "按人事档案更正参加工作年月") || !strings.Contains(body, "2014-08") {
		t.Fatalf("the CSV lacks the filtered row:\n%s", body)
	}
	if strings.Contains(body, "王建国") || strings.Contains(body, "李秀英") {
		t.Fatalf("the CSV ignores the filter:\n%s", body)
	}

	// ID numbers: the trail and its export show them masked.
	zhang := demoID("13010419920107035")
	p.fill("字段", "身份证件号码")
	p.click("查询")
	p.seeIn("张伟", "130104********")
	p.notSee(zhang)
	_, csv = p.download("导出 CSV")
	body = string(csv)
	if !strings.Contains(body, "张伟") || !strings.Contains(body, "130104********"+zhang[14:]) {
		t.Fatalf("the ID number export lacks 张伟's masked number:\n%s", body)
	}
	if strings.Contains(body, zhang) {
		t.Fatalf("the CSV shows a full ID number:\n%s", body)
	}

	// Who changed: by login.
	p.fill("字段", "全部关键字段")
	p.fill("区县", "管辖范围内全部")
	p.fill("操作人账号", "no_such_admin")
	p.click("查询")
	p.see("没有这个账号")
	if v := eval[string](p, `document.getElementById("kf-actor").value`); v != "no_such_admin" {
		t.Fatalf("the refused filter lost what was typed: %q", v)
	}
	p.fill("操作人账号", "changan_admin")
	p.click("查询")
	p.see("王建国")
	p.notSee("张伟")

	// A county outside the auditor's province is refused, not emptied.
	p.open("/audit/key-fields?county=110101")
	p.see("无权访问")

	p.click("安全审计")
	p.see("安全审计", "hb_auditor", "登录", "修改密码")
	p.fill("账号", "hb_auditor")
	p.fill("操作", "登录")
	p.click("查询")
	p.seeIn("hb_auditor", "成功")
	p.notSee("changan_admin")
	p.shot("audit-security")

	p.click("数据同步状态")
	p.see("读模型", "关键字段变更记录", "key_field_audit", "实时", "没有搁置的事件")
	p.shot("audit-projections")

	// On a phone the trail does not scroll sideways: the table scrolls in
	// its own box.
	p.do("phone viewport", chromedp.EmulateViewport(390, 844))
	p.open("/audit/key-fields?field=work_start&county=130104")
	p.see("按人事档案更正参加工作年月")
	if w := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Fatalf("the trail is %d px wider than a 390 px phone", w)
	}
	p.shot("audit-key-fields-phone")

	// Another role cannot open the auditor's pages.
	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	admin.open("/audit/key-fields")
	admin.see("无权访问")
}

// An auditor whose jurisdiction is a county sees only that county's trail.
func TestBrowserAuditorCountyScope(t *testing.T) {
	a := demoApp(t)
	createAccount(t, a, "qiaoxi_auditor", access.RoleAuditor, "130104", "桥西区审计员")
	p := a.newPerson("桥西区审计员")
	p.loginChanged("qiaoxi_auditor", DemoPassword, "Auditor#2026")
	p.open("/audit/key-fields")
	p.see("张伟", "刘芳")
	p.notSee("王建国")
	p.notSee("李秀英")
	p.open("/audit/key-fields?county=130102")
	p.see("无权访问")
}

// createAccount adds an account of role over region, with DemoPassword
// (to be changed at first login), as the system would.
func createAccount(t *testing.T, a *app, login string, role access.Role, region, name string) {
	t.Helper()
	if _, _, err := a.svc.Handlers.CreateAccount(context.Background(), access.System("test"), commands.NewAccount{
		Login: login, Role: role, Jurisdiction: region, DisplayName: name, Password: DemoPassword}); err != nil {
		t.Fatalf("account %s: %v", login, err)
	}
}
