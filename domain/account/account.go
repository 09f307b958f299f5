package account

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
)

// Refusals and state conflicts.
var (
	// ErrNotAuthority: teacher accounts are managed by an admin of the
	// teacher's county, every other account by a province admin.
	ErrNotAuthority = fmt.Errorf("%w: not the authority for this account", access.ErrForbidden)
	// ErrNotOwner: only the user changes their own password.
	ErrNotOwner       = fmt.Errorf("%w: only the account's user may do this", access.ErrForbidden)
	ErrNotCreated     = domain.Refusal("account does not exist", "账号尚未开通")
	ErrAlreadyCreated = domain.Refusal("account already exists", "账号已开通，不能重复开通")
	ErrDisabled       = domain.Refusal("account disabled", "账号已停用，须由管理员重新启用后才能办理")
	ErrAlreadyLocked  = domain.Refusal("account already locked", "账号已锁定")
	ErrNotLocked      = domain.Refusal("account not locked", "账号未被锁定，无需解锁")
)

// Status of an account.
type Status string

const (
	StatusActive   Status = "active"
	StatusLocked   Status = "locked"
	StatusDisabled Status = "disabled"
)

// Label is the Chinese status.
func (s Status) Label() string {
	switch s {
	case StatusActive:
		return "正常"
	case StatusLocked:
		return "已锁定"
	case StatusDisabled:
		return "已停用"
	}
	return string(s)
}

// Account is the aggregate.
type Account struct {
	event.Root
	id            uuid.UUID
	created       bool
	login         string
	role          access.Role
	jurisdiction  string
	teacherID     uuid.UUID
	institutionID uuid.UUID
	displayName   string
	mustChange    bool
	locked        bool
	disabled      bool
}

// Creation is the input of Create.
type Creation struct {
	Login         string
	Role          access.Role
	Jurisdiction  string    // region code for admins, auditors and registrars
	TeacherID     uuid.UUID // teacher accounts
	TeacherCounty string    // teacher accounts: the teacher's current county
	InstitutionID uuid.UUID // institution accounts
	DisplayName   string
}

func New(id uuid.UUID) *Account { return &Account{id: id} }

// Load rebuilds an account from its stream.
func Load(id uuid.UUID, history []event.Envelope) *Account {
	a := New(id)
	a.Root.Load(a, history)
	return a
}

func (a *Account) ID() uuid.UUID            { return a.id }
func (a *Account) Created() bool            { return a.created }
func (a *Account) Login() string            { return a.login }
func (a *Account) Role() access.Role        { return a.role }
func (a *Account) Jurisdiction() string     { return a.jurisdiction }
func (a *Account) TeacherID() uuid.UUID     { return a.teacherID }
func (a *Account) InstitutionID() uuid.UUID { return a.institutionID }
func (a *Account) DisplayName() string      { return a.displayName }

// MustChangePassword: set on creation and reset, cleared by a change.
func (a *Account) MustChangePassword() bool { return a.mustChange }

// Status is disabled, locked or active, in that precedence.
func (a *Account) Status() Status {
	switch {
	case a.disabled:
		return StatusDisabled
	case a.locked:
		return StatusLocked
	}
	return StatusActive
}

// CanLogin reports whether the account may start a session.
func (a *Account) CanLogin() bool { return a.created && a.Status() == StatusActive }

// Actor is the access.Actor of a session of this account.
func (a *Account) Actor() access.Actor {
	return access.Actor{
		UserID: a.id, Role: a.role, Name: a.displayName, Jurisdiction: a.jurisdiction,
		TeacherID: a.teacherID, InstitutionID: a.institutionID,
	}
}

// authority reports whether actor manages an account of role in
// jurisdiction; teacherCounty is the teacher's current county, read from the
// teacher record by the caller, since a transfer moves it.
func authority(actor access.Actor, role access.Role, jurisdiction, teacherCounty string) bool {
	switch {
	case actor.Role == access.RoleSystem:
		return true
	case role == access.RoleTeacher:
		return actor.Role == access.RoleCountyAdmin && teacherCounty != "" && actor.Covers(teacherCounty)
	default:
		return actor.Role == access.RoleProvinceAdmin && actor.Jurisdiction != "" &&
			(jurisdiction == "" || actor.Covers(jurisdiction))
	}
}

// Create opens the account. Teacher accounts: by an admin of the teacher's
// county, the login is the ID number. Others: by a province admin (or the
// system actor, e.g. create-admin).
func (a *Account) Create(in Creation, actor access.Actor, now time.Time) error {
	if a.created {
		return ErrAlreadyCreated
	}
	if a.id == uuid.Nil {
		return domain.Invalid("account_id", "缺少账号标识")
	}
	var errs domain.ValidationError
	if !in.Role.Valid() || in.Role == access.RoleSystem {
		return domain.Invalid("role", "角色无效")
	}
	login, err := normalizeLogin(in.Role, in.Login)
	if err != nil {
		collect(&errs, err)
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		errs.Add("display_name", "显示名称应为1至50个字")
	}
	e := &Created{
		AccountID: a.id, Login: login, Role: in.Role, DisplayName: name,
		MustChangePassword: true, ActorID: actor.UserID, ActorRole: actor.Role,
	}
	tree := region.Default()
	switch in.Role {
	case access.RoleTeacher:
		if in.TeacherID == uuid.Nil {
			errs.Add("teacher_id", "教师账号须关联教师")
		}
		if _, ok := tree.County(in.TeacherCounty); !ok {
			errs.Add("teacher_county", "教师所在区县无效")
		}
		e.TeacherID, e.TeacherCounty = in.TeacherID, in.TeacherCounty
	case access.RoleInstitution:
		if in.InstitutionID == uuid.Nil {
			errs.Add("institution_id", "承培机构账号须关联机构")
		}
		e.InstitutionID = in.InstitutionID
	default:
		want := map[access.Role]int{access.RoleCountyAdmin: 6, access.RoleCityAdmin: 4, access.RoleProvinceAdmin: 2}[in.Role]
		switch {
		case !tree.Valid(in.Jurisdiction):
			errs.Add("jurisdiction", "管辖区域无效")
		case want != 0 && len(in.Jurisdiction) != want:
			errs.Add("jurisdiction", fmt.Sprintf("%s的管辖区域应为%d位行政区划代码", in.Role.Label(), want))
		}
		e.Jurisdiction = in.Jurisdiction
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if !authority(actor, in.Role, in.Jurisdiction, in.TeacherCounty) {
		return ErrNotAuthority
	}
	a.Record(a, e)
	return nil
}

func collect(errs *domain.ValidationError, err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		errs.Fields = append(errs.Fields, ve.Fields...)
	}
}

// normalizeLogin: a teacher logs in with the ID number (upper-case X);
// other users with a name of letters, digits and . _ - @, compared in lower
// case so two accounts cannot differ only by case.
func normalizeLogin(role access.Role, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if role == access.RoleTeacher {
		s = strings.ToUpper(s)
	} else {
		s = strings.ToLower(s)
	}
	if n := len(s); n < 3 || n > 64 {
		return "", domain.Invalid("login", "登录名应为3至64个字符")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return "", domain.Invalid("login", "登录名只能包含字母、数字和 . _ - @")
		}
	}
	return s, nil
}

func (a *Account) usable() error {
	if !a.created {
		return ErrNotCreated
	}
	if a.disabled {
		return ErrDisabled
	}
	return nil
}

func (a *Account) authorize(actor access.Actor, teacherCounty string) error {
	if !authority(actor, a.role, a.jurisdiction, teacherCounty) {
		return ErrNotAuthority
	}
	return nil
}

func reasonOf(reason string, required bool) (string, error) {
	r := strings.TrimSpace(reason)
	if r == "" && required {
		return "", domain.Invalid("reason", "请填写理由")
	}
	if utf8.RuneCountInString(r) > 500 {
		return "", domain.Invalid("reason", "理由不能超过500个字")
	}
	return r, nil
}

// ChangePassword records that the user set a new password; the caller has
// verified the old one and stores the new hash outside the events.
func (a *Account) ChangePassword(actor access.Actor, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if actor.UserID != a.id {
		return ErrNotOwner
	}
	a.Record(a, &PasswordChanged{AccountID: a.id, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// ResetPassword records an admin's reset: the user must change the password
// at next login. A reset also ends a lock, since the user was verified by
// the admin. teacherCounty is the teacher's current county ("" otherwise).
func (a *Account) ResetPassword(actor access.Actor, teacherCounty, reason string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	r, err := reasonOf(reason, false)
	if err != nil {
		return err
	}
	a.Record(a, &PasswordReset{AccountID: a.id, MustChangePassword: true, Unlocked: a.locked, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// Lock stops logins: by the system actor (failed attempts) or the authority.
func (a *Account) Lock(actor access.Actor, teacherCounty, reason string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	if a.locked {
		return ErrAlreadyLocked
	}
	r, err := reasonOf(reason, true)
	if err != nil {
		return err
	}
	a.Record(a, &Locked{AccountID: a.id, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// Unlock allows logins again.
func (a *Account) Unlock(actor access.Actor, teacherCounty, reason string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	if !a.locked {
		return ErrNotLocked
	}
	r, err := reasonOf(reason, false)
	if err != nil {
		return err
	}
	a.Record(a, &Unlocked{AccountID: a.id, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// Disable closes the account for good.
func (a *Account) Disable(actor access.Actor, teacherCounty, reason string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	r, err := reasonOf(reason, true)
	if err != nil {
		return err
	}
	a.Record(a, &Disabled{AccountID: a.id, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// ChangeLogin renames the login, e.g. a teacher's after the ID number was
// corrected (the command that corrects the ID should call this in the same
// request). Uniqueness of logins is the caller's: it needs other accounts.
func (a *Account) ChangeLogin(actor access.Actor, teacherCounty, login, reason string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	l, err := normalizeLogin(a.role, login)
	if err != nil {
		return err
	}
	if l == a.login {
		return domain.Invalid("login", "新登录名与原登录名相同")
	}
	r, err := reasonOf(reason, true)
	if err != nil {
		return err
	}
	a.Record(a, &LoginChanged{AccountID: a.id, Old: a.login, New: l, Reason: r, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// ChangeDisplayName follows a corrected name. An unchanged name records nothing.
func (a *Account) ChangeDisplayName(actor access.Actor, teacherCounty, name string, now time.Time) error {
	if err := a.usable(); err != nil {
		return err
	}
	if err := a.authorize(actor, teacherCounty); err != nil {
		return err
	}
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > 50 {
		return domain.Invalid("display_name", "显示名称应为1至50个字")
	}
	if n == a.displayName {
		return nil
	}
	a.Record(a, &DisplayNameChanged{AccountID: a.id, Old: a.displayName, New: n, ActorID: actor.UserID, ActorRole: actor.Role})
	return nil
}

// Apply changes the state from one event.
func (a *Account) Apply(e event.Event) {
	switch e := e.(type) {
	case *Created:
		a.created = true
		a.login, a.role, a.jurisdiction = e.Login, e.Role, e.Jurisdiction
		a.teacherID, a.institutionID, a.displayName = e.TeacherID, e.InstitutionID, e.DisplayName
		a.mustChange = e.MustChangePassword
	case *PasswordChanged:
		a.mustChange = false
	case *PasswordReset:
		a.mustChange = e.MustChangePassword
		if e.Unlocked {
			a.locked = false
		}
	case *Locked:
		a.locked = true
	case *Unlocked:
		a.locked = false
	case *Disabled:
		a.disabled = true
	case *LoginChanged:
		a.login = e.New
	case *DisplayNameChanged:
		a.displayName = e.New
	}
}
