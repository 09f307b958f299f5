package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Store is the event-store port. Every implementation (memory, postgres, esdb)
// passes the contract suite in eventstore/eventstoretest.
type Store interface {
	// Append writes events to one stream atomically if the stream's current
	// revision matches expected. A mismatch returns *WrongExpectedRevisionError.
	// A retry with the same event IDs and the same expectation succeeds and
	// returns the original result without writing anything.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads one stream. A stream with no events returns
	// *StreamNotFoundError (errors.Is(err, ErrStreamNotFound)).
	ReadStream(ctx context.Context, stream string, opts ReadOptions) ([]RecordedEvent, error)

	// ReadAll reads the global feed forwards, strictly after from, at most
	// limit events (limit <= 0 means an implementation default batch).
	// It returns only events whose position is final: no event can later
	// appear before the last one returned.
	ReadAll(ctx context.Context, from Position, limit int) ([]RecordedEvent, error)

	// SubscribeAll follows the global feed strictly after from. The
	// subscription survives transient connection loss by resuming after the
	// last position it delivered; it ends only when ctx is done or Close is
	// called.
	SubscribeAll(ctx context.Context, from Position) (Subscription, error)

	// Identity returns the store's identity, creating it on the first call
	// (every call and every process then sees the same). Whatever keeps
	// the store's data keeps it out of the global feed.
	Identity(ctx context.Context) (Identity, error)

	Close() error
}

// Subscription delivers the global feed in order, one message at a time.
type Subscription interface {
	// Next blocks until the next event or a caught-up signal. It returns an
	// error only when the subscription has ended (ctx done, Close called) or
	// cannot continue.
	Next(ctx context.Context) (SubscriptionMessage, error)
	Close() error
}

// SubscriptionMessage is either an event or a caught-up signal.
type SubscriptionMessage struct {
	Event *RecordedEvent
	// CaughtUp is true when the subscriber has seen every event that was
	// final when the signal was produced, and every event committed before
	// the subscription's first read. Position is the last position
	// delivered (or the start position).
	CaughtUp bool
	Position Position
}

// EventData is an event to append. The store does not interpret Data or Metadata.
type EventData struct {
	ID       uuid.UUID
	Type     string
	Data     []byte // JSON
	Metadata []byte // JSON
}

// RecordedEvent is an event as stored.
type RecordedEvent struct {
	ID         uuid.UUID
	Stream     string
	Revision   uint64 // position within the stream, from 0
	Position   Position
	Type       string
	Data       []byte
	Metadata   []byte
	RecordedAt time.Time
}

// Position is a point in the global feed. It is ordered by (Commit, Prepare).
// The zero value is "before the first event". For EventStoreDB these are the
// log's commit and prepare positions; for PostgreSQL the committing
// transaction id and the row sequence.
type Position struct {
	Commit  uint64 `json:"commit"`
	Prepare uint64 `json:"prepare"`
}

// Start is the position before the first event.
var Start = Position{}

func (p Position) IsZero() bool { return p == Position{} }

// Compare returns -1, 0 or +1.
func (p Position) Compare(q Position) int {
	switch {
	case p.Commit < q.Commit:
		return -1
	case p.Commit > q.Commit:
		return 1
	case p.Prepare < q.Prepare:
		return -1
	case p.Prepare > q.Prepare:
		return 1
	}
	return 0
}

func (p Position) Less(q Position) bool { return p.Compare(q) < 0 }

func (p Position) String() string { return fmt.Sprintf("%d/%d", p.Commit, p.Prepare) }

// ParsePosition parses the form produced by String.
func ParsePosition(s string) (Position, error) {
	var p Position
	if _, err := fmt.Sscanf(s, "%d/%d", &p.Commit, &p.Prepare); err != nil {
		return Position{}, fmt.Errorf("parse position %q: %w", s, err)
	}
	return p, nil
}

// AppendResult reports where an append landed.
type AppendResult struct {
	// NextRevision is the revision of the last event written (the stream's
	// new current revision).
	NextRevision uint64
	// Position is the global position of the last event written.
	Position Position
}

// ExpectedRevision is the optimistic-concurrency expectation of an append.
type ExpectedRevision struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any accepts any state of the stream.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream requires that the stream has no events.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists requires that the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact requires that the stream's last event has revision n.
func Exact(n uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: n} }

func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Exact returns the exact revision and true when the expectation is Exact(n).
func (e ExpectedRevision) Exact() (uint64, bool) { return e.revision, e.kind == expectExact }

// Matches reports whether a stream whose current revision is current
// (-1 when the stream has no events) satisfies the expectation.
func (e ExpectedRevision) Matches(current int64) bool {
	switch e.kind {
	case expectAny:
		return true
	case expectNoStream:
		return current < 0
	case expectStreamExists:
		return current >= 0
	default:
		return current == int64(e.revision)
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectAny:
		return "any"
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	default:
		return fmt.Sprintf("revision %d", e.revision)
	}
}

// Direction of a stream read.
type Direction uint8

const (
	Forwards Direction = iota
	Backwards
)

// ReadOptions selects part of a stream.
type ReadOptions struct {
	Direction Direction
	// From is the first revision to return (inclusive). For Backwards reads
	// FromEnd starts at the last event instead.
	From    uint64
	FromEnd bool
	// Max is the most events to return; 0 means all.
	Max int
}

// ErrWrongExpectedRevision is matched by *WrongExpectedRevisionError.
var ErrWrongExpectedRevision = errors.New("wrong expected revision")

// ErrStreamNotFound is matched by *StreamNotFoundError.
var ErrStreamNotFound = errors.New("stream not found")

// ErrUnavailable means the store cannot be reached or did not answer in
// time: the operation may or may not have happened, and a retry later (with
// the same event IDs) is the way to find out.
var ErrUnavailable = errors.New("event store unavailable")

// ErrClosed is returned by a store or subscription after Close.
var ErrClosed = errors.New("event store closed")

// WrongExpectedRevisionError is an optimistic-concurrency conflict.
type WrongExpectedRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's current revision, -1 when it has no events.
	Actual int64
}

func (e *WrongExpectedRevisionError) Error() string {
	return fmt.Sprintf("stream %q: expected %s, actual revision %d", e.Stream, e.Expected, e.Actual)
}

func (e *WrongExpectedRevisionError) Is(target error) bool { return target == ErrWrongExpectedRevision }

// StreamNotFoundError reports a read of a stream with no events.
type StreamNotFoundError struct{ Stream string }

func (e *StreamNotFoundError) Error() string { return fmt.Sprintf("stream %q not found", e.Stream) }

func (e *StreamNotFoundError) Is(target error) bool { return target == ErrStreamNotFound }

// Horizon is what holds a store's feed back: events already stored that
// the feed does not deliver yet, and the oldest open transaction holding
// them (a PostgreSQL feed shows an event only once every older transaction
// on the server has ended).
type Horizon struct {
	HeldBack int      // events stored but not yet deliverable
	Blocker  *Blocker // the oldest open transaction on the server, if any
}

// Blocker is an open transaction, as an operator needs it to act.
type Blocker struct {
	PID         int
	Database    string
	Application string
	State       string
	Age         time.Duration
}

// HorizonReporter is implemented by stores whose feed can be held back by
// transactions elsewhere.
type HorizonReporter interface {
	Horizon(ctx context.Context) (Horizon, error)
}
