package unit_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/unit"
)

var now = time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func countyAdmin(county string) access.Actor {
	return access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Name: "张三", Jurisdiction: county}
}

func valid() unit.Registration {
	return unit.Registration{Name: "石家庄市第二十五中学", County: "130102", Area: "1", Category: "311", Stage: "3"}
}

func replay(t *testing.T, u *unit.Unit) *unit.Unit {
	t.Helper()
	reg := event.NewRegistry()
	unit.RegisterEvents(reg)
	var h []event.Envelope
	for i, e := range u.Changes() {
		name, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, event.Envelope{Revision: uint64(i), Type: name, Event: back})
	}
	return unit.Load(u.ID(), h)
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*unit.Registration)
		actor     access.Actor
		wantIs    error
		wantField string
	}{
		{name: "ok"},
		{name: "ok without stage", edit: func(r *unit.Registration) { r.Stage = "" }},
		{name: "system import", actor: access.System("import")},
		{name: "abbreviation", edit: func(r *unit.Registration) { r.Name = "25中" }, wantField: "name"},
		{name: "empty name", edit: func(r *unit.Registration) { r.Name = "  " }, wantField: "name"},
		{name: "spaces in name", edit: func(r *unit.Registration) { r.Name = "石家庄市 第二十五中学" }, wantField: "name"},
		{name: "unknown county", edit: func(r *unit.Registration) { r.County = "139999" }, wantField: "county"},
		{name: "city code as county", edit: func(r *unit.Registration) { r.County = "1301" }, wantField: "county"},
		{name: "bad area", edit: func(r *unit.Registration) { r.Area = "4" }, wantField: "area"},
		{name: "missing category", edit: func(r *unit.Registration) { r.Category = "" }, wantField: "category"},
		{name: "bad stage", edit: func(r *unit.Registration) { r.Stage = "9" }, wantField: "stage"},
		{name: "admin of another county", actor: countyAdmin("130104"), wantIs: unit.ErrNeedsCountyAdmin},
		{name: "city admin", actor: access.Actor{Role: access.RoleCityAdmin, Jurisdiction: "1301"}, wantIs: access.ErrForbidden},
		{name: "teacher", actor: access.Actor{Role: access.RoleTeacher}, wantIs: access.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			if tt.edit != nil {
				tt.edit(&r)
			}
			actor := tt.actor
			if actor.Role == "" {
				actor = countyAdmin("130102")
			}
			u := unit.New(uuid.New())
			err := u.Register(r, actor, now)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			case tt.wantField != "":
				var ve *domain.ValidationError
				if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(f domain.FieldError) bool { return f.Field == tt.wantField }) {
					t.Fatalf("err = %v, want a problem with %s", err, tt.wantField)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				got := replay(t, u)
				if got.Name() != r.Name || got.County() != "130102" || got.City() != "1301" || got.Area() != r.Area || got.Category() != "311" || got.Stage() != r.Stage {
					t.Errorf("after replay: %q %s %s %s %s %s", got.Name(), got.County(), got.City(), got.Area(), got.Category(), got.Stage())
				}
			}
			if err != nil && len(u.Changes()) != 0 {
				t.Error("events recorded on refusal")
			}
		})
	}
}

func TestChanges(t *testing.T) {
	a := countyAdmin("130102")
	tests := []struct {
		name   string
		do     func(u *unit.Unit) error
		wantIs error
		check  func(u *unit.Unit) bool
	}{
		{"area", func(u *unit.Unit) error { return u.ChangeArea(a, "3", "区划调整", now) }, nil, func(u *unit.Unit) bool { return u.Area() == "3" }},
		{"category", func(u *unit.Unit) error { return u.ChangeCategory(a, "312", "改为九年一贯制", now) }, nil, func(u *unit.Unit) bool { return u.Category() == "312" }},
		{"rename", func(u *unit.Unit) error {
			return u.Rename(a, "石家庄市第二十五中学（北校区）", "更名", now)
		}, nil, func(u *unit.Unit) bool { return u.Name() == "石家庄市第二十五中学（北校区）" }},
		{"stage", func(u *unit.Unit) error { return u.ChangeStage(a, "4", "增设高中", now) }, nil, func(u *unit.Unit) bool { return u.Stage() == "4" }},
		{"same area", func(u *unit.Unit) error { return u.ChangeArea(a, "1", "x", now) }, domain.ErrValidation, nil},
		{"bad area", func(u *unit.Unit) error { return u.ChangeArea(a, "城区", "x", now) }, domain.ErrValidation, nil},
		{"no reason", func(u *unit.Unit) error { return u.ChangeArea(a, "2", "", now) }, domain.ErrValidation, nil},
		{"other county", func(u *unit.Unit) error { return u.ChangeArea(countyAdmin("130104"), "2", "x", now) }, unit.ErrNeedsCountyAdmin, nil},
		{"short new name", func(u *unit.Unit) error { return u.Rename(a, "二五中", "x", now) }, domain.ErrValidation, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := unit.New(uuid.New())
			if err := u.Register(valid(), a, now); err != nil {
				t.Fatal(err)
			}
			err := tt.do(u)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if tt.check != nil && !tt.check(replay(t, u)) {
				t.Error("change not applied after replay")
			}
			if err != nil && len(u.Changes()) != 1 {
				t.Error("events recorded on refusal")
			}
		})
	}
	if err := unit.New(uuid.New()).ChangeArea(a, "2", "x", now); !errors.Is(err, unit.ErrNotRegistered) {
		t.Errorf("change before register: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	m := event.Metadata{ActorRole: string(access.RoleCountyAdmin), ActorName: "张三"}
	tests := []struct {
		e    event.Event
		want string
	}{
		{&unit.AreaChanged{Change: unit.Change{Old: "1", New: "3", Reason: "区划调整"}}, "区县管理员 张三 将 学校所在区域 由 “城区” 改为 “乡村”，理由：区划调整"},
		{&unit.Registered{Name: "石家庄市第二十五中学", County: "130102", Area: "1", Category: "311"}, "区县管理员 张三 登记了单位 石家庄市第二十五中学（河北省石家庄市长安区，城区，初级中学）"},
	}
	for _, tt := range tests {
		if got := unit.Describe(event.Envelope{Event: tt.e, Metadata: m}); got != tt.want {
			t.Errorf("Describe =\n %s\nwant\n %s", got, tt.want)
		}
	}
}
