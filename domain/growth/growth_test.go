package growth_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/growth"
)

var now = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

func pdf() growth.FileRef {
	return growth.FileRef{SHA256: strings.Repeat("0f", 32), Name: "获奖证书.PDF", Size: 2 << 20, ContentType: "application/pdf"}
}

func TestValidateFile(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*growth.FileRef)
		want   []string
	}{
		{"pdf", func(*growth.FileRef) {}, nil},
		{"jpeg as .jpg", func(f *growth.FileRef) { f.Name, f.ContentType = "a.jpg", "image/jpeg" }, nil},
		{"jpeg as .jpeg", func(f *growth.FileRef) { f.Name, f.ContentType = "a.jpeg", "image/jpeg" }, nil},
		{"png", func(f *growth.FileRef) { f.Name, f.ContentType = "a.png", "image/png" }, nil},
		{"docx", func(f *growth.FileRef) {
			f.Name, f.ContentType = "论文.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		}, nil},
		{"exactly 10 MiB", func(f *growth.FileRef) { f.Size = 10 << 20 }, nil},
		{"over 10 MiB", func(f *growth.FileRef) { f.Size = 10<<20 + 1 }, []string{"file.size"}},
		{"empty", func(f *growth.FileRef) { f.Size = 0 }, []string{"file.size"}},
		{"old .doc", func(f *growth.FileRef) { f.Name, f.ContentType = "a.doc", "application/msword" }, []string{"file.content_type"}},
		{"extension disagrees with type", func(f *growth.FileRef) { f.Name = "a.exe" }, []string{"file.name"}},
		{"path in the name", func(f *growth.FileRef) { f.Name = "../../etc/a.pdf" }, []string{"file.name"}},
		{"no name", func(f *growth.FileRef) { f.Name = " " }, []string{"file.name"}},
		{"uppercase digest", func(f *growth.FileRef) { f.SHA256 = strings.ToUpper(f.SHA256) }, []string{"file.sha256"}},
		{"short digest", func(f *growth.FileRef) { f.SHA256 = "abc" }, []string{"file.sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pdf()
			tt.mutate(&f)
			var got []string
			for _, e := range growth.ValidateFile("file", f) {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v", got, tt.want)
			}
		})
	}
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
	h := growth.Honor{ID: uuid.New(), Year: 2022, Level: growth.LevelCity, Title: " 石家庄市优秀教师 "}
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
	h.Level = growth.LevelProvincial
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
		ID: uuid.New(), Year: 2023, Category: growth.CategoryPaper, Level: growth.LevelProvincial,
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
