package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/eventstore"
)

// AuditPopulation reads the population of a sampled credit audit: the
// counting entries of the kinds named, of the teachers in scope, completed
// in [from, to) (a read model: projections.CreditAuditQueries).
type AuditPopulation interface {
	AuditPopulation(ctx context.Context, scope string, kinds []credit.SourceKind, from, to time.Time) ([]creditaudit.Candidate, error)
}

// LoadCreditAudit returns a sample as actor may see it: outside the
// actor's jurisdiction it does not exist (ErrNotFound), so the answer never
// depends on whether it does.
func (h *Handlers) LoadCreditAudit(ctx context.Context, actor access.Actor, id uuid.UUID) (*creditaudit.Sample, error) {
	s := creditaudit.New(id)
	if err := h.Repo.Load(ctx, creditaudit.StreamName(id), s); err != nil {
		return nil, err
	}
	if !s.CanRead(actor) {
		return nil, fmt.Errorf("credit audit %s: %w", id, domain.ErrNotFound)
	}
	return s, nil
}

// DrawCreditAudit draws a sample: the population is read from pop, the
// seed is d.Seed or, when empty, 128 random bits in hex (recorded either
// way, so the draw can be repeated).
func (h *Handlers) DrawCreditAudit(ctx context.Context, actor access.Actor, pop AuditPopulation, d creditaudit.Draw) (Result, error) {
	if access.JurisdictionLevel(d.Scope) != "" {
		if _, ok := h.Regions.Lookup(d.Scope); !ok {
			return Result{}, domain.Invalid("scope", "没有这个行政区划")
		}
		if !creditaudit.CanDraw(actor, d.Scope) {
			return Result{}, fmt.Errorf("credit audit: %s may not draw for %s: %w", actor.Role, d.Scope, access.ErrForbidden)
		}
	}
	if d.Seed == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return Result{}, fmt.Errorf("credit audit: seed: %w", err)
		}
		d.Seed = hex.EncodeToString(b)
	}
	d.At = h.Now().UTC()
	if access.JurisdictionLevel(d.Scope) != "" && pop != nil {
		kinds := d.Kinds
		if len(kinds) == 0 {
			kinds = []credit.SourceKind{credit.SourceCreditBank, credit.SourceImport}
		}
		var err error
		if d.Population, err = pop.AuditPopulation(ctx, d.Scope, kinds, d.From, d.To); err != nil {
			return Result{}, fmt.Errorf("credit audit: population: %w", err)
		}
	}
	id := h.newID(ctx, actor, "creditaudit")
	s, res, err := Update(ctx, h.Repo, creditaudit.StreamName(id), func() *creditaudit.Sample { return creditaudit.New(id) }, true,
		h.write(ctx, actor), func(s *creditaudit.Sample) error { return s.Draw(actor, d) })
	if err != nil {
		return Result{}, err
	}
	return result(id, res, s), nil
}

// ReviewCreditAudit records the re-review of a sampled entry: upheld, or
// revoked, and then the revocation is carried to the teacher's ledger
// (credit.Revoked, caused by the review event). Reviewing an entry again is
// refused (409), but first repeats the carrying, so a review interrupted
// between the two appends heals.
func (h *Handlers) ReviewCreditAudit(ctx context.Context, actor access.Actor, id, entryID uuid.UUID, revoke bool, reason string) (Result, error) {
	cur, err := h.LoadCreditAudit(ctx, actor, id)
	if err != nil {
		return Result{}, err
	}
	if it, ok := cur.Item(entryID); ok && it.Outcome == creditaudit.OutcomeRevoked {
		if _, err := h.carryAuditRevocation(ctx, actor, id, it); err != nil {
			return Result{}, err
		}
	}
	s, res, err := Update(ctx, h.Repo, creditaudit.StreamName(id), func() *creditaudit.Sample { return creditaudit.New(id) }, false,
		h.write(ctx, actor), func(s *creditaudit.Sample) error { return s.Review(actor, entryID, revoke, reason, h.Now().UTC()) })
	if err != nil {
		return Result{}, err
	}
	out := result(id, res, s)
	if it, _ := s.Item(entryID); it.Outcome == creditaudit.OutcomeRevoked {
		pos, err := h.carryAuditRevocation(ctx, actor, id, it)
		if err != nil {
			return Result{}, fmt.Errorf("credit audit %s: revocation recorded, ledger not yet (review again to finish): %w", id, err)
		}
		if out.Position.Less(pos) {
			out.Position = pos // the ledger is the later write
		}
	}
	return out, nil
}

// carryAuditRevocation revokes the ledger entry of a revoked item, naming
// the stored review event as the cause; nothing when it no longer counts.
func (h *Handlers) carryAuditRevocation(ctx context.Context, actor access.Actor, id uuid.UUID, it creditaudit.Item) (eventstore.Position, error) {
	var none eventstore.Position
	hist, err := h.Repo.History(ctx, creditaudit.StreamName(id))
	if err != nil {
		return none, err
	}
	var cause uuid.UUID
	var at time.Time
	for _, env := range hist {
		if e, ok := env.Event.(*creditaudit.Revoked); ok && e.EntryID == it.EntryID {
			cause, at = env.ID, e.ReviewedAt
		}
	}
	if cause == uuid.Nil {
		return none, fmt.Errorf("credit audit %s: no stored revocation of %s", id, it.EntryID)
	}
	t, err := h.LoadTeacher(ctx, it.TeacherID)
	if err != nil {
		return none, err
	}
	ctx = secondary(ctx)
	_, res, err := Update(ctx, h.Repo, credit.StreamName(it.TeacherID), func() *credit.Ledger { return credit.NewLedger(it.TeacherID) }, false,
		h.plainWrite(ctx, actor), func(l *credit.Ledger) error {
			_, err := l.RevokeAudited(actor, t.County(), it.EntryID, creditaudit.RevocationReason(it.Reason), cause, at)
			return err
		})
	if errors.Is(err, domain.ErrNotFound) {
		return none, credit.ErrNoSuchEntry
	}
	return res.Position, err
}
