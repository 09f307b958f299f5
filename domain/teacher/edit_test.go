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

func TestEditOrdinaryAuthorization(t *testing.T) {
	tests := []struct {
		name   string
		actor  func(self access.Actor) access.Actor
		wantIs error
	}{
		{"the teacher", func(s access.Actor) access.Actor { return s }, nil},
		{"county admin", func(access.Actor) access.Actor { return admin(access.RoleCountyAdmin, countyA) }, nil},
		{"city admin covering", func(access.Actor) access.Actor { return admin(access.RoleCityAdmin, "1301") }, nil},
		{"province admin", func(access.Actor) access.Actor { return admin(access.RoleProvinceAdmin, "13") }, nil},
		{"another teacher", func(s access.Actor) access.Actor { s.TeacherID = uuid.New(); return s }, teacher.ErrNotOwnRecordOrAdmin},
		{"admin of another county", func(access.Actor) access.Actor { return admin(access.RoleCountyAdmin, countyB) }, access.ErrForbidden},
		{"city admin elsewhere", func(access.Actor) access.Actor { return admin(access.RoleCityAdmin, "1302") }, access.ErrForbidden},
		{"auditor", func(access.Actor) access.Actor { return admin(access.RoleAuditor, "13") }, access.ErrForbidden},
		{"institution", func(access.Actor) access.Actor { return access.Actor{UserID: uuid.New(), Role: access.RoleInstitution} }, access.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, self := registered(t)
			mark := len(tr.Changes())
			err := tr.EditOrdinary(tt.actor(self), map[string]string{teacher.FieldEthnicity: "11"}, "", now)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if got, want := len(since(tr, mark)), map[bool]int{true: 1, false: 0}[tt.wantIs == nil]; got != want {
				t.Errorf("recorded %d events, want %d", got, want)
			}
		})
	}
}

func TestEditOrdinary(t *testing.T) {
	tr, self := registered(t)
	mark := len(tr.Changes())
	err := tr.EditOrdinary(self, map[string]string{
		teacher.FieldEthnicity:       "11",
		teacher.FieldPoliticalStatus: "13", // unchanged: no event
		teacher.FieldMobile:          "0086 139-0000-1111",
		teacher.FieldMainSubject:     "02",
	}, "更新资料", now)
	if err != nil {
		t.Fatal(err)
	}
	evs := since(tr, mark)
	var got []string
	for _, e := range evs {
		ed := e.(*teacher.OrdinaryFieldEdited)
		got = append(got, ed.Field+":"+ed.Old+">"+ed.New)
		if ed.Reason != "更新资料" || ed.ActorID != self.UserID || ed.ActorRole != access.RoleTeacher {
			t.Errorf("event %+v", ed)
		}
	}
	want := []string{"ethnicity:01>11", "main_subject:>02", "mobile:13812341234>13900001111"}
	if !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v (in field display order)", got, want)
	}
	if p := saved(t, tr).Profile(); p.Ethnicity != "11" || p.Mobile != "13900001111" {
		t.Errorf("profile after replay = %+v", p)
	}
}

func TestEditOrdinaryRejects(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		field   string
	}{
		{"key field", map[string]string{teacher.FieldName: "李思"}, "name"},
		{"derived key field", map[string]string{teacher.FieldCounty: countyB}, "county"},
		{"unknown field", map[string]string{"salary": "1"}, "salary"},
		{"bad code", map[string]string{teacher.FieldPoliticalStatus: "99"}, "political_status"},
		{"year without programme", map[string]string{teacher.FieldSpecialPostYear: "2010"}, "special_post_year"},
		{"special post before 2009", map[string]string{teacher.FieldSpecialPost: "1", teacher.FieldSpecialPostYear: "2005"}, "special_post_year"},
		{"bad year", map[string]string{teacher.FieldSpecialPost: "1", teacher.FieldSpecialPostYear: "20x0"}, "special_post_year"},
		{"photo ref with spaces", map[string]string{teacher.FieldCertificatePhoto: "a b"}, "certificate_photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, self := registered(t)
			mark := len(tr.Changes())
			err := tr.EditOrdinary(self, tt.changes, "", now)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := fieldErr(t, err); !slices.Contains(got, tt.field) {
				t.Errorf("fields %v (%v), want %s", got, err, tt.field)
			}
			if len(since(tr, mark)) != 0 {
				t.Error("events recorded on refusal")
			}
		})
	}
}

func TestEditOrdinaryNothingChanged(t *testing.T) {
	tr, self := registered(t)
	mark := len(tr.Changes())
	if err := tr.EditOrdinary(self, map[string]string{teacher.FieldEthnicity: " 01 "}, "", now); err != nil {
		t.Fatal(err)
	}
	if n := len(since(tr, mark)); n != 0 {
		t.Errorf("recorded %d events for no change", n)
	}
}

func TestEditBeforeRegister(t *testing.T) {
	tr := teacher.New(uuid.New())
	if err := tr.EditOrdinary(access.System("x"), map[string]string{teacher.FieldEthnicity: "11"}, "", now); !errors.Is(err, teacher.ErrNotRegistered) {
		t.Errorf("err = %v", err)
	}
}

func TestReasonNamesTheField(t *testing.T) {
	tr, self := registered(t)
	err := tr.EditOrdinary(self, map[string]string{teacher.FieldSpecialPost: "1", teacher.FieldSpecialPostYear: "20x0"}, "", now)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 {
		t.Fatalf("err = %v", err)
	}
	if got, want := ve.Fields[0].Reason, "特岗教师招聘年份应为1950至2026之间的四位年份"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}
