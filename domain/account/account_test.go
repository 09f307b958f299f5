package account_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/event"
)

var now = time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

const county = "130102"

func actor(role access.Role, jurisdiction string) access.Actor {
	return access.Actor{UserID: uuid.New(), Role: role, Name: "张三", Jurisdiction: jurisdiction}
}

func teacherCreation() account.Creation {
	return account.Creation{Login: "11010519491231002x", Role: access.RoleTeacher, TeacherID: uuid.New(), TeacherCounty: county, DisplayName: "李四"}
}

func replay(t *testing.T, a *account.Account) *account.Account {
	t.Helper()
	reg := event.NewRegistry()
	account.RegisterEvents(reg)
	var h []event.Envelope
	for i, e := range a.Changes() {
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
	return account.Load(a.ID(), h)
}

func newTeacherAccount(t *testing.T) *account.Account {
	t.Helper()
	a := account.New(uuid.New())
	if err := a.Create(teacherCreation(), actor(access.RoleCountyAdmin, county), now); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name   string
		in     account.Creation
		by     access.Actor
		wantIs error
	}{
		{"teacher by county admin", teacherCreation(), actor(access.RoleCountyAdmin, county), nil},
		{"teacher by admin of another county", teacherCreation(), actor(access.RoleCountyAdmin, "130104"), account.ErrNotAuthority},
		{"teacher by city admin", teacherCreation(), actor(access.RoleCityAdmin, "1301"), account.ErrNotAuthority},
		{"teacher without teacher id", func() account.Creation { c := teacherCreation(); c.TeacherID = uuid.Nil; return c }(), actor(access.RoleCountyAdmin, county), domain.ErrValidation},
		{"teacher without county", func() account.Creation { c := teacherCreation(); c.TeacherCounty = ""; return c }(), actor(access.RoleCountyAdmin, county), domain.ErrValidation},
		{"county admin by province admin", account.Creation{Login: "CA130102", Role: access.RoleCountyAdmin, Jurisdiction: county, DisplayName: "长安区管理员"}, actor(access.RoleProvinceAdmin, "13"), nil},
		{"county admin by county admin", account.Creation{Login: "ca2", Role: access.RoleCountyAdmin, Jurisdiction: county, DisplayName: "x"}, actor(access.RoleCountyAdmin, county), account.ErrNotAuthority},
		{"county admin with a city code", account.Creation{Login: "ca3", Role: access.RoleCountyAdmin, Jurisdiction: "1301", DisplayName: "x"}, actor(access.RoleProvinceAdmin, "13"), domain.ErrValidation},
		{"province admin by system", account.Creation{Login: "root", Role: access.RoleProvinceAdmin, Jurisdiction: "13", DisplayName: "省管理员"}, access.System("create-admin"), nil},
		{"admin of another province", account.Creation{Login: "bj1101", Role: access.RoleCityAdmin, Jurisdiction: "1101", DisplayName: "x"}, actor(access.RoleProvinceAdmin, "13"), account.ErrNotAuthority},
		{"institution without id", account.Creation{Login: "hebtu", Role: access.RoleInstitution, DisplayName: "河北师范大学"}, actor(access.RoleProvinceAdmin, "13"), domain.ErrValidation},
		{"institution", account.Creation{Login: "hebtu", Role: access.RoleInstitution, InstitutionID: uuid.New(), DisplayName: "河北师范大学"}, actor(access.RoleProvinceAdmin, "13"), nil},
		{"system role", account.Creation{Login: "sys", Role: access.RoleSystem, DisplayName: "x"}, access.System("x"), domain.ErrValidation},
		{"bad login", account.Creation{Login: "张 三", Role: access.RoleAuditor, Jurisdiction: "13", DisplayName: "x"}, actor(access.RoleProvinceAdmin, "13"), domain.ErrValidation},
		{"no display name", account.Creation{Login: "aud", Role: access.RoleAuditor, Jurisdiction: "13"}, actor(access.RoleProvinceAdmin, "13"), domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := account.New(uuid.New())
			err := a.Create(tt.in, tt.by, now)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if err != nil {
				if len(a.Changes()) != 0 {
					t.Error("events recorded on refusal")
				}
				return
			}
			r := replay(t, a)
			if !r.Created() || !r.MustChangePassword() || !r.CanLogin() || r.Role() != tt.in.Role {
				t.Errorf("after replay: created=%v must=%v can=%v role=%s", r.Created(), r.MustChangePassword(), r.CanLogin(), r.Role())
			}
		})
	}
}

func TestTeacherLoginIsNormalisedIDNumber(t *testing.T) {
	a := newTeacherAccount(t)
	if got := a.Login(); got != "11010519491231002X" {
		t.Errorf("Login = %q", got)
	}
	act := a.Actor()
	if act.Role != access.RoleTeacher || act.TeacherID == uuid.Nil || act.UserID != a.ID() {
		t.Errorf("Actor = %+v", act)
	}
}

func TestPasswordLife(t *testing.T) {
	a := newTeacherAccount(t)
	self := a.Actor()
	admin := actor(access.RoleCountyAdmin, county)

	if err := a.ChangePassword(admin, now); !errors.Is(err, account.ErrNotOwner) {
		t.Errorf("admin changed the password: %v", err)
	}
	if err := a.ChangePassword(self, now); err != nil {
		t.Fatal(err)
	}
	if a.MustChangePassword() {
		t.Error("must change after change")
	}
	if err := a.Lock(access.System("auth"), "", "连续5次密码错误", now); err != nil {
		t.Fatal(err)
	}
	if a.CanLogin() || a.Status() != account.StatusLocked {
		t.Error("locked account can log in")
	}
	if err := a.Lock(admin, county, "x", now); !errors.Is(err, account.ErrAlreadyLocked) {
		t.Errorf("second lock: %v", err)
	}
	// Reset by an admin of another county is refused; the teacher's county decides.
	if err := a.ResetPassword(actor(access.RoleCountyAdmin, "130104"), county, "", now); !errors.Is(err, account.ErrNotAuthority) {
		t.Errorf("reset by another county: %v", err)
	}
	if err := a.ResetPassword(admin, "130104", "", now); !errors.Is(err, account.ErrNotAuthority) {
		t.Errorf("reset for a teacher now in another county: %v", err)
	}
	if err := a.ResetPassword(admin, county, "教师忘记密码", now); err != nil {
		t.Fatal(err)
	}
	r := replay(t, a)
	if !r.MustChangePassword() || r.Status() != account.StatusActive {
		t.Errorf("after reset: must=%v status=%s", r.MustChangePassword(), r.Status())
	}
	if e := a.Changes()[len(a.Changes())-1].(*account.PasswordReset); !e.Unlocked || !e.MustChangePassword {
		t.Errorf("reset event = %+v", e)
	}
	if err := a.Unlock(admin, county, "", now); !errors.Is(err, account.ErrNotLocked) {
		t.Errorf("unlock unlocked: %v", err)
	}
	if err := a.Disable(admin, county, "", now); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("disable without reason: %v", err)
	}
	if err := a.Disable(admin, county, "调离教师岗位", now); err != nil {
		t.Fatal(err)
	}
	if err := a.ChangePassword(self, now); !errors.Is(err, account.ErrDisabled) {
		t.Errorf("change on disabled: %v", err)
	}
	if r := replay(t, a); r.CanLogin() || r.Status() != account.StatusDisabled {
		t.Errorf("disabled account: can=%v status=%s", r.CanLogin(), r.Status())
	}
}

func TestAdminAccountResetByProvince(t *testing.T) {
	a := account.New(uuid.New())
	if err := a.Create(account.Creation{Login: "ca130102", Role: access.RoleCountyAdmin, Jurisdiction: county, DisplayName: "x"}, access.System("cli"), now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		by     access.Actor
		wantIs error
	}{
		{"county admin of the same county", actor(access.RoleCountyAdmin, county), account.ErrNotAuthority},
		{"city admin", actor(access.RoleCityAdmin, "1301"), account.ErrNotAuthority},
		{"province admin", actor(access.RoleProvinceAdmin, "13"), nil},
	}
	for _, tt := range tests {
		if err := a.ResetPassword(tt.by, "", "", now); !errors.Is(err, tt.wantIs) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantIs)
		}
	}
}

func TestLoginFollowsCorrectedID(t *testing.T) {
	a := newTeacherAccount(t)
	admin := actor(access.RoleCountyAdmin, county)
	if err := a.ChangeLogin(admin, county, "11010519491231002X", "x", now); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("same login: %v", err)
	}
	if err := a.ChangeLogin(a.Actor(), county, "130102199001011237", "x", now); !errors.Is(err, account.ErrNotAuthority) {
		t.Errorf("teacher changed own login: %v", err)
	}
	if err := a.ChangeLogin(admin, county, "130102199001011237", "身份证号码更正", now); err != nil {
		t.Fatal(err)
	}
	if err := a.ChangeDisplayName(admin, county, "李思", now); err != nil {
		t.Fatal(err)
	}
	r := replay(t, a)
	if r.Login() != "130102199001011237" || r.DisplayName() != "李思" {
		t.Errorf("after replay: %q %q", r.Login(), r.DisplayName())
	}
}

// Events must never carry a password or a hash: check every registered
// type's JSON field names, omitted-when-empty ones included.
func TestNoSecretsInEvents(t *testing.T) {
	reg := event.NewRegistry()
	account.RegisterEvents(reg)
	for _, name := range reg.Names() {
		e, err := reg.Decode(name, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range jsonKeys(reflect.TypeOf(e).Elem()) {
			if k == "password" || strings.Contains(k, "hash") || strings.Contains(k, "secret") ||
				strings.Contains(k, "password") && k != "must_change_password" {
				t.Errorf("%s has key %q", name, k)
			}
		}
	}
	if n := len(reg.Names()); n != 8 {
		t.Errorf("%d event types", n)
	}
}

func jsonKeys(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonKeys(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, strings.ToLower(name))
	}
	return out
}
