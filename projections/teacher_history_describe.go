package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/growth"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/studio"
)

// historyCategories name the kinds of stream in a teacher's history, by
// the stream's category, for the pages' tabs.
var historyCategories = map[string]string{
	"teacher":      "档案信息",
	"enrollment":   "培训",
	"credits":      "学时学分",
	"creditbank":   "学时学分",
	"creditaudit":  "学时学分",
	"appraisal":    "考核",
	"registration": "注册",
	"regfacts":     "注册",
	"growth":       "成长轨迹",
	"studio":       "名师工作室",
}

// historyCategory is the category of a stream and its label.
func historyCategory(stream string) (string, string) {
	cat, _, _ := strings.Cut(stream, "-")
	switch cat {
	case "creditbank", "creditaudit":
		cat = "credits"
	case "regfacts":
		cat = "registration"
	}
	return cat, historyCategories[cat]
}

// describeOther turns an event of a stream other than the teacher's own
// into a line of the teacher's history; ok is false for events that
// concern no teacher (or a teacher the projection cannot name).
func describeOther(ctx context.Context, mem subjectMemory, env event.Envelope) (historyLine, bool, error) {
	line := &historyLine{actorID: env.Metadata.ActorID, role: env.Metadata.ActorRole, name: env.Metadata.ActorName,
		jurisdiction: env.Metadata.Jurisdiction}
	say := line.say
	switch e := env.Event.(type) {
	// Projects and studios: remembered for the names in later lines.
	case *project.Created:
		return historyLine{}, false, mem.remember(ctx, env.Stream, uuid.Nil, e.Details.Name)
	case *project.DetailsChanged:
		return historyLine{}, false, mem.remember(ctx, env.Stream, uuid.Nil, e.Details.Name)
	case *studio.Created:
		if err := mem.remember(ctx, env.Stream, e.HostTeacherID, e.Name); err != nil {
			return historyLine{}, false, err
		}
		return say(e.HostTeacherID, "", "创建名师工作室%s", quoteCN(e.Name))
	case *studio.Closed:
		host, name, err := mem.recall(ctx, env.Stream)
		if err != nil {
			return historyLine{}, false, err
		}
		return say(host, e.Reason, "关闭了名师工作室%s", quoteCN(name))
	case *studio.Joined, *studio.Left, *studio.Followed, *studio.Unfollowed:
		var m studio.Membership
		verb := ""
		switch e := e.(type) {
		case *studio.Joined:
			m, verb = e.Membership, "加入"
		case *studio.Left:
			m, verb = e.Membership, "退出"
		case *studio.Followed:
			m, verb = e.Membership, "关注"
		case *studio.Unfollowed:
			m, verb = e.Membership, "取消关注"
		}
		_, name, err := mem.recall(ctx, env.Stream)
		if err != nil {
			return historyLine{}, false, err
		}
		return say(m.TeacherID, "", "%s名师工作室%s", verb, quoteCN(name))
	}
	if _, ok := streamID(env.Stream, "enrollment"); ok {
		return describeEnrollment(ctx, mem, env, line)
	}
	switch e := env.Event.(type) {
	// The credit ledger.
	case *credit.Granted:
		if err := mem.remember(ctx, "entry:"+e.EntryID.String(), e.TeacherID, e.Title); err != nil {
			return historyLine{}, false, err
		}
		s := fmt.Sprintf("记入学时：%s %s 学时、%s 学分（%d 年度，%s，来源：%s", quoteCN(e.Title), e.Hours, e.Credits, e.Year,
			e.Level.Label(), e.Source.Kind.Label())
		if e.Source.System != "" {
			s += " " + e.Source.System
		}
		s += "）"
		if e.SuspectedDuplicateOf != uuid.Nil {
			s += "；疑似与已有记录重复，暂不计入，待区县认定"
		}
		return say(e.TeacherID, "", "%s", s)
	case *credit.Revoked:
		_, title, err := mem.recall(ctx, "entry:"+e.EntryID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "撤销了学时记录%s", quoteCN(title))
	case *credit.DuplicateCleared:
		_, title, err := mem.recall(ctx, "entry:"+e.EntryID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "认定学时记录%s与已有记录不重复，予以计入", quoteCN(title))
	case *credit.DuplicateConfirmed:
		_, title, err := mem.recall(ctx, "entry:"+e.EntryID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "认定学时记录%s为重复记录，不予计入", quoteCN(title))
	// The credit bank.
	case *credit.BankSubmitted:
		if err := mem.remember(ctx, env.Stream, e.TeacherID, e.Title); err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "提交学分银行申请%s（%s，%s 至 %s，申请 %s 学时）", quoteCN(e.Title), e.Kind.Label(),
			histDay(e.StartOn), histDay(e.EndOn), e.ClaimedHours)
	case *credit.BankRecognised:
		_, title, err := mem.recall(ctx, env.Stream)
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Note, "认定学分银行申请%s：%s 学时、%s 学分（%d 年度）", quoteCN(title), e.Hours, e.Credits, e.Year)
	case *credit.BankRejected:
		_, title, err := mem.recall(ctx, env.Stream)
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "未通过学分银行申请%s", quoteCN(title))
	case *credit.BankWithdrawn:
		_, title, err := mem.recall(ctx, env.Stream)
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "撤回了学分银行申请%s", quoteCN(title))
	// Sampled audits of credit claims (the draw: describeDraw).
	case *creditaudit.Upheld:
		_, title, err := mem.recall(ctx, "entry:"+e.EntryID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "抽样复核学时记录%s：维持认定", quoteCN(title))
	case *creditaudit.Revoked:
		_, title, err := mem.recall(ctx, "entry:"+e.EntryID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, e.Reason, "抽样复核学时记录%s：撤销认定", quoteCN(title))
	// Appraisals.
	case *appraisal.EthicsRecorded:
		return say(e.TeacherID, "", "记录 %d 年度师德考核：%s", e.Year, ethicsText(e.Passed, e.SeriousBreach, e.Honors))
	case *appraisal.EthicsCorrected:
		return say(e.TeacherID, e.Reason, "将 %d 年度师德考核更正为：%s", e.Year, ethicsText(e.Passed, e.SeriousBreach, e.Honors))
	case *appraisal.AnnualRecorded:
		return say(e.TeacherID, "", "记录 %d 年度年度考核：%s", e.Year, e.Grade.Label())
	case *appraisal.AnnualCorrected:
		return say(e.TeacherID, e.Reason, "将 %d 年度年度考核更正为：%s", e.Year, e.Grade.Label())
	// Registration.
	case *registration.Decided:
		if line.name == "" {
			line.name = e.DecidedByName
		}
		if line.actorID == uuid.Nil {
			line.actorID = e.DecidedBy
		}
		kind := "定期注册"
		if e.Kind == registration.KindFirst {
			kind = "首次注册"
		}
		s := fmt.Sprintf("作出%s结论：%s（%s 起）", kind, e.Outcome.Label(), histDay(e.DecidedOn))
		if e.CheckOutcome != "" && e.CheckOutcome != e.Outcome {
			s += "，核查结果为“" + e.CheckOutcome.Label() + "”"
		}
		return say(e.TeacherID, e.Note, "%s", s)
	case *registration.AbsenceRecorded:
		until := "今"
		if !e.Until.IsZero() {
			until = histDay(e.Until)
		}
		approved := "未经批准"
		if e.Approved {
			approved = "经批准"
		}
		return say(e.TeacherID, e.Note, "记录离岗：%s 至 %s（%s）", histDay(e.From), until, approved)
	case *registration.AbsenceWithdrawn:
		return say(e.TeacherID, e.Reason, "撤销了一条离岗记录")
	case *registration.FitnessConfirmed:
		return say(e.TeacherID, e.Note, "确认身体状况合格（%s）", histDay(e.On))
	case *registration.CertificateRevoked:
		return say(e.TeacherID, e.Reason, "记录教师资格证书于 %s 被撤销", histDay(e.On))
	// Growth.
	case *growth.HonorAdded:
		if err := mem.remember(ctx, "honor:"+e.Honor.ID.String(), e.TeacherID, e.Honor.Title); err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "添加荣誉%s（%d 年，%s）", quoteCN(e.Honor.Title), e.Honor.Year, e.Honor.Level.Label())
	case *growth.HonorEdited:
		if err := mem.remember(ctx, "honor:"+e.Honor.ID.String(), e.TeacherID, e.Honor.Title); err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "修改荣誉%s（%d 年，%s）", quoteCN(e.Honor.Title), e.Honor.Year, e.Honor.Level.Label())
	case *growth.HonorRemoved:
		_, title, err := mem.recall(ctx, "honor:"+e.HonorID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "删除荣誉%s", quoteCN(title))
	case *growth.AchievementAdded:
		a := e.Achievement
		if err := mem.remember(ctx, "achievement:"+a.ID.String(), e.TeacherID, a.Title); err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "添加%s%s（%d 年，%s）", a.Category.Label(), quoteCN(a.Title), a.Year, a.Level.Label())
	case *growth.AchievementEdited:
		a := e.Achievement
		if err := mem.remember(ctx, "achievement:"+a.ID.String(), e.TeacherID, a.Title); err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "修改%s%s（%d 年，%s）", a.Category.Label(), quoteCN(a.Title), a.Year, a.Level.Label())
	case *growth.AchievementRemoved:
		_, title, err := mem.recall(ctx, "achievement:"+e.AchievementID.String())
		if err != nil {
			return historyLine{}, false, err
		}
		return say(e.TeacherID, "", "删除成果%s", quoteCN(title))
	}
	return historyLine{}, false, nil
}

// say completes the line: the teacher it concerns, the reason, and the
// sentence "<who> <what>，理由：<why>".
func (l *historyLine) say(teacherID uuid.UUID, reason, format string, args ...any) (historyLine, bool, error) {
	l.teacherID = teacherID
	l.reason = strings.TrimSpace(reason)
	l.description = who(*l) + " " + fmt.Sprintf(format, args...) + reasonSuffix(l.reason)
	return *l, true, nil
}

// describeDraw is a line for each teacher whose credit entries a sampled
// audit drew, naming the entries.
func describeDraw(ctx context.Context, mem subjectMemory, env event.Envelope, d *creditaudit.Drawn) ([]historyLine, error) {
	titles := map[uuid.UUID][]string{}
	var order []uuid.UUID
	for _, c := range d.Entries {
		_, title, err := mem.recall(ctx, "entry:"+c.EntryID.String())
		if err != nil {
			return nil, err
		}
		if _, seen := titles[c.TeacherID]; !seen {
			order = append(order, c.TeacherID)
		}
		titles[c.TeacherID] = append(titles[c.TeacherID], quoteCN(title))
	}
	out := make([]historyLine, 0, len(order))
	for _, id := range order {
		l := &historyLine{actorID: env.Metadata.ActorID, role: env.Metadata.ActorRole, name: env.Metadata.ActorName,
			jurisdiction: env.Metadata.Jurisdiction}
		line, _, _ := l.say(id, "", "抽样复核学时记录（随机抽取）：抽中%s", strings.Join(titles[id], "、"))
		out = append(out, line)
	}
	return out, nil
}

// describeEnrollment: every step of an enrollment, named by its project.
func describeEnrollment(ctx context.Context, mem subjectMemory, env event.Envelope, line *historyLine) (historyLine, bool, error) {
	say := line.say
	if n, ok := env.Event.(*enrollment.Nominated); ok {
		_, name, err := mem.recall(ctx, project.StreamName(n.ProjectID))
		if err != nil {
			return historyLine{}, false, err
		}
		if err := mem.remember(ctx, env.Stream, n.TeacherID, name); err != nil {
			return historyLine{}, false, err
		}
	}
	teacherID, name, err := mem.recall(ctx, env.Stream)
	if err != nil || teacherID == uuid.Nil {
		return historyLine{}, false, err
	}
	by := func(b enrollment.By) {
		if line.actorID == uuid.Nil {
			line.actorID = b.UserID
		}
		if line.role == "" {
			line.role = string(b.Role)
		}
		if line.name == "" {
			line.name = b.Name
		}
		if line.jurisdiction == "" {
			line.jurisdiction = b.Jurisdiction
		}
	}
	p := quoteCN(name)
	switch e := env.Event.(type) {
	case *enrollment.Nominated:
		by(e.By)
		s := "推荐参加培训项目" + p
		if e.Attempt > 1 {
			s += fmt.Sprintf("（第 %d 次推荐）", e.Attempt)
		}
		return say(teacherID, "", "%s", s)
	case *enrollment.CityApproved:
		by(e.By)
		return say(teacherID, "", "市级审核通过%s的推荐", p)
	case *enrollment.CityRejected:
		by(e.By)
		return say(teacherID, e.Reason, "市级审核未通过%s的推荐", p)
	case *enrollment.ProvinceApproved:
		by(e.By)
		return say(teacherID, "", "审核通过%s的推荐", p)
	case *enrollment.ProvinceRejected:
		by(e.By)
		return say(teacherID, e.Reason, "审核未通过%s的推荐", p)
	case *enrollment.Assigned:
		by(e.By)
		return say(teacherID, "", "将%s的学员分到 %s %s", p, e.InstitutionName, e.ClassName)
	case *enrollment.Withdrawn:
		by(e.By)
		if e.ProjectCancelled {
			return say(teacherID, e.Reason, "因项目%s取消，撤销了报名", p)
		}
		return say(teacherID, e.Reason, "撤销了%s的推荐", p)
	case *enrollment.ClassNoticePublished:
		by(e.By)
		return say(teacherID, "", "发布%s的报到通知：%s 在 %s 报到", p, histDay(e.Notice.ReportDate), e.Notice.ReportPlace)
	case *enrollment.Reported:
		by(e.By)
		return say(teacherID, "", "确认参加%s的学员报到", p)
	case *enrollment.ProgressRecorded:
		by(e.By)
		return say(teacherID, "", "记录%s的学习进度：网络学习 %s%%，集中学习 %d/%d 次", p,
			strconv.FormatFloat(e.Progress.OnlinePercent, 'f', -1, 64), e.Progress.SessionsAttended, e.Progress.SessionsTotal)
	case *enrollment.GradePosted:
		by(e.By)
		return say(teacherID, "", "发布%s的成绩：%s", p, scoresText(e.Scores))
	case *enrollment.GradeCorrected:
		by(e.By)
		return say(teacherID, e.Reason, "将%s的成绩由 %s 更正为 %s", p, scoresText(e.Previous), scoresText(e.Scores))
	case *enrollment.CreditsGranted:
		by(e.By)
		return say(teacherID, "", "登记%s的 %d 学时、%s 学分（%d 年度）", p, e.Hours, histNum(e.Credits), e.Year)
	case *enrollment.CreditsRevoked:
		by(e.By)
		return say(teacherID, e.Reason, "撤销%s的 %d 学时、%s 学分（%d 年度）", p, e.Hours, histNum(e.Credits), e.Year)
	case *enrollment.CertificateIssued:
		by(e.By)
		return say(teacherID, "", "颁发%s的结业证书（编号 %s）", p, e.Number)
	case *enrollment.CertificateRevoked:
		by(e.By)
		return say(teacherID, e.Reason, "撤销%s的结业证书（编号 %s）", p, e.Number)
	}
	return historyLine{}, false, nil
}

// who names the actor of a line: role and name ("区县管理员 张三"). A
// teacher acts only on their own record here, so the sentence says 教师本人
// and quotes no personal data of the teacher (the name stays in
// actor_name, which an erasure scrubs).
func who(l historyLine) string {
	if access.Role(l.role) == access.RoleTeacher {
		return "教师本人"
	}
	parts := []string{}
	if l.role != "" {
		parts = append(parts, access.Role(l.role).Label())
	}
	if l.name != "" {
		parts = append(parts, l.name)
	}
	if len(parts) == 0 {
		return "未知用户"
	}
	return strings.Join(parts, " ")
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return "，理由：" + r
}

func quoteCN(s string) string { return "“" + s + "”" }

func histDay(t time.Time) string { return t.Format(time.DateOnly) }

func histNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func scoresText(s enrollment.Scores) string {
	out := "总评 " + histNum(s.Total)
	if s.Passed {
		return out + "，合格"
	}
	return out + "，不合格"
}

func ethicsText(passed, serious bool, honors string) string {
	s := "达标"
	switch {
	case passed:
	case serious:
		s = "不达标（严重违反师德）"
	default:
		s = "不达标"
	}
	if honors != "" {
		s += "，荣誉：" + honors
	}
	return s
}
