package teacher

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
)

// Describe renders a teacher event as one Chinese sentence for the history
// page, e.g. "区县管理员 张三 将 姓名 由 “李四” 更正为 “李思”，理由：证件更新".
// ID numbers and mobiles are masked: the sentence may be listed or
// exported; the full values stay in the event for an audited reveal.
// The time is not included: the page shows it from the metadata.
func Describe(env event.Envelope) string {
	who := actorText(env.Metadata, env.Event)
	switch e := env.Event.(type) {
	case *Registered:
		return fmt.Sprintf("%s 登记了教师 %s（%s %s）", who, e.Profile.Name, regionName(e.Profile.County), e.UnitName)
	case *OrdinaryFieldEdited:
		return fmt.Sprintf("%s 将 %s 由 %s 修改为 %s", who, FieldLabel(e.Field),
			quote(ValueLabel(e.Field, e.Old)), quote(ValueLabel(e.Field, e.New))) + reasonText(e.Reason)
	case *KeyFieldCorrected:
		old, nu := labelOr(e.OldLabel, e.Field, e.Old), labelOr(e.NewLabel, e.Field, e.New)
		s := fmt.Sprintf("%s 将 %s 由 %s 更正为 %s", who, FieldLabel(e.Field), quote(old), quote(nu)) + reasonText(e.Reason)
		if e.Override != "" {
			s += "；按历史证书例外处理，说明：" + e.Override
		}
		if e.CorrectionID != uuid.Nil {
			s += "（依教师更正申请）"
		}
		return s
	case *CorrectionRequested:
		return fmt.Sprintf("%s 申请将 %s 由 %s 更正为 %s", who, FieldLabel(e.Field),
			quote(ValueLabel(e.Field, e.Current)), quote(ValueLabel(e.Field, e.Proposed))) + reasonText(e.Reason)
	case *CorrectionApproved:
		s := fmt.Sprintf("%s 通过了 %s 的更正申请", who, FieldLabel(e.Field))
		if e.Comment != "" {
			s += "，意见：" + e.Comment
		}
		return s
	case *CorrectionRejected:
		return fmt.Sprintf("%s 驳回了 %s 的更正申请", who, FieldLabel(e.Field)) + reasonText(e.Reason)
	case *CorrectionWithdrawn:
		return fmt.Sprintf("%s 撤回了 %s 的更正申请", who, FieldLabel(e.Field))
	case *TransferStarted:
		to := regionName(e.ToCounty)
		if e.ToUnitName != "" {
			to += " " + e.ToUnitName
		}
		return fmt.Sprintf("%s 发起异动：由 %s %s 调往 %s", who, regionName(e.FromCounty), e.FromUnitName, to) + reasonText(e.Reason)
	case *TransferAccepted:
		return fmt.Sprintf("%s 接收异动：调入 %s %s", who, regionName(e.ToCounty), e.ToUnitName)
	case *TransferRejected:
		return fmt.Sprintf("%s 拒绝接收异动", who) + reasonText(e.Reason)
	case *TransferCancelled:
		return fmt.Sprintf("%s 撤销了异动", who) + reasonText(e.Reason)
	case *TransferredOut:
		return fmt.Sprintf("%s 确认调出本省：调往 %s，档案转为只读", who, regionName(e.ToCounty))
	case *Erased:
		return fmt.Sprintf("%s 删除了该教师的个人信息（档案只读），法律依据：%s", who, e.Reason)
	}
	return fmt.Sprintf("%s %s", who, env.Type)
}

// actorText names the actor from the metadata, falling back to the role in
// the payload for events stored without metadata (imports).
func actorText(m event.Metadata, e event.Event) string {
	role := access.Role(m.ActorRole)
	if role == "" {
		role = payloadRole(e)
	}
	parts := []string{}
	if role != "" {
		parts = append(parts, role.Label())
	}
	if m.ActorName != "" {
		parts = append(parts, m.ActorName)
	}
	if len(parts) == 0 {
		return "未知用户"
	}
	return strings.Join(parts, " ")
}

func payloadRole(e event.Event) access.Role {
	switch e := e.(type) {
	case *Registered:
		return e.ActorRole
	case *OrdinaryFieldEdited:
		return e.ActorRole
	case *KeyFieldCorrected:
		return e.ActorRole
	case *CorrectionRequested:
		return e.ActorRole
	case *CorrectionApproved:
		return e.ActorRole
	case *CorrectionRejected:
		return e.ActorRole
	case *CorrectionWithdrawn:
		return e.ActorRole
	case *TransferStarted:
		return e.ActorRole
	case *TransferAccepted:
		return e.ActorRole
	case *TransferRejected:
		return e.ActorRole
	case *TransferCancelled:
		return e.ActorRole
	case *TransferredOut:
		return e.ActorRole
	}
	return ""
}

func quote(s string) string { return "“" + s + "”" }

func reasonText(r string) string {
	if r == "" {
		return ""
	}
	return "，理由：" + r
}

func labelOr(label, field, value string) string {
	if label != "" {
		return label
	}
	return ValueLabel(field, value)
}

func regionName(code string) string {
	if n := region.Default().FullName(code); n != "" {
		return n
	}
	return code
}
