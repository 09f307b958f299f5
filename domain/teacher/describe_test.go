package teacher_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

func TestDescribe(t *testing.T) {
	req := uuid.New()
	meta := func(role access.Role, name string) event.Metadata {
		return event.Metadata{ActorRole: string(role), ActorName: name}
	}
	admin := meta(access.RoleCountyAdmin, "张三")
	tests := []struct {
		name string
		meta event.Metadata
		e    event.Event
		want string
	}{
		{"key field", admin, &teacher.KeyFieldCorrected{Field: "name", Old: "李四", New: "李思", Reason: "与身份证不一致"},
			"区县管理员 张三 将 姓名 由 “李四” 更正为 “李思”，理由：与身份证不一致"},
		{"key field from a request", admin, &teacher.KeyFieldCorrected{Field: "work_start", Old: "2012-09", New: "2011-09", Reason: "档案记载", CorrectionID: req},
			"区县管理员 张三 将 参加工作年月 由 “2012-09” 更正为 “2011-09”，理由：档案记载（依教师更正申请）"},
		{"ID number is masked", admin, &teacher.KeyFieldCorrected{Field: "id_number", Old: idA, New: idB, Reason: "录入错误"},
			"区县管理员 张三 将 身份证件号码 由 “130102********1237” 更正为 “130102********0023”，理由：录入错误"},
		{"gender follows", admin, &teacher.KeyFieldCorrected{Field: "gender", Old: "1", New: "2", Reason: "随身份证件号码更正：录入错误", FollowsField: "id_number"},
			"区县管理员 张三 将 性别 由 “男” 更正为 “女”，理由：随身份证件号码更正：录入错误"},
		{"unit by name", admin, &teacher.KeyFieldCorrected{Field: "unit_id", Old: uuid.NewString(), New: uuid.NewString(), OldLabel: "甲校", NewLabel: "乙校", Reason: "调动"},
			"区县管理员 张三 将 单位 由 “甲校” 更正为 “乙校”，理由：调动"},
		{"legacy certificate", admin, &teacher.KeyFieldCorrected{Field: "certificate_number", Old: "", New: "HB98", Reason: "补录", Override: "旧版证书"},
			"区县管理员 张三 将 教师资格证号码 由 “（空）” 更正为 “HB98”，理由：补录；按历史证书例外处理，说明：旧版证书"},
		{"ordinary by teacher", meta(access.RoleTeacher, "李四"), &teacher.OrdinaryFieldEdited{Field: "ethnicity", Old: "01", New: "11"},
			"教师 李四 将 民族 由 “汉族” 修改为 “满族”"},
		{"mobile masked", meta(access.RoleTeacher, "李四"), &teacher.OrdinaryFieldEdited{Field: "mobile", Old: "13812341234", New: "13900001111"},
			"教师 李四 将 手机号码 由 “138****1234” 修改为 “139****1111”"},
		{"registered", admin, &teacher.Registered{Profile: teacher.Profile{Name: "李四", County: countyA}, UnitName: "石家庄市第二十五中学"},
			"区县管理员 张三 登记了教师 李四（河北省石家庄市长安区 石家庄市第二十五中学）"},
		{"request", meta(access.RoleTeacher, "李四"), &teacher.CorrectionRequested{Field: "name", Current: "李四", Proposed: "李思", Reason: "身份证上是思"},
			"教师 李四 申请将 姓名 由 “李四” 更正为 “李思”，理由：身份证上是思"},
		{"approved", admin, &teacher.CorrectionApproved{Field: "name", Comment: "已核对"},
			"区县管理员 张三 通过了 姓名 的更正申请，意见：已核对"},
		{"rejected", admin, &teacher.CorrectionRejected{Field: "name", Reason: "证件不符"},
			"区县管理员 张三 驳回了 姓名 的更正申请，理由：证件不符"},
		{"withdrawn", meta(access.RoleTeacher, "李四"), &teacher.CorrectionWithdrawn{Field: "name"},
			"教师 李四 撤回了 姓名 的更正申请"},
		{"transfer started", admin, &teacher.TransferStarted{FromCounty: countyA, FromUnitName: "甲校", ToCounty: countyB, Reason: "工作调动"},
			"区县管理员 张三 发起异动：由 河北省石家庄市长安区 甲校 调往 河北省唐山市路北区，理由：工作调动"},
		{"transfer accepted", meta(access.RoleCountyAdmin, "王五"), &teacher.TransferAccepted{ToCounty: countyB, ToUnitName: "乙校"},
			"区县管理员 王五 接收异动：调入 河北省唐山市路北区 乙校"},
		{"transfer rejected", meta(access.RoleCountyAdmin, "王五"), &teacher.TransferRejected{Reason: "编制已满"},
			"区县管理员 王五 拒绝接收异动，理由：编制已满"},
		{"transfer cancelled", admin, &teacher.TransferCancelled{Reason: "本人放弃"},
			"区县管理员 张三 撤销了异动，理由：本人放弃"},
		{"no metadata: role from payload", event.Metadata{}, &teacher.TransferCancelled{Reason: "x", ActorRole: access.RoleSystem},
			"系统 撤销了异动，理由：x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := teacher.Describe(event.Envelope{Type: tt.e.EventType(), Event: tt.e, Metadata: tt.meta})
			if got != tt.want {
				t.Errorf("Describe =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestFieldLabels(t *testing.T) {
	tests := []struct {
		field, label string
		key          bool
	}{
		{"name", "姓名", true},
		{"id_number", "身份证件号码", true},
		{"unit_id", "单位", true},
		{"certificate_type", "教师资格证种类", true},
		{"work_start", "参加工作年月", true},
		{"former_name", "曾用名", false},
		{"funded_normal", "公费师范生", false},
		{"special_post", "特岗教师", false},
		{"mobile", "手机号码", false},
		{"avatar", "头像", false},
	}
	for _, tt := range tests {
		if got := teacher.FieldLabel(tt.field); got != tt.label {
			t.Errorf("FieldLabel(%s) = %q, want %q", tt.field, got, tt.label)
		}
		if got := teacher.IsKeyField(tt.field); got != tt.key {
			t.Errorf("IsKeyField(%s) = %v", tt.field, got)
		}
		if got := teacher.IsOrdinaryField(tt.field); got == tt.key {
			t.Errorf("IsOrdinaryField(%s) = %v", tt.field, got)
		}
	}
	if teacher.IsKeyField("school_area") || teacher.IsOrdinaryField("school_area") {
		t.Error("school area belongs to the unit, not the teacher")
	}
	keys := 0
	for _, f := range teacher.Fields() {
		if teacher.IsKeyField(f) {
			keys++
		}
	}
	if keys != 11 {
		t.Errorf("%d key fields, want 11", keys)
	}
}

func TestRegisterEvents(t *testing.T) {
	r := event.NewRegistry()
	teacher.RegisterEvents(r)
	if got := len(r.Names()); got != 13 { // 11 + transferred_out + erased
		t.Errorf("%d event types registered: %v", got, r.Names())
	}
	if !r.Known("teacher.key_field_corrected") {
		t.Error("teacher.key_field_corrected not registered")
	}
}
