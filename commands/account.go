package commands

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
)

var accountNamespace = uuid.MustParse("0c7f4a52-3d8e-4b7a-9f61-2a5d8c9e1b33")

// TeacherAccountID is the account of a teacher record: derived, so a retried
// registration finds the same account.
func TeacherAccountID(teacherID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(accountNamespace, []byte("teacher/"+teacherID.String()))
}

// InitialPassword is the platform's rule: the last six characters of the ID
// number. The user must change it at first login.
func InitialPassword(idNumber string) string {
	if len(idNumber) <= 6 {
		return idNumber
	}
	return idNumber[len(idNumber)-6:]
}

// NewAccount is the input of CreateAccount (admins, institutions, auditors,
// registration authorities; teacher accounts come with registration).
type NewAccount struct {
	Login         string
	Role          access.Role
	Jurisdiction  string
	InstitutionID uuid.UUID
	DisplayName   string
	// Password is the initial password; empty generates one.
	Password string
}

// CreateAccount opens a non-teacher account. It returns the initial
// password, which the user must change at first login.
func (h *Handlers) CreateAccount(ctx context.Context, actor access.Actor, in NewAccount) (Result, string, error) {
	if in.Role == access.RoleTeacher {
		return Result{}, "", domain.Invalid("role", "教师账号随教师信息录入自动创建")
	}
	pw := in.Password
	if pw == "" {
		pw = generatePassword()
	} else if err := ValidateNewPassword(pw, in.Login); err != nil {
		return Result{}, "", err
	}
	id := h.newID(ctx, actor, "account")
	stream := account.StreamName(id)
	a, res, err := Update(ctx, h.Repo, stream, func() *account.Account { return account.New(id) }, true, h.write(ctx, actor),
		func(a *account.Account) error {
			if err := a.Create(account.Creation{Login: in.Login, Role: in.Role, Jurisdiction: in.Jurisdiction,
				InstitutionID: in.InstitutionID, DisplayName: in.DisplayName}, actor, h.Now()); err != nil {
				return err
			}
			if taken, err := h.Creds.LoginTaken(ctx, a.Login()); err != nil || taken {
				if err == nil {
					err = domain.Invalid("login", "登录名已被使用")
				}
				return err
			}
			return nil
		})
	if err != nil {
		return Result{}, "", err
	}
	p := Principal{AccountID: id, Login: a.Login(), Role: a.Role(), Jurisdiction: a.Jurisdiction(),
		InstitutionID: a.InstitutionID(), DisplayName: a.DisplayName()}
	// The event is stored: finish even if the client has gone (the
	// AccountProcess makes a placeholder row should this process die here).
	if err := h.Creds.CreateAccount(context.WithoutCancel(ctx), p, pw, true); err != nil && !errors.Is(err, domain.ErrDuplicate) {
		return Result{}, "", err
	}
	return result(id, res, a), pw, nil
}

// ChangePassword sets a user's own new password after checking the old one.
// The event records that it changed; the hash stays in the auth tables.
// Every other session of the user ends.
func (h *Handlers) ChangePassword(ctx context.Context, p Principal, oldPassword, newPassword, keepSession string) (eventstore.AppendResult, error) {
	if err := ValidateNewPassword(newPassword, p.Login); err != nil {
		return eventstore.AppendResult{}, err
	}
	if oldPassword == newPassword {
		return eventstore.AppendResult{}, domain.Invalid("new_password", "新密码不能与原密码相同")
	}
	if err := h.Creds.CheckPassword(ctx, p.AccountID, oldPassword); err != nil {
		return eventstore.AppendResult{}, err
	}
	actor := p.Actor()
	stream := account.StreamName(p.AccountID)
	_, res, err := Update(ctx, h.Repo, stream, func() *account.Account { return account.New(p.AccountID) }, false,
		h.plainWrite(ctx, actor), func(a *account.Account) error { return a.ChangePassword(actor, h.Now()) })
	if err != nil {
		return res, err
	}
	// The change is recorded: the new hash must follow even if the client
	// has gone.
	return res, h.Creds.SetPassword(context.WithoutCancel(ctx), p.AccountID, newPassword, false, keepSession)
}

// ResetTeacherPassword restores a teacher's initial password (county admin
// of the teacher's county); the teacher must change it at next login, and
// every session of the teacher ends.
func (h *Handlers) ResetTeacherPassword(ctx context.Context, actor access.Actor, teacherID uuid.UUID) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	id := TeacherAccountID(teacherID)
	stream := account.StreamName(id)
	a, res, err := Update(ctx, h.Repo, stream, func() *account.Account { return account.New(id) }, false, h.write(ctx, actor),
		func(a *account.Account) error {
			if err := a.ResetPassword(actor, t.County(), "", h.Now()); err != nil {
				return err
			}
			// Authorized and decided: make sure there is a row to reset
			// before the reset is recorded.
			return h.ensureCredentials(ctx, a)
		})
	if err != nil {
		return Result{}, err
	}
	if err := h.Creds.SetPassword(context.WithoutCancel(ctx), id, InitialPassword(t.Profile().IDNumber), true, ""); err != nil {
		return Result{}, err
	}
	return result(id, res, a), nil
}

// syncTeacherAccount makes the account follow a corrected ID number (the
// login) or name (the display name).
func (h *Handlers) syncTeacherAccount(ctx context.Context, actor access.Actor, t *teacher.Teacher, reason string) error {
	id := TeacherAccountID(t.ID())
	stream := account.StreamName(id)
	p := t.Profile()
	a, _, err := Update(ctx, h.Repo, stream, func() *account.Account { return account.New(id) }, false, h.plainWrite(ctx, actor),
		func(a *account.Account) error {
			if a.Login() != p.IDNumber {
				if err := a.ChangeLogin(actor, t.County(), p.IDNumber, reason, h.Now()); err != nil {
					return err
				}
			}
			if a.DisplayName() != p.Name {
				return a.ChangeDisplayName(actor, t.County(), p.Name, h.Now())
			}
			return nil
		})
	if errors.Is(err, domain.ErrNotFound) {
		return nil // a teacher imported without an account
	}
	if err != nil {
		return fmt.Errorf("account follows the teacher record: %w", err)
	}
	if err := h.Creds.ChangeLogin(ctx, id, a.Login()); err != nil {
		return err
	}
	return h.Creds.SetDisplayName(ctx, id, a.DisplayName())
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

func generatePassword() string {
	b := make([]byte, 12)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(passwordAlphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	// Guarantee the three kinds the policy asks for.
	b[0], b[1], b[2] = 'A'+b[0]%26, 'a'+b[1]%26, '2'+b[2]%8
	return string(b)
}
