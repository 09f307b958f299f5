package enrollment

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
)

var (
	t0        = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	teacherID = uuid.MustParse("00000000-0000-0000-0000-0000000000aa")
	instAID   = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	instBID   = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")
	classA1   = uuid.MustParse("00000000-0000-0000-0000-00000000c0a1")
	classA2   = uuid.MustParse("00000000-0000-0000-0000-00000000c0a2")
	classB1   = uuid.MustParse("00000000-0000-0000-0000-00000000c0b1")

	sys          = access.System("test")
	prov         = access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Name: "省管理员", Jurisdiction: "13"}
	cityA        = access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Name: "石家庄市管理员", Jurisdiction: "1301"}
	cityB        = access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1302"}
	countyA      = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Name: "长安区管理员", Jurisdiction: "130102"}
	countyB      = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	instA        = access.Actor{UserID: uuid.New(), Role: access.RoleInstitution, InstitutionID: instAID}
	instB        = access.Actor{UserID: uuid.New(), Role: access.RoleInstitution, InstitutionID: instBID}
	teacher      = access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: teacherID}
	otherTeacher = access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
	auditor      = access.Actor{UserID: uuid.New(), Role: access.RoleAuditor, Jurisdiction: "1301"}
)

func f(x float64) *float64 { return &x }

// tEnd is the last day of the test project (2026-04-30 in China).
var tEnd = time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC)

// startProject closes nomination: the training is under way.
func startProject(p *project.Project) {
	if p.Status() == project.StatusNominating {
		if err := p.Start(sys, t0); err != nil {
			panic(err)
		}
	}
}

// newProject is a province project open for nomination with two
// institutions and three classes.
func newProject(t *testing.T, owner string, cat project.Category, kind project.Kind) *project.Project {
	t.Helper()
	creator := sys
	p, err := project.Create(creator, project.NewProject{
		ID: uuid.New(), Kind: kind, Category: cat, Owner: owner,
		Details: project.Details{
			Name: "2026年国培计划", Year: 2026, Mode: project.ModeBlended,
			Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
			Hours: 60, Credits: 6,
		},
		Institutions: []project.Institution{{ID: instAID, Name: "河北师范大学"}, {ID: instBID, Name: "石家庄学院"}},
		Policy:       project.Policy{OfflineWeight: 40, OnlineWeight: 60, PassMark: 60},
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []project.Class{
		{ID: classA1, InstitutionID: instAID, Name: "一班"},
		{ID: classA2, InstitutionID: instAID, Name: "二班"},
		{ID: classB1, InstitutionID: instBID, Name: "一班"},
	} {
		if err := p.AddClass(sys, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.OpenNomination(sys, t0); err != nil {
		t.Fatal(err)
	}
	return p
}

func provinceProject(t *testing.T) *project.Project {
	return newProject(t, "13", project.CategoryNational, project.KindNational)
}

type action func(e *Enrollment, p *project.Project, a access.Actor) error

var notice = Notice{ReportDate: time.Date(2026, 4, 1, 8, 30, 0, 0, time.UTC), ReportPlace: "河北师范大学汇华学院", Contact: "王老师 0311-80780000"}

var (
	nominate = func(e *Enrollment, p *project.Project, a access.Actor) error {
		if p.Status() != project.StatusNominating {
			return e.Nominate(a, p, teacherID, "130102", t0) // refused: not open
		}
		if err := p.ReserveSeat("130102", ID(p.ID(), teacherID), t0); err != nil {
			return err
		}
		return e.Nominate(a, p, teacherID, "130102", t0)
	}
	cityApprove = func(e *Enrollment, _ *project.Project, a access.Actor) error { return e.CityApprove(a, t0) }
	cityReject  = func(e *Enrollment, _ *project.Project, a access.Actor) error {
		return e.CityReject(a, "学科不符", t0)
	}
	approve = func(e *Enrollment, p *project.Project, a access.Actor) error {
		return e.Approve(a, p, instAID, classA1, t0)
	}
	reject   = func(e *Enrollment, _ *project.Project, a access.Actor) error { return e.Reject(a, "名额已满", t0) }
	withdraw = func(e *Enrollment, _ *project.Project, a access.Actor) error { return e.Withdraw(a, "病假", t0) }
	publish  = func(e *Enrollment, _ *project.Project, a access.Actor) error { return e.PublishNotice(a, notice, t0) }
	report   = func(e *Enrollment, _ *project.Project, a access.Actor) error { return e.Report(a, t0) }
	progress = func(e *Enrollment, _ *project.Project, a access.Actor) error {
		return e.RecordProgress(a, Progress{OnlinePercent: 50, SessionsAttended: 3, SessionsTotal: 10}, t0)
	}
	postGrade = func(e *Enrollment, p *project.Project, a access.Actor) error {
		startProject(p)
		return e.PostGrade(a, p, f(80), f(90), tEnd)
	}
	correct = func(e *Enrollment, p *project.Project, a access.Actor) error {
		return e.CorrectGrade(a, p, f(85), f(90), "线下成绩录入错误", tEnd)
	}
	issue = func(e *Enrollment, p *project.Project, a access.Actor) error {
		n, _ := CertificateNumber(2026, project.CategoryNational, 42)
		return e.IssueCertificate(a, p, n, "ABCD1234", tEnd)
	}
)

type move struct {
	do    action
	actor access.Actor
}

// paths reach each stage with the proper actors.
var paths = map[Stage][]move{
	StageNone:             nil,
	StageNominated:        {{nominate, countyA}},
	StageCityApproved:     {{nominate, countyA}, {cityApprove, cityA}},
	StageCityRejected:     {{nominate, countyA}, {cityReject, cityA}},
	StageApproved:         {{nominate, countyA}, {cityApprove, cityA}, {approve, prov}},
	StageProvinceRejected: {{nominate, countyA}, {cityApprove, cityA}, {reject, prov}},
	StageWithdrawn:        {{nominate, countyA}, {withdraw, countyA}},
	StageNoticePublished:  {{nominate, countyA}, {cityApprove, cityA}, {approve, prov}, {publish, instA}},
	StageReported:         {{nominate, countyA}, {cityApprove, cityA}, {approve, prov}, {publish, instA}, {report, teacher}},
	StageGraded:           {{nominate, countyA}, {cityApprove, cityA}, {approve, prov}, {publish, instA}, {report, teacher}, {postGrade, instA}},
}

var allStages = []Stage{StageNone, StageNominated, StageCityApproved, StageCityRejected, StageApproved,
	StageProvinceRejected, StageWithdrawn, StageNoticePublished, StageReported, StageGraded}

func at(t *testing.T, s Stage) (*Enrollment, *project.Project) {
	t.Helper()
	p := provinceProject(t)
	e := &Enrollment{}
	for i, m := range paths[s] {
		if err := m.do(e, p, m.actor); err != nil {
			t.Fatalf("reaching %s, move %d: %v", s, i, err)
		}
	}
	if e.Stage() != s {
		t.Fatalf("reached %q, want %q", e.Stage(), s)
	}
	return e, p
}

// TestTransitions tries every action from every stage with an authorized
// actor: allowed stages must lead to the target, all others must refuse.
func TestTransitions(t *testing.T) {
	tests := []struct {
		name    string
		do      action
		actor   access.Actor
		from    []Stage
		to      Stage
		refusal error
	}{
		{"nominate", nominate, countyA, []Stage{StageNone, StageCityRejected, StageProvinceRejected, StageWithdrawn}, StageNominated, domain.ErrDuplicate},
		{"city approve", cityApprove, cityA, []Stage{StageNominated}, StageCityApproved, domain.ErrInvalidState},
		{"city reject", cityReject, cityA, []Stage{StageNominated}, StageCityRejected, domain.ErrInvalidState},
		{"approve", approve, prov, []Stage{StageCityApproved}, StageApproved, domain.ErrInvalidState},
		{"reject", reject, prov, []Stage{StageCityApproved}, StageProvinceRejected, domain.ErrInvalidState},
		{"withdraw", withdraw, countyA, []Stage{StageNominated, StageCityApproved, StageApproved, StageNoticePublished}, StageWithdrawn, domain.ErrInvalidState},
		{"publish notice", publish, sys, []Stage{StageApproved, StageNoticePublished}, StageNoticePublished, domain.ErrInvalidState},
		{"report", report, teacher, []Stage{StageApproved, StageNoticePublished}, StageReported, domain.ErrInvalidState},
		{"progress", progress, sys, []Stage{StageReported}, StageReported, domain.ErrInvalidState},
		{"post grade", postGrade, sys, []Stage{StageReported}, StageGraded, domain.ErrInvalidState},
		{"correct grade", correct, prov, []Stage{StageGraded}, StageGraded, domain.ErrInvalidState},
		{"issue certificate", issue, prov, []Stage{StageGraded}, StageGraded, domain.ErrInvalidState},
	}
	for _, tt := range tests {
		for _, from := range allStages {
			allowed := false
			for _, s := range tt.from {
				allowed = allowed || s == from
			}
			t.Run(tt.name+" from "+string(from), func(t *testing.T) {
				e, p := at(t, from)
				err := tt.do(e, p, tt.actor)
				switch {
				case allowed && err != nil:
					t.Fatalf("refused: %v", err)
				case allowed && e.Stage() != tt.to:
					t.Fatalf("stage = %q, want %q", e.Stage(), tt.to)
				case allowed:
				case from == StageNone && tt.name != "nominate":
					if !errors.Is(err, domain.ErrNotFound) {
						t.Fatalf("err = %v, want not found", err)
					}
				case !errors.Is(err, tt.refusal):
					t.Fatalf("err = %v, want %v", err, tt.refusal)
				case e.Stage() != from:
					t.Fatalf("refused action moved stage to %q", e.Stage())
				}
			})
		}
	}
}

// TestAuthorization tries each action at a stage where it is allowed, by
// actors of the right and wrong role or jurisdiction.
func TestAuthorization(t *testing.T) {
	tests := []struct {
		name  string
		stage Stage
		do    action
		actor access.Actor
		ok    bool
	}{
		{"county admin nominates own county", StageNone, nominate, countyA, true},
		{"other county admin", StageNone, nominate, countyB, false},
		{"city admin cannot nominate", StageNone, nominate, cityA, false},
		{"province admin cannot nominate", StageNone, nominate, prov, false},
		{"teacher cannot nominate self", StageNone, nominate, teacher, false},
		{"city admin of the county's city", StageNominated, cityApprove, cityA, true},
		{"other city admin", StageNominated, cityApprove, cityB, false},
		{"county admin cannot review", StageNominated, cityReject, countyA, false},
		{"province admin is not the city", StageNominated, cityApprove, prov, false},
		{"province approves", StageCityApproved, approve, prov, true},
		{"city cannot approve province project", StageCityApproved, approve, cityA, false},
		{"institution cannot approve", StageCityApproved, approve, instA, false},
		{"province rejects", StageCityApproved, reject, prov, true},
		{"county cannot reject", StageCityApproved, reject, countyA, false},
		{"county withdraws", StageApproved, withdraw, countyA, true},
		{"owner withdraws", StageApproved, withdraw, prov, true},
		{"other county cannot withdraw", StageApproved, withdraw, countyB, false},
		{"teacher cannot withdraw", StageApproved, withdraw, teacher, false},
		{"city cannot withdraw", StageApproved, withdraw, cityA, false},
		{"assigned institution publishes", StageApproved, publish, instA, true},
		{"other institution cannot publish", StageApproved, publish, instB, false},
		{"teacher cannot publish", StageApproved, publish, teacher, false},
		{"teacher reports", StageNoticePublished, report, teacher, true},
		{"institution reports for the teacher", StageNoticePublished, report, instA, true},
		{"another teacher cannot report", StageNoticePublished, report, otherTeacher, false},
		{"county cannot report", StageNoticePublished, report, countyA, false},
		{"institution records progress", StageReported, progress, instA, true},
		{"other institution cannot record progress", StageReported, progress, instB, false},
		{"teacher cannot record own progress", StageReported, progress, teacher, false},
		{"institution posts grade", StageReported, postGrade, instA, true},
		{"other institution cannot post", StageReported, postGrade, instB, false},
		{"province does not post grades", StageReported, postGrade, prov, false},
		{"institution corrects", StageGraded, correct, instA, true},
		{"owner corrects", StageGraded, correct, prov, true},
		{"city cannot correct", StageGraded, correct, cityA, false},
		{"other institution cannot correct", StageGraded, correct, instB, false},
		{"teacher cannot correct", StageGraded, correct, teacher, false},
		{"institution issues certificate", StageGraded, issue, instA, true},
		{"other institution cannot issue", StageGraded, issue, instB, false},
		{"teacher cannot issue", StageGraded, issue, teacher, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, p := at(t, tt.stage)
			n := len(e.Changes())
			err := tt.do(e, p, tt.actor)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok {
				if !errors.Is(err, access.ErrForbidden) {
					t.Fatalf("err = %v, want forbidden", err)
				}
				if len(e.Changes()) != n {
					t.Fatalf("a refused action recorded events")
				}
			}
		})
	}
}

func TestCityProjectSkipsCityReview(t *testing.T) {
	p := newProject(t, "1301", project.CategoryCity, project.KindCity)
	e := &Enrollment{}
	if err := nominate(e, p, countyA); err != nil {
		t.Fatal(err)
	}
	if err := e.CityApprove(cityA, t0); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("city review on a city project: err = %v, want invalid state", err)
	}
	if err := e.Approve(cityB, p, instAID, classA1, t0); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("other city approves: err = %v, want forbidden", err)
	}
	if err := e.Approve(cityA, p, instAID, classA1, t0); err != nil {
		t.Fatalf("owner city approves: %v", err)
	}
	if e.Stage() != StageApproved {
		t.Errorf("stage = %q", e.Stage())
	}
}

func TestNominatePreconditions(t *testing.T) {
	t.Run("without a seat", func(t *testing.T) {
		p := provinceProject(t)
		e := &Enrollment{}
		if err := e.Nominate(countyA, p, teacherID, "130102", t0); !errors.Is(err, ErrNoSeat) {
			t.Fatalf("err = %v, want ErrNoSeat", err)
		}
	})
	t.Run("project not open", func(t *testing.T) {
		p := provinceProject(t)
		_ = p.ReserveSeat("130102", ID(p.ID(), teacherID), t0)
		_ = p.Start(sys, t0)
		e := &Enrollment{}
		if err := e.Nominate(countyA, p, teacherID, "130102", t0); !errors.Is(err, project.ErrNotNominating) {
			t.Fatalf("err = %v, want not nominating", err)
		}
	})
	t.Run("county outside a city project", func(t *testing.T) {
		p := newProject(t, "1302", project.CategoryCity, project.KindCity)
		e := &Enrollment{}
		if err := e.Nominate(countyA, p, teacherID, "130102", t0); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("err = %v, want validation", err)
		}
	})
	t.Run("assignment to a foreign class", func(t *testing.T) {
		e, p := at(t, StageCityApproved)
		if err := e.Approve(prov, p, instAID, classB1, t0); !errors.Is(err, project.ErrUnknownClass) {
			t.Fatalf("err = %v, want unknown class", err)
		}
		if err := e.Approve(prov, p, uuid.New(), classA1, t0); !errors.Is(err, project.ErrUnknownInstitut) {
			t.Fatalf("err = %v, want unknown institution", err)
		}
	})
	t.Run("rejection needs a reason", func(t *testing.T) {
		e, _ := at(t, StageNominated)
		if err := e.CityReject(cityA, "  ", t0); !errors.Is(err, domain.ErrValidation) {
			t.Fatalf("err = %v, want validation", err)
		}
	})
}

func TestRenominationAfterRejection(t *testing.T) {
	e, p := at(t, StageCityRejected)
	if e.NeedsSeat() {
		t.Fatal("a rejected enrollment should not need a seat")
	}
	if err := p.ReleaseSeat(e.ID(), e.Reason(), t0); err != nil {
		t.Fatal(err)
	}
	if err := nominate(e, p, countyA); err != nil {
		t.Fatalf("re-nominate: %v", err)
	}
	if e.Attempt() != 2 || e.Stage() != StageNominated || e.Reason() != "" || !e.NeedsSeat() {
		t.Errorf("attempt %d stage %q reason %q", e.Attempt(), e.Stage(), e.Reason())
	}
	var got []string
	for _, s := range e.Steps() {
		got = append(got, s.Label+"/"+s.Reason)
	}
	want := []string{"区县推荐/", "市级退回/学科不符", "区县推荐/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %v, want %v", got, want)
	}
}

func TestWithdrawAfterReportRefused(t *testing.T) {
	e, _ := at(t, StageReported)
	if err := e.Withdraw(countyA, "退出", t0); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("err = %v, want invalid state", err)
	}
}

func TestReassignClearsNotice(t *testing.T) {
	e, p := at(t, StageNoticePublished)
	if err := e.Reassign(countyA, p, instAID, classA2, t0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("county reassigns: err = %v, want forbidden", err)
	}
	if err := e.Reassign(prov, p, instBID, classB1, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Notice(); ok || e.Stage() != StageApproved {
		t.Errorf("after reassignment: stage %q, notice kept %v", e.Stage(), ok)
	}
	if e.IsInstitution(instA) || !e.IsInstitution(instB) {
		t.Error("institution rights did not follow the assignment")
	}
	if got := e.Assignment(); got.ClassName != "一班" || got.InstitutionName != "石家庄学院" {
		t.Errorf("assignment = %+v", got)
	}
}

func TestProgressValidation(t *testing.T) {
	tests := []struct {
		p    Progress
		want error
	}{
		{Progress{OnlinePercent: 100, SessionsAttended: 10, SessionsTotal: 10}, nil},
		{Progress{OnlinePercent: 101}, domain.ErrValidation},
		{Progress{OnlinePercent: -1}, domain.ErrValidation},
		{Progress{SessionsAttended: 11, SessionsTotal: 10}, domain.ErrValidation},
		{Progress{SessionsAttended: -1, SessionsTotal: 10}, domain.ErrValidation},
	}
	for _, tt := range tests {
		e, _ := at(t, StageReported)
		if err := e.RecordProgress(instA, tt.p, t0); !errors.Is(err, tt.want) {
			t.Errorf("%+v: err = %v, want %v", tt.p, err, tt.want)
		}
	}
}

func types(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType())
	}
	return out
}

func TestGradesCreditsAndCorrections(t *testing.T) {
	e, p := at(t, StageReported)
	startProject(p)
	mark := len(e.Changes())
	since := func() []string { s := types(e.Changes()[mark:]); mark = len(e.Changes()); return s }

	// 40% * 50 + 60% * 60 = 56: a fail, no credits.
	if err := e.PostGrade(instA, p, f(50), f(60), tEnd); err != nil {
		t.Fatal(err)
	}
	if got, want := since(), []string{"enrollment.grade_posted"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fail: events %v, want %v", got, want)
	}
	if s, _ := e.Scores(); s.Total != 56 || s.Passed || e.Status() != StatusFinished {
		t.Fatalf("scores %+v status %q", s, e.Status())
	}
	if err := e.PostGrade(instA, p, f(90), f(90), tEnd); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("second post: err = %v, want invalid state", err)
	}
	if err := issue(e, p, instA); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("certificate for a fail: err = %v, want invalid state", err)
	}
	if err := e.CorrectGrade(instA, p, f(50), f(60), "复核", t0); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("same scores: err = %v, want validation", err)
	}
	if err := e.CorrectGrade(instA, p, f(80), f(70), "", t0); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("no reason: err = %v, want validation", err)
	}

	// Correct to a pass: credits follow.
	if err := e.CorrectGrade(instA, p, f(80), f(70), "线下成绩漏录", t0); err != nil {
		t.Fatal(err)
	}
	if got, want := since(), []string{"enrollment.grade_corrected", "enrollment.credits_granted"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("flip to pass: events %v, want %v", got, want)
	}
	if c, ok := e.Credits(); !ok || c.Hours != 60 || c.Credits != 6 || c.Year != 2026 || c.Level != project.CategoryNational {
		t.Fatalf("credits = %+v %v", c, ok)
	}
	if err := issue(e, p, instA); err != nil {
		t.Fatal(err)
	}
	if err := issue(e, p, instA); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("second certificate: err = %v, want duplicate", err)
	}
	since()

	// A pass-to-pass correction changes nothing else.
	if err := e.CorrectGrade(prov, p, f(90), f(70), "复核加分", t0); err != nil {
		t.Fatal(err)
	}
	if got, want := since(), []string{"enrollment.grade_corrected"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pass to pass: events %v, want %v", got, want)
	}

	// Correct to a fail: credits and certificate revoked explicitly.
	if err := e.CorrectGrade(prov, p, f(10), f(10), "发现代学", t0); err != nil {
		t.Fatal(err)
	}
	want := []string{"enrollment.grade_corrected", "enrollment.credits_revoked", "enrollment.certificate_revoked"}
	if got := since(); !reflect.DeepEqual(got, want) {
		t.Fatalf("flip to fail: events %v, want %v", got, want)
	}
	if _, ok := e.Credits(); ok {
		t.Error("credits still granted")
	}
	if _, ok := e.Certificate(); ok {
		t.Error("certificate still valid")
	}
}

func TestPostGradePassGrantsCredits(t *testing.T) {
	e, p := at(t, StageReported)
	startProject(p)
	if err := e.PostGrade(instA, p, f(80), f(90), tEnd); err != nil {
		t.Fatal(err)
	}
	want := []string{"enrollment.grade_posted", "enrollment.credits_granted"}
	if got := types(e.Changes()[len(e.Changes())-2:]); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if err := e.PostGrade(instA, p, nil, f(90), tEnd); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("err = %v", err)
	}
	e2, p2 := at(t, StageReported)
	startProject(p2)
	if err := e2.PostGrade(instA, p2, nil, f(90), tEnd); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("missing offline score: err = %v, want validation", err)
	}
}

func TestStatusAndRemoteLearning(t *testing.T) {
	want := map[Stage]Status{
		StageNone: StatusNotStarted, StageNominated: StatusNotStarted, StageCityApproved: StatusNotStarted,
		StageCityRejected: StatusNotStarted, StageApproved: StatusNotStarted, StageProvinceRejected: StatusNotStarted,
		StageWithdrawn: StatusNotStarted, StageNoticePublished: StatusNotStarted,
		StageReported: StatusInProgress, StageGraded: StatusFinished,
	}
	for _, s := range allStages {
		e, _ := at(t, s)
		if got := e.Status(); got != want[s] {
			t.Errorf("%s: status %q, want %q", s, got, want[s])
		}
		if got := e.CanEnterRemoteLearning(teacher); got != (s == StageReported) {
			t.Errorf("%s: remote learning %v", s, got)
		}
	}
	e, _ := at(t, StageReported)
	if e.CanEnterRemoteLearning(otherTeacher) {
		t.Error("another teacher may enter")
	}
}

func TestCanView(t *testing.T) {
	e, _ := at(t, StageApproved)
	tests := []struct {
		a    access.Actor
		want bool
	}{
		{teacher, true}, {otherTeacher, false}, {instA, true}, {instB, false},
		{countyA, true}, {countyB, false}, {cityA, true}, {cityB, false}, {prov, true}, {auditor, true},
	}
	for _, tt := range tests {
		if got := e.CanView(tt.a); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.a.Role, tt.a.Jurisdiction, got, tt.want)
		}
	}
}

func TestStepsCarryWhoAndWhen(t *testing.T) {
	e, _ := at(t, StageApproved)
	steps := e.Steps()
	want := []struct {
		typ  string
		name string
	}{
		{"enrollment.nominated", "长安区管理员"},
		{"enrollment.city_approved", "石家庄市管理员"},
		{"enrollment.province_approved", "省管理员"},
		{"enrollment.assigned", "省管理员"},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps = %+v", steps)
	}
	for i, w := range want {
		if steps[i].Type != w.typ || steps[i].By.Name != w.name || !steps[i].At.Equal(t0) {
			t.Errorf("step %d = %+v, want %s by %s", i, steps[i], w.typ, w.name)
		}
	}
}

func TestIDDeterministic(t *testing.T) {
	p1, p2, t1 := uuid.New(), uuid.New(), uuid.New()
	if ID(p1, t1) != ID(p1, t1) {
		t.Error("same pair, different ids")
	}
	if ID(p1, t1) == ID(p2, t1) || ID(p1, t1) == ID(t1, p1) {
		t.Error("different pairs collide")
	}
	if got := StreamName(ID(p1, t1)); got[:11] != "enrollment-" {
		t.Errorf("stream %q", got)
	}
	// Pinned: a change of namespace would orphan every stored stream.
	pinned := ID(uuid.MustParse("11111111-1111-1111-1111-111111111111"), uuid.MustParse("22222222-2222-2222-2222-222222222222"))
	if pinned.String() != "6eb3a361-a0d9-5e61-b3cc-8a9f7284619c" {
		t.Errorf("ID changed: %s", pinned)
	}
}

func TestReplayThroughRegistry(t *testing.T) {
	reg := event.NewRegistry()
	RegisterEvents(reg)
	e, p := at(t, StageGraded)
	if err := issue(e, p, instA); err != nil {
		t.Fatal(err)
	}
	var history []event.Envelope
	for i, ev := range e.Changes() {
		name, data, err := reg.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, event.Envelope{Revision: uint64(i), Type: name, Event: back})
	}
	got := Load(history)
	if got.Version() != int64(len(history)-1) {
		t.Errorf("version %d", got.Version())
	}
	gs, _ := got.Scores()
	ws, _ := e.Scores()
	gc, _ := got.Certificate()
	wc, _ := e.Certificate()
	if got.Stage() != e.Stage() || got.ID() != e.ID() || !reflect.DeepEqual(gs, ws) || gc.Number != wc.Number ||
		got.Assignment() != e.Assignment() || len(got.Steps()) != len(e.Steps()) {
		t.Errorf("replayed enrollment differs")
	}
}

func TestRepublishNotice(t *testing.T) {
	e, _ := at(t, StageNoticePublished)
	n := len(e.Changes())
	same := notice
	same.ReportDate = notice.ReportDate.In(time.FixedZone("CST", 8*3600))
	if err := e.PublishNotice(instA, same, t0); err != nil || len(e.Changes()) != n {
		t.Fatalf("same notice recorded again: %v", err)
	}
	moved := notice
	moved.ReportPlace = "河北师范大学本部"
	if err := e.PublishNotice(instA, moved, t0); err != nil || len(e.Changes()) != n+1 {
		t.Fatalf("changed notice not recorded: %v", err)
	}
	if got, _ := e.Notice(); got.ReportPlace != "河北师范大学本部" {
		t.Errorf("notice = %+v", got)
	}
	if err := e.PublishNotice(instA, Notice{ReportPlace: "x"}, t0); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("incomplete notice: err = %v", err)
	}
}
