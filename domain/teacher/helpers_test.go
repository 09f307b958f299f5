package teacher_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

var (
	cst = time.FixedZone("CST", 8*3600)
	now = time.Date(2026, 11, 28, 10, 0, 0, 0, cst)
)

const (
	countyA = "130102" // 长安区, Shijiazhuang
	countyB = "130203" // 路北区, Tangshan
	// 130102199001011237: male, born 1990-01-01, valid check character.
	idA = "130102199001011237"
	// 130102199102030023: female, born 1991-02-03.
	idB   = "130102199102030023"
	certA = "20121310041012345" // senior secondary (4), Hebei
)

func admin(role access.Role, jurisdiction string) access.Actor {
	return access.Actor{UserID: uuid.New(), Role: role, Name: "张三", Jurisdiction: jurisdiction}
}

func unitIn(county, name string) teacher.UnitRef {
	return teacher.UnitRef{ID: uuid.New(), Name: name, County: county}
}

func validProfile() teacher.Profile {
	return teacher.Profile{
		Name: "李四", IDType: "1", IDNumber: idA, WorkStart: "2012-09",
		CertificateType: "4", CertificateNumber: certA,
		Ethnicity: "01", PoliticalStatus: "13", Mobile: "+86 138 1234 1234",
	}
}

// registered returns a teacher registered in countyA and the teacher's own actor.
func registered(t *testing.T) (*teacher.Teacher, access.Actor) {
	t.Helper()
	tr := teacher.New(uuid.New())
	if _, err := tr.Register(teacher.Registration{Profile: validProfile(), Unit: unitIn(countyA, "石家庄市第二十五中学")},
		admin(access.RoleCountyAdmin, countyA), now); err != nil {
		t.Fatalf("Register: %v", err)
	}
	self := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, Name: "李四", TeacherID: tr.ID()}
	return tr, self
}

// saved replays the teacher's changes into a fresh aggregate, through JSON
// and the registry as the store would, so each test also checks Apply.
func saved(t *testing.T, tr *teacher.Teacher) *teacher.Teacher {
	t.Helper()
	reg := event.NewRegistry()
	teacher.RegisterEvents(reg)
	var history []event.Envelope
	for i, e := range tr.Changes() {
		name, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, event.Envelope{Stream: teacher.StreamName(tr.ID()), Revision: uint64(i), Type: name, Event: back})
	}
	return teacher.Load(tr.ID(), history)
}

// fieldErr returns the fields named by a validation error.
func fieldErr(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a ValidationError", err)
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

// lastEvents returns the events recorded since the mark.
func since(tr *teacher.Teacher, mark int) []event.Event { return tr.Changes()[mark:] }
