package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hbte/record/eventstore"
)

const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
	// Re-reads while events are held back by an open older transaction
	// start at minHeld and double up to maxHeld (or the poll interval).
	minHeld = 10 * time.Millisecond
	maxHeld = 500 * time.Millisecond
)

// SubscribeAll implements eventstore.Store. The first subscription starts
// the store's single notification listener, shared by all of them.
func (s *Store) SubscribeAll(ctx context.Context, from eventstore.Position) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	if !s.listener {
		s.listener = true
		s.wg.Add(1)
		go s.listen()
	}
	return &subscription{s: s, last: from, closed: make(chan struct{})}, nil
}

// wakeup returns the channel the next notification closes.
func (s *Store) wakeup() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Store) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// listen keeps one connection LISTENing until the store closes, and turns
// each notification into a broadcast. Subscribers wake and read the feed
// themselves, so a notification carries no payload and coalescing is harmless.
func (s *Store) listen() {
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
	backoff := minBackoff
	for {
		err := s.listenOnce(ctx, &backoff)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("eventstore: notification listener lost its connection; subscriptions fall back to polling until it is back",
			"err", err, "retry_in", backoff)
		// Notifications sent while no one listened are lost: make every
		// subscription read now.
		s.broadcast()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (s *Store) listenOnce(ctx context.Context, backoff *time.Duration) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	// The connection leaves the pool for good: LISTEN state must not leak
	// to other users, and the pool must not hand it out while we wait on it.
	conn := c.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	*backoff = minBackoff
	// Anything committed before LISTEN took effect sent no notification we saw.
	s.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		s.broadcast()
	}
}

type subscription struct {
	s *Store
	// last, buf, caughtUp, head and started belong to the single caller
	// of Next.
	last     eventstore.Position
	buf      []eventstore.RecordedEvent
	caughtUp bool
	// head is the newest committed event when the subscription first
	// read (zero on an empty store). The caught-up signal waits until
	// every event up to it is delivered, even those an unrelated older
	// transaction still holds back, so that it means "seen everything
	// committed before the subscription started", as callers assume.
	head    eventstore.Position
	started bool

	closeOnce sync.Once
	closed    chan struct{}
}

func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}

func (sub *subscription) ended(ctx context.Context) error {
	select {
	case <-sub.closed:
		return eventstore.ErrClosed
	case <-sub.s.done:
		return eventstore.ErrClosed
	default:
		return ctx.Err()
	}
}

// wait blocks until wake is closed, d passes, or the subscription ends.
func (sub *subscription) wait(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-sub.closed:
	case <-sub.s.done:
	}
	return sub.ended(ctx)
}

// Next implements eventstore.Subscription. Events are read in batches after
// the last delivered position; a lost connection is retried with backoff and
// resumes from there, so nothing is skipped or repeated. The caught-up
// signal is sent once, the first time the subscriber reaches the head, as
// EventStoreDB does: when nothing final is left to read and every event
// committed before the first read has been delivered. The second condition
// matters on a shared server: an unrelated transaction that is still open
// (another database's, even) holds back events committed after it started,
// and reporting "caught up" before them would tell a projection it is live
// while a backlog it has never seen is still to come.
func (sub *subscription) Next(ctx context.Context) (eventstore.SubscriptionMessage, error) {
	backoff, held := minBackoff, minHeld
	for {
		if err := sub.ended(ctx); err != nil {
			return eventstore.SubscriptionMessage{}, err
		}
		if len(sub.buf) > 0 {
			e := sub.buf[0]
			sub.buf[0] = eventstore.RecordedEvent{}
			sub.buf = sub.buf[1:]
			sub.last = e.Position
			return eventstore.SubscriptionMessage{Event: &e, Position: e.Position}, nil
		}
		// Taken before reading, so a notification that arrives during the
		// read is not lost.
		wake := sub.s.wakeup()
		var events []eventstore.RecordedEvent
		err := sub.start(ctx)
		if err == nil {
			events, err = readBatch(ctx, sub.s.pool, sub.last, sub.s.batch)
		}
		if err != nil {
			if end := sub.ended(ctx); end != nil {
				return eventstore.SubscriptionMessage{}, end
			}
			if !transient(err) {
				return eventstore.SubscriptionMessage{}, fmt.Errorf("subscription after %s: %w", sub.last, err)
			}
			sub.s.log.Warn("eventstore: subscription read failed; retrying", "after", sub.last.String(), "err", err, "retry_in", backoff)
			if err := sub.wait(ctx, nil, backoff); err != nil {
				return eventstore.SubscriptionMessage{}, err
			}
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = minBackoff
		if len(events) > 0 {
			sub.buf = events
			continue
		}
		var h bool
		if !sub.caughtUp {
			pending, err := pendingUpTo(ctx, sub.s.pool, sub.last, sub.head)
			if err == nil && !pending {
				sub.caughtUp = true
				return eventstore.SubscriptionMessage{CaughtUp: true, Position: sub.last}, nil
			}
			// Pending events are held back: look again soon. An error
			// here is the next read's to report.
			h = err == nil
		}
		if !h {
			hb, err := heldBack(ctx, sub.s.pool, sub.last)
			h = err == nil && hb
		}
		d := sub.s.pollInterval
		if h {
			d = min(d, held)
			held = min(held*2, maxHeld)
		} else {
			// An error here is the next read's to report.
			held = minHeld
		}
		if err := sub.wait(ctx, wake, d); err != nil {
			return eventstore.SubscriptionMessage{}, err
		}
	}
}

// start records the newest committed event once, before the first read.
func (sub *subscription) start(ctx context.Context) error {
	if sub.started {
		return nil
	}
	head, err := newestCommitted(ctx, sub.s.pool)
	if err != nil {
		return err
	}
	sub.head, sub.started = head, true
	return nil
}

// transient reports whether err may go away by itself: a lost or refused
// connection, a server shutting down, a serialization failure. Anything else
// (bad SQL, missing table) would fail again and is returned.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || strings.HasPrefix(c, "57P") ||
			c == "40001" || c == "40P01"
	}
	// No server answer at all: the network or the connection went away.
	return true
}
