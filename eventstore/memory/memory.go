package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// defaultBatch bounds ReadAll when the caller passes no limit.
const defaultBatch = 500

// Store keeps every event in memory. The zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	all     []eventstore.RecordedEvent // index i has position i+1
	streams map[string][]int           // stream -> indexes into all, by revision
	// changed is closed and replaced on every append, so any number of
	// subscribers can wait for "something new" without polling.
	changed chan struct{}
	closed  bool
	done    chan struct{}
	now     func() time.Time
	id      uuid.UUID // the store's identity, made by New
}

var _ eventstore.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for RecordedAt (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now == nil {
			panic("memory: WithClock(nil)")
		}
		s.now = now
	}
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		streams: make(map[string][]int),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
		now:     time.Now,
		id:      uuid.New(),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Identity implements eventstore.Store: every memory store is a store of
// its own.
func (s *Store) Identity(ctx context.Context) (eventstore.Identity, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Identity{}, err
	}
	return eventstore.Identity{ID: s.id, Kind: eventstore.KindMemory}, nil
}

func pos(i int) eventstore.Position {
	return eventstore.Position{Commit: uint64(i + 1), Prepare: uint64(i + 1)}
}

// index returns the index into all of the first event strictly after p.
func index(p eventstore.Position) int {
	// Positions are i+1 with Commit == Prepare; a foreign position with
	// Prepare < Commit still means "after Commit-1" for this ordering.
	if p.Prepare >= p.Commit {
		return int(p.Commit)
	}
	return int(p.Commit) - 1
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneEvent(e eventstore.RecordedEvent) eventstore.RecordedEvent {
	e.Data = clone(e.Data)
	e.Metadata = clone(e.Metadata)
	return e
}

// Append implements eventstore.Store.
//
// Retries: with Exact(n) or NoStream the retry is recognised when the events
// already stored at revisions n+1.. have the same IDs in the same order (a
// partial overlap is a conflict), as EventStoreDB does. With Any and
// StreamExists it is best effort: only a batch whose IDs equal the stream's
// last events is recognised.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	idx := s.streams[stream]
	current := int64(len(idx)) - 1
	if last, dup := s.retried(idx, expected, events); dup {
		return eventstore.AppendResult{NextRevision: uint64(last), Position: pos(idx[last])}, nil
	}
	if !expected.Matches(current) {
		return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: current}
	}
	at := s.now().UTC()
	for i, e := range events {
		n := len(s.all)
		s.all = append(s.all, eventstore.RecordedEvent{
			ID:         e.ID,
			Stream:     stream,
			Revision:   uint64(current + 1 + int64(i)),
			Position:   pos(n),
			Type:       e.Type,
			Data:       clone(e.Data),
			Metadata:   clone(e.Metadata),
			RecordedAt: at,
		})
		idx = append(idx, n)
	}
	s.streams[stream] = idx
	close(s.changed)
	s.changed = make(chan struct{})
	return eventstore.AppendResult{
		NextRevision: uint64(current + int64(len(events))),
		Position:     pos(len(s.all) - 1),
	}, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	idx := s.streams[stream]
	if len(idx) == 0 {
		return nil, &eventstore.StreamNotFoundError{Stream: stream}
	}
	var out []eventstore.RecordedEvent
	add := func(rev int) bool {
		out = append(out, cloneEvent(s.all[idx[rev]]))
		return opts.Max <= 0 || len(out) < opts.Max
	}
	if opts.Direction == eventstore.Backwards {
		start := len(idx) - 1
		if !opts.FromEnd && opts.From < uint64(len(idx)) {
			start = int(opts.From)
		}
		for rev := start; rev >= 0 && add(rev); rev-- {
		}
		return out, nil
	}
	if opts.From >= uint64(len(idx)) {
		return []eventstore.RecordedEvent{}, nil
	}
	for rev := int(opts.From); rev < len(idx) && add(rev); rev++ {
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultBatch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	return s.readAllLocked(index(from), limit), nil
}

func (s *Store) readAllLocked(i, limit int) []eventstore.RecordedEvent {
	out := []eventstore.RecordedEvent{}
	for ; i < len(s.all) && len(out) < limit; i++ {
		out = append(out, cloneEvent(s.all[i]))
	}
	return out
}

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, from eventstore.Position) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	return &subscription{s: s, next: index(from), last: from, closed: make(chan struct{})}, nil
}

// Close ends every subscription; later calls return eventstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	return nil
}

type subscription struct {
	s *Store
	// next, last and caughtUp are touched only by Next, which the port
	// defines as a single consumer's call.
	next     int
	last     eventstore.Position
	caughtUp bool

	closeOnce sync.Once
	closed    chan struct{}
}

// Next implements eventstore.Subscription. The caught-up signal is sent once,
// the first time the subscriber reaches the head, as EventStoreDB does.
func (sub *subscription) Next(ctx context.Context) (eventstore.SubscriptionMessage, error) {
	for {
		select {
		case <-sub.closed:
			return eventstore.SubscriptionMessage{}, eventstore.ErrClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return eventstore.SubscriptionMessage{}, err
		}
		s := sub.s
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return eventstore.SubscriptionMessage{}, eventstore.ErrClosed
		}
		if sub.next < len(s.all) {
			e := cloneEvent(s.all[sub.next])
			s.mu.Unlock()
			sub.next++
			sub.last = e.Position
			return eventstore.SubscriptionMessage{Event: &e, Position: e.Position}, nil
		}
		if !sub.caughtUp {
			s.mu.Unlock()
			sub.caughtUp = true
			return eventstore.SubscriptionMessage{CaughtUp: true, Position: sub.last}, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-s.done:
		case <-sub.closed:
		case <-ctx.Done():
		}
	}
}

func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}

// retried reports whether events were already appended by an earlier call
// with the same expectation, and the revision of the last of them.
func (s *Store) retried(idx []int, expected eventstore.ExpectedRevision, events []eventstore.EventData) (int64, bool) {
	current := int64(len(idx)) - 1
	k := int64(len(events))
	var first int64
	switch n, exact := expected.Exact(); {
	case exact:
		first = int64(n) + 1
	case expected.IsNoStream():
		first = 0
	default:
		first = current - k + 1
	}
	if first < 0 || first+k-1 > current {
		return 0, false
	}
	for i, e := range events {
		if s.all[idx[first+int64(i)]].ID != e.ID {
			return 0, false
		}
	}
	return first + k - 1, true
}

func validate(stream string, events []eventstore.EventData) error {
	if stream == "" {
		return errors.New("append: empty stream name")
	}
	if len(events) == 0 {
		return fmt.Errorf("append to %q: no events", stream)
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			return fmt.Errorf("append to %q: event %d has no ID", stream, i)
		}
		if e.Type == "" {
			return fmt.Errorf("append to %q: event %d has no type", stream, i)
		}
	}
	return eventstore.CheckAppendSize(stream, events)
}
