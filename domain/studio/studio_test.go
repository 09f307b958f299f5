package studio_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/studio"
)

var (
	now      = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	province = access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	city     = access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}
)

func teacher() access.Actor {
	return access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: uuid.New()}
}

func created(t *testing.T, host uuid.UUID) *studio.Studio {
	t.Helper()
	s := studio.New(uuid.New())
	err := s.Create(city, studio.Creation{Name: "王芳初中数学名师工作室", HostTeacherID: host, HostName: "王芳", Region: "1301", Subject: "数学"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateStudio(t *testing.T) {
	otherCity := access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1302"}
	good := studio.Creation{Name: "名师工作室", HostTeacherID: uuid.New(), HostName: "王芳", Region: "1301"}
	tests := []struct {
		name   string
		actor  access.Actor
		mutate func(*studio.Creation)
		want   error
	}{
		{"city admin, own city", city, func(*studio.Creation) {}, nil},
		{"province admin, a city inside", province, func(*studio.Creation) {}, nil},
		{"another city", otherCity, func(*studio.Creation) {}, access.ErrForbidden},
		{"city admin designating a provincial studio", city, func(c *studio.Creation) { c.Region = "13" }, access.ErrForbidden},
		{"teacher", teacher(), func(*studio.Creation) {}, access.ErrForbidden},
		{"no host", city, func(c *studio.Creation) { c.HostTeacherID = uuid.Nil }, domain.ErrValidation},
		{"no name", city, func(c *studio.Creation) { c.Name = " " }, domain.ErrValidation},
		{"bad region", province, func(c *studio.Creation) { c.Region = "13010" }, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mutate(&c)
			err := studio.New(uuid.New()).Create(tt.actor, c, now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if got := studio.Level("1301"); got != "市级" {
		t.Errorf("Level(1301) = %q", got)
	}
}

func TestJoinFollowUnfollow(t *testing.T) {
	host := teacher()
	s := created(t, host.TeacherID)
	me := teacher()

	if err := s.Join(me, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Join(me, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(me, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(me, now); err != nil {
		t.Fatal(err)
	}
	if !s.Member(me.TeacherID) || !s.Follower(me.TeacherID) || !s.Member(host.TeacherID) {
		t.Fatal("membership not applied")
	}
	if got := len(s.Changes()); got != 3 {
		t.Errorf("events = %d, want 3 (create, join, follow: repeats record nothing)", got)
	}
	if err := s.Leave(host, now); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("host leaving: err = %v", err)
	}
	if err := s.Join(city, now); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("admin joining: err = %v", err)
	}
	if err := s.Unfollow(me, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Unfollow(me, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(teacher(), "x", now); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("teacher closing: err = %v", err)
	}
	if err := s.Close(city, "", now); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("close without reason: err = %v", err)
	}
	if err := s.Close(city, "主持人调离", now); err != nil {
		t.Fatal(err)
	}
	late := teacher()
	if err := s.Join(late, now); !errors.Is(err, studio.ErrClosed) {
		t.Errorf("joining a closed studio: err = %v", err)
	}
	if err := s.Follow(late, now); !errors.Is(err, studio.ErrClosed) {
		t.Errorf("following a closed studio: err = %v", err)
	}
	if err := s.Leave(me, now); err != nil {
		t.Errorf("leaving a closed studio: %v", err)
	}

	reg := event.NewRegistry()
	studio.RegisterEvents(reg)
	var stored []event.Envelope
	for i, e := range s.Changes() {
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
	replayed := studio.New(s.ID())
	replayed.Load(replayed, stored)
	members, followers := replayed.Counts()
	if members != 1 || followers != 0 || !replayed.Closed() || replayed.Member(me.TeacherID) {
		t.Errorf("replayed: members %d followers %d closed %v", members, followers, replayed.Closed())
	}
}

func TestLinkLists(t *testing.T) {
	tests := []struct {
		name  string
		kind  studio.ListKind
		actor access.Actor
		link  studio.Link
		want  error
	}{
		{"reading", studio.ListReading, province, studio.Link{Title: "新课标解读", URL: "https://example.edu.cn/a"}, nil},
		{"live with start", studio.ListLive, province, studio.Link{Title: "名师直播课", URL: "https://live.example.cn/1", StartsAt: now.Add(24 * time.Hour)}, nil},
		{"live without start", studio.ListLive, province, studio.Link{Title: "名师直播课", URL: "https://live.example.cn/1"}, domain.ErrValidation},
		{"city admin", studio.ListReading, city, studio.Link{Title: "t", URL: "https://example.cn"}, access.ErrForbidden},
		{"javascript url", studio.ListReading, province, studio.Link{Title: "t", URL: "javascript:alert(1)"}, domain.ErrValidation},
		{"relative url", studio.ListReading, province, studio.Link{Title: "t", URL: "/a/b"}, domain.ErrValidation},
		{"credentials in url", studio.ListReading, province, studio.Link{Title: "t", URL: "https://u:p@example.cn"}, domain.ErrValidation},
		{"no title", studio.ListReading, province, studio.Link{URL: "https://example.cn"}, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := studio.NewLinkList(tt.kind)
			link := tt.link
			link.ID, link.Kind = uuid.New(), tt.kind
			err := l.Publish(tt.actor, link, now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (len(l.Links()) != 1 || !l.Links()[0].PublishedAt.Equal(now)) {
				t.Errorf("links = %+v", l.Links())
			}
		})
	}

	l := studio.NewLinkList(studio.ListReading)
	a := studio.Link{ID: uuid.New(), Kind: studio.ListReading, Title: "一", URL: "https://example.cn/1"}
	b := studio.Link{ID: uuid.New(), Kind: studio.ListReading, Title: "二", URL: "https://example.cn/2"}
	for _, x := range []studio.Link{a, b} {
		if err := l.Publish(province, x, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Publish(province, a, now); !errors.Is(err, domain.ErrDuplicate) {
		t.Errorf("same id twice: err = %v", err)
	}
	wrongList := b
	wrongList.ID, wrongList.Kind = uuid.New(), studio.ListLive
	if err := l.Publish(province, wrongList, now); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("link of another list: err = %v", err)
	}
	if got := l.Links(); got[0].ID != b.ID {
		t.Errorf("newest first: got %s first", got[0].Title)
	}
	if err := l.Withdraw(province, a.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := l.Withdraw(province, a.ID, now); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("withdraw twice: err = %v", err)
	}
	if got := l.Links(); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("after withdrawal: %+v", got)
	}
}
