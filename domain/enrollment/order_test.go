package enrollment

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/project"
)

// chinaDay is 10:00 in China on the day.
func chinaDay(m time.Month, d int) time.Time { return time.Date(2026, m, d, 2, 0, 0, 0, time.UTC) }

// userMessage is the Chinese reason of a refusal, "" if err carries none.
func userMessage(err error) string {
	var se *domain.StateError
	if errors.As(err, &se) {
		return se.UserMessage()
	}
	return ""
}

func wantRefusal(t *testing.T, what string, err error, contains ...string) {
	t.Helper()
	if !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("%s: err = %v, want a refusal", what, err)
	}
	msg := userMessage(err)
	if msg == "" {
		t.Fatalf("%s: refusal %v names no reason for the user", what, err)
	}
	for _, c := range contains {
		if !strings.Contains(msg, c) {
			t.Errorf("%s: message %q does not say %q", what, msg, c)
		}
	}
}

// A grade needs the project in training and the class started; the
// project runs 2026-04-01 to 2026-04-30.
func TestGradeNeedsTheTrainingStarted(t *testing.T) {
	e, p := at(t, StageReported)
	before := len(e.Changes())
	wantRefusal(t, "grade while nominating", e.PostGrade(instA, p, f(80), f(90), chinaDay(4, 10)), "尚未开班")
	startProject(p)
	// 2026-03-31 23:30 in China is still before the first day.
	wantRefusal(t, "grade before the first day", e.PostGrade(instA, p, f(80), f(90), time.Date(2026, 3, 31, 15, 30, 0, 0, time.UTC)), "尚未开始", "2026-04-01")
	if len(e.Changes()) != before {
		t.Fatalf("a refused grade recorded events: %v", types(e.Changes()))
	}
	// 00:30 on 1 April in China is the first day.
	if err := e.PostGrade(instA, p, f(80), f(90), time.Date(2026, 3, 31, 16, 30, 0, 0, time.UTC)); err != nil {
		t.Fatalf("grade on the first day: %v", err)
	}
	if _, ok := e.Credits(); !ok {
		t.Fatal("a pass on the first day grants its credits")
	}
}

// A certificate needs the class to have ended (its last day counts).
func TestCertificateNeedsTheClassEnded(t *testing.T) {
	e, p := at(t, StageReported)
	startProject(p)
	if err := e.PostGrade(instA, p, f(80), f(90), chinaDay(4, 10)); err != nil {
		t.Fatal(err)
	}
	n, _ := CertificateNumber(2026, project.CategoryNational, 42)
	wantRefusal(t, "certificate before the end", e.IssueCertificate(instA, p, n, "ABCD1234", chinaDay(4, 29)), "尚未结束", "2026-04-30")
	if err := e.IssueCertificate(instA, p, n, "ABCD1234", chinaDay(4, 30)); err != nil {
		t.Fatalf("certificate on the last day: %v", err)
	}
}

// Every refusal of the pipeline names its reason (not one generic "not in
// this state").
func TestRefusalsNameTheirReason(t *testing.T) {
	graded, gp := at(t, StageGraded)
	wantRefusal(t, "posting a final grade again", graded.PostGrade(instA, gp, f(90), f(90), tEnd), "最终", "更正")

	approved, ap := at(t, StageApproved)
	startProject(ap)
	wantRefusal(t, "grading a trainee who has not reported", approved.PostGrade(instA, ap, f(90), f(90), tEnd), "省级已审核并分配", "发布成绩")
	wantRefusal(t, "progress before reporting", approved.RecordProgress(instA, Progress{OnlinePercent: 1}, tEnd), "记录学习进度")

	nominated, np := at(t, StageNominated)
	wantRefusal(t, "province approval before the city's", nominated.Approve(prov, np, instAID, classA1, t0), "市级审核")

	reported, _ := at(t, StageReported)
	wantRefusal(t, "withdrawal after reporting", reported.Withdraw(countyA, "x", t0), "已报到")

	rejected, _ := at(t, StageCityRejected)
	wantRefusal(t, "review of a rejected nomination", rejected.CityApprove(cityA, t0), "市级退回", "学科不符")

	fresh, fp := at(t, StageReported)
	startProject(fp)
	if err := fresh.PostGrade(instA, fp, f(10), f(10), tEnd); err != nil {
		t.Fatal(err)
	}
	n, _ := CertificateNumber(2026, project.CategoryNational, 7)
	wantRefusal(t, "certificate for a fail", fresh.IssueCertificate(instA, fp, n, "ABCD1234", tEnd), "不合格")
	wantRefusal(t, "correcting before any grade", approved.CorrectGrade(instA, ap, f(1), f(1), "r", tEnd), "尚未发布成绩")
}

// Cancelling a project withdraws every open enrollment with the project's
// reason, and every later step is refused naming it.
func TestCancelledProjectFreezesEnrollments(t *testing.T) {
	for _, s := range []Stage{StageNominated, StageCityApproved, StageApproved, StageNoticePublished, StageReported} {
		e, p := at(t, s)
		if err := e.CancelWithProject(prov, p, t0); !errors.Is(err, domain.ErrInvalidState) {
			t.Fatalf("%s: withdrawn while the project runs: %v", s, err)
		}
		if err := p.Cancel(prov, "经费未落实", t0); err != nil {
			t.Fatal(err)
		}
		if err := e.CancelWithProject(countyB, p, t0); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("%s: another county froze it: %v", s, err)
		}
		if err := e.CancelWithProject(prov, p, t0); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		w, ok := e.Changes()[len(e.Changes())-1].(*Withdrawn)
		if !ok || !w.ProjectCancelled || w.Reason != "项目已取消：经费未落实" || e.Stage() != StageWithdrawn || e.NeedsSeat() {
			t.Fatalf("%s: last event %#v, stage %s", s, e.Changes()[len(e.Changes())-1], e.Stage())
		}
		wantRefusal(t, string(s)+": city approval after cancelling", e.CityApprove(cityA, t0), "经费未落实")
		wantRefusal(t, string(s)+": report after cancelling", e.Report(teacher, t0), "经费未落实")
		// A second freeze records nothing.
		n := len(e.Changes())
		if err := e.CancelWithProject(prov, p, t0); err != nil || len(e.Changes()) != n {
			t.Fatalf("%s: second freeze: %v, %d events", s, err, len(e.Changes())-n)
		}
	}
	// A graded enrollment keeps its result.
	g, p := at(t, StageGraded)
	if err := p.Cancel(prov, "经费未落实", t0); err != nil {
		t.Fatal(err)
	}
	n := len(g.Changes())
	if err := g.CancelWithProject(prov, p, t0); err != nil || len(g.Changes()) != n {
		t.Fatalf("graded: %v, %d events", err, len(g.Changes())-n)
	}
	// A nomination into the cancelled project is refused with the reason.
	if err := p.ReserveSeat("130102", ID(p.ID(), teacherID), t0); !strings.Contains(userMessage(err), "经费未落实") {
		t.Fatalf("seat in a cancelled project: %v", err)
	}
}
