package growth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/domain/growth"
)

var now = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

func pdf() file.FileRef {
	return file.FileRef{SHA256: strings.Repeat("0f", 32), Name: "获奖证书.PDF", Size: 2 << 20, ContentType: "application/pdf"}
}

func TestValidBookNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ISBN 978-7-04-050000-6", false},
		{"978-7-107-31000-1", false},
		{"9787302000006", true},
		{"9787302000007", false},
		{"ISBN 978-7-111-54493-7", true},
		{"9787111544937", true},
		{"7-111-07189-X", false},
		{"0-306-40615-2", true},
		{"ISSN 0317-8471", true},
		{"ISSN 0317-8472", false},
		{"CN 13-1034/G4", true},
		{"CN13-1034/G4", true},
		{"CN 131-034/G4", false},
		{"一本书", false},
	}
	for _, tt := range tests {
		if got := growth.ValidBookNumber(tt.in); got != tt.want {
			t.Errorf("ValidBookNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func teacher() access.Actor {
	return access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
}

func TestHonorsAddEditRemove(t *testing.T) {
	me := teacher()
	tr := growth.NewTrack(me.TeacherID)
	h := growth.Honor{ID: uuid.New(), Year: 2022, Level: credit.LevelCity, Title: " 石家庄市优秀教师 "}
	if err := tr.AddHonor(teacher(), h, now); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("another teacher: err = %v", err)
	}
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"}
	if err := tr.AddHonor(admin, h, now); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("county admin: err = %v", err)
	}
	if err := tr.AddHonor(me, h, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.AddHonor(me, h, now); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("same id twice: err = %v", err)
	}
	if got := tr.Honors()[0].Title; got != "石家庄市优秀教师" {
		t.Errorf("title = %q, want trimmed", got)
	}
	h.Title = "石家庄市优秀教师"
	if err := tr.EditHonor(me, h, now); err != nil || len(tr.Changes()) != 1 {
		t.Fatalf("edit without change: err = %v, events = %d", err, len(tr.Changes()))
	}
	h.Level = credit.LevelProvincial
	if err := tr.EditHonor(me, h, now); err != nil {
		t.Fatal(err)
	}
	bad := h
	bad.Year = 2025
	if err := tr.EditHonor(me, bad, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("future year: err = %v", err)
	}
	if err := tr.RemoveHonor(me, uuid.New(), now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("remove unknown: err = %v", err)
	}
	if err := tr.RemoveHonor(me, h.ID, now); err != nil {
		t.Fatal(err)
	}
	if len(tr.Honors()) != 0 {
		t.Errorf("honors after removal = %+v", tr.Honors())
	}
}

func TestAchievementsReplay(t *testing.T) {
	me := teacher()
	tr := growth.NewTrack(me.TeacherID)
	f := pdf()
	a := growth.Achievement{
		ID: uuid.New(), Year: 2023, Category: growth.CategoryPaper, Level: credit.LevelProvincial,
		Grade: "一等奖", Title: "大单元教学设计", Author: "张三", Unit: "石家庄市第一中学",
		BookNumber: "CN 13-1034/G4", File: &f,
	}
	if err := tr.AddAchievement(me, a, now); err != nil {
		t.Fatal(err)
	}
	b := a
	b.ID, b.Title, b.File, b.BookNumber = uuid.New(), "课题结题报告", nil, ""
	if err := tr.AddAchievement(me, b, now); err != nil {
		t.Fatal(err)
	}
	same := a
	sameFile := *a.File
	same.File = &sameFile
	if err := tr.EditAchievement(me, same, now); err != nil || len(tr.Changes()) != 2 {
		t.Fatalf("edit without change: err = %v, events = %d", err, len(tr.Changes()))
	}
	a.Grade = "二等奖"
	if err := tr.EditAchievement(me, a, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.RemoveAchievement(me, b.ID, now); err != nil {
		t.Fatal(err)
	}
	badFile := *a.File
	badFile.Size = 20 << 20
	bad := a
	bad.File = &badFile
	if err := tr.EditAchievement(me, bad, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("oversized file: err = %v", err)
	}
	bad = a
	bad.BookNumber = "ISBN 978-7-111-54493-8"
	if err := tr.EditAchievement(me, bad, now); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("bad ISBN: err = %v", err)
	}

	reg := event.NewRegistry()
	growth.RegisterEvents(reg)
	var stored []event.Envelope
	for i, e := range tr.Changes() {
		name, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, event.Envelope{Revision: uint64(i), Type: name, Event: back})
	}
	replayed := growth.NewTrack(me.TeacherID)
	replayed.Load(replayed, stored)
	got := replayed.Achievements()
	if len(got) != 1 || got[0].Grade != "二等奖" || got[0].File == nil || *got[0].File != f {
		t.Errorf("replayed = %+v", got)
	}
}

// TestStoredShapeUnchanged: Level and FileRef moved to domain/credit and
// domain/file; the JSON stored for an achievement and an honor must read
// exactly as it did before.
func TestStoredShapeUnchanged(t *testing.T) {
	r := event.NewRegistry()
	growth.RegisterEvents(r)
	teacher := uuid.MustParse("11111111-2222-3333-4444-555555555555")
	item := uuid.MustParse("66666666-7777-8888-9999-000000000000")
	f := pdf()
	tests := []struct {
		e    event.Event
		want string
	}{
		{&growth.AchievementAdded{TeacherID: teacher, At: now, Achievement: growth.Achievement{ID: item, Year: 2023,
			Category: growth.CategoryPaper, Level: credit.LevelProvincial, Title: "论文", Author: "张三", File: &f}},
			`{"teacher_id":"11111111-2222-3333-4444-555555555555","achievement":{"id":"66666666-7777-8888-9999-000000000000","year":2023,"category":"paper","level":"20","title":"论文","author":"张三","file":{"sha256":"` +
				strings.Repeat("0f", 32) + `","name":"获奖证书.PDF","size":2097152,"content_type":"application/pdf"}},"at":"2024-05-01T08:00:00Z"}`},
		{&growth.HonorAdded{TeacherID: teacher, At: now, Honor: growth.Honor{ID: item, Year: 2022, Level: credit.LevelCity, Title: "优秀教师"}},
			`{"teacher_id":"11111111-2222-3333-4444-555555555555","honor":{"id":"66666666-7777-8888-9999-000000000000","year":2022,"level":"30","title":"优秀教师"},"at":"2024-05-01T08:00:00Z"}`},
	}
	for _, tt := range tests {
		_, data, err := r.Encode(tt.e)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != tt.want {
			t.Errorf("%T stored as\n%s\nwant\n%s", tt.e, data, tt.want)
		}
		back, err := r.Decode(tt.e.EventType(), []byte(tt.want))
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := back.(*growth.AchievementAdded); ok && (a.Achievement.File == nil || *a.Achievement.File != f || a.Achievement.Level != credit.LevelProvincial) {
			t.Errorf("decoded %+v", a.Achievement)
		}
	}
}
