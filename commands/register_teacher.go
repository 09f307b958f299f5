package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// RegisterTeacher is the input of the registration command.
type RegisterTeacher struct {
	Profile             teacher.Profile
	UnitID              uuid.UUID
	CertificateOverride string
}

// Registered reports a registration.
type Registered struct {
	Result
	Login    string
	Warnings []ident.Warning
}

// RegisterTeacher enters a teacher (county admin of the unit's county),
// claims the ID number, and opens the teacher's account with the initial
// password (the last six characters of the ID number, to be changed at
// first login). A retry with the same idempotency key completes a
// registration that failed half-way and duplicates nothing.
func (h *Handlers) RegisterTeacher(ctx context.Context, actor access.Actor, cmd RegisterTeacher) (Registered, error) {
	ref, err := h.unitRef(ctx, cmd.UnitID)
	if errors.Is(err, domain.ErrNotFound) {
		return Registered{}, domain.Invalid("unit_id", "单位不存在")
	}
	if err != nil {
		return Registered{}, err
	}
	id := h.newID(ctx, actor, "teacher")
	stream := teacher.StreamName(id)
	var warnings []ident.Warning
	w := h.write(ctx, actor)
	var idNumber string
	w.BeforeSave = func(ctx context.Context) error { return h.claim(ctx, actor, ClaimIDNumber, idNumber, id) }
	t, res, err := Update(ctx, h.Repo, stream, func() *teacher.Teacher { return teacher.New(id) }, true, w,
		func(t *teacher.Teacher) error {
			ws, err := t.Register(teacher.Registration{Profile: cmd.Profile, Unit: ref, CertificateOverride: cmd.CertificateOverride}, actor, h.Now())
			warnings, idNumber = ws, t.Profile().IDNumber
			return err
		})
	if err != nil {
		return Registered{}, err
	}
	// A certificate number already on another teacher's record is a
	// warning, not a refusal: legacy data holds such errors, and the admin
	// decides which record is wrong. A free number is claimed for this one.
	if n := t.Profile().CertificateNumber; n != "" {
		warn, err := h.certificateClaim(context.WithoutCancel(ctx), actor, n, id)
		if err != nil {
			return Registered{}, err
		}
		if warn != nil {
			warnings = append(warnings, *warn)
		}
	}
	// The teacher is stored: open the account even if the client has gone.
	// Should this process die first, the AccountProcess opens it from the
	// teacher.registered event.
	if err := h.openTeacherAccount(context.WithoutCancel(ctx), actor, t); err != nil {
		return Registered{}, err
	}
	return Registered{Result: result(id, res, t), Login: t.Profile().IDNumber, Warnings: warnings}, nil
}

func (h *Handlers) openTeacherAccount(ctx context.Context, actor access.Actor, t *teacher.Teacher) error {
	id := TeacherAccountID(t.ID())
	stream := account.StreamName(id)
	p := t.Profile()
	a, _, err := Update(ctx, h.Repo, stream, func() *account.Account { return account.New(id) }, true, h.plainWrite(ctx, actor),
		func(a *account.Account) error {
			if a.Created() {
				return nil // a retried registration
			}
			return a.Create(account.Creation{Login: p.IDNumber, Role: access.RoleTeacher, TeacherID: t.ID(),
				TeacherCounty: t.County(), DisplayName: p.Name}, actor, h.Now())
		})
	if err != nil {
		return err
	}
	err = h.Creds.CreateAccount(ctx, Principal{AccountID: id, Login: a.Login(), Role: access.RoleTeacher,
		TeacherID: t.ID(), DisplayName: a.DisplayName()}, InitialPassword(p.IDNumber), true)
	if errors.Is(err, domain.ErrDuplicate) {
		if existing, e := h.Creds.Account(ctx, id); e == nil && existing.TeacherID == t.ID() {
			return nil
		}
	}
	return err
}

// ClaimCertificateNumber keeps track of which teacher holds a teacher
// certificate number (a warning on duplicates, not a refusal).
const ClaimCertificateNumber = "certificate_number"

// certificateClaim takes the certificate number for teacher id, or says
// whose record already holds it.
func (h *Handlers) certificateClaim(ctx context.Context, actor access.Actor, number string, id uuid.UUID) (*ident.Warning, error) {
	c := claim.New(ClaimCertificateNumber)
	err := h.Repo.Load(ctx, claim.StreamName(ClaimCertificateNumber, number), c)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	if owner := c.Owner(); owner != uuid.Nil && owner != id {
		if exists, err := h.claimOwnerExists(ctx, ClaimIDNumber, owner); err != nil || exists {
			return &ident.Warning{Field: ident.FieldCertificateNumber, Reason: "该教师资格证号码已登记在另一名教师名下，请核对两条记录"}, err
		}
	}
	if err := h.claim(ctx, actor, ClaimCertificateNumber, number, id); err != nil && !errors.Is(err, claim.ErrTaken) {
		return nil, err
	}
	return nil, nil
}
