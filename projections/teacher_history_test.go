package projections

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/teacher"
)

// registerOtherStreams adds the events of the streams besides the teacher
// record that the teacher scenario appends for the history.
func registerOtherStreams(reg *event.Registry) {
	project.RegisterEvents(reg)
	enrollment.RegisterEvents(reg)
	credit.RegisterEvents(reg)
	creditaudit.RegisterEvents(reg)
}

// buildOtherStreams gives T2 an enrollment (nominated, then rejected with a
// reason) and a credit entry granted, then revoked: events of three more
// streams, each starting at revision 0 like the teacher's own.
func (s *scenario) buildOtherStreams(t *testing.T) {
	t.Helper()
	f := s.feed
	t2 := s.ids["T2"]
	a102 := s.admins["130102"]
	prov := actorMeta{id: uuid.New(), role: access.RoleProvinceAdmin, name: "省厅王处", jurisdiction: "13"}
	pid, eid := uuid.New(), uuid.New()
	f.append(project.StreamName(pid), prov, &project.Created{ProjectID: pid, Owner: "13",
		Details: project.Details{Name: "2026年骨干教师培训", Year: 2026}})
	f.append(enrollment.StreamName(eid), a102, &enrollment.Nominated{EnrollmentID: eid, ProjectID: pid, TeacherID: t2,
		County: "130102", ProjectOwner: "13", Attempt: 1})
	f.append(enrollment.StreamName(eid), prov, &enrollment.ProvinceRejected{Reason: "不符合参训条件"})
	entry := uuid.New()
	f.append(credit.StreamName(t2), actorMeta{role: access.RoleSystem, name: "数据导入"}, &credit.Granted{EntryID: entry, TeacherID: t2,
		Key: "import:旧系统:1", Year: 2024, CompletedOn: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Title: "信息技术应用能力提升",
		Hours: credit.Whole(24), Source: credit.Source{Kind: credit.SourceImport, System: "旧系统", ExternalID: "1"}})
	req := uuid.New()
	f.append(credit.BankStreamName(req), actorMeta{id: uuid.New(), role: access.RoleTeacher, name: "李娜"}, &credit.BankSubmitted{
		RequestID: req, TeacherID: t2, County: "130102", Kind: credit.BankDegreeStudy, Title: "教育硕士课程",
		ClaimedHours: credit.Whole(40)})
	sample := uuid.New()
	f.append(creditaudit.StreamName(sample), prov, &creditaudit.Drawn{SampleID: sample, Scope: "13", Seed: "2026",
		Entries: []creditaudit.Candidate{{EntryID: entry, TeacherID: t2, Key: "import:旧系统:1", Kind: credit.SourceImport}}})
	f.append(creditaudit.StreamName(sample), prov, &creditaudit.Upheld{SampleID: sample, EntryID: entry, TeacherID: t2,
		Reason: "证明材料齐全"})
	f.append(credit.StreamName(t2), a102, &credit.Revoked{EntryID: entry, TeacherID: t2, Key: "import:旧系统:1", Reason: "重复导入"})
}

func (s *scenario) checkHistoryAcrossStreams(ctx context.Context, t *testing.T) {
	h, err := s.q.History(ctx, s.ids["T2"])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]HistoryEntry{}
	streams := map[string]bool{}
	for _, e := range h {
		got[e.Type] = e
		streams[e.Stream] = true
	}
	if len(h) != s.feed.revs[teacher.StreamName(s.ids["T2"])]+7 || len(streams) != 5 {
		t.Fatalf("T2 history: %d entries from %d streams: %+v", len(h), len(streams), h)
	}
	for typ, want := range map[string]struct{ actor, role, juris, reason, says, category string }{
		"enrollment.nominated":         {"管理员130102", "county_admin", "130102", "", "推荐参加培训项目“2026年骨干教师培训”", "enrollment"},
		"enrollment.province_rejected": {"省厅王处", "province_admin", "13", "不符合参训条件", "审核未通过“2026年骨干教师培训”的推荐，理由：不符合参训条件", "enrollment"},
		"credit.granted":               {"数据导入", "system", "", "", "记入学时：“信息技术应用能力提升” 24 学时", "credits"},
		"creditaudit.drawn":            {"省厅王处", "province_admin", "13", "", "抽样复核学时记录（随机抽取）：抽中“信息技术应用能力提升”", "credits"},
		"creditaudit.upheld":           {"省厅王处", "province_admin", "13", "证明材料齐全", "抽样复核学时记录“信息技术应用能力提升”：维持认定，理由：证明材料齐全", "credits"},
		"creditbank.submitted":         {"李娜", "teacher", "", "", "教师本人 提交学分银行申请“教育硕士课程”", "credits"},
		"credit.revoked":               {"管理员130102", "county_admin", "130102", "重复导入", "区县管理员 管理员130102 撤销了学时记录“信息技术应用能力提升”，理由：重复导入", "credits"},
	} {
		e, ok := got[typ]
		if !ok {
			t.Errorf("history lacks %s", typ)
			continue
		}
		if e.ActorName != want.actor || e.ActorRole != want.role || e.Jurisdiction != want.juris || e.Reason != want.reason ||
			!strings.Contains(e.Description, want.says) || e.Category != want.category || e.OccurredAt.IsZero() {
			t.Errorf("%s = %+v, want %+v", typ, e, want)
		}
		if strings.Contains(e.Description, "李娜") {
			t.Errorf("%s quotes the teacher's name: %q", typ, e.Description)
		}
	}
}
