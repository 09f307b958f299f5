package appraisal_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
)

const county = "130102"

var (
	admin      = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: county}
	otherAdmin = access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	now        = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
)

func TestParseGrade(t *testing.T) {
	tests := []struct {
		in     string
		want   appraisal.Grade
		wantOK bool
	}{
		{"优秀", appraisal.GradeExcellent, true},
		{" 合格 ", appraisal.GradeCompetent, true},
		{"基本合格", appraisal.GradeBasic, true},
		{"不合格", appraisal.GradeIncompetent, true},
		{"1", appraisal.GradeExcellent, true},
		{"4", appraisal.GradeIncompetent, true},
		{"5", "", false},
		{"良好", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := appraisal.ParseGrade(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseGrade(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	if appraisal.GradeBasic.CompetentOrBetter() || !appraisal.GradeCompetent.CompetentOrBetter() {
		t.Error("CompetentOrBetter: 基本合格 must not count, 合格 must")
	}
}

func facts() *appraisal.TeacherFacts {
	return &appraisal.TeacherFacts{TeacherID: uuid.New(), Name: "张三", Gender: "男", Unit: "石家庄市第一中学", County: county}
}

func goodRow() appraisal.Row {
	return appraisal.Row{Year: "2023", Name: "张三", IDNumber: "13010219800101001x", Gender: "男", Unit: "石家庄市第一中学", Result: "合格"}
}

func fields(errs []domain.FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

func TestValidateRow(t *testing.T) {
	annual := appraisal.RowContext{Kind: appraisal.KindAnnual, Uploader: admin, CurrentYear: 2024}
	ethics := appraisal.RowContext{Kind: appraisal.KindEthics, Uploader: admin, CurrentYear: 2024}
	tests := []struct {
		name       string
		ctx        appraisal.RowContext
		mutate     func(*appraisal.Row)
		found      *appraisal.TeacherFacts
		wantFields []string
	}{
		{"good annual row by label", annual, func(*appraisal.Row) {}, facts(), nil},
		{"good annual row by code", annual, func(r *appraisal.Row) { r.Result = "3" }, facts(), nil},
		{"good ethics row", ethics, func(r *appraisal.Row) { r.Result = "达标"; r.Honors = "市级优秀教师" }, facts(), nil},
		{"unknown id", annual, func(*appraisal.Row) {}, nil, []string{"id_number"}},
		{"missing id", annual, func(r *appraisal.Row) { r.IDNumber = " " }, nil, []string{"id_number"}},
		{"name disagrees", annual, func(r *appraisal.Row) { r.Name = "张叁" }, facts(), []string{"name"}},
		{"unit disagrees", annual, func(r *appraisal.Row) { r.Unit = "一中" }, facts(), []string{"unit"}},
		{"unit with stray spaces agrees", annual, func(r *appraisal.Row) { r.Unit = " 石家庄市 第一中学 " }, facts(), nil},
		{"gender disagrees", annual, func(r *appraisal.Row) { r.Gender = "女" }, facts(), []string{"gender"}},
		{"gender code", annual, func(r *appraisal.Row) { r.Gender = "1" }, facts(), nil},
		{"year not a number", annual, func(r *appraisal.Row) { r.Year = "二〇二三" }, facts(), []string{"year"}},
		{"year in the future", annual, func(r *appraisal.Row) { r.Year = "2025" }, facts(), []string{"year"}},
		{"year too early", annual, func(r *appraisal.Row) { r.Year = "1999" }, facts(), []string{"year"}},
		{"bad grade", annual, func(r *appraisal.Row) { r.Result = "良好" }, facts(), []string{"result"}},
		{"bad ethics result", ethics, func(r *appraisal.Row) { r.Result = "优秀" }, facts(), []string{"result"}},
		{"serious breach but passed", ethics, func(r *appraisal.Row) { r.Result = "达标"; r.SeriousBreach = "是" }, facts(), []string{"serious_breach"}},
		{"serious breach and failed", ethics, func(r *appraisal.Row) { r.Result = "不达标"; r.SeriousBreach = "是" }, facts(), nil},
		{"outside the uploader's county", annual, func(*appraisal.Row) {}, func() *appraisal.TeacherFacts {
			f := facts()
			f.County = "130104"
			return f
		}(), []string{"id_number"}},
		{"everything wrong at once", annual, func(r *appraisal.Row) { r.Year = "x"; r.Name = "李四"; r.Result = "?" }, facts(), []string{"name", "result", "year"}},
		{"honors too long", ethics, func(r *appraisal.Row) { r.Result = "达标"; r.Honors = strings.Repeat("优", 501) }, facts(), []string{"honors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRow()
			tt.mutate(&r)
			p, errs := appraisal.ValidateRow(tt.ctx, 7, r, tt.found)
			if got := fields(errs); !slices.Equal(got, tt.wantFields) {
				t.Fatalf("error fields = %v, want %v (%+v)", got, tt.wantFields, errs)
			}
			for _, e := range errs {
				if e.Row != 7 || e.Reason == "" {
					t.Errorf("error %+v lacks row or reason", e)
				}
			}
			if len(tt.wantFields) == 0 && (p.TeacherID != tt.found.TeacherID || p.Year != 2023) {
				t.Errorf("parsed = %+v", p)
			}
		})
	}
}

func TestValidateRowsRefusesDuplicates(t *testing.T) {
	f := facts()
	lookup := func(id string) *appraisal.TeacherFacts {
		if id == "13010219800101001X" {
			return f
		}
		return nil
	}
	a, b := goodRow(), goodRow()
	b.IDNumber = "13010219800101001X" // same person, other case
	c := goodRow()
	c.Year = "2022"
	ctx := appraisal.RowContext{Kind: appraisal.KindAnnual, Uploader: admin, CurrentYear: 2024}
	parsed, errs := appraisal.ValidateRows(ctx, []appraisal.Row{a, b, c}, lookup)
	if len(parsed) != 1 || parsed[0].Row != 3 || parsed[0].Year != 2022 {
		t.Errorf("parsed = %+v, want only row 3", parsed)
	}
	var rows []int
	for _, e := range errs {
		rows = append(rows, e.Row)
	}
	if !slices.Equal(rows, []int{1, 2}) {
		t.Errorf("error rows = %v, want [1 2]", rows)
	}
}

func TestRecordIsIdempotentAndCorrectedExplicitly(t *testing.T) {
	r := appraisal.NewRecord(uuid.New())
	src := appraisal.Source{BatchID: uuid.New(), Row: 3}

	if _, err := r.RecordAnnual(otherAdmin, county, 2023, appraisal.GradeCompetent, src, now); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("other county: err = %v", err)
	}
	if rec, err := r.RecordAnnual(admin, county, 2023, appraisal.GradeCompetent, src, now); err != nil || !rec {
		t.Fatalf("first = %v, %v", rec, err)
	}
	if rec, err := r.RecordAnnual(admin, county, 2023, appraisal.GradeCompetent, src, now); err != nil || rec {
		t.Fatalf("re-upload = %v, %v; want no-op", rec, err)
	}
	if _, err := r.RecordAnnual(admin, county, 2023, appraisal.GradeIncompetent, src, now); !errors.Is(err, appraisal.ErrUseCorrection) {
		t.Fatalf("different grade by upload: err = %v, want ErrUseCorrection", err)
	}
	if _, err := r.RecordAnnual(admin, county, 2025, appraisal.GradeCompetent, src, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("future year: err = %v", err)
	}
	if err := r.CorrectAnnual(admin, county, 2023, appraisal.GradeIncompetent, " ", now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("correction without reason: err = %v", err)
	}
	if err := r.CorrectAnnual(admin, county, 2022, appraisal.GradeIncompetent, "复核", now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("correction of missing year: err = %v", err)
	}
	if err := r.CorrectAnnual(admin, county, 2023, appraisal.GradeIncompetent, "学校复核后更正", now); err != nil {
		t.Fatal(err)
	}
	got, _ := r.AnnualIn(2023)
	if got.Grade != appraisal.GradeIncompetent || !got.Corrected {
		t.Errorf("after correction = %+v", got)
	}
	if n := len(r.Changes()); n != 2 {
		t.Errorf("events = %d, want 2", n)
	}

	if _, err := r.RecordEthics(admin, county, appraisal.Ethics{Year: 2023, Passed: true, SeriousBreach: true}, src, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("serious breach with pass: err = %v", err)
	}
	if _, err := r.RecordEthics(admin, county, appraisal.Ethics{Year: 2023, Passed: true}, src, now); err != nil {
		t.Fatal(err)
	}
	if err := r.CorrectEthics(admin, county, appraisal.Ethics{Year: 2023, Passed: false, SeriousBreach: true}, "查实体罚学生", now); err != nil {
		t.Fatal(err)
	}
	if e, _ := r.EthicsIn(2023); e.Passed || !e.SeriousBreach || !e.Corrected {
		t.Errorf("ethics after correction = %+v", e)
	}
}

func TestUploadRecordedOnce(t *testing.T) {
	u := appraisal.NewUpload(uuid.New())
	f := appraisal.UploadFile{Name: "2023年度考核.xlsx", SHA256: strings.Repeat("a", 64)}
	errs := strings.Repeat("e", 64) // the row errors' stored report
	if err := u.RecordUpload(admin, appraisal.KindAnnual, f, 3, 2, "abc", now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("bad report hash: err = %v", err)
	}
	if err := u.RecordUpload(access.Actor{Role: access.RoleCityAdmin, Jurisdiction: "1301"}, appraisal.KindAnnual, f, 3, 2, errs, now); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("city admin: err = %v", err)
	}
	if err := u.RecordUpload(admin, appraisal.KindAnnual, f, 3, 4, errs, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("accepted > rows: err = %v", err)
	}
	if err := u.RecordUpload(admin, appraisal.KindAnnual, f, 3, 2, errs, now); err != nil {
		t.Fatal(err)
	}
	if err := u.RecordUpload(admin, appraisal.KindAnnual, f, 3, 2, errs, now); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("second record: err = %v", err)
	}
	s := u.Summary()
	if s.Rejected != 1 || s.County != county || s.UploadedBy != admin.UserID || s.ErrorsReport != errs || s.Errors != nil {
		t.Errorf("summary = %+v", s)
	}
}
