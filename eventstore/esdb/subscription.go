package esdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hbte/record/eventstore"
)

// SubscribeAll implements eventstore.Store with a catch-up subscription to
// $all, filtered on the server to this store's streams. The first
// subscription is made before it returns, so a wrong address or a refused
// request is reported here; after that, drops are repaired by resubscribing
// from the last delivered position, with backoff, until ctx ends or Close.
func (s *Store) SubscribeAll(ctx context.Context, from eventstore.Position) (eventstore.Subscription, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	s.release(h)
	life, stop := context.WithCancel(ctx)
	stopWithStore := context.AfterFunc(s.life, stop)
	sub := &subscription{
		s:     s,
		life:  life,
		stop:  stop,
		out:   make(chan eventstore.SubscriptionMessage),
		done:  make(chan struct{}),
		start: from,
	}
	first, err := sub.open(ctx, from)
	if err != nil {
		stopWithStore()
		stop()
		return nil, fmt.Errorf("esdb: subscribe to $all after %s: %w", from, err)
	}
	go func() {
		defer stopWithStore()
		sub.run(first)
	}()
	return sub, nil
}

type subscription struct {
	s     *Store
	life  context.Context // ends with ctx of SubscribeAll, Close or Store.Close
	stop  context.CancelFunc
	out   chan eventstore.SubscriptionMessage // unbuffered: a send is a delivery
	done  chan struct{}                       // closed when run returns
	start eventstore.Position

	mu     sync.Mutex
	closed bool
	err    error // why run ended; read after done
}

// live is one open server subscription with the goroutine pumping it.
type live struct {
	es   *esdb.Subscription
	h    *handle
	msgs <-chan *esdb.SubscriptionEvent
	stop context.CancelFunc
}

func (l *live) close() {
	l.stop()
	_ = l.es.Close()
}

func (sub *subscription) filter() *esdb.SubscriptionFilter {
	cfg := sub.s.cfg
	if cfg.namespace == "" && len(cfg.prefixes) == 0 {
		return esdb.ExcludeSystemEventsFilter()
	}
	prefixes := []string{cfg.namespace}
	if len(cfg.prefixes) > 0 {
		prefixes = prefixes[:0]
		for _, p := range cfg.prefixes {
			prefixes = append(prefixes, cfg.namespace+p)
		}
	}
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: prefixes}
}

// open subscribes after from. It waits at most the operation timeout for the
// server's confirmation; a subscription that arrives after we gave up is
// closed, never leaked.
func (sub *subscription) open(ctx context.Context, from eventstore.Position) (*live, error) {
	s := sub.s
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	probe, err := s.breaker.admit()
	if err != nil {
		s.release(h)
		return nil, err
	}
	opts := esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: sub.filter()}
	if !from.IsZero() {
		opts.From = esdb.Position{Commit: from.Commit, Prepare: from.Prepare}
	}
	// The server subscription lives with the subscription, not with this call.
	subCtx, stop := context.WithCancel(sub.life)
	type result struct {
		es  *esdb.Subscription
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The subscription's messages do not go through the client's
		// internal channel, so only the call itself counts as a use.
		defer s.release(h)
		defer func() {
			if p := recover(); p != nil {
				s.breaker.done(probe, trouble)
				ch <- result{err: fmt.Errorf("esdb client panicked: %v", p)}
			}
		}()
		es, err := h.c.SubscribeToAll(subCtx, opts)
		s.breaker.done(probe, classify(subCtx, err))
		ch <- result{es, err}
	}()
	timer := time.NewTimer(s.cfg.opTimeout)
	defer timer.Stop()
	abandon := func() {
		stop()
		go func() {
			if r := <-ch; r.es != nil {
				_ = r.es.Close()
			}
		}()
	}
	select {
	case r := <-ch:
		if r.err != nil {
			stop()
			if needsNewClient(ctx, r.err) {
				s.renew(h, r.err)
			}
			return nil, r.err
		}
		msgs := make(chan *esdb.SubscriptionEvent)
		go pump(subCtx, r.es, msgs)
		return &live{es: r.es, h: h, msgs: msgs, stop: stop}, nil
	case <-timer.C:
		abandon()
		err := noAnswer("subscribe", s.cfg.opTimeout)
		s.breaker.trip()
		s.renew(h, err)
		return nil, err
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
}

// pump moves the client's messages to a channel so that the reader can also
// wait on its own context: Recv itself cannot be abandoned.
func pump(ctx context.Context, es *esdb.Subscription, msgs chan<- *esdb.SubscriptionEvent) {
	defer func() {
		if p := recover(); p != nil {
			select {
			case msgs <- &esdb.SubscriptionEvent{SubscriptionDropped: &esdb.SubscriptionDropped{Error: fmt.Errorf("esdb client panicked: %v", p)}}:
			case <-ctx.Done():
			}
		}
	}()
	for {
		ev := es.Recv()
		select {
		case msgs <- ev:
		case <-ctx.Done():
			return
		}
		if ev.SubscriptionDropped != nil {
			return
		}
	}
}

// run delivers messages until the subscription's life ends, resubscribing
// after every drop from the last delivered position.
func (sub *subscription) run(l *live) {
	s := sub.s
	last := sub.start
	caughtUp := false
	backoff := s.cfg.backoffMin
	defer close(sub.done)
	defer func() {
		sub.mu.Lock()
		if sub.closed || s.life.Err() != nil {
			sub.err = eventstore.ErrClosed
		} else {
			sub.err = sub.life.Err()
		}
		sub.mu.Unlock()
	}()
	for {
		if l == nil {
			if !sleep(sub.life, jitter(backoff)) {
				return
			}
			backoff = min(backoff*2, s.cfg.backoffMax)
			var err error
			l, err = sub.open(sub.life, last)
			if err != nil {
				if sub.life.Err() != nil {
					return
				}
				s.log.Warn("esdb: resubscribe failed", "after", last.String(), "err", err)
				continue
			}
		}
		dropped := sub.deliver(l, &last, &caughtUp, &backoff)
		l.close()
		h := l.h
		l = nil
		if sub.life.Err() != nil {
			return
		}
		s.log.Warn("esdb: subscription dropped; resubscribing", "after", last.String(), "err", dropped)
		if needsNewClient(sub.life, dropped) {
			s.renew(h, dropped)
		}
	}
}

// deliver hands the messages of one server subscription to Next until it
// drops or the life ends, and returns the drop's reason.
func (sub *subscription) deliver(l *live, last *eventstore.Position, caughtUp *bool, backoff *time.Duration) error {
	s := sub.s
	for {
		var ev *esdb.SubscriptionEvent
		select {
		case ev = <-l.msgs:
		case <-sub.life.Done():
			return sub.life.Err()
		}
		var msg eventstore.SubscriptionMessage
		switch {
		case ev.SubscriptionDropped != nil:
			if ev.SubscriptionDropped.Error == nil {
				return errors.New("subscription dropped")
			}
			return ev.SubscriptionDropped.Error
		case ev.EventAppeared != nil:
			*backoff = s.cfg.backoffMin
			r := ev.EventAppeared.Event
			if r == nil {
				continue
			}
			p := eventstore.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare}
			// Positions only grow; anything else is a resend after a
			// resubscription and was delivered already.
			if !last.Less(p) {
				continue
			}
			name, ok := s.feedStream(r.StreamID, r.EventType)
			if !ok {
				continue
			}
			e := convert(r, name)
			msg = eventstore.SubscriptionMessage{Event: &e, Position: p}
		case ev.CaughtUp != nil:
			*backoff = s.cfg.backoffMin
			// Sent once per subscription, as the other adapters do; the
			// server repeats it after every resubscription.
			if *caughtUp {
				continue
			}
			*caughtUp = true
			msg = eventstore.SubscriptionMessage{CaughtUp: true, Position: *last}
		default:
			// Checkpoints and fell-behind notices: the resume point is the
			// last delivered event, so nothing is skipped on a restart.
			*backoff = s.cfg.backoffMin
			continue
		}
		select {
		case sub.out <- msg:
			if msg.Event != nil {
				*last = msg.Position
			}
		case <-sub.life.Done():
			return sub.life.Err()
		}
	}
}

// Next implements eventstore.Subscription.
func (sub *subscription) Next(ctx context.Context) (eventstore.SubscriptionMessage, error) {
	select {
	case m := <-sub.out:
		return m, nil
	case <-sub.done:
		sub.mu.Lock()
		defer sub.mu.Unlock()
		return eventstore.SubscriptionMessage{}, sub.err
	case <-ctx.Done():
		return eventstore.SubscriptionMessage{}, ctx.Err()
	}
}

// Close implements eventstore.Subscription and waits for the subscription's
// goroutines to let go of the server subscription.
func (sub *subscription) Close() error {
	sub.mu.Lock()
	sub.closed = true
	sub.mu.Unlock()
	sub.stop()
	<-sub.done
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter spreads resubscriptions of many subscribers over ±20 %.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}
