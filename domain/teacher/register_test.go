package teacher_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

func TestRegister(t *testing.T) {
	withID := func(id string) func(*teacher.Registration) {
		return func(r *teacher.Registration) { r.Profile.IDNumber = id }
	}
	tests := []struct {
		name      string
		edit      func(*teacher.Registration)
		actor     access.Actor
		wantIs    error  // errors.Is target, or nil
		wantField string // field of the validation error, or ""
		check     func(*testing.T, teacher.Profile)
	}{
		{name: "ok: gender and birth date taken from the ID", check: func(t *testing.T, p teacher.Profile) {
			if p.Gender != "1" || p.BirthDate != "1990-01-01" || p.City != "1301" || p.County != countyA || p.Mobile != "13812341234" {
				t.Errorf("profile = %+v", p)
			}
		}},
		{name: "ok: lowercase x", edit: withID("11010519491231002x"), check: func(t *testing.T, p teacher.Profile) {
			if p.IDNumber != "11010519491231002X" || p.Gender != "2" || p.BirthDate != "1949-12-31" {
				t.Errorf("profile = %+v", p)
			}
		}},
		{name: "ok: matching gender given", edit: func(r *teacher.Registration) { r.Profile.Gender = "1"; r.Profile.BirthDate = "1990-01-01" }},
		{name: "gender disagrees with ID", edit: func(r *teacher.Registration) { r.Profile.Gender = "2" }, wantField: "gender"},
		{name: "birth date disagrees with ID", edit: func(r *teacher.Registration) { r.Profile.BirthDate = "1990-01-02" }, wantField: "birth_date"},
		{name: "bad check character", edit: withID("130102199001011235"), wantField: "id_number"},
		{name: "feb 30 in ID", edit: withID("130102199002301230"), wantField: "id_number"},
		{name: "future birth in ID", edit: withID("130102203001011233"), wantField: "id_number"},
		{name: "other document type skips the checksum", edit: func(r *teacher.Registration) {
			r.Profile.IDType, r.Profile.IDNumber, r.Profile.Gender, r.Profile.BirthDate = "A", "e12345678", "2", "1988-03-04"
		}, check: func(t *testing.T, p teacher.Profile) {
			if p.IDNumber != "E12345678" {
				t.Errorf("IDNumber = %q", p.IDNumber)
			}
		}},
		{name: "other document type needs gender", edit: func(r *teacher.Registration) {
			r.Profile.IDType, r.Profile.IDNumber = "A", "E12345678"
		}, wantField: "gender"},
		{name: "unknown ID type", edit: func(r *teacher.Registration) { r.Profile.IDType = "7x" }, wantField: "id_type"},
		{name: "certificate type disagrees", edit: func(r *teacher.Registration) { r.Profile.CertificateType = "3" }, wantField: "certificate_number"},
		{name: "certificate of 16 digits", edit: func(r *teacher.Registration) { r.Profile.CertificateNumber = "2012131004101234" }, wantField: "certificate_number"},
		{name: "legacy certificate with override", edit: func(r *teacher.Registration) {
			r.Profile.CertificateNumber, r.CertificateOverride = "19981300300123", "1998年旧版证书，号码14位"
		}, check: func(t *testing.T, p teacher.Profile) {
			if p.CertificateNumber != "19981300300123" {
				t.Errorf("CertificateNumber = %q", p.CertificateNumber)
			}
		}},
		{name: "certificate missing", edit: func(r *teacher.Registration) { r.Profile.CertificateNumber = "" }, wantField: "certificate_number"},
		{name: "name missing", edit: func(r *teacher.Registration) { r.Profile.Name = " " }, wantField: "name"},
		{name: "name with digits", edit: func(r *teacher.Registration) { r.Profile.Name = "李4" }, wantField: "name"},
		{name: "minority name with dot", edit: func(r *teacher.Registration) { r.Profile.Name = "阿依古丽·买买提" }},
		{name: "work start missing", edit: func(r *teacher.Registration) { r.Profile.WorkStart = "" }, wantField: "work_start"},
		{name: "work start at 12", edit: func(r *teacher.Registration) { r.Profile.WorkStart = "2002-09" }, wantField: "work_start"},
		{name: "work start in the future", edit: func(r *teacher.Registration) { r.Profile.WorkStart = "2027-01" }, wantField: "work_start"},
		{name: "bad mobile", edit: func(r *teacher.Registration) { r.Profile.Mobile = "12812341234" }, wantField: "mobile"},
		{name: "bad e-mail", edit: func(r *teacher.Registration) { r.Profile.Email = "lisi@" }, wantField: "email"},
		{name: "unknown ethnicity", edit: func(r *teacher.Registration) { r.Profile.Ethnicity = "57" }, wantField: "ethnicity"},
		{name: "national funded normal 2007", edit: func(r *teacher.Registration) { r.Profile.FundedNormal, r.Profile.FundedNormalYear = "1", "2007" }},
		{name: "national funded normal 2006", edit: func(r *teacher.Registration) { r.Profile.FundedNormal, r.Profile.FundedNormalYear = "1", "2006" }, wantField: "funded_normal_year"},
		{name: "hebei funded normal 2010", edit: func(r *teacher.Registration) { r.Profile.FundedNormal, r.Profile.FundedNormalYear = "2", "2010" }, wantField: "funded_normal_year"},
		{name: "hebei funded normal 2011", edit: func(r *teacher.Registration) { r.Profile.FundedNormal, r.Profile.FundedNormalYear = "2", "2011" }},
		{name: "funded normal without year", edit: func(r *teacher.Registration) { r.Profile.FundedNormal = "1" }, wantField: "funded_normal_year"},
		{name: "year without programme", edit: func(r *teacher.Registration) { r.Profile.FundedNormal, r.Profile.FundedNormalYear = "0", "2012" }, wantField: "funded_normal_year"},
		{name: "special post 2008", edit: func(r *teacher.Registration) { r.Profile.SpecialPost, r.Profile.SpecialPostYear = "1", "2008" }, wantField: "special_post_year"},
		{name: "special post 2009", edit: func(r *teacher.Registration) { r.Profile.SpecialPost, r.Profile.SpecialPostYear = "1", "2009" }},
		{name: "highest below initial education", edit: func(r *teacher.Registration) {
			r.Profile.InitialEducation, r.Profile.HighestEducation = "21", "31"
		}, wantField: "highest_education"},
		{name: "unit missing", edit: func(r *teacher.Registration) { r.Unit.ID = uuid.Nil }, wantField: "unit_id"},
		{name: "unit county unknown", edit: func(r *teacher.Registration) { r.Unit.County = "139999" }, wantField: "county"},
		{name: "teacher may not register", actor: access.Actor{UserID: uuid.New(), Role: access.RoleTeacher}, wantIs: teacher.ErrRegisterNeedsCountyAdmin},
		{name: "admin of another county", actor: admin(access.RoleCountyAdmin, countyB), wantIs: access.ErrForbidden},
		{name: "city admin", actor: admin(access.RoleCityAdmin, "1301"), wantIs: teacher.ErrRegisterNeedsCountyAdmin},
		{name: "system import", actor: access.System("import")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := teacher.Registration{Profile: validProfile(), Unit: unitIn(countyA, "石家庄市第二十五中学")}
			if tt.edit != nil {
				tt.edit(&r)
			}
			actor := tt.actor
			if actor.Role == "" {
				actor = admin(access.RoleCountyAdmin, countyA)
			}
			tr := teacher.New(uuid.New())
			_, err := tr.Register(r, actor, now)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			case tt.wantField != "":
				if err == nil {
					t.Fatalf("registered %+v, want error on %s", tr.Profile(), tt.wantField)
				}
				if got := fieldErr(t, err); !slices.Contains(got, tt.wantField) {
					t.Fatalf("error fields %v (%v), want %s", got, err, tt.wantField)
				}
			default:
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if !tr.Registered() || len(tr.Changes()) != 1 {
					t.Fatalf("registered=%v changes=%d", tr.Registered(), len(tr.Changes()))
				}
				if tt.check != nil {
					tt.check(t, saved(t, tr).Profile())
				}
			}
			if err != nil && len(tr.Changes()) != 0 {
				t.Errorf("a refused registration recorded %d events", len(tr.Changes()))
			}
		})
	}
}

func TestRegisterTwice(t *testing.T) {
	tr, _ := registered(t)
	_, err := tr.Register(teacher.Registration{Profile: validProfile(), Unit: unitIn(countyA, "x学校")}, admin(access.RoleCountyAdmin, countyA), now)
	if !errors.Is(err, teacher.ErrAlreadyRegistered) {
		t.Fatalf("err = %v", err)
	}
}

func TestRegisterWarnsOnOldAreaCode(t *testing.T) {
	tr := teacher.New(uuid.New())
	p := validProfile()
	p.IDNumber = "130124198506150076" // 栾城县, merged into 130111 in 2014
	warnings, err := tr.Register(teacher.Registration{Profile: p, Unit: unitIn(countyA, "石家庄市第二十五中学")}, admin(access.RoleCountyAdmin, countyA), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].Field != "id_number" {
		t.Fatalf("warnings = %+v", warnings)
	}
	if e := tr.Changes()[0].(*teacher.Registered); len(e.Warnings) != 1 {
		t.Errorf("event warnings = %+v", e.Warnings)
	}
}

func TestOverrideIgnoredForFittingNumber(t *testing.T) {
	tr := teacher.New(uuid.New())
	_, err := tr.Register(teacher.Registration{Profile: validProfile(), Unit: unitIn(countyA, "石家庄市第二十五中学"), CertificateOverride: "不需要"},
		admin(access.RoleCountyAdmin, countyA), now)
	if err != nil {
		t.Fatal(err)
	}
	if e := tr.Changes()[0].(*teacher.Registered); e.CertificateOverride != "" || tr.LegacyCertificate() {
		t.Errorf("override recorded for a fitting number: %q", e.CertificateOverride)
	}
}
