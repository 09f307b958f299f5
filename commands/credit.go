package commands

import (
	"context"
	"errors"
	"strconv"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

var creditNamespace = uuid.MustParse("a8d3c5e2-0b4f-4c61-8e7a-5f2d9c1b3e47")

// creditEntryID derives the id of a new ledger entry from the activity key
// and the ledger's length, so a retried grant proposes the same id while a
// re-grant after a revocation gets a fresh one.
func creditEntryID(teacherID uuid.UUID, key string, entries int) uuid.UUID {
	return uuid.NewSHA1(creditNamespace, []byte(teacherID.String()+"\x00"+key+"\x00"+strconv.Itoa(entries)))
}

// LoadLedger returns a teacher's credit ledger (empty when nothing was
// ever granted).
func (h *Handlers) LoadLedger(ctx context.Context, teacherID uuid.UUID) (*credit.Ledger, error) {
	l := credit.NewLedger(teacherID)
	hist, err := h.Repo.History(ctx, credit.StreamName(teacherID))
	if err != nil {
		return nil, err
	}
	l.Load(l, hist)
	return l, nil
}

// GrantResult reports a grant: Recorded is false when the same activity was
// already counted with the same figures (a retried trigger).
type GrantResult struct {
	Result
	EntryID  uuid.UUID
	Recorded bool
}

// GrantCredits adds an entry to the teacher's ledger. g.EntryID may be
// zero: it is then derived from the activity. The domain decides who may
// grant from which source.
func (h *Handlers) GrantCredits(ctx context.Context, actor access.Actor, teacherID uuid.UUID, g credit.Grant) (GrantResult, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return GrantResult{}, err
	}
	if g.At.IsZero() {
		g.At = h.Now().UTC()
	}
	if g.Today.IsZero() {
		g.Today = ChinaDate(h.Now())
	}
	if g.Limits == (credit.Limits{}) {
		if g.Limits, err = h.creditLimits(ctx, t.County(), g.CompletedOn); err != nil {
			return GrantResult{}, err
		}
	}
	stream := credit.StreamName(teacherID)
	var recorded bool
	var entryID uuid.UUID
	l, res, err := Update(ctx, h.Repo, stream, func() *credit.Ledger { return credit.NewLedger(teacherID) }, true, h.plainWrite(ctx, actor),
		func(l *credit.Ledger) error {
			gg := g
			if gg.EntryID == uuid.Nil {
				gg.EntryID = creditEntryID(teacherID, gg.Source.Key(), len(l.Entries()))
			}
			ok, err := l.Grant(actor, t.County(), gg)
			err = frozen(t, err, len(l.Changes()))
			recorded, entryID = ok, gg.EntryID
			if !ok && err == nil {
				if e, found := l.Lookup(gg.Source.Key()); found {
					entryID = e.ID
				}
			}
			return err
		})
	if err != nil {
		return GrantResult{}, err
	}
	return GrantResult{Result: result(teacherID, res, l), EntryID: entryID, Recorded: recorded}, nil
}

// GrantProjectCredits is what the project pipeline calls when a posted
// grade passes: g.Source must be a project source (enrollment and project
// ids, and the id of the grade event in Source.EventID). The enrollment is
// the activity, so calling it again for the same enrollment counts once.
func (h *Handlers) GrantProjectCredits(ctx context.Context, actor access.Actor, teacherID uuid.UUID, g credit.Grant) (GrantResult, error) {
	if g.Source.Kind != credit.SourceProject {
		return GrantResult{}, domain.Invalid("source.kind", "培训项目学时的来源应为平台培训项目")
	}
	return h.GrantCredits(ctx, actor, teacherID, g)
}

// RevokeCredits takes the live entry of an activity (its source key) out of
// every total, with a reason; cause is the event that made it necessary,
// when there is one (a grade correction).
func (h *Handlers) RevokeCredits(ctx context.Context, actor access.Actor, teacherID uuid.UUID, key, reason string, cause uuid.UUID) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	stream := credit.StreamName(teacherID)
	// plainWrite: the pipeline revokes while handling another stream's
	// command, whose If-Match is not the ledger's revision.
	l, res, err := Update(ctx, h.Repo, stream, func() *credit.Ledger { return credit.NewLedger(teacherID) }, false, h.plainWrite(ctx, actor),
		func(l *credit.Ledger) error {
			return frozen(t, l.Revoke(actor, t.County(), key, reason, cause, h.Now().UTC()), len(l.Changes()))
		})
	if errors.Is(err, domain.ErrNotFound) {
		return Result{}, credit.ErrNoSuchEntry // no ledger at all
	}
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, l), nil
}

// RevokeProjectCredits is the pipeline's counterpart of
// GrantProjectCredits, for a grade corrected to a fail.
func (h *Handlers) RevokeProjectCredits(ctx context.Context, actor access.Actor, teacherID, enrollmentID uuid.UUID, reason string, cause uuid.UUID) (Result, error) {
	key := credit.Source{Kind: credit.SourceProject, EnrollmentID: enrollmentID}.Key()
	return h.RevokeCredits(ctx, actor, teacherID, key, reason, cause)
}
