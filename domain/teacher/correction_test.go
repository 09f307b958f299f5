package teacher_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

func TestCorrectionApproved(t *testing.T) {
	tr, self := registered(t)
	a := admin(access.RoleCountyAdmin, countyA)
	id := uuid.New()
	if err := tr.RequestCorrection(id, teacher.FieldIDNumber, idB, "身份证号码录错", []string{"files/idcard.jpg"}, self, now); err != nil {
		t.Fatal(err)
	}
	c, ok := tr.PendingCorrection(teacher.FieldIDNumber)
	if !ok || c.ID != id || c.Current != idA || c.Proposed != idB || c.Status != teacher.CorrectionStatusPending {
		t.Fatalf("pending = %+v, %v", c, ok)
	}
	mark := len(tr.Changes())
	if err := tr.ApproveCorrection(id, a, "已核对身份证", now); err != nil {
		t.Fatal(err)
	}
	evs := since(tr, mark)
	if _, ok := evs[0].(*teacher.CorrectionApproved); !ok || len(evs) != 4 {
		t.Fatalf("events = %#v", evs)
	}
	var fields []string
	for _, e := range evs[1:] {
		k := e.(*teacher.KeyFieldCorrected)
		if k.CorrectionID != id || k.ActorID != a.UserID {
			t.Errorf("event not linked to the request: %+v", k)
		}
		fields = append(fields, k.Field)
	}
	if !slices.Equal(fields, []string{"id_number", "gender", "birth_date"}) {
		t.Errorf("fields = %v", fields)
	}
	r := saved(t, tr)
	if got := r.Corrections()[0]; got.Status != teacher.CorrectionStatusApproved || got.DecidedBy != a.UserID || got.Comment != "已核对身份证" {
		t.Errorf("after replay correction = %+v", got)
	}
	if p := r.Profile(); p.IDNumber != idB || p.Gender != "2" {
		t.Errorf("profile = %+v", p)
	}
	// Decided: no second decision.
	if err := tr.ApproveCorrection(id, a, "", now); !errors.Is(err, teacher.ErrCorrectionDecided) {
		t.Errorf("second approve: %v", err)
	}
	if err := tr.RejectCorrection(id, a, "x", now); !errors.Is(err, teacher.ErrCorrectionDecided) {
		t.Errorf("reject after approve: %v", err)
	}
	// A new request for the same field is allowed again.
	if err := tr.RequestCorrection(uuid.New(), teacher.FieldIDNumber, idA, "又错了", nil, self, now); err != nil {
		t.Errorf("new request after decision: %v", err)
	}
}

func TestCorrectionRules(t *testing.T) {
	a := admin(access.RoleCountyAdmin, countyA)
	type step func(tr *teacher.Teacher, self access.Actor, first uuid.UUID) error
	request := func(field, value string) step {
		return func(tr *teacher.Teacher, self access.Actor, _ uuid.UUID) error {
			return tr.RequestCorrection(uuid.New(), field, value, "有误", nil, self, now)
		}
	}
	tests := []struct {
		name      string
		step      step
		wantIs    error
		wantField string
	}{
		{"second pending request for the field", request(teacher.FieldName, "李司"), teacher.ErrCorrectionPending, ""},
		{"pending request for another field", request(teacher.FieldWorkStart, "2011-09"), nil, ""},
		{"request by an admin", func(tr *teacher.Teacher, _ access.Actor, _ uuid.UUID) error {
			return tr.RequestCorrection(uuid.New(), teacher.FieldWorkStart, "2011-09", "x", nil, a, now)
		}, teacher.ErrNotOwnRecord, ""},
		{"request by another teacher", func(tr *teacher.Teacher, self access.Actor, _ uuid.UUID) error {
			self.TeacherID = uuid.New()
			return tr.RequestCorrection(uuid.New(), teacher.FieldWorkStart, "2011-09", "x", nil, self, now)
		}, teacher.ErrNotOwnRecord, ""},
		{"request reusing an id", func(tr *teacher.Teacher, self access.Actor, first uuid.UUID) error {
			return tr.RequestCorrection(first, teacher.FieldWorkStart, "2011-09", "x", nil, self, now)
		}, domain.ErrDuplicate, ""},
		{"request for an ordinary field", request(teacher.FieldEthnicity, "11"), nil, "ethnicity"},
		{"request for the unit", request(teacher.FieldUnit, "石家庄一中"), nil, "unit_id"},
		{"request against the ID", request(teacher.FieldGender, "2"), nil, "gender"},
		{"request without change", request(teacher.FieldWorkStart, "2012-09"), nil, "work_start"},
		{"request without reason", func(tr *teacher.Teacher, self access.Actor, _ uuid.UUID) error {
			return tr.RequestCorrection(uuid.New(), teacher.FieldWorkStart, "2011-09", "", nil, self, now)
		}, nil, "reason"},
		{"approve by admin of another county", func(tr *teacher.Teacher, _ access.Actor, first uuid.UUID) error {
			return tr.ApproveCorrection(first, admin(access.RoleCountyAdmin, countyB), "", now)
		}, teacher.ErrKeyFieldNeedsCountyAdmin, ""},
		{"approve by city admin", func(tr *teacher.Teacher, _ access.Actor, first uuid.UUID) error {
			return tr.ApproveCorrection(first, admin(access.RoleCityAdmin, "1301"), "", now)
		}, teacher.ErrKeyFieldNeedsCountyAdmin, ""},
		{"approve by the teacher", func(tr *teacher.Teacher, self access.Actor, first uuid.UUID) error {
			return tr.ApproveCorrection(first, self, "", now)
		}, teacher.ErrKeyFieldNeedsCountyAdmin, ""},
		{"approve unknown", func(tr *teacher.Teacher, _ access.Actor, _ uuid.UUID) error {
			return tr.ApproveCorrection(uuid.New(), a, "", now)
		}, teacher.ErrCorrectionNotFound, ""},
		{"reject without reason", func(tr *teacher.Teacher, _ access.Actor, first uuid.UUID) error {
			return tr.RejectCorrection(first, a, " ", now)
		}, nil, "reason"},
		{"withdraw by admin", func(tr *teacher.Teacher, _ access.Actor, first uuid.UUID) error {
			return tr.WithdrawCorrection(first, a, now)
		}, teacher.ErrNotOwnRecord, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, self := registered(t)
			first := uuid.New()
			if err := tr.RequestCorrection(first, teacher.FieldName, "李思", "身份证上是思", nil, self, now); err != nil {
				t.Fatal(err)
			}
			mark := len(tr.Changes())
			err := tt.step(tr, self, first)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			case tt.wantField != "":
				if err == nil {
					t.Fatal("accepted")
				}
				if got := fieldErr(t, err); !slices.Contains(got, tt.wantField) {
					t.Fatalf("fields %v (%v), want %s", got, err, tt.wantField)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
			}
			if err != nil && len(since(tr, mark)) != 0 {
				t.Error("events recorded on refusal")
			}
		})
	}
}

func TestCorrectionRejectedAndWithdrawn(t *testing.T) {
	tr, self := registered(t)
	a := admin(access.RoleCountyAdmin, countyA)
	r1, r2 := uuid.New(), uuid.New()
	if err := tr.RequestCorrection(r1, teacher.FieldName, "李思", "x", nil, self, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.RequestCorrection(r2, teacher.FieldWorkStart, "2011-09", "x", nil, self, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.RejectCorrection(r1, a, "身份证上为“四”", now); err != nil {
		t.Fatal(err)
	}
	if err := tr.WithdrawCorrection(r2, self, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.WithdrawCorrection(r2, self, now); !errors.Is(err, teacher.ErrCorrectionDecided) {
		t.Errorf("second withdraw: %v", err)
	}
	got := saved(t, tr).Corrections()
	if len(got) != 2 || got[0].Status != teacher.CorrectionStatusRejected || got[0].Comment != "身份证上为“四”" ||
		got[1].Status != teacher.CorrectionStatusWithdrawn {
		t.Errorf("corrections = %+v", got)
	}
	if p := tr.Profile(); p.Name != "李四" || p.WorkStart != "2012-09" {
		t.Errorf("profile changed: %+v", p)
	}
}

// The approval re-checks the proposal: the record may have changed since.
func TestApprovalRechecks(t *testing.T) {
	tr, self := registered(t)
	a := admin(access.RoleCountyAdmin, countyA)
	id := uuid.New()
	if err := tr.RequestCorrection(id, teacher.FieldName, "李思", "x", nil, self, now); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.CorrectKeyField(a, teacher.FieldName, "李思", "直接更正", "", now); err != nil {
		t.Fatal(err)
	}
	if err := tr.ApproveCorrection(id, a, "", now); err == nil {
		t.Fatal("approved a request that no longer changes anything")
	}
	if err := tr.RejectCorrection(id, a, "已直接更正", now); err != nil {
		t.Errorf("reject: %v", err)
	}
}
