package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// AccountProcess makes what must follow a registration follow it, whatever
// happened to the request that made it: a registered teacher gets an
// account stream, and every created account gets its credentials row (a
// teacher's with the initial password; an admin's as a placeholder without
// a usable password, until the creating request or a reset sets one).
//
// It runs in the projection runner with its own checkpoint; its credential
// writes share the checkpoint's transaction. Every step only makes sure a
// thing exists, so replaying the feed (a rebuild, a redelivery) changes
// nothing that is already there, and never resets a password.
//
// The command handlers still do the same steps at once, so a user can log
// in right after registering; this process is what makes the outcome
// certain when a request is cut off between its writes.
type AccountProcess struct {
	h *Handlers
}

// NewAccountProcess wires the process to the command handlers.
func NewAccountProcess(h *Handlers) *AccountProcess { return &AccountProcess{h: h} }

// Name keys the process's checkpoint.
func (p *AccountProcess) Name() string { return "account_process" }

// Tables is empty: a rebuild must never empty the credentials.
func (p *AccountProcess) Tables() []string { return nil }

// Apply handles teacher.registered and account.created.
func (p *AccountProcess) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	switch e := env.Event.(type) {
	case *teacher.Registered:
		return p.teacherRegistered(ctx, env, e)
	case *account.Created:
		return p.accountCreated(ctx, tx, e)
	}
	return nil
}

func (p *AccountProcess) teacherRegistered(ctx context.Context, env event.Envelope, e *teacher.Registered) error {
	t, err := p.h.LoadTeacher(ctx, e.TeacherID)
	if err != nil {
		return fmt.Errorf("account process: load teacher: %w", err)
	}
	actor := access.Actor{UserID: env.Metadata.ActorID, Role: access.Role(env.Metadata.ActorRole),
		Name: env.Metadata.ActorName, Jurisdiction: env.Metadata.Jurisdiction}
	id := TeacherAccountID(t.ID())
	_, _, err = Update(ctx, p.h.Repo, account.StreamName(id), func() *account.Account { return account.New(id) }, true,
		p.h.processWrite(env), func(a *account.Account) error {
			if a.Created() {
				return nil
			}
			// The login and name as registered: later corrections follow
			// through their own commands.
			return a.Create(account.Creation{Login: e.Profile.IDNumber, Role: access.RoleTeacher, TeacherID: t.ID(),
				TeacherCounty: e.Profile.County, DisplayName: e.Profile.Name}, actor, env.Metadata.OccurredAt)
		})
	if err != nil {
		return fmt.Errorf("account process: teacher account: %w", err)
	}
	return nil
}

func (p *AccountProcess) accountCreated(ctx context.Context, tx pgx.Tx, e *account.Created) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM auth_accounts WHERE account_id = $1)`, e.AccountID).Scan(&exists); err != nil {
		return fmt.Errorf("account process: %w", err)
	}
	if exists {
		return nil
	}
	var password string
	placeholder := e.Role != access.RoleTeacher
	if placeholder {
		password = generatePassword() // never shown: nobody can log in with it
	} else {
		password = InitialPassword(e.Login)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), p.h.Creds.cost)
	if err != nil {
		return fmt.Errorf("account process: hash: %w", err)
	}
	// The login may meanwhile belong to a later account (an ID-number
	// correction moved it): then this account keeps no login of its own
	// until its own change event arrives, and the process does nothing.
	_, err = tx.Exec(ctx, `INSERT INTO auth_accounts
		(account_id, login, role, jurisdiction, teacher_id, institution_id, display_name, password_hash,
		 must_change_password, created_at, placeholder)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,true,$9,$10)
		ON CONFLICT DO NOTHING`,
		e.AccountID, e.Login, string(e.Role), e.Jurisdiction, nullUUID(e.TeacherID), nullUUID(e.InstitutionID),
		e.DisplayName, string(hash), p.h.Now(), placeholder)
	if err != nil {
		return fmt.Errorf("account process: credentials: %w", err)
	}
	return nil
}

// processWrite is the metadata of an event a process appends on behalf of
// the command that caused it: the same actor, correlated with the cause.
func (h *Handlers) processWrite(cause event.Envelope) Write {
	m := cause.Metadata
	m.CausationID = cause.ID.String()
	if m.CorrelationID == "" {
		m.CorrelationID = cause.ID.String()
	}
	m.OccurredAt = h.Now().UTC()
	return Write{Meta: m}
}

// ensureCredentials creates a missing credentials row of an account from
// its events (a request cut off before writing it), so a reset has a row to
// reset; it does nothing when the row exists.
func (h *Handlers) ensureCredentials(ctx context.Context, a *account.Account) error {
	if _, err := h.Creds.Account(ctx, a.ID()); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	pw := generatePassword()
	if a.Role() == access.RoleTeacher {
		pw = InitialPassword(a.Login())
	}
	err := h.Creds.CreateAccount(ctx, Principal{AccountID: a.ID(), Login: a.Login(), Role: a.Role(), Jurisdiction: a.Jurisdiction(),
		TeacherID: a.TeacherID(), InstitutionID: a.InstitutionID(), DisplayName: a.DisplayName()}, pw, true)
	if errors.Is(err, domain.ErrDuplicate) {
		return nil
	}
	return err
}
