package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
)

// Aggregate is what every domain aggregate provides through its embedded
// event.Root plus its own Apply.
type Aggregate interface {
	event.Applier
	Load(event.Applier, []event.Envelope)
	Version() int64
	Changes() []event.Event
	MarkSaved(uint64)
}

// ConflictError is a stale write: the stream moved past the revision the
// caller decided on. HTTP 409 with Current.
type ConflictError struct {
	Stream  string
	Current int64 // -1: the stream does not exist
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed concurrently (current revision %d)", e.Stream, e.Current)
}

// ErrConflict is matched by *ConflictError.
var ErrConflict = errors.New("concurrent modification")

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Repository loads aggregates from their streams and appends their recorded
// events with the exact expected revision.
type Repository struct {
	store   eventstore.Store
	reg     *event.Registry
	retries int
	// Personal seals the personal fields of events on append and opens
	// them on load (shred.Codec); nil stores them as they are.
	Personal PersonalData
}

// PersonalData seals and opens the personal fields of events' JSON
// (crypto-shredding, docs/INTEGRITY.md section 6).
type PersonalData interface {
	Seal(ctx context.Context, stream, typ string, data []byte) ([]byte, error)
	Open(ctx context.Context, typ string, data []byte) ([]byte, error)
}

// NewRepository panics on nil arguments: that is a wiring mistake.
func NewRepository(store eventstore.Store, reg *event.Registry) *Repository {
	if store == nil || reg == nil {
		panic("commands: NewRepository needs a store and a registry")
	}
	return &Repository{store: store, reg: reg, retries: 3}
}

// Store exposes the underlying store for handlers that read other streams.
func (r *Repository) Store() eventstore.Store { return r.store }

// History reads and decodes a whole stream. A missing stream is an empty
// history, not an error.
func (r *Repository) History(ctx context.Context, stream string) ([]event.Envelope, error) {
	recs, err := r.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	out := make([]event.Envelope, 0, len(recs))
	for _, rec := range recs {
		if rec, err = r.open(ctx, rec); err != nil {
			return nil, err
		}
		env, err := Decode(r.reg, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, env)
	}
	return out, nil
}

// open replaces rec's sealed personal fields by their values (or by
// "已删除" once erased).
func (r *Repository) open(ctx context.Context, rec eventstore.RecordedEvent) (eventstore.RecordedEvent, error) {
	if r.Personal == nil {
		return rec, nil
	}
	data, err := r.Personal.Open(ctx, rec.Type, rec.Data)
	if err != nil {
		return rec, fmt.Errorf("%s@%d: %w", rec.Stream, rec.Revision, err)
	}
	rec.Data = data
	return rec, nil
}

// Decode turns a stored event into a domain envelope.
func Decode(reg *event.Registry, rec eventstore.RecordedEvent) (event.Envelope, error) {
	e, err := reg.Decode(rec.Type, rec.Data)
	if err != nil {
		return event.Envelope{}, fmt.Errorf("%s@%d: %w", rec.Stream, rec.Revision, err)
	}
	var md event.Metadata
	if len(rec.Metadata) > 0 {
		if err := json.Unmarshal(rec.Metadata, &md); err != nil {
			return event.Envelope{}, fmt.Errorf("%s@%d metadata: %w", rec.Stream, rec.Revision, err)
		}
	}
	return event.Envelope{ID: rec.ID, Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type,
		Event: e, Metadata: md, RecordedAt: rec.RecordedAt}, nil
}

// Load replays stream into agg. It returns domain.ErrNotFound when the
// stream has no events.
func (r *Repository) Load(ctx context.Context, stream string, agg Aggregate) error {
	h, err := r.History(ctx, stream)
	if err != nil {
		return err
	}
	if len(h) == 0 {
		return fmt.Errorf("%s: %w", stream, domain.ErrNotFound)
	}
	agg.Load(agg, h)
	return nil
}

// Write describes one command's append.
type Write struct {
	Meta event.Metadata
	// IdempotencyKey, when set, makes the event IDs deterministic so that a
	// retried command with the same key appends nothing twice.
	IdempotencyKey string
	// ExpectedVersion, when set, is the revision the client saw (If-Match):
	// a mismatch is a ConflictError, never retried. It is checked after the
	// decision, so an actor who may not act at all is refused (403) rather
	// than told the revision.
	ExpectedVersion *int64
	// BeforeSave runs after a successful decision and revision check, just
	// before the append: the place for writes to other streams that must
	// precede this one (e.g. claiming a unique value).
	BeforeSave func(ctx context.Context) error
}

// Save appends agg's recorded events with the exact expected revision. It
// reads the stream's last event for the hash chain (not for a new stream);
// Update passes the hash it loaded instead.
func (r *Repository) Save(ctx context.Context, stream string, agg Aggregate, w Write) (eventstore.AppendResult, error) {
	if len(agg.Changes()) == 0 {
		return eventstore.AppendResult{}, nil
	}
	if agg.Version() < 0 {
		// A new stream: its first event links to zero, and the append
		// expects no stream, so an existing one fails it; nothing to read.
		return r.save(ctx, stream, agg, w, integrity.Zero)
	}
	prev, err := TailHash(ctx, r.store, stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return r.save(ctx, stream, agg, w, prev)
}

func (r *Repository) save(ctx context.Context, stream string, agg Aggregate, w Write, prev integrity.Hash) (eventstore.AppendResult, error) {
	changes := agg.Changes()
	if len(changes) == 0 {
		return eventstore.AppendResult{}, nil
	}
	w.Meta.Chain = nil
	md, err := json.Marshal(w.Meta)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("metadata: %w", err)
	}
	data, err := sealEvents(ctx, r.reg, r.Personal, stream, agg.Version(), prev, md, changes, func(i int) uuid.UUID { return eventID(w.IdempotencyKey, stream, i) })
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	expected := eventstore.NoStream()
	if v := agg.Version(); v >= 0 {
		expected = eventstore.Exact(uint64(v))
	}
	res, err := r.store.Append(ctx, stream, expected, data...)
	if err != nil {
		var wrong *eventstore.WrongExpectedRevisionError
		if errors.As(err, &wrong) {
			return res, &ConflictError{Stream: stream, Current: wrong.Actual}
		}
		return res, fmt.Errorf("append %s: %w", stream, err)
	}
	agg.MarkSaved(res.NextRevision)
	return res, nil
}

var idemNamespace = uuid.MustParse("6f1d2c1e-8f55-4d0b-9a51-3b8e3f0b7a10")

func eventID(key, stream string, i int) uuid.UUID {
	if key == "" {
		return uuid.New()
	}
	return uuid.NewSHA1(idemNamespace, []byte(key+"\x00"+stream+"\x00"+strconv.Itoa(i)))
}

// Update loads the aggregate in stream (fresh() gives an empty one), runs
// decide, and appends what it recorded. On a concurrent write it reloads and
// decides again, a bounded number of times, unless the client named the
// revision it saw. With create set, a missing stream is allowed.
func Update[A Aggregate](ctx context.Context, r *Repository, stream string, fresh func() A, create bool, w Write, decide func(A) error) (A, eventstore.AppendResult, error) {
	var zero A
	for attempt := 0; ; attempt++ {
		agg := fresh()
		h, err := r.History(ctx, stream)
		if err != nil {
			return zero, eventstore.AppendResult{}, err
		}
		if len(h) == 0 && !create {
			return zero, eventstore.AppendResult{}, fmt.Errorf("%s: %w", stream, domain.ErrNotFound)
		}
		agg.Load(agg, h)
		if w.IdempotencyKey != "" {
			if res, ok := alreadyApplied(h, w.IdempotencyKey, stream); ok {
				return agg, res, nil
			}
		}
		if err := decide(agg); err != nil {
			return zero, eventstore.AppendResult{}, err
		}
		if w.ExpectedVersion != nil && *w.ExpectedVersion != agg.Version() {
			return zero, eventstore.AppendResult{}, &ConflictError{Stream: stream, Current: agg.Version()}
		}
		if w.BeforeSave != nil && len(agg.Changes()) > 0 {
			if err := w.BeforeSave(ctx); err != nil {
				return zero, eventstore.AppendResult{}, err
			}
		}
		res, err := r.save(ctx, stream, agg, w, historyHash(h))
		if err == nil {
			return agg, res, nil
		}
		if !errors.Is(err, ErrConflict) || w.ExpectedVersion != nil || attempt >= r.retries {
			return zero, eventstore.AppendResult{}, err
		}
	}
}

// alreadyApplied finds the first event a command with this key would have
// written: its presence means the command already ran.
func alreadyApplied(h []event.Envelope, key, stream string) (eventstore.AppendResult, bool) {
	first := eventID(key, stream, 0)
	for i, env := range h {
		if env.ID != first {
			continue
		}
		// The command's events are contiguous from here; report its last one.
		last := i
		for j := i + 1; j < len(h) && h[j].ID == eventID(key, stream, j-i); j++ {
			last = j
		}
		return eventstore.AppendResult{NextRevision: h[last].Revision}, true
	}
	return eventstore.AppendResult{}, false
}
