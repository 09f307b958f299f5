package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore"
)

// channel is the LISTEN/NOTIFY channel es_append notifies.
const channel = "es_events"

// Store is an eventstore.Store on PostgreSQL.
type Store struct {
	pool         *pgxpool.Pool
	batch        int
	pollInterval time.Duration
	log          *slog.Logger

	mu       sync.Mutex
	closed   bool
	done     chan struct{}
	changed  chan struct{} // closed and replaced on every notification
	listener bool          // listener goroutine started
	notifier bool          // notifier goroutine started
	wg       sync.WaitGroup

	// notifying is held by the one append that may NOTIFY inside its own
	// transaction; appends running meanwhile skip the NOTIFY (PostgreSQL
	// would serialise their commits on it) and ask the notifier for one
	// NOTIFY after they commit. kick holds at most one pending request, so
	// a burst of appends costs one NOTIFY.
	notifying atomic.Bool
	kick      chan struct{}
}

var _ eventstore.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithBatchSize sets how many events a subscription reads per query and the
// ReadAll default (default 500).
func WithBatchSize(n int) Option {
	return func(s *Store) {
		if n <= 0 {
			panic("postgres: WithBatchSize needs n > 0")
		}
		s.batch = n
	}
}

// WithPollInterval bounds how long a live subscription waits without a
// notification before it reads anyway (default 1 s). The poll covers lost
// notifications and events held back by an unrelated long transaction.
func WithPollInterval(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			panic("postgres: WithPollInterval needs d > 0")
		}
		s.pollInterval = d
	}
}

// WithLogger sets the logger for connection loss and recovery (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l == nil {
			panic("postgres: WithLogger(nil)")
		}
		s.log = l
	}
}

// New returns a Store on pool. The schema must be migrated. The pool needs
// one connection per concurrent caller plus one held by the notification
// listener while any subscription is open.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	if pool == nil {
		panic("postgres: New(nil pool)")
	}
	s := &Store{
		pool:         pool,
		batch:        500,
		pollInterval: time.Second,
		log:          slog.Default(),
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		kick:         make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close stops the notification listener and ends every subscription. It does
// not close the pool, which belongs to the caller.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Store) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

const (
	kindAny          = 0
	kindNoStream     = 1
	kindStreamExists = 2
	kindExact        = 3

	statusWritten   = 0
	statusDuplicate = 1
	statusConflict  = 2
)

// Append implements eventstore.Store in one statement (one round trip).
//
// Retries: with Exact(n) or NoStream a retry is recognised when the events
// already stored at revisions n+1.. have the same IDs in the same order (a
// partial overlap is a conflict), EventStoreDB's rule. With Any and
// StreamExists it is best effort: only a batch whose IDs equal the stream's
// last events is recognised; a retry after the stream moved on is written
// again.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.isClosed() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	kind, rev := int16(kindAny), int64(0)
	switch n, exact := expected.Exact(); {
	case exact:
		kind, rev = kindExact, int64(n)
	case expected.IsNoStream():
		kind = kindNoStream
	case expected.IsStreamExists():
		kind = kindStreamExists
	}
	ids := make([]uuid.UUID, len(events))
	types := make([]string, len(events))
	data := make([][]byte, len(events))
	meta := make([][]byte, len(events))
	for i, e := range events {
		ids[i], types[i], data[i], meta[i] = e.ID, e.Type, nonNil(e.Data), nonNil(e.Metadata)
	}
	inTx := s.notifying.CompareAndSwap(false, true)
	if inTx {
		defer s.notifying.Store(false)
	}
	// A unique violation means a concurrent append won the race; calling
	// again sees its rows and answers duplicate or conflict. Two rounds are
	// enough unless the winner rolled back, so a few attempts bound the loop.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		var status int16
		var revision int64
		var xid, seq *int64
		err := s.pool.QueryRow(ctx, `SELECT status, revision, xid, seq FROM es_append($1, $2, $3, $4, $5, $6, $7, $8)`,
			stream, kind, rev, ids, types, data, meta, inTx).Scan(&status, &revision, &xid, &seq)
		if isUniqueViolation(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, err)
		}
		if status == statusConflict {
			return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: revision}
		}
		// A duplicate may be the retry of an append whose connection died
		// after commit and before it could ask for a NOTIFY.
		if !inTx {
			s.notifyLater()
		}
		return eventstore.AppendResult{
			NextRevision: uint64(revision),
			Position:     eventstore.Position{Commit: uint64(*xid), Prepare: uint64(*seq)},
		}, nil
	}
	// Still losing races: report the conflict with the stream's state now.
	current, err := s.currentRevision(ctx, stream)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w (after %v)", stream, err, lastErr)
	}
	return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: current}
}

// notifyLater asks the notifier goroutine for a NOTIFY after this call,
// which runs after the caller's append committed.
func (s *Store) notifyLater() {
	s.mu.Lock()
	if !s.notifier && !s.closed {
		s.notifier = true
		s.wg.Add(1)
		go s.notify()
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // one is already pending and will cover this append too
	}
}

// notify sends one NOTIFY per batch of requests until the store closes. A
// failed NOTIFY only delays subscribers until their fallback poll.
func (s *Store) notify() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, channel); err != nil && ctx.Err() == nil {
			s.log.Warn("eventstore: notify failed; subscribers will poll", "err", err)
		}
	}
}

func (s *Store) currentRevision(ctx context.Context, stream string) (int64, error) {
	var cur int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(revision), -1) FROM es_events WHERE stream = $1`, stream).Scan(&cur)
	return cur, err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// nonNil keeps NOT NULL columns happy: an absent body is stored as empty.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
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

const columns = `stream, revision, xid, seq, event_id, event_type, data, metadata, recorded_at`

func scanEvents(rows pgx.Rows) ([]eventstore.RecordedEvent, error) {
	defer rows.Close()
	out := []eventstore.RecordedEvent{}
	for rows.Next() {
		var e eventstore.RecordedEvent
		var rev, xid, seq int64
		if err := rows.Scan(&e.Stream, &rev, &xid, &seq, &e.ID, &e.Type, &e.Data, &e.Metadata, &e.RecordedAt); err != nil {
			return nil, err
		}
		e.Revision = uint64(rev)
		e.Position = eventstore.Position{Commit: uint64(xid), Prepare: uint64(seq)}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.RecordedEvent, error) {
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	var limit *int64
	if opts.Max > 0 {
		l := int64(opts.Max)
		limit = &l
	}
	var events []eventstore.RecordedEvent
	err := s.retryRead(ctx, func() (err error) {
		events, err = s.readStream(ctx, stream, opts, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	if len(events) == 0 {
		// Empty because the stream is missing, or because From is past its end.
		var cur int64
		err := s.retryRead(ctx, func() (err error) {
			cur, err = s.currentRevision(ctx, stream)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read stream %q: %w", stream, err)
		}
		if cur < 0 {
			return nil, &eventstore.StreamNotFoundError{Stream: stream}
		}
	}
	return events, nil
}

func (s *Store) readStream(ctx context.Context, stream string, opts eventstore.ReadOptions, limit *int64) ([]eventstore.RecordedEvent, error) {
	var rows pgx.Rows
	var err error
	switch {
	case opts.Direction == eventstore.Backwards && opts.FromEnd:
		rows, err = s.pool.Query(ctx, `SELECT `+columns+` FROM es_events
			WHERE stream = $1 ORDER BY revision DESC LIMIT $2`, stream, limit)
	case opts.Direction == eventstore.Backwards:
		rows, err = s.pool.Query(ctx, `SELECT `+columns+` FROM es_events
			WHERE stream = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`, stream, clampRev(opts.From), limit)
	default:
		rows, err = s.pool.Query(ctx, `SELECT `+columns+` FROM es_events
			WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`, stream, clampRev(opts.From), limit)
	}
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

func clampRev(r uint64) int64 {
	if r > 1<<62 {
		return 1 << 62
	}
	return int64(r)
}

// ReadAll implements eventstore.Store. Only rows of transactions older than
// every running transaction are returned, so nothing can later appear before
// the last event returned.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	if limit <= 0 {
		limit = s.batch
	}
	var events []eventstore.RecordedEvent
	err := s.retryRead(ctx, func() (err error) {
		events, err = readAll(ctx, s.pool, from, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", from, err)
	}
	return events, nil
}

// retryRead runs an idempotent read again when it failed only because its
// pooled connection was gone: a backend terminated while the connection sat
// idle in the pool (failover, pg_terminate_backend, a restarted server)
// answers its next query with 57P01 and is then discarded by the pool. Every
// idle connection may be such a one, so the read is tried once per pooled
// connection plus one before the error is returned. Writes are never retried
// here: Append has its own idempotency by event ID.
func (s *Store) retryRead(ctx context.Context, read func() error) error {
	attempts := int(s.pool.Config().MaxConns) + 1
	var err error
	for i := 0; i < attempts; i++ {
		if err = read(); err == nil || !connectionLost(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// connectionLost reports whether err says the connection ended under the
// query (the server terminated the backend or the link broke), as opposed
// to an answer the server gave about the query itself.
func connectionLost(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || strings.HasPrefix(pgErr.Code, "08")
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return false // no new connection can be made: retrying at once would not help
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isNetError(err)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readAll(ctx context.Context, q querier, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if from.Commit >= 1<<63 || from.Prepare >= 1<<63 {
		return nil, fmt.Errorf("position %s out of range", from)
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM es_events
		WHERE (xid, seq) > ($1, $2)
		  AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
		ORDER BY xid, seq LIMIT $3`, int64(from.Commit), int64(from.Prepare), limit)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

// maxBatchBytes bounds a subscription's read by the size of data and
// metadata, so 500 large events (files, imports) are not held in memory at
// once. A batch always holds at least one event.
const maxBatchBytes = 16 << 20

// readBatch is readAll for subscriptions: at most limit events and, beyond
// the first, at most maxBatchBytes. Sizes come from the TOAST headers, so
// events left out are not fetched.
func readBatch(ctx context.Context, q querier, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if from.Commit >= 1<<63 || from.Prepare >= 1<<63 {
		return nil, fmt.Errorf("position %s out of range", from)
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM (
		SELECT e.*, sum(octet_length(e.data) + octet_length(e.metadata)) OVER w AS upto,
		       row_number() OVER w AS n
		  FROM es_events e
		 WHERE (xid, seq) > ($1, $2)
		   AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
		WINDOW w AS (ORDER BY xid, seq)
		ORDER BY xid, seq LIMIT $3) b
		WHERE n = 1 OR upto <= $4
		ORDER BY xid, seq`, int64(from.Commit), int64(from.Prepare), limit, maxBatchBytes)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

// heldBack reports whether committed events after from exist, final or
// not. Called after a read after from returned nothing, it means they are
// held back by an older transaction that was still running at the read,
// or became final since: either way their appends' NOTIFY has come and gone
// (and the older transaction, if unrelated, sends none), so a subscriber
// must look again soon rather than wait for the next notification. (Asking
// only for events not final yet would race: an event that becomes final
// between the read and this check would be neither read nor reported, and
// the subscriber would sleep a whole poll interval.)
func heldBack(ctx context.Context, q querier, from eventstore.Position) (bool, error) {
	rows, err := q.Query(ctx, `SELECT EXISTS (SELECT 1 FROM es_events
		WHERE (xid, seq) > ($1, $2))`, int64(from.Commit), int64(from.Prepare))
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var held bool
	for rows.Next() {
		if err := rows.Scan(&held); err != nil {
			return false, err
		}
	}
	return held, rows.Err()
}

// newestCommitted returns the position of the newest committed event, final
// or not (Start on an empty store).
func newestCommitted(ctx context.Context, q querier) (eventstore.Position, error) {
	rows, err := q.Query(ctx, `SELECT xid, seq FROM es_events ORDER BY xid DESC, seq DESC LIMIT 1`)
	if err != nil {
		return eventstore.Position{}, err
	}
	defer rows.Close()
	var pos eventstore.Position
	for rows.Next() {
		var xid, seq int64
		if err := rows.Scan(&xid, &seq); err != nil {
			return eventstore.Position{}, err
		}
		pos = eventstore.Position{Commit: uint64(xid), Prepare: uint64(seq)}
	}
	return pos, rows.Err()
}

// pendingUpTo reports whether committed events after from and at or before
// upto have not been delivered yet. Called when a read after from returned
// nothing, it means they are held back by an older open transaction.
func pendingUpTo(ctx context.Context, q querier, from, upto eventstore.Position) (bool, error) {
	if !from.Less(upto) {
		return false, nil
	}
	rows, err := q.Query(ctx, `SELECT EXISTS (SELECT 1 FROM es_events
		WHERE (xid, seq) > ($1, $2) AND (xid, seq) <= ($3, $4))`,
		int64(from.Commit), int64(from.Prepare), int64(upto.Commit), int64(upto.Prepare))
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var pending bool
	for rows.Next() {
		if err := rows.Scan(&pending); err != nil {
			return false, err
		}
	}
	return pending, rows.Err()
}

// Horizon reports the events held back by open transactions and the oldest
// open transaction on the server (any database: the horizon is the
// cluster's). It answers from the table, not the feed.
func (s *Store) Horizon(ctx context.Context) (eventstore.Horizon, error) {
	var h eventstore.Horizon
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM es_events
		WHERE xid >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&h.HeldBack); err != nil {
		return h, fmt.Errorf("postgres: horizon: %w", err)
	}
	var b eventstore.Blocker
	var secs float64
	err := s.pool.QueryRow(ctx, `SELECT pid, coalesce(datname, ''), coalesce(application_name, ''), coalesce(state, ''),
			extract(epoch FROM clock_timestamp() - xact_start)
		FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
		ORDER BY xact_start LIMIT 1`).Scan(&b.PID, &b.Database, &b.Application, &b.State, &secs)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return h, fmt.Errorf("postgres: horizon: %w", err)
	default:
		b.Age = time.Duration(secs * float64(time.Second))
		h.Blocker = &b
	}
	return h, nil
}
