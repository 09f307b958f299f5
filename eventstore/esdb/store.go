package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hbte/record/eventstore"
)

// Store is an eventstore.Store backed by EventStoreDB.
type Store struct {
	cfg    config
	client esdb.Configuration // template for every client this store builds
	log    *slog.Logger

	// life ends with Close; subscriptions derive from it.
	life     context.Context
	stopLife context.CancelFunc

	mu     sync.Mutex
	cur    *handle
	closed bool

	breaker breaker
}

// handle is one client and the calls using it. A replaced client is closed
// only once no call uses it: closing the client's internal channel while one
// of our goroutines sends on it (as the client does while it discovers)
// would be a data race and a panic. A goroutine stuck for good inside a
// client that closed itself keeps that client alive; that leak is bounded by
// the calls in flight when the server went away.
type handle struct {
	c       *esdb.Client
	users   int
	retired bool
}

var _ eventstore.Store = (*Store)(nil)

type config struct {
	namespace  string
	prefixes   []string
	opTimeout  time.Duration
	backoffMin time.Duration
	backoffMax time.Duration
	logger     *slog.Logger
}

// Option configures a Store.
type Option func(*config) error

// WithStreamPrefixes restricts the global feed (ReadAll, SubscribeAll) to
// streams whose names start with one of prefixes, e.g. "teacher-", "unit-".
// The subscription filters on the server. Without it the feed holds every
// stream except system ones ("$" streams and "$" event types).
func WithStreamPrefixes(prefixes ...string) Option {
	return func(c *config) error {
		for _, p := range prefixes {
			if p == "" {
				return errors.New("empty stream prefix")
			}
		}
		c.prefixes = append([]string(nil), prefixes...)
		return nil
	}
}

// WithNamespace stores every stream as ns+name and shows only those streams,
// with ns removed, so several stores (tests, tenants) can share one server
// without seeing each other.
func WithNamespace(ns string) Option {
	return func(c *config) error {
		if strings.HasPrefix(ns, "$") {
			return fmt.Errorf("namespace %q: a leading $ marks system streams", ns)
		}
		c.namespace = ns
		return nil
	}
}

// WithOperationTimeout bounds how long a call waits for the server to answer:
// an append, the opening of a subscription, and each message of a read. The
// default is 10 s.
func WithOperationTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("operation timeout %v: must be positive", d)
		}
		c.opTimeout = d
		return nil
	}
}

// WithResubscribeBackoff sets the delay before the first resubscription after
// a drop and the cap of its exponential growth. Defaults: 100 ms and 5 s.
func WithResubscribeBackoff(first, max time.Duration) Option {
	return func(c *config) error {
		if first <= 0 || max < first {
			return fmt.Errorf("resubscribe backoff %v..%v: want 0 < first <= max", first, max)
		}
		c.backoffMin, c.backoffMax = first, max
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()). The client's own
// messages go to it at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("nil logger")
		}
		c.logger = l
		return nil
	}
}

// New returns a store for the server named by connString
// ("esdb://host:2113?tls=false", "esdb+discover://..."). Like the client it
// does no I/O: the first call connects.
func New(ctx context.Context, connString string, opts ...Option) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(connString, "esdb://") && !strings.HasPrefix(connString, "esdb+discover://") {
		return nil, errors.New("esdb: connection string must start with esdb:// or esdb+discover://")
	}
	cfg := config{
		opTimeout:  10 * time.Second,
		backoffMin: 100 * time.Millisecond,
		backoffMax: 5 * time.Second,
		logger:     slog.Default(),
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("esdb: %w", err)
		}
	}
	parsed, err := esdb.ParseConnectionString(connString)
	if err != nil {
		// The client's message may quote the string, password included.
		return nil, errors.New("esdb: invalid connection string")
	}
	log := cfg.logger
	parsed.Logger = func(level esdb.LogLevel, format string, args ...any) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("esdb client: "+fmt.Sprintf(format, args...), "client_level", level)
		}
	}
	// A client that gives up discovery closes itself, and every call
	// waiting on it then waits for good; one that keeps trying answers them
	// all once the node is back. The breaker keeps new calls out meanwhile.
	parsed.MaxDiscoverAttempts = math.MaxInt32
	s := &Store{cfg: cfg, client: *parsed, log: log}
	s.life, s.stopLife = context.WithCancel(context.Background())
	c, err := s.newClient()
	if err != nil {
		s.stopLife()
		return nil, err
	}
	s.cur = &handle{c: c}
	return s, nil
}

func (s *Store) newClient() (*esdb.Client, error) {
	conf := s.client
	c, err := esdb.NewClient(&conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	return c, nil
}

// Close ends every subscription and releases the connection. Later calls
// return eventstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	h := s.cur
	idle := s.retireLocked(h)
	s.mu.Unlock()
	s.stopLife()
	if idle {
		_ = h.c.Close()
	}
	return nil
}

// acquire returns the current client, counted as in use until release.
func (s *Store) acquire() (*handle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	s.cur.users++
	return s.cur, nil
}

func (s *Store) release(h *handle) {
	s.mu.Lock()
	h.users--
	idle := h.retired && h.users == 0
	s.mu.Unlock()
	if idle {
		_ = h.c.Close()
	}
}

// retireLocked marks h for closing and reports whether it can be closed now.
func (s *Store) retireLocked(h *handle) bool {
	h.retired = true
	return h.users == 0
}

// renew replaces the client h, at most once, so callers that see the same
// failure together build one new client.
func (s *Store) renew(h *handle, reason error) {
	s.mu.Lock()
	if s.closed || s.cur != h {
		s.mu.Unlock()
		return
	}
	c, err := s.newClient()
	if err != nil {
		s.mu.Unlock()
		s.log.Error("esdb: cannot replace client", "err", err)
		return
	}
	s.cur = &handle{c: c}
	idle := s.retireLocked(h)
	s.mu.Unlock()
	s.log.Warn("esdb: replaced client", "reason", reason.Error())
	if idle {
		_ = h.c.Close()
	}
}

// needsNewClient reports whether err means the client is unusable or stuck:
// closed for good after failed discovery, or silent past our deadline while
// the caller was still waiting.
func needsNewClient(callerCtx context.Context, err error) bool {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeConnectionClosed:
			return true
		case esdb.ErrorCodeDeadlineExceeded:
			return callerCtx.Err() == nil
		}
	}
	return errors.Is(err, errNoAnswer) && callerCtx.Err() == nil
}

var errNoAnswer = fmt.Errorf("no answer from EventStoreDB: %w", eventstore.ErrUnavailable)

func noAnswer(op string, d time.Duration) error {
	return fmt.Errorf("esdb: %s: %w within %v (%w)", op, errNoAnswer, d, context.DeadlineExceeded)
}

// supervise runs fn on its own goroutine with a client and waits until fn
// returns, the caller's ctx ends, or fn stays silent (no beat) for the
// operation timeout. The client ignores its context in places (discovery,
// and a Recv after the client closed itself blocks forever), so waiting on
// fn alone could hang the caller; a stuck fn is abandoned.
func supervise[T any](s *Store, ctx context.Context, op string, fn func(ctx context.Context, c *esdb.Client, beat func()) (T, error)) (T, error) {
	var zero T
	h, err := s.acquire()
	if err != nil {
		return zero, err
	}
	probe, err := s.breaker.admit()
	if err != nil {
		s.release(h)
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	beats := make(chan struct{}, 1)
	beat := func() {
		select {
		case beats <- struct{}{}:
		default:
		}
	}
	go func() {
		defer s.release(h)
		defer func() {
			// The client panics on server answers it does not expect.
			if p := recover(); p != nil {
				s.breaker.done(probe, trouble)
				done <- result{err: fmt.Errorf("esdb client panicked: %v", p)}
			}
		}()
		v, err := fn(opCtx, h.c, beat)
		o := classify(opCtx, err)
		s.breaker.done(probe, o)
		if o == trouble {
			// The port's word for "the node did not answer".
			err = fmt.Errorf("%w: %w", eventstore.ErrUnavailable, err)
		}
		done <- result{v, err}
	}()
	timer := time.NewTimer(s.cfg.opTimeout)
	defer timer.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil && needsNewClient(ctx, r.err) {
				s.renew(h, r.err)
			}
			return r.v, r.err
		case <-beats:
			timer.Reset(s.cfg.opTimeout)
		case <-timer.C:
			err := noAnswer(op, s.cfg.opTimeout)
			s.breaker.trip()
			s.renew(h, err)
			return zero, err
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// feedStream reports whether an event of the global feed belongs to this
// store, and its name as the store's callers know it.
func (s *Store) feedStream(stream, eventType string) (string, bool) {
	name, ok := strings.CutPrefix(stream, s.cfg.namespace)
	if !ok || strings.HasPrefix(name, "$") || strings.HasPrefix(eventType, "$") || name == identityStream {
		return "", false
	}
	if len(s.cfg.prefixes) == 0 {
		return name, true
	}
	for _, p := range s.cfg.prefixes {
		if strings.HasPrefix(name, p) {
			return name, true
		}
	}
	return "", false
}

func convert(r *esdb.RecordedEvent, stream string) eventstore.RecordedEvent {
	e := eventstore.RecordedEvent{
		ID:         r.EventID,
		Stream:     stream,
		Revision:   r.EventNumber,
		Position:   eventstore.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare},
		Type:       r.EventType,
		Data:       nilIfEmpty(r.Data),
		Metadata:   nilIfEmpty(r.UserMetadata),
		RecordedAt: r.CreatedDate,
	}
	if meta, at, ok := unwrapCopied(r.UserMetadata); ok {
		e.Metadata, e.RecordedAt = nilIfEmpty(meta), at
	}
	return e
}

// nilIfEmpty: the server returns empty bytes for an absent payload; the port's
// other adapters return nil for it.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
