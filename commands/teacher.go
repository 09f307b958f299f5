package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
)

// ClaimIDNumber is the claim kind that keeps ID numbers unique.
const ClaimIDNumber = "id_number"

// LoadTeacher returns the current state of a teacher record from its stream
// (for decisions and authorization checks, not for display).
func (h *Handlers) LoadTeacher(ctx context.Context, id uuid.UUID) (*teacher.Teacher, error) {
	t := teacher.New(id)
	if err := h.Repo.Load(ctx, teacher.StreamName(id), t); err != nil {
		return nil, err
	}
	return t, nil
}

// updateTeacher runs decide on the teacher and appends what it recorded.
// When the decision changes the ID number, the new number is claimed first
// (so two teachers can never share one), the login follows it, and the old
// number is released.
// checks run after the decision, just before the append (e.g. consuming a
// confirmation code).
func (h *Handlers) updateTeacher(ctx context.Context, actor access.Actor, id uuid.UUID, decide func(*teacher.Teacher) error, checks ...func(context.Context, *teacher.Teacher) error) (Result, error) {
	stream := teacher.StreamName(id)
	decide = erasedReadOnly(decide)
	w := h.write(ctx, actor)
	var oldID, newID string
	var nameChanged bool
	var cur *teacher.Teacher
	w.BeforeSave = func(ctx context.Context) error {
		for _, check := range checks {
			if err := check(ctx, cur); err != nil {
				return err
			}
		}
		if newID != oldID {
			return h.claim(ctx, actor, ClaimIDNumber, newID, id)
		}
		return nil
	}
	t, res, err := Update(ctx, h.Repo, stream, func() *teacher.Teacher { return teacher.New(id) }, false, w,
		func(t *teacher.Teacher) error {
			cur = t
			oldID = t.Profile().IDNumber
			oldName := t.Profile().Name
			readOnly := t.TransferredOut()
			if err := decide(t); err != nil {
				if readOnly && !errors.Is(err, access.ErrForbidden) {
					return teacher.ErrTransferredOut // permission first, then the one reason
				}
				return err
			}
			if readOnly && len(t.Changes()) > 0 {
				return teacher.ErrTransferredOut
			}
			newID, nameChanged = t.Profile().IDNumber, t.Profile().Name != oldName
			return nil
		})
	if err != nil {
		return Result{}, err
	}
	if oldID != "" && (newID != oldID || nameChanged) {
		if err := h.syncTeacherAccount(ctx, actor, t, "关键字段更正"); err != nil {
			return Result{}, err
		}
	}
	if newID != oldID && oldID != "" {
		if err := h.release(ctx, actor, ClaimIDNumber, oldID, id); err != nil {
			return Result{}, err
		}
	}
	return result(id, res, t), nil
}

func (h *Handlers) claim(ctx context.Context, actor access.Actor, kind, value string, owner uuid.UUID) error {
	stream := claim.StreamName(kind, value)
	_, _, err := Update(ctx, h.Repo, stream, func() *claim.Claim { return claim.New(kind) }, true,
		h.plainWrite(ctx, actor), func(c *claim.Claim) error {
			err := c.Take(owner, h.Now())
			if !errors.Is(err, claim.ErrTaken) {
				return err
			}
			// Held by someone else: a claim whose owner was never written
			// (its command died after claiming) must not block the value.
			exists, e := h.claimOwnerExists(ctx, kind, c.Owner())
			if e != nil {
				return e
			}
			return c.TakeOverStale(owner, exists, h.Now())
		})
	return err
}

// claimOwnerExists reports whether the aggregate holding a claim has been
// written: the claim is taken just before its owner's first event.
func (h *Handlers) claimOwnerExists(ctx context.Context, kind string, owner uuid.UUID) (bool, error) {
	var stream string
	switch kind {
	case ClaimIDNumber:
		stream = teacher.StreamName(owner)
	case ClaimUnitName:
		stream = unit.StreamName(owner)
	case ClaimInstitutionCode:
		stream = institution.StreamName(owner)
	default:
		return true, nil // unknown kinds are never taken over
	}
	hist, err := h.Repo.History(ctx, stream)
	if err != nil {
		return false, err
	}
	return len(hist) > 0, nil
}

func (h *Handlers) release(ctx context.Context, actor access.Actor, kind, value string, owner uuid.UUID) error {
	stream := claim.StreamName(kind, value)
	_, _, err := Update(ctx, h.Repo, stream, func() *claim.Claim { return claim.New(kind) }, true,
		h.plainWrite(ctx, actor), func(c *claim.Claim) error { c.Release(owner); return nil })
	return err
}

// plainWrite is the metadata of a secondary stream written by a command: no
// client revision applies to it, and its idempotency comes from the claim
// itself (taking one's own claim again is a no-op).
func (h *Handlers) plainWrite(ctx context.Context, actor access.Actor) Write {
	w := h.write(ctx, actor)
	w.IdempotencyKey, w.ExpectedVersion = "", nil
	return w
}

// EditTeacher changes ordinary fields. A teacher's own new mobile or e-mail
// needs the code sent to it (codes maps the field to the code); an admin's
// change, made on the teacher's behalf, does not.
func (h *Handlers) EditTeacher(ctx context.Context, actor access.Actor, id uuid.UUID, changes map[string]string, reason string, codes map[string]string) (Result, error) {
	var confirm []string
	if err := h.checkPhotos(ctx, actor, changes); err != nil {
		return Result{}, err
	}
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		before := t.Profile()
		if err := t.EditOrdinary(actor, changes, reason, h.Now()); err != nil {
			return err
		}
		confirm = confirm[:0]
		if actor.Role == access.RoleTeacher {
			for _, f := range []string{teacher.FieldMobile, teacher.FieldEmail} {
				if v := t.Profile().Get(f); v != before.Get(f) && v != "" {
					confirm = append(confirm, f)
				}
			}
		}
		return nil
	}, func(ctx context.Context, t *teacher.Teacher) error {
		for _, f := range confirm {
			if err := h.confirmContact(ctx, actor.UserID, f, t.Profile().Get(f), codes[f]); err != nil {
				return err
			}
		}
		return nil
	})
}

// CorrectKeyFields changes key fields (county admin of the teacher's county).
func (h *Handlers) CorrectKeyFields(ctx context.Context, actor access.Actor, id uuid.UUID, changes map[string]string, reason, override string) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		_, err := t.CorrectKeyFields(actor, changes, reason, override, h.Now())
		return err
	})
}

// RequestCorrection is the teacher's request to correct a key field.
func (h *Handlers) RequestCorrection(ctx context.Context, actor access.Actor, id uuid.UUID, field, proposed, reason string, evidence []string) (Result, uuid.UUID, error) {
	cid := h.newID(ctx, actor, "correction")
	res, err := h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.RequestCorrection(cid, field, proposed, reason, evidence, actor, h.Now())
	})
	return res, cid, err
}

// ApproveCorrection applies a pending request (county admin).
func (h *Handlers) ApproveCorrection(ctx context.Context, actor access.Actor, id, correctionID uuid.UUID, comment string) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.ApproveCorrection(correctionID, actor, comment, h.Now())
	})
}

// RejectCorrection refuses a pending request with a reason (county admin).
func (h *Handlers) RejectCorrection(ctx context.Context, actor access.Actor, id, correctionID uuid.UUID, reason string) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.RejectCorrection(correctionID, actor, reason, h.Now())
	})
}

// WithdrawCorrection lets the teacher take back a pending request.
func (h *Handlers) WithdrawCorrection(ctx context.Context, actor access.Actor, id, correctionID uuid.UUID) (Result, error) {
	return h.updateTeacher(ctx, actor, id, func(t *teacher.Teacher) error {
		return t.WithdrawCorrection(correctionID, actor, h.Now())
	})
}

// checkPhotos: a certificate photo or avatar must name an image (JPEG or
// PNG, by its bytes) that the acting user uploaded, not any hash.
func (h *Handlers) checkPhotos(ctx context.Context, actor access.Actor, changes map[string]string) error {
	for _, f := range []string{teacher.FieldCertificatePhoto, teacher.FieldAvatar} {
		v, ok := changes[f]
		if !ok || v == "" {
			continue
		}
		if err := h.ownFiles(ctx, actor, true, f, file.FileRef{SHA256: v}); err != nil {
			return domain.Invalid(f, "须是本人上传的JPG或PNG图片")
		}
	}
	return nil
}
