package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
)

// CheckBatchChunk is how many teachers a batch check reads at once: their
// streams in one eventstore.ReadStreams call (one query on PostgreSQL).
const CheckBatchChunk = 1000

// CheckedTeacher is one teacher's result in CheckRegistrations: the check,
// or the error CheckRegistration returns for that teacher (not found,
// forbidden, not registered, ...).
type CheckedTeacher struct {
	TeacherID uuid.UUID
	Check     RegistrationCheck
	Err       error
}

// CheckRegistrations runs CheckRegistration for each of ids, with the
// same results in the same order, at a province's scale: the streams of
// CheckBatchChunk teachers are read at once, every policy stream once for
// the whole batch, and the chunks are checked on every CPU. The returned
// error is one of reading (the store, a stream that does not decode); a
// teacher's own refusal is in its CheckedTeacher.
func (h *Handlers) CheckRegistrations(ctx context.Context, actor access.Actor, ids []uuid.UUID, at CheckAt) ([]CheckedTeacher, error) {
	if at.Date.IsZero() {
		at.Date = ChinaDate(h.Now()) // one date for the whole batch
	}
	out := make([]CheckedTeacher, len(ids))
	pol := &policyCache{r: asOf{repo: h.Repo, cut: at.RecordAt}, scopes: map[string][]registration.Policy{}}
	chunk, check := CheckBatchChunk, h.checkChunk
	if at.RecordAt.IsZero() && h.Subjects != nil {
		// The record as it stands: from the read model, no replay.
		chunk, check = CheckSubjectsChunk, h.checkSubjectsChunk
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range min(checkWorkers(), (len(ids)+chunk-1)/chunk) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(lo+chunk, len(ids))
				if err := check(ctx, actor, ids[lo:hi], at, pol, out[lo:hi]); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for lo := 0; lo < len(ids); lo += chunk {
		select {
		case next <- lo:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkChunk checks ids into out (of the same length).
func (h *Handlers) checkChunk(ctx context.Context, actor access.Actor, ids []uuid.UUID, at CheckAt, pol *policyCache, out []CheckedTeacher) error {
	names := make([]string, 0, 5*len(ids))
	for _, id := range ids {
		names = append(names, teacher.StreamName(id), registration.StreamName(id), credit.StreamName(id),
			appraisal.StreamName(id), registration.FactsStreamName(id))
	}
	recs, err := eventstore.ReadStreams(ctx, h.Repo.store, names)
	if err != nil {
		return fmt.Errorf("batch check: %w", err)
	}
	hist := make(map[string][]event.Envelope, len(recs))
	for name, rs := range recs {
		envs := make([]event.Envelope, 0, len(rs))
		for _, rec := range rs {
			// Sealed personal fields (the teacher's name and ID number) are
			// opened as Repository.History opens them.
			rec, err := h.Repo.open(ctx, rec)
			if err != nil {
				return fmt.Errorf("batch check: %w", err)
			}
			env, err := decodeForCheck(h.Repo.reg, rec, !at.RecordAt.IsZero())
			if err != nil {
				return fmt.Errorf("batch check: %w", err)
			}
			envs = append(envs, env)
		}
		hist[name] = envs
	}
	src := batchSource{hist: hist, cut: at.RecordAt, pol: pol}
	for i, id := range ids {
		out[i].TeacherID = id
		// Who may read: by the record as it stands (CanReadTeacher).
		th := hist[teacher.StreamName(id)]
		if len(th) == 0 {
			out[i].Err = fmt.Errorf("%s: %w", teacher.StreamName(id), domain.ErrNotFound)
			continue
		}
		t := teacher.New(id)
		t.Load(t, th)
		if _, err := readsTeacher(actor, id, t.County()); err != nil {
			out[i].Err = err
			continue
		}
		out[i].Check, out[i].Err = h.checkFrom(ctx, src, id, at)
		if err := pol.failed(); err != nil {
			return err
		}
	}
	return nil
}

// CheckSubjects is a read model of the check's inputs
// (registration.Subject), kept by a projection from the same events the
// replay reads.
type CheckSubjects interface {
	// CheckSubjects returns the inputs of those of ids it holds, for a
	// check on the date asOf: entries the check cannot count (completed
	// before the current cycle or on or after asOf) may be left out.
	CheckSubjects(ctx context.Context, ids []uuid.UUID, asOf time.Time) (map[uuid.UUID]registration.Subject, error)
}

// CheckSubjectsChunk is how many teachers a batch check of the record as
// it stands reads from the read model at once.
const CheckSubjectsChunk = 5000

// checkSubjectsChunk is checkChunk from the read model (Deps.Subjects):
// the record as it stands, evaluated by the same checkSubject.
func (h *Handlers) checkSubjectsChunk(ctx context.Context, actor access.Actor, ids []uuid.UUID, at CheckAt, pol *policyCache, out []CheckedTeacher) error {
	subjects, err := h.Subjects.CheckSubjects(ctx, ids, at.Date)
	if err != nil {
		return fmt.Errorf("batch check: %w", err)
	}
	cats := map[string]registration.Catalog{}
	for i, id := range ids {
		out[i].TeacherID = id
		s, ok := subjects[id]
		if !ok || !s.Registered {
			out[i].Err = fmt.Errorf("%s: %w", teacher.StreamName(id), domain.ErrNotFound)
			continue
		}
		if _, err := readsTeacher(actor, id, s.County); err != nil {
			out[i].Err = err
			continue
		}
		cat, ok := cats[s.County]
		if !ok {
			if cat, err = pol.catalog(ctx, s.County); err != nil {
				return err
			}
			cats[s.County] = cat
		}
		out[i].Check, out[i].Err = checkSubject(s, cat, at)
	}
	return nil
}

// batchSource is a checkSource over streams read at once: each is cut at
// the check's RecordAt as asOf cuts it.
type batchSource struct {
	hist map[string][]event.Envelope
	cut  time.Time
	pol  *policyCache
}

func (b batchSource) load(_ context.Context, stream string, agg Aggregate) (bool, error) {
	hist := b.hist[stream]
	if !b.cut.IsZero() {
		kept := make([]event.Envelope, 0, len(hist))
		for _, env := range hist {
			if !occurred(env).After(b.cut) {
				kept = append(kept, env)
			}
		}
		hist = kept
	}
	agg.Load(agg, hist)
	return len(hist) > 0, nil
}

func (b batchSource) catalog(ctx context.Context, region string) (registration.Catalog, error) {
	return b.pol.catalog(ctx, region)
}

// policyCache reads each policy scope once for a whole batch.
type policyCache struct {
	r      asOf
	mu     sync.Mutex
	scopes map[string][]registration.Policy
	err    error
}

func (c *policyCache) catalog(ctx context.Context, region string) (registration.Catalog, error) {
	var ps []registration.Policy
	for _, scope := range policyScopes(region) {
		c.mu.Lock()
		got, ok := c.scopes[scope]
		c.mu.Unlock()
		if !ok {
			ph := registration.NewPolicyHistory(scope)
			if _, err := c.r.load(ctx, registration.PolicyStreamName(scope), ph); err != nil {
				c.mu.Lock()
				if c.err == nil {
					c.err = err
				}
				c.mu.Unlock()
				return registration.Catalog{}, err
			}
			got = ph.Policies()
			c.mu.Lock()
			c.scopes[scope] = got
			c.mu.Unlock()
		}
		ps = append(ps, got...)
	}
	return registration.NewCatalog(ps...), nil
}

// failed is the error of reading a policy stream, which fails the batch
// (CheckRegistration returns it for a single teacher).
func (c *policyCache) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// TeachersByIDNumbers is TeacherByIDNumber for many numbers at once (their
// claims read in one eventstore.ReadStreams call per CheckBatchChunk
// numbers). A number no teacher holds is absent from the map.
func (h *Handlers) TeachersByIDNumbers(ctx context.Context, idNumbers []string) (map[string]uuid.UUID, error) {
	out := make(map[string]uuid.UUID, len(idNumbers))
	for lo := 0; lo < len(idNumbers); lo += CheckBatchChunk {
		part := idNumbers[lo:min(lo+CheckBatchChunk, len(idNumbers))]
		names := make([]string, len(part))
		for i, n := range part {
			names[i] = claim.StreamName(ClaimIDNumber, n)
		}
		recs, err := eventstore.ReadStreams(ctx, h.Repo.store, names)
		if err != nil {
			return nil, fmt.Errorf("teachers by ID number: %w", err)
		}
		for i, n := range part {
			rs := recs[names[i]]
			if len(rs) == 0 {
				continue
			}
			envs := make([]event.Envelope, 0, len(rs))
			for _, rec := range rs {
				env, err := Decode(h.Repo.reg, rec)
				if err != nil {
					return nil, fmt.Errorf("teachers by ID number: %w", err)
				}
				envs = append(envs, env)
			}
			c := claim.New(ClaimIDNumber)
			c.Load(c, envs)
			if c.Owner() != uuid.Nil {
				out[n] = c.Owner()
			}
		}
	}
	return out, nil
}

// checkWorkers is how many chunks are read and checked at once: twice the
// CPUs, so one chunk's decoding overlaps another's wait for the store.
func checkWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// decodeForCheck is Decode for a check's replay, which needs of the
// metadata only when the event occurred (for a check as of an instant):
// the aggregates apply the event alone. Decoding half the bytes is most of
// what a batch check of a county costs.
func decodeForCheck(reg *event.Registry, rec eventstore.RecordedEvent, needTime bool) (event.Envelope, error) {
	e, err := reg.Decode(rec.Type, rec.Data)
	if err != nil {
		return event.Envelope{}, fmt.Errorf("%s@%d: %w", rec.Stream, rec.Revision, err)
	}
	env := event.Envelope{ID: rec.ID, Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type, Event: e, RecordedAt: rec.RecordedAt}
	if needTime && len(rec.Metadata) > 0 {
		var md struct {
			OccurredAt time.Time `json:"occurred_at"`
		}
		if err := json.Unmarshal(rec.Metadata, &md); err != nil {
			return event.Envelope{}, fmt.Errorf("%s@%d metadata: %w", rec.Stream, rec.Revision, err)
		}
		env.Metadata.OccurredAt = md.OccurredAt
	}
	return env, nil
}
