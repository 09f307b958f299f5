package credit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
)

func evidence() []file.FileRef {
	return []file.FileRef{{SHA256: strings.Repeat("ab", 32), Name: "结业证书.pdf", Size: 1024, ContentType: "application/pdf"}}
}

func submitted(t *testing.T) (*credit.Request, access.Actor) {
	t.Helper()
	teacher := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
	r := credit.NewRequest(uuid.New())
	err := r.Submit(teacher, credit.Submission{
		TeacherID: teacher.TeacherID, County: county, Kind: credit.BankSchoolBased,
		Title: "校本研修：大单元教学", Organiser: "石家庄市第一中学", Level: credit.LevelSchool,
		StartOn: day(2023, 3, 1), EndOn: day(2023, 6, 30), ClaimedHours: credit.Whole(30),
		Evidence: evidence(), At: day(2023, 7, 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, teacher
}

func TestBankRequestLifecycle(t *testing.T) {
	type step func(r *credit.Request, teacher access.Actor) error
	recognise := func(actor access.Actor) step {
		return func(r *credit.Request, _ access.Actor) error {
			return r.Recognise(actor, county, credit.Recognition{Hours: credit.Whole(24), At: day(2023, 7, 10)})
		}
	}
	reject := func(reason string) step {
		return func(r *credit.Request, _ access.Actor) error {
			return r.Reject(countyAdmin, county, reason, day(2023, 7, 10))
		}
	}
	withdraw := func(r *credit.Request, teacher access.Actor) error { return r.Withdraw(teacher, day(2023, 7, 3)) }

	tests := []struct {
		name       string
		steps      []step
		wantErrs   []error
		wantStatus credit.BankStatus
	}{
		{"recognised", []step{recognise(countyAdmin)}, []error{nil}, credit.StatusRecognised},
		{"rejected with reason", []step{reject("证明材料不清晰")}, []error{nil}, credit.StatusRejected},
		{"reject needs reason", []step{reject("  ")}, []error{domain.ErrValidation}, credit.StatusPending},
		{"other county may not decide", []step{recognise(otherCounty)}, []error{access.ErrForbidden}, credit.StatusPending},
		{"city admin may not decide", []step{recognise(access.Actor{Role: access.RoleCityAdmin, Jurisdiction: "1301"})}, []error{access.ErrForbidden}, credit.StatusPending},
		{"no second decision", []step{recognise(countyAdmin), reject("改判")}, []error{nil, domain.ErrInvalidState}, credit.StatusRecognised},
		{"withdrawn then not decidable", []step{withdraw, recognise(countyAdmin)}, []error{nil, domain.ErrInvalidState}, credit.StatusWithdrawn},
		{"no withdraw after decision", []step{reject("不属于继续教育"), withdraw}, []error{nil, domain.ErrInvalidState}, credit.StatusRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, teacher := submitted(t)
			for i, s := range tt.steps {
				err := s(r, teacher)
				if want := tt.wantErrs[i]; want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Fatalf("step %d: err = %v, want %v", i, err, want)
				}
			}
			if got := r.Status(); got != tt.wantStatus {
				t.Errorf("status = %q, want %q", got, tt.wantStatus)
			}
		})
	}
}

func TestRecognisedRequestGrantsOnceIntoLedger(t *testing.T) {
	r, teacher := submitted(t)
	if _, err := r.LedgerGrant(uuid.New(), uuid.New()); !errors.Is(err, domain.ErrInvalidState) {
		t.Fatalf("grant before recognition: err = %v", err)
	}
	if err := r.Recognise(countyAdmin, county, credit.Recognition{Hours: credit.Whole(24), Note: "按实际学时认定", At: day(2023, 7, 10)}); err != nil {
		t.Fatal(err)
	}
	l := credit.NewLedger(teacher.TeacherID)
	for i := 0; i < 2; i++ {
		g, err := r.LedgerGrant(uuid.New(), uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Grant(countyAdmin, county, g); err != nil {
			t.Fatalf("grant %d: %v", i, err)
		}
	}
	live := l.Live()
	if len(live) != 1 {
		t.Fatalf("live entries = %d, want 1", len(live))
	}
	e := live[0]
	if e.Hours != credit.Whole(24) || e.Category != credit.CategorySchoolBased || e.Level != credit.LevelSchool || e.Year != 2023 ||
		e.Key != "creditbank:"+r.ID().String() {
		t.Errorf("entry = %+v", e)
	}
}

func TestSubmitValidation(t *testing.T) {
	teacher := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
	base := credit.Submission{
		TeacherID: teacher.TeacherID, County: county, Kind: credit.BankDegreeStudy,
		Title: "教育硕士", Organiser: "河北师范大学", Level: credit.LevelProvincial,
		StartOn: day(2022, 9, 1), EndOn: day(2023, 6, 30), ClaimedHours: credit.Whole(72),
		Evidence: evidence(), At: day(2023, 7, 1),
	}
	tests := []struct {
		name   string
		actor  access.Actor
		mutate func(*credit.Submission)
		want   error
		field  string
	}{
		{"ok", teacher, func(*credit.Submission) {}, nil, ""},
		{"someone else's record", access.Actor{Role: access.RoleTeacher, TeacherID: uuid.New()}, func(*credit.Submission) {}, access.ErrForbidden, ""},
		{"not finished", teacher, func(s *credit.Submission) { s.EndOn = day(2023, 12, 1) }, domain.ErrValidation, "end_on"},
		// 23:30 UTC on 30 June is already 1 July in China: learning ending on
		// the submitter's today may be submitted, tomorrow's may not.
		{"ends on the submitter's today", teacher, func(s *credit.Submission) {
			s.EndOn, s.At, s.Today = day(2023, 7, 1), day(2023, 6, 30).Add(23*time.Hour+30*time.Minute), day(2023, 7, 1)
		}, nil, ""},
		{"ends after the submitter's today", teacher, func(s *credit.Submission) {
			s.EndOn, s.At, s.Today = day(2023, 7, 2), day(2023, 6, 30).Add(23*time.Hour+30*time.Minute), day(2023, 7, 1)
		}, domain.ErrValidation, "end_on"},
		{"ends before start", teacher, func(s *credit.Submission) { s.EndOn = day(2022, 1, 1) }, domain.ErrValidation, "end_on"},
		{"no evidence", teacher, func(s *credit.Submission) { s.Evidence = nil }, domain.ErrValidation, "evidence"},
		{"bad evidence type", teacher, func(s *credit.Submission) {
			s.Evidence = []file.FileRef{{SHA256: strings.Repeat("0", 64), Name: "x.exe", Size: 1, ContentType: "application/x-msdownload"}}
		}, domain.ErrValidation, "evidence[0].content_type"},
		{"zero hours", teacher, func(s *credit.Submission) { s.ClaimedHours = credit.Whole(0) }, domain.ErrValidation, "claimed_hours"},
		{"bad kind", teacher, func(s *credit.Submission) { s.Kind = "nap" }, domain.ErrValidation, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.mutate(&s)
			err := credit.NewRequest(uuid.New()).Submit(tt.actor, s)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.field != "" {
				var v *domain.ValidationError
				if !errors.As(err, &v) {
					t.Fatalf("err = %v, want *ValidationError", err)
				}
				found := false
				for _, f := range v.Fields {
					found = found || f.Field == tt.field
				}
				if !found {
					t.Errorf("fields = %+v, want %q", v.Fields, tt.field)
				}
			}
		})
	}
}
