package teacher_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

func TestCorrectKeyFieldAuthorization(t *testing.T) {
	tests := []struct {
		name   string
		actor  func(self access.Actor) access.Actor
		wantIs error
	}{
		{"county admin of the county", func(access.Actor) access.Actor { return admin(access.RoleCountyAdmin, countyA) }, nil},
		{"county admin of another county", func(access.Actor) access.Actor { return admin(access.RoleCountyAdmin, countyB) }, teacher.ErrKeyFieldNeedsCountyAdmin},
		{"city admin covering", func(access.Actor) access.Actor { return admin(access.RoleCityAdmin, "1301") }, teacher.ErrKeyFieldNeedsCountyAdmin},
		{"province admin", func(access.Actor) access.Actor { return admin(access.RoleProvinceAdmin, "13") }, teacher.ErrKeyFieldNeedsCountyAdmin},
		{"the teacher", func(s access.Actor) access.Actor { return s }, teacher.ErrKeyFieldNeedsCountyAdmin},
		{"system", func(access.Actor) access.Actor { return access.System("cli") }, teacher.ErrKeyFieldNeedsCountyAdmin},
		{"county admin without jurisdiction", func(access.Actor) access.Actor { return admin(access.RoleCountyAdmin, "") }, access.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, self := registered(t)
			mark := len(tr.Changes())
			_, err := tr.CorrectKeyField(tt.actor(self), teacher.FieldName, "李思", "与身份证不一致", "", now)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			wantName := map[bool]string{true: "李思", false: "李四"}[tt.wantIs == nil]
			if got := tr.Profile().Name; got != wantName {
				t.Errorf("name = %q, want %q", got, wantName)
			}
			if tt.wantIs != nil && len(since(tr, mark)) != 0 {
				t.Error("events recorded on refusal")
			}
		})
	}
}

func TestCorrectKeyFieldEvent(t *testing.T) {
	tr, _ := registered(t)
	a := admin(access.RoleCountyAdmin, countyA)
	mark := len(tr.Changes())
	if _, err := tr.CorrectKeyField(a, teacher.FieldName, " 李思 ", "与身份证不一致", "", now); err != nil {
		t.Fatal(err)
	}
	evs := since(tr, mark)
	if len(evs) != 1 {
		t.Fatalf("events = %d", len(evs))
	}
	got := *evs[0].(*teacher.KeyFieldCorrected)
	want := teacher.KeyFieldCorrected{TeacherID: tr.ID(), Field: "name", Old: "李四", New: "李思", Reason: "与身份证不一致", ActorID: a.UserID, ActorRole: access.RoleCountyAdmin}
	if got.TeacherID != want.TeacherID || got.Field != want.Field || got.Old != want.Old || got.New != want.New ||
		got.Reason != want.Reason || got.ActorID != want.ActorID || got.ActorRole != want.ActorRole || got.CorrectionID != uuid.Nil {
		t.Errorf("event = %+v, want %+v", got, want)
	}
}

func TestCorrectKeyFieldRejects(t *testing.T) {
	tests := []struct {
		name, field, value, reason string
		wantField                  string
	}{
		{"no reason", teacher.FieldName, "李思", " ", "reason"},
		{"same value", teacher.FieldName, "李四", "x", "name"},
		{"ordinary field", teacher.FieldEthnicity, "11", "x", "ethnicity"},
		{"unit", teacher.FieldUnit, uuid.NewString(), "x", "unit_id"},
		{"county", teacher.FieldCounty, countyB, "x", "county"},
		{"city", teacher.FieldCity, "1302", "x", "city"},
		{"clear the name", teacher.FieldName, "", "x", "name"},
		{"gender against the ID", teacher.FieldGender, "2", "x", "gender"},
		{"birth date against the ID", teacher.FieldBirthDate, "1990-01-02", "x", "birth_date"},
		{"bad ID", teacher.FieldIDNumber, "130102199001011235", "x", "id_number"},
		{"certificate type against number", teacher.FieldCertificateType, "2", "x", "certificate_number"},
		{"unknown field", "shoe_size", "42", "x", "shoe_size"},
		// born 2000-01-01: the record's start of work (2012-09) would be at 12
		{"ID whose birth date breaks the start of work", teacher.FieldIDNumber, "130102200001010037", "x", "work_start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := registered(t)
			mark := len(tr.Changes())
			_, err := tr.CorrectKeyField(admin(access.RoleCountyAdmin, countyA), tt.field, tt.value, tt.reason, "", now)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := fieldErr(t, err); !slices.Contains(got, tt.wantField) {
				t.Errorf("fields %v (%v), want %s", got, err, tt.wantField)
			}
			if len(since(tr, mark)) != 0 {
				t.Error("events recorded on refusal")
			}
		})
	}
}

// A corrected ID number brings gender and birth date with it, each as its
// own audited event marked as following the ID.
func TestIDCorrectionCarriesGenderAndBirthDate(t *testing.T) {
	tr, _ := registered(t)
	mark := len(tr.Changes())
	if _, err := tr.CorrectKeyField(admin(access.RoleCountyAdmin, countyA), teacher.FieldIDNumber, idB, "录入错误", "", now); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range since(tr, mark) {
		k := e.(*teacher.KeyFieldCorrected)
		got = append(got, k.Field+":"+k.Old+">"+k.New+"|"+k.FollowsField)
	}
	want := []string{
		"id_number:" + idA + ">" + idB + "|",
		"gender:1>2|id_number",
		"birth_date:1990-01-01>1991-02-03|id_number",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
	p := saved(t, tr).Profile()
	if p.IDNumber != idB || p.Gender != "2" || p.BirthDate != "1991-02-03" {
		t.Errorf("profile after replay = %+v", p)
	}
}

func TestCorrectCertificate(t *testing.T) {
	a := admin(access.RoleCountyAdmin, countyA)
	t.Run("type and number together", func(t *testing.T) {
		tr, _ := registered(t)
		_, err := tr.CorrectKeyFields(a, map[string]string{
			teacher.FieldCertificateType: "2", teacher.FieldCertificateNumber: "20101310020012345",
		}, "就高不就低", "", now)
		if err != nil {
			t.Fatal(err)
		}
		if p := tr.Profile(); p.CertificateType != "2" || p.CertificateNumber != "20101310020012345" {
			t.Errorf("profile = %+v", p)
		}
	})
	t.Run("legacy number needs an override", func(t *testing.T) {
		tr, _ := registered(t)
		if _, err := tr.CorrectKeyField(a, teacher.FieldCertificateNumber, "HB1998-0012", "旧证", "", now); err == nil {
			t.Fatal("legacy number accepted without override")
		}
		if _, err := tr.CorrectKeyField(a, teacher.FieldCertificateNumber, "HB1998-0012", "旧证", "1998年省发旧版证书", now); err != nil {
			t.Fatal(err)
		}
		k := tr.Changes()[len(tr.Changes())-1].(*teacher.KeyFieldCorrected)
		if k.Override != "1998年省发旧版证书" || !saved(t, tr).LegacyCertificate() {
			t.Errorf("override not recorded: %+v", k)
		}
		// With a legacy number the type can still be corrected.
		if _, err := tr.CorrectKeyField(a, teacher.FieldCertificateType, "3", "种类有误", "", now); err != nil {
			t.Errorf("type correction with legacy number: %v", err)
		}
		// A fitting number ends the exception.
		if _, err := tr.CorrectKeyField(a, teacher.FieldCertificateNumber, "20121310031012345", "换发新证", "", now); err != nil {
			t.Fatal(err)
		}
		if saved(t, tr).LegacyCertificate() {
			t.Error("still legacy after a fitting number")
		}
	})
}

func TestChangeUnit(t *testing.T) {
	a := admin(access.RoleCountyAdmin, countyA)
	t.Run("same county", func(t *testing.T) {
		tr, _ := registered(t)
		u := unitIn(countyA, "石家庄市第四十中学")
		if err := tr.ChangeUnit(a, u, "校内调动", now); err != nil {
			t.Fatal(err)
		}
		k := tr.Changes()[len(tr.Changes())-1].(*teacher.KeyFieldCorrected)
		if k.Field != teacher.FieldUnit || k.OldLabel != "石家庄市第二十五中学" || k.NewLabel != "石家庄市第四十中学" || k.New != u.ID.String() {
			t.Errorf("event = %+v", k)
		}
		if r := saved(t, tr); r.UnitID() != u.ID || r.UnitName() != "石家庄市第四十中学" {
			t.Errorf("after replay unit = %v %q", r.UnitID(), r.UnitName())
		}
	})
	tests := []struct {
		name   string
		actor  access.Actor
		unit   teacher.UnitRef
		reason string
		wantIs error
	}{
		{"other county is a transfer", a, unitIn(countyB, "唐山一中"), "x", nil},
		{"no reason", a, unitIn(countyA, "x学校"), "", nil},
		{"teacher may not", access.Actor{Role: access.RoleTeacher}, unitIn(countyA, "x学校"), "x", teacher.ErrKeyFieldNeedsCountyAdmin},
		{"city admin may not", admin(access.RoleCityAdmin, "1301"), unitIn(countyA, "x学校"), "x", teacher.ErrKeyFieldNeedsCountyAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := registered(t)
			err := tr.ChangeUnit(tt.actor, tt.unit, tt.reason, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
		})
	}
}
