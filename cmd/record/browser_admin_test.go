package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// City and province: 张伟's nomination (桥西区, the demo's) waits for the
// city; sjz_admin approves it from the queue after a reject without a
// reason is refused; hb_admin approves it with the bulk form and assigns
// the class; then hb_admin creates a project (a refused form keeps what
// was typed and names the field), adds a class and a quota and opens it.
func TestBrowserCityProvinceStory(t *testing.T) {
	a := demoApp(t)

	city := a.newPerson("石家庄市管理员")
	city.loginChanged("sjz_admin", DemoPassword, "Shijia#2026")
	if got := city.path(); got != "/admin" {
		t.Fatalf("the city admin lands on %s, want /admin", got)
	}
	city.see("待审核", "去审核")
	city.click("审核队列")
	city.seeIn("张伟", "2026年省培计划初中骨干教师培训")
	city.seeIn("张伟", "河北省石家庄市桥西区")
	city.notSee("13010419920107035") // the ID number is masked
	city.notSee("承培机构")              // the city does not assign classes
	city.shot("city-queue")

	// Rejecting needs a reason: the row says so and nothing changes.
	city.clickIn("张伟", "退回")
	city.see("退回须填写原因")
	city.seeIn("张伟", "区县已推荐")

	city.clickIn("张伟", "通过")
	city.see("已通过：张伟", "暂无待审核的推荐")
	// The province admin's pages are not the city's.
	city.open("/admin/projects/new")
	city.see("无权访问")
	city.open("/admin/stats")
	city.fill("培训项目", "2026 2026年省培计划初中骨干教师培训")
	city.click("查看")
	if got := rowCells(city, "河北省石家庄市桥西区"); strings.Join(got, "|") != "河北省石家庄市桥西区|1|0|0|0|0|0" {
		t.Fatalf("the city's statistics of 桥西区: %q", got)
	}

	prov := a.newPerson("省项目管理员")
	prov.loginChanged("hb_admin", DemoPassword, "Hebei#2026pm")
	prov.click("审核队列")
	prov.seeIn("张伟", "市级已审核")
	// Bulk: tick the row, pick the class, approve.
	prov.click("批量通过")
	prov.see("请先勾选要审核的记录")
	prov.check("张伟")
	prov.click("批量通过")
	prov.see("请选择分配的班级")
	prov.check("张伟")
	prov.fillIn("批量审核", "分配班级", "河北师范大学继续教育学院 · 初中语文一班")
	prov.click("批量通过")
	prov.see("已通过 1 条", "暂无待审核的推荐")
	prov.open("/admin/stats")
	prov.fill("培训项目", "2026 2026年省培计划初中骨干教师培训")
	prov.click("查看")
	if got := rowCells(prov, "河北省石家庄市桥西区"); strings.Join(got, "|") != "河北省石家庄市桥西区|1|1|0|0|0|0" {
		t.Fatalf("the province's statistics of 桥西区 after approval: %q", got)
	}
	if got := rowCells(prov, "合计"); strings.Join(got, "|") != "合计|3|3|0|0|1|1" {
		t.Fatalf("the province's totals: %q", got)
	}

	// The projects list and a new project.
	prov.click("培训项目")
	prov.see("2026年省培计划初中骨干教师培训", "培训中")
	prov.shot("province-projects")
	prov.click("新建项目")
	prov.fill("项目名称", "2026年省培计划小学数学骨干教师培训")
	prov.fill("年度", "2026")
	prov.fill("项目性质", "市培") // does not fit category 20
	prov.fill("培训类别", "20 省级")
	prov.fill("培训形式", "4 混合式培训")
	prov.fill("开始日期", "2026-08-03")
	prov.fill("结束日期", "2026-08-12")
	prov.fill("学时", "60")
	prov.fill("学分", "6")
	prov.check("河北师范大学继续教育学院")
	prov.click("创建项目")
	prov.see("与项目性质“市培”不符")
	if v := eval[string](prov, `document.getElementById("p-name").value`); v != "2026年省培计划小学数学骨干教师培训" {
		t.Fatalf("the refused form lost the name: %q", v)
	}
	if v := eval[string](prov, `document.getElementById("p-hours").value`); v != "60" {
		t.Fatalf("the refused form lost the hours: %q", v)
	}
	if !eval[bool](prov, `[...document.querySelectorAll('input[name=institutions]')].some(e => e.checked)`) {
		t.Fatal("the refused form lost the ticked institution")
	}
	prov.shot("province-project-new")
	prov.fill("项目性质", "省培")
	prov.click("创建项目")
	prov.see("项目已创建", "2026年省培计划小学数学骨干教师培训", "草稿", "混合式培训", "60 学时 / 6 学分")

	prov.fill("班级名称", "小学数学一班")
	prov.click("添加班级")
	prov.see("班级已添加")
	prov.seeIn("小学数学一班", "河北师范大学继续教育学院")

	prov.fill("地区", "130102")
	prov.fill("名额", "-1")
	prov.click("设置名额")
	prov.see("名额不能为负数")
	prov.fill("名额", "5")
	prov.click("设置名额")
	prov.see("名额已设置")
	if got := rowCells(prov, "河北省石家庄市长安区"); strings.Join(got, "|") != "河北省石家庄市长安区|5" {
		t.Fatalf("the quota row: %q", got)
	}

	prov.click("开放遴选")
	prov.see("项目已开放遴选", "遴选中")
	if strings.Contains(prov.path(), "/new") {
		t.Fatalf("still on the create form: %s", prov.path())
	}

	// A new institution: registered, then its login opened; the initial
	// password is shown once and works.
	prov.click("承培机构")
	prov.fill("机构名称", "石家庄学院继续教育学院")
	prov.fill("机构代码", "SJZU")
	prov.click("登记")
	prov.see("联系人及电话不能为空")
	prov.fill("联系人及电话", "赵老师 0311-66617000")
	prov.click("登记")
	prov.see("机构已登记：石家庄学院继续教育学院")
	prov.fillIn("SJZU", "登录名", "sjzu")
	prov.clickIn("SJZU", "开通账号")
	prov.see("登录账号已开通", "初始密码只显示这一次")
	initial := eval[string](prov, `document.querySelector("section.info code").innerText`)
	if len(initial) < 8 {
		t.Fatalf("initial password %q", initial)
	}
	sjzu := a.newPerson("石家庄学院")
	sjzu.loginChanged("sjzu", initial, "Sjzu#2026new")
	sjzu.see("石家庄学院继续教育学院", "本机构暂未承担培训项目")

	// A sampled audit of 桥西区's credit claims: one entry, drawn with a
	// seed, revoked with a reason (a review without one is refused).
	prov.click("学分抽查")
	prov.fill("抽查范围", "石家庄市桥西区")
	prov.fill("或抽查数量（条）", "1")
	prov.fill("随机种子（留空自动生成）", "story-2026")
	prov.click("抽取")
	prov.see("已抽取样本，请逐条复核", "story-2026", "0 / 1", "张伟", "待复核")
	prov.clickIn("待复核", "撤销学时")
	prov.see("复核结论必须说明理由")
	prov.fillIn("待复核", "复核理由", "培训机构无此期培训记录")
	prov.clickIn("待复核", "撤销学时")
	prov.see("已撤销该条学时", "1 / 1", "已撤销", "培训机构无此期培训记录")
	prov.shot("province-credit-audit")
	prov.click("返回学分抽查复核")
	prov.seeIn("story-2026", "河北省石家庄市桥西区")

	// A transfer out of the province, started by 长安区 (the command: its
	// pages offer Hebei's counties only), confirmed by the province: the
	// record is read-only, marked 已调出本省.
	ctx := t.Context()
	changanActor, err := a.svc.demoActor(ctx, "changan_admin")
	if err != nil {
		t.Fatal(err)
	}
	li, err := a.svc.Handlers.TeacherByIDNumber(ctx, demoID("13010219880921022"))
	if err != nil {
		t.Fatal(err)
	}
	started, _, err := a.svc.Handlers.StartTransfer(ctx, changanActor, li, "110105", uuid.Nil, "调往北京市朝阳区任教")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.svc.Runner.WaitFor(ctx, started.Position); err != nil {
		t.Fatal(err)
	}
	prov.click("调出本省")
	prov.seeIn("李秀英", "北京市朝阳区")
	prov.seeIn("李秀英", "调往北京市朝阳区任教")
	prov.shot("province-transfers-out")
	prov.clickIn("李秀英", "确认调出")
	prov.see("已确认调出本省", "没有待确认的调出本省")
	prov.open("/admin/teachers/" + li.String())
	prov.see("已调出本省", "档案只读")

	// Erasing 刘芳's personal data: the confirmation and the legal reason
	// are required; a page made stale by another change is refused (409);
	// afterwards every personal field reads 已删除 and the form is gone.
	prov.click("教师档案")
	prov.fill("姓名", "刘芳")
	prov.click("查询")
	prov.click("刘芳")
	prov.see("删除个人信息", "此操作无法撤销")
	prov.click("删除个人信息")
	prov.see("请勾选确认：删除后无法恢复")
	prov.check("我已核对该教师身份，确认删除其个人信息，且知道无法恢复")
	prov.click("删除个人信息")
	prov.see("须填写删除的法律依据")
	liu, err := a.svc.Handlers.TeacherByIDNumber(ctx, demoID("13010419950630048"))
	if err != nil {
		t.Fatal(err)
	}
	qiaoxiActor, err := a.svc.demoActor(ctx, "qiaoxi_admin")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := a.svc.Handlers.EditTeacher(ctx, qiaoxiActor, liu, map[string]string{"email": "liufang@example.com"}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The page reopened below must show that edit: wait for the read
	// models (the edit did not come through the browser, which would
	// have carried its position; on a loaded machine they lag).
	waitCtx, waitDone := context.WithTimeout(ctx, time.Minute)
	defer waitDone()
	if err := a.svc.Runner.WaitFor(waitCtx, edited.Position); err != nil {
		t.Fatal(err)
	}
	prov.fill("法律依据", "依据《个人信息保护法》第四十七条，本人申请删除")
	prov.check("我已核对该教师身份，确认删除其个人信息，且知道无法恢复")
	prov.click("删除个人信息")
	prov.see("有人刚刚修改了这条记录")
	prov.open("/admin/teachers/" + liu.String())
	prov.fill("法律依据", "依据《个人信息保护法》第四十七条，本人申请删除")
	prov.check("我已核对该教师身份，确认删除其个人信息，且知道无法恢复")
	prov.click("删除个人信息")
	prov.see("已删除该教师的个人信息", "个人信息已删除，档案只读")
	prov.seeIn("基本信息", "已删除")
	prov.notSee("刘芳")
	prov.notSee("*删除") // an erased value is not masked as if it were one
	prov.notSee("已脱敏") // nor said to be
	prov.notSee("此操作无法撤销")
	prov.shot("province-teacher-erased")

	// Other roles are kept out.
	county := a.newPerson("长安区管理员")
	county.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	county.open("/admin")
	county.see("无权访问")
	// The county's record page of the teacher transferred out is
	// read-only too.
	county.open("/county/teachers/" + li.String())
	county.see("已调出本省", "不能再更正、变更单位、调动或重置密码")
	county.notSee("保存更正")
}

// rowCells is the text of each cell of the table row that contains text.
func rowCells(p *person, text string) []string {
	p.t.Helper()
	p.see(text)
	return eval[[]string](p, fmt.Sprintf(`(function(){
	  const rows = [...document.querySelectorAll("tr")].filter(r => r.innerText.includes(%q));
	  if (!rows.length) return [];
	  return [...rows[0].children].map(c => c.innerText.trim());
	})()`, text))
}
