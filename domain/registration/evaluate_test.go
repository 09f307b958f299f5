package registration_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/registration"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The cycle of every case: registered 2019-09-01, due 2024-09-01; its
// appraisal years are 2019-2023.
var (
	regDate = day(2019, 9, 1)
	dueDate = day(2024, 9, 15)
)

func entry(hours int, completed time.Time, cat credit.Category, level credit.Level) credit.Entry {
	id := uuid.New()
	return credit.Entry{
		ID: id, Key: "enrollment:" + id.String(), Year: completed.Year(), CompletedOn: completed,
		Level: level, Category: cat, Hours: credit.Whole(hours), Title: "培训", GrantedAt: completed,
	}
}

func training(hours int, completed time.Time) credit.Entry {
	return entry(hours, completed, credit.CategoryTraining, credit.LevelProvincial)
}

// fiveYears is 80 hours in each cycle year: 400 in all.
func fiveYears() []credit.Entry {
	var out []credit.Entry
	for y := 2020; y <= 2024; y++ {
		out = append(out, training(80, day(y, 6, 1)))
	}
	return out
}

func grades(g map[int]appraisal.Grade) []appraisal.Annual {
	var out []appraisal.Annual
	for y := 2019; y <= 2023; y++ {
		grade := appraisal.GradeCompetent
		if x, ok := g[y]; ok {
			grade = x
		}
		if grade != "" {
			out = append(out, appraisal.Annual{Year: y, Grade: grade})
		}
	}
	return out
}

func ethicsAllPassed() []appraisal.Ethics {
	var out []appraisal.Ethics
	for y := 2019; y <= 2023; y++ {
		out = append(out, appraisal.Ethics{Year: y, Passed: true})
	}
	return out
}

func baseInput() registration.Input {
	return registration.Input{
		TeacherID:  uuid.New(),
		History:    registration.History{FirstRegisteredOn: regDate, LastRegisteredOn: regDate, LastOutcome: registration.OutcomePass, LastDecidedOn: regDate},
		Entries:    fiveYears(),
		Annual:     grades(nil),
		Ethics:     ethicsAllPassed(),
		FitToTeach: true,
		AsOf:       dueDate,
		Policy:     registration.NationalDefault(),
	}
}

func codes(r registration.Result) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.Code)
	}
	slices.Sort(out)
	return out
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name        string
		mutate      func(*registration.Input)
		want        registration.Outcome
		wantCodes   []string
		wantHours   int
		wantMissing int
	}{
		{"pass", func(*registration.Input) {}, registration.OutcomePass, nil, 400, 0},
		{"hours short defers", func(in *registration.Input) { in.Entries = in.Entries[:4] }, registration.OutcomeDeferred,
			[]string{registration.CodeHoursShort}, 320, 40},
		{"one year's appraisal 不合格 defers", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2021: appraisal.GradeIncompetent})
		}, registration.OutcomeDeferred, []string{registration.CodeAppraisalIncompetent}, 400, 0},
		{"two consecutive years 不合格 fail", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2020: appraisal.GradeIncompetent, 2021: appraisal.GradeIncompetent})
		}, registration.OutcomeFail, []string{registration.CodeAppraisalIncompetent, registration.CodeAppraisalConsecutiveFails}, 400, 0},
		{"two non-consecutive years 不合格 defer", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2019: appraisal.GradeIncompetent, 2023: appraisal.GradeIncompetent})
		}, registration.OutcomeDeferred, []string{registration.CodeAppraisalIncompetent}, 400, 0},
		{"基本合格 is not 合格以上", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2022: appraisal.GradeBasic})
		}, registration.OutcomeDeferred, []string{registration.CodeAppraisalBasic}, 400, 0},
		{"优秀 passes", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2022: appraisal.GradeExcellent})
		}, registration.OutcomePass, nil, 400, 0},
		{"missing appraisal defers", func(in *registration.Input) {
			in.Annual = grades(map[int]appraisal.Grade{2020: ""})
		}, registration.OutcomeDeferred, []string{registration.CodeAppraisalMissing}, 400, 0},
		{"serious ethics breach fails", func(in *registration.Input) {
			in.Ethics[2] = appraisal.Ethics{Year: 2021, Passed: false, SeriousBreach: true}
		}, registration.OutcomeFail, []string{registration.CodeEthicsSeriousBreach}, 400, 0},
		{"ethics 不达标 without serious breach defers", func(in *registration.Input) {
			in.Ethics[2] = appraisal.Ethics{Year: 2021, Passed: false}
		}, registration.OutcomeDeferred, []string{registration.CodeEthicsFailed}, 400, 0},
		{"missing ethics defers", func(in *registration.Input) { in.Ethics = in.Ethics[1:] },
			registration.OutcomeDeferred, []string{registration.CodeEthicsMissing}, 400, 0},
		{"unapproved absence over a semester defers", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2021, 3, 1), Until: day(2021, 9, 17)}} // 200 days
		}, registration.OutcomeDeferred, []string{registration.CodeAbsenceUnapproved}, 400, 0},
		{"approved absence over a semester passes", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2021, 3, 1), Until: day(2021, 9, 17), Approved: true, Note: "产假"}}
		}, registration.OutcomePass, nil, 400, 0},
		{"unapproved absence within a semester passes", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2021, 3, 1), Until: day(2021, 7, 29)}} // 150 days
		}, registration.OutcomePass, nil, 400, 0},
		{"unapproved absences add up across the cycle", func(in *registration.Input) {
			in.Absences = []registration.Absence{
				{From: day(2020, 3, 1), Until: day(2020, 6, 9)}, // 100 days
				{From: day(2022, 3, 1), Until: day(2022, 6, 9)}, // 100 days
			}
		}, registration.OutcomeDeferred, []string{registration.CodeAbsenceUnapproved}, 400, 0},
		{"overlapping reports of one absence count once", func(in *registration.Input) {
			in.Absences = []registration.Absence{
				{From: day(2021, 3, 1), Until: day(2021, 6, 29)},  // 120 days
				{From: day(2021, 4, 30), Until: day(2021, 8, 28)}, // 120 days, 60 shared
			}
		}, registration.OutcomePass, nil, 400, 0},
		{"absence before the cycle does not count", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2018, 1, 1), Until: day(2019, 10, 1)}}
		}, registration.OutcomePass, nil, 400, 0},
		{"certificate revoked fails", func(in *registration.Input) { in.CertificateRevoked = true },
			registration.OutcomeFail, []string{registration.CodeCertificateRevoked}, 400, 0},
		{"unconfirmed fitness defers", func(in *registration.Input) { in.FitToTeach = false },
			registration.OutcomeDeferred, []string{registration.CodeFitnessUnconfirmed}, 400, 0},
		{"not yet due reports progress", func(in *registration.Input) {
			in.AsOf = day(2022, 3, 1)
			in.Entries = in.Entries[:2]
		}, registration.OutcomeNotDue, []string{registration.CodeNotDue}, 160, 200},
		{"not yet due still shows what already stands in the way", func(in *registration.Input) {
			in.AsOf = day(2022, 3, 1)
			in.Entries = in.Entries[:2]
			in.Annual = grades(map[int]appraisal.Grade{2020: appraisal.GradeIncompetent, 2021: appraisal.GradeIncompetent})
		}, registration.OutcomeNotDue, []string{registration.CodeAppraisalIncompetent, registration.CodeAppraisalConsecutiveFails, registration.CodeNotDue}, 160, 200},
		{"not yet due ignores years not ended", func(in *registration.Input) {
			in.AsOf = day(2021, 6, 2) // entries dated later are not counted
			in.Annual = grades(map[int]appraisal.Grade{2021: "", 2022: "", 2023: ""})
		}, registration.OutcomeNotDue, []string{registration.CodeNotDue}, 160, 200},
		{"exempt", func(in *registration.Input) {
			in.Policy.Exemptions = []registration.Exemption{{Code: "retiring", Label: "距法定退休年龄不足五年"}}
			in.Categories = []string{"retiring"}
			in.Entries = nil
		}, registration.OutcomeExempt, []string{registration.CodeExempt}, 0, 360},
		{"exemption does not cover a revoked certificate", func(in *registration.Input) {
			in.Policy.Exemptions = []registration.Exemption{{Code: "retiring", Label: "距法定退休年龄不足五年"}}
			in.Categories = []string{"retiring"}
			in.CertificateRevoked = true
		}, registration.OutcomeFail, []string{registration.CodeCertificateRevoked}, 400, 0},
		{"other categories are not exempt", func(in *registration.Input) {
			in.Policy.Exemptions = []registration.Exemption{{Code: "retiring", Label: "距法定退休年龄不足五年"}}
			in.Categories = []string{"rural"}
		}, registration.OutcomePass, nil, 400, 0},
		{"per-year minimum", func(in *registration.Input) {
			in.Policy = withMinYear(48)
			// Nothing in the third cycle year (2021-09-01..2022-08-31), 160 in the fourth.
			in.Entries = []credit.Entry{training(80, day(2020, 6, 1)), training(80, day(2021, 6, 1)),
				training(160, day(2022, 10, 1)), training(80, day(2024, 6, 1))}
		}, registration.OutcomeDeferred, []string{registration.CodeYearHoursShort}, 400, 0},
		{"per-year minimum met", func(in *registration.Input) { in.Policy = withMinYear(48) },
			registration.OutcomePass, nil, 400, 0},
		{"school-based cap", func(in *registration.Input) {
			in.Policy.Version = "capped"
			in.Policy.SchoolBasedCapHours = credit.Whole(100)
			in.Entries = schoolMix()
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 340, 20},
		{"school-based under the cap", func(in *registration.Input) {
			in.Policy.Version = "capped"
			in.Policy.SchoolBasedCapHours = credit.Whole(120)
			in.Entries = schoolMix()
		}, registration.OutcomePass, nil, 360, 0},
		{"county-or-above minimum", func(in *registration.Input) {
			in.Policy.MinCountyOrAboveHours = credit.Whole(120)
			in.Entries = []credit.Entry{training(100, day(2020, 6, 1)), entry(300, day(2022, 6, 1), credit.CategoryTraining, credit.LevelOther)}
		}, registration.OutcomeDeferred, []string{registration.CodeCountyHoursShort}, 400, 0},
		{"an activity counts once", func(in *registration.Input) {
			in.Entries = append(in.Entries[:4], in.Entries[0])
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"exactly 360 hours pass", func(in *registration.Input) {
			in.Entries[4].Hours = credit.Whole(40)
		}, registration.OutcomePass, nil, 360, 0},
		{"359 hours defer", func(in *registration.Input) {
			in.Entries[4].Hours = credit.Whole(39)
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 359, 1},
		{"unapproved absence of exactly 183 days passes", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2021, 3, 1), Until: day(2021, 8, 31)}}
		}, registration.OutcomePass, nil, 400, 0},
		{"unapproved absence of 184 days defers", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2021, 3, 1), Until: day(2021, 9, 1)}}
		}, registration.OutcomeDeferred, []string{registration.CodeAbsenceUnapproved}, 400, 0},
		{"an absence still running counts up to the check date", func(in *registration.Input) {
			in.Absences = []registration.Absence{{From: day(2024, 2, 1)}}
		}, registration.OutcomeDeferred, []string{registration.CodeAbsenceUnapproved}, 400, 0},
		{"revoked then granted again counts once", func(in *registration.Input) {
			again := in.Entries[4]
			again.ID = uuid.New()
			in.Entries[4].Revoked, in.Entries[4].RevokeReason = true, "成绩更正为不合格"
			in.Entries = append(in.Entries, again)
		}, registration.OutcomePass, nil, 400, 0},
		{"a revoked credit does not count", func(in *registration.Input) {
			in.Entries[4].Revoked, in.Entries[4].RevokeReason = true, "成绩更正为不合格"
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"hours outside the cycle do not count", func(in *registration.Input) {
			in.Entries[0].CompletedOn = day(2019, 8, 31)
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"make-up hours after the end count on re-application", func(in *registration.Input) {
			deferred(in)
			in.Entries = append(in.Entries[:4], training(40, day(2024, 10, 1)))
			in.AsOf = day(2024, 10, 15)
		}, registration.OutcomePass, nil, 360, 0},
		{"hours after the end do not count without a deferral", func(in *registration.Input) {
			in.Entries = append(in.Entries[:4], training(40, day(2024, 10, 1)))
			in.AsOf = day(2024, 10, 15)
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"make-up hours after the deadline do not count", func(in *registration.Input) {
			deferred(in)
			in.Entries = append(in.Entries[:4], training(40, day(2025, 9, 1)))
			in.AsOf = day(2025, 10, 1)
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"the policy sets the make-up deadline", func(in *registration.Input) {
			deferred(in)
			in.Policy.MakeUpMonths = 18
			in.Entries = append(in.Entries[:4], training(40, day(2025, 9, 1)))
			in.AsOf = day(2025, 10, 1)
		}, registration.OutcomePass, nil, 360, 0},
		{"make-up hours after the check date do not", func(in *registration.Input) {
			in.Entries = append(in.Entries[:4], training(40, day(2024, 10, 1)))
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"degree study counts 72 a year, once a year", func(in *registration.Input) {
			in.Entries = append(in.Entries[:4],
				entry(10, day(2022, 7, 1), credit.CategoryDegreeStudy, credit.LevelProvincial),
				entry(10, day(2022, 12, 1), credit.CategoryDegreeStudy, credit.LevelProvincial))
		}, registration.OutcomePass, nil, 392, 0},
		{"class-teacher work counts 30 a year", func(in *registration.Input) {
			in.Entries = append(in.Entries[:3],
				entry(1, day(2021, 7, 1), credit.CategoryClassTeacher, credit.LevelSchool),
				entry(1, day(2023, 7, 1), credit.CategoryClassTeacher, credit.LevelSchool))
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 300, 60},
		{"credits convert when the policy says so", func(in *registration.Input) {
			in.Policy.Version = "credits"
			in.Policy.HoursPerCredit = credit.Whole(10)
			e := training(0, day(2024, 6, 1))
			e.Credits = credit.Whole(8)
			in.Entries = append(in.Entries[:4], e)
		}, registration.OutcomePass, nil, 400, 0},
		{"credits without a conversion are left out", func(in *registration.Input) {
			e := training(0, day(2024, 6, 1))
			e.Credits = credit.Whole(8)
			in.Entries = append(in.Entries[:4], e)
		}, registration.OutcomeDeferred, []string{registration.CodeHoursShort}, 320, 40},
		{"every reason is reported", func(in *registration.Input) {
			in.Entries = in.Entries[:1]
			in.Annual = grades(map[int]appraisal.Grade{2020: appraisal.GradeIncompetent, 2021: appraisal.GradeIncompetent, 2023: appraisal.GradeBasic})
			in.Ethics[0].Passed = false
			in.Absences = []registration.Absence{{From: day(2022, 1, 1)}}
			in.FitToTeach = false
		}, registration.OutcomeFail, []string{
			registration.CodeAbsenceUnapproved, registration.CodeAppraisalBasic, registration.CodeAppraisalIncompetent,
			registration.CodeAppraisalConsecutiveFails, registration.CodeEthicsFailed, registration.CodeFitnessUnconfirmed,
			registration.CodeHoursShort,
		}, 80, 280},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			tt.mutate(&in)
			got, err := registration.Evaluate(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want {
				t.Errorf("outcome = %q, want %q (reasons %+v)", got.Outcome, tt.want, got.Reasons)
			}
			want := slices.Clone(tt.wantCodes)
			slices.Sort(want)
			if gotCodes := codes(got); !slices.Equal(gotCodes, want) {
				t.Errorf("reasons = %v, want %v", gotCodes, want)
			}
			if got.Progress.Hours != credit.Whole(tt.wantHours) || got.Progress.Missing != credit.Whole(tt.wantMissing) {
				t.Errorf("progress = %s hours, %s missing; want %d, %d", got.Progress.Hours, got.Progress.Missing, tt.wantHours, tt.wantMissing)
			}
			if got.PolicyVersion != in.Policy.Version || got.PolicyVersion == "" {
				t.Errorf("policy version = %q, want %q", got.PolicyVersion, in.Policy.Version)
			}
			for _, r := range got.Reasons {
				if r.Message == "" {
					t.Errorf("reason %q has no message", r.Code)
				}
			}
		})
	}
}

// schoolMix is 240 training hours and 200 school-based ones: a 120 school
// level project (category training, level 60) and 80 of 校本研修.
func schoolMix() []credit.Entry {
	return []credit.Entry{training(80, day(2020, 6, 1)), training(80, day(2021, 6, 1)), training(80, day(2022, 6, 1)),
		entry(120, day(2023, 6, 1), credit.CategoryTraining, credit.LevelSchool),
		entry(80, day(2024, 6, 1), credit.CategorySchoolBased, credit.LevelCounty)}
}

func withMinYear(h int) registration.Policy {
	p := registration.NationalDefault()
	p.Version, p.Scope, p.MinYearHours = "hebei-test", "13", credit.Whole(h)
	return p
}

func evidenceOf(t *testing.T, in registration.Input) registration.Result {
	t.Helper()
	r, err := registration.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEvidenceSaysWhyEntriesDidNotCount(t *testing.T) {
	in := baseInput()
	in.Policy.SchoolBasedCapHours = credit.Whole(50)
	dup := in.Entries[0]
	revoked := training(40, day(2023, 1, 1))
	revoked.Revoked, revoked.RevokeReason = true, "成绩更正"
	school := entry(80, day(2023, 2, 1), credit.CategorySchoolBased, credit.LevelSchool)
	in.Entries = append(in.Entries, dup, revoked, school)

	r := evidenceOf(t, in)
	byRule := map[string]registration.EntryEvidence{}
	for _, e := range r.Evidence.Entries {
		byRule[e.Status+"/"+e.Rule] = e
	}
	if e, ok := byRule["excluded/duplicate_activity"]; !ok || e.CountedHours != credit.Whole(0) || e.EntryID != dup.ID {
		t.Errorf("duplicate evidence = %+v, %v", e, ok)
	}
	if e, ok := byRule["excluded/revoked"]; !ok || e.Note == "" {
		t.Errorf("revoked evidence = %+v, %v", e, ok)
	}
	if e, ok := byRule["capped/school_based_cap"]; !ok || e.CountedHours != credit.Whole(50) || e.RecordedHours != credit.Whole(80) {
		t.Errorf("capped evidence = %+v, %v", e, ok)
	}
	if r.Progress.SchoolBasedCounted != credit.Whole(50) || r.Progress.SchoolBasedCapped != credit.Whole(30) || r.Progress.Hours != credit.Whole(450) {
		t.Errorf("progress = %+v", r.Progress)
	}
	if len(r.Evidence.Years) != 5 || r.Evidence.Years[0].Year != 2019 || r.Evidence.Years[4].Year != 2023 {
		t.Errorf("appraisal years = %+v", r.Evidence.Years)
	}
	if len(r.Evidence.CycleYears) != 5 || r.Evidence.CycleYears[3].Hours != credit.Whole(80+50) {
		t.Errorf("cycle years = %+v", r.Evidence.CycleYears)
	}
}

func TestEvaluateIsDeterministic(t *testing.T) {
	in := baseInput()
	a := evidenceOf(t, in)
	slices.Reverse(in.Entries)
	b := evidenceOf(t, in)
	if a.Digest() != b.Digest() {
		t.Error("digest depends on the order of the entries")
	}
	in.Entries = in.Entries[1:]
	if c := evidenceOf(t, in); c.Digest() == a.Digest() {
		t.Error("digest ignores the evidence")
	}
}

func TestEvaluateRefusesWhatItCannotJudge(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*registration.Input)
		want   error
	}{
		{"no registration", func(in *registration.Input) { in.History = registration.History{} }, domain.ErrInvalidState},
		{"failed registration", func(in *registration.Input) { in.History.LastOutcome = registration.OutcomeFail }, domain.ErrInvalidState},
		{"no date", func(in *registration.Input) { in.AsOf = time.Time{} }, domain.ErrValidation},
		{"bad policy", func(in *registration.Input) { in.Policy.CycleYears = 0 }, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			tt.mutate(&in)
			if _, err := registration.Evaluate(in); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		start time.Time
		years []int
	}{
		{day(2019, 9, 1), []int{2019, 2020, 2021, 2022, 2023}},
		{day(2019, 1, 1), []int{2019, 2020, 2021, 2022, 2023}},
		{day(2019, 12, 31), []int{2019, 2020, 2021, 2022, 2023}},
		{day(2020, 1, 1), []int{2020, 2021, 2022, 2023, 2024}},
	}
	for _, tt := range tests {
		c := registration.NewCycle(tt.start, 5)
		if got := c.AppraisalYears(); !slices.Equal(got, tt.years) {
			t.Errorf("AppraisalYears(%s) = %v, want %v", tt.start.Format(time.DateOnly), got, tt.years)
		}
		next := registration.NewCycle(c.End, 5)
		if slices.Contains(next.AppraisalYears(), tt.years[4]) {
			t.Errorf("consecutive cycles from %s share a year", tt.start.Format(time.DateOnly))
		}
	}
	c := registration.NewCycle(day(2019, 9, 1), 5)
	if !c.Contains(day(2024, 8, 31)) || c.Contains(day(2024, 9, 1)) || c.Contains(day(2019, 8, 31)) {
		t.Error("cycle is not [start, start+5y)")
	}
}

// deferred makes the input's teacher one whose registration of the cycle
// was deferred on the due date.
func deferred(in *registration.Input) {
	in.History.LastOutcome, in.History.LastDecidedOn = registration.OutcomeDeferred, dueDate
}

// Make-up hours are shown apart from the cycle's and named in the evidence.
func TestMakeUpHoursShownSeparately(t *testing.T) {
	in := baseInput()
	deferred(&in)
	in.Entries = append(in.Entries[:4], training(30, day(2024, 10, 1)), training(20, day(2025, 9, 1)))
	in.AsOf = day(2025, 10, 1)
	r, err := registration.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Progress.MakeUpHours != credit.Whole(30) || r.Progress.Hours != credit.Whole(350) || !r.MakeUpUntil.Equal(day(2025, 8, 31)) {
		t.Fatalf("progress %+v until %s", r.Progress, r.MakeUpUntil)
	}
	var rules []string
	for _, e := range r.Evidence.Entries {
		rules = append(rules, e.Rule)
	}
	if !slices.Contains(rules, registration.RuleMakeUp) || !slices.Contains(rules, registration.RuleMakeUpLate) {
		t.Fatalf("evidence rules %v", rules)
	}
	// Without a deferral the result has no make-up fields at all, so the
	// digest of a check without them is unchanged.
	plain, _ := registration.Evaluate(baseInput())
	if data, _ := json.Marshal(plain); strings.Contains(string(data), "make_up") {
		t.Fatalf("make-up fields in a plain result: %s", data)
	}
}
