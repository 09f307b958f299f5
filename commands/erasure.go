package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// EraseTeacher erases a teacher's personal data (province admin, with the
// legal reason): it appends teacher.erased; the ErasureProcess then
// releases the claims, disables the login and destroys the data keys
// (docs/INTEGRITY.md section 6). The record is read-only afterwards.
func (h *Handlers) EraseTeacher(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	// Permission before state: whether the teacher exists is no one
	// else's business.
	if actor.Role != access.RoleProvinceAdmin {
		return Result{}, teacher.ErrEraseNeedsProvinceAdmin
	}
	t, res, err := Update(ctx, h.Repo, teacher.StreamName(id), func() *teacher.Teacher { return teacher.New(id) }, false, h.write(ctx, actor),
		func(t *teacher.Teacher) error {
			var claims []teacher.ClaimRef
			p := t.Profile()
			if !t.Erased() {
				if v := p.IDNumber; v != "" {
					claims = append(claims, teacher.ClaimRef{Kind: ClaimIDNumber, Stream: claim.StreamName(ClaimIDNumber, v)})
				}
				if v := p.CertificateNumber; v != "" {
					claims = append(claims, teacher.ClaimRef{Kind: ClaimCertificateNumber, Stream: claim.StreamName(ClaimCertificateNumber, v)})
				}
			}
			return t.Erase(actor, reason, claims, h.Now())
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, t), nil
}

// KeyDestroyer destroys data keys inside a transaction (shred.Keys).
type KeyDestroyer interface {
	Destroy(ctx context.Context, tx pgx.Tx, subjects ...uuid.UUID) error
}

// ErasureProcess makes what follows a teacher's erasure follow it: the
// claims the record held are released, the login is disabled (its login
// name and display name replaced, its sessions ended), stored first
// responses that quote the teacher's ID number or name are dropped, and the
// data keys of the teacher and of the teacher's account are destroyed, in
// the transaction that moves the process's checkpoint. Every step is
// idempotent: a replay (a rebuild) changes nothing more.
type ErasureProcess struct {
	h    *Handlers
	keys KeyDestroyer
}

// NewErasureProcess wires the process; keys may be nil (no encryption).
func NewErasureProcess(h *Handlers, keys KeyDestroyer) *ErasureProcess {
	return &ErasureProcess{h: h, keys: keys}
}

func (p *ErasureProcess) Name() string { return "erasure_process" }

// Tables is empty: a rebuild must never empty what the process keeps.
func (p *ErasureProcess) Tables() []string { return nil }

func (p *ErasureProcess) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	e, ok := env.Event.(*teacher.Erased)
	if !ok {
		return nil
	}
	for _, c := range e.Claims {
		_, _, err := Update(ctx, p.h.Repo, c.Stream, func() *claim.Claim { return claim.New(c.Kind) }, true,
			p.h.processWrite(env), func(cl *claim.Claim) error { cl.Release(e.TeacherID); return nil })
		if err != nil {
			return fmt.Errorf("erasure process: release %s: %w", c.Stream, err)
		}
	}
	// The values as they still read (before the keys go): first responses
	// kept for idempotent retries may quote them.
	t, err := p.h.LoadTeacher(ctx, e.TeacherID)
	if err != nil {
		return fmt.Errorf("erasure process: load teacher: %w", err)
	}
	for _, v := range []string{t.Profile().IDNumber, t.Profile().Name, t.Profile().Mobile} {
		if len([]rune(v)) < 2 || v == teacher.ErasedValue {
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') IN response) > 0`, v); err != nil {
			return fmt.Errorf("erasure process: stored responses: %w", err)
		}
	}
	acc := TeacherAccountID(e.TeacherID)
	if _, err := tx.Exec(ctx, `UPDATE auth_accounts SET login = 'erased-' || account_id::text, display_name = $2, disabled = true
		WHERE account_id = $1 OR teacher_id = $3`, acc, teacher.ErasedValue, e.TeacherID); err != nil {
		return fmt.Errorf("erasure process: credentials: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE auth_sessions SET revoked_at = $2 WHERE account_id IN
		(SELECT account_id FROM auth_accounts WHERE account_id = $1 OR teacher_id = $3) AND revoked_at IS NULL`,
		acc, p.h.Now(), e.TeacherID); err != nil {
		return fmt.Errorf("erasure process: sessions: %w", err)
	}
	if p.keys != nil {
		if err := p.keys.Destroy(ctx, tx, e.TeacherID, acc); err != nil {
			return fmt.Errorf("erasure process: %w", err)
		}
	}
	return nil
}

// erasedReadOnly refuses every change of an erased record: permission
// first (a forbidden actor is told so), then the one reason.
func erasedReadOnly(decide func(*teacher.Teacher) error) func(*teacher.Teacher) error {
	return func(t *teacher.Teacher) error {
		erased := t.Erased()
		err := decide(t)
		if !erased || errors.Is(err, access.ErrForbidden) {
			return err
		}
		if err != nil || len(t.Changes()) > 0 {
			return teacher.ErrErased
		}
		return nil
	}
}
