package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/eventstore"
)

// LoadBankRequest returns a credit bank request.
func (h *Handlers) LoadBankRequest(ctx context.Context, id uuid.UUID) (*credit.Request, error) {
	r := credit.NewRequest(id)
	if err := h.Repo.Load(ctx, credit.BankStreamName(id), r); err != nil {
		return nil, err
	}
	return r, nil
}

// SubmitBankRequest is the teacher's request to have other learning
// recognised. The teacher's county is taken from the record, not the input.
func (h *Handlers) SubmitBankRequest(ctx context.Context, actor access.Actor, s credit.Submission) (Result, error) {
	if s.TeacherID == uuid.Nil {
		s.TeacherID = actor.TeacherID
	}
	t, err := h.LoadTeacher(ctx, s.TeacherID)
	if err != nil {
		return Result{}, err
	}
	now := h.Now()
	s.County, s.At, s.Today = t.County(), now.UTC(), ChinaDate(now)
	if s.Limits, err = h.creditLimits(ctx, s.County, s.EndOn); err != nil {
		return Result{}, err
	}
	id := h.newID(ctx, actor, "creditbank")
	r, res, err := Update(ctx, h.Repo, credit.BankStreamName(id), func() *credit.Request { return credit.NewRequest(id) }, true,
		h.write(ctx, actor), func(r *credit.Request) error {
			if err := r.Submit(actor, s); err != nil {
				return err
			}
			// Decided: the evidence must be files the requester uploaded.
			return h.ownFiles(ctx, actor, false, "evidence", s.Evidence...)
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, r), nil
}

// RecogniseBankRequest accepts a request (county admin of the teacher's
// county now) and appends the ledger entry it grants. The ledger entry is
// keyed by the request, so a retry after a failure between the two appends
// completes the grant and never counts it twice.
func (h *Handlers) RecogniseBankRequest(ctx context.Context, actor access.Actor, id uuid.UUID, rc credit.Recognition) (Result, error) {
	var county string
	rc.At = h.Now().UTC()
	r, res, err := Update(ctx, h.Repo, credit.BankStreamName(id), func() *credit.Request { return credit.NewRequest(id) }, false,
		h.write(ctx, actor), func(r *credit.Request) error {
			t, err := h.LoadTeacher(ctx, r.TeacherID())
			if err != nil {
				return err
			}
			county = t.County()
			if rc.Limits, err = h.creditLimits(ctx, county, r.Submitted().EndOn); err != nil {
				return err
			}
			if err := r.Recognise(actor, county, rc); err != nil {
				return err
			}
			// The year limit is the ledger's: checked before the recognition
			// is stored, so a recognition never stands without its entry.
			g, err := r.LedgerGrant(uuid.New(), uuid.Nil)
			if err != nil {
				return err
			}
			g.Limits = rc.Limits
			l := credit.NewLedger(r.TeacherID())
			if err := h.Repo.Load(ctx, credit.StreamName(r.TeacherID()), l); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			return l.CheckYearLimit(g)
		})
	if err != nil {
		return Result{}, err
	}
	pos, err := h.grantRecognised(ctx, actor, r)
	if err != nil {
		return Result{}, err
	}
	out := result(id, res, r)
	// The ledger entry is the later write: reading after it shows both.
	if out.Position.Less(pos) {
		out.Position = pos
	}
	return out, nil
}

// grantRecognised appends the ledger entry of a recognised request; the
// entry names the stored recognition event as its cause.
func (h *Handlers) grantRecognised(ctx context.Context, actor access.Actor, r *credit.Request) (eventstore.Position, error) {
	var none eventstore.Position
	hist, err := h.Repo.History(ctx, credit.BankStreamName(r.ID()))
	if err != nil {
		return none, err
	}
	var cause uuid.UUID
	for _, env := range hist {
		if _, ok := env.Event.(*credit.BankRecognised); ok {
			cause = env.ID
		}
	}
	g, err := r.LedgerGrant(uuid.Nil, cause)
	if err != nil {
		return none, err
	}
	// The ledger derives the entry id from the activity when it is nil.
	gr, err := h.GrantCredits(ctx, actor, r.TeacherID(), g)
	if err != nil {
		return none, fmt.Errorf("credit bank %s: ledger: %w", r.ID(), err)
	}
	return gr.Position, nil
}

// RejectBankRequest refuses a request with a reason for the teacher.
func (h *Handlers) RejectBankRequest(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	r, res, err := Update(ctx, h.Repo, credit.BankStreamName(id), func() *credit.Request { return credit.NewRequest(id) }, false,
		h.write(ctx, actor), func(r *credit.Request) error {
			t, err := h.LoadTeacher(ctx, r.TeacherID())
			if err != nil {
				return err
			}
			return r.Reject(actor, t.County(), reason, h.Now().UTC())
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, r), nil
}

// WithdrawBankRequest lets the teacher take back a pending request.
func (h *Handlers) WithdrawBankRequest(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	r, res, err := Update(ctx, h.Repo, credit.BankStreamName(id), func() *credit.Request { return credit.NewRequest(id) }, false,
		h.write(ctx, actor), func(r *credit.Request) error { return r.Withdraw(actor, h.Now().UTC()) })
	if err != nil {
		return Result{}, err
	}
	return result(id, res, r), nil
}

// CanReadBankRequest: the teacher, and whoever may read the teacher's
// record.
func (h *Handlers) CanReadBankRequest(ctx context.Context, actor access.Actor, r *credit.Request) error {
	if r.Status() == credit.StatusNew {
		return fmt.Errorf("credit bank %s: %w", r.ID(), domain.ErrNotFound)
	}
	_, err := h.CanReadTeacher(ctx, actor, r.TeacherID())
	return err
}
