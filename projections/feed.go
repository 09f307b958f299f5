package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// Metadata keys of the messages FeedSubscriber delivers. The payload is the
// event's data and the message UUID its event ID.
const (
	MetaType       = "type"
	MetaStream     = "stream"
	MetaRevision   = "revision"
	MetaPosition   = "position" // eventstore.Position.String form
	MetaRecordedAt = "recorded_at"
	MetaMetadata   = "metadata" // the event's metadata JSON, verbatim
	// MetaCaughtUp is "true" on the caught-up marker messages that
	// FeedConfig.DeliverCaughtUp enables. Such a message carries no event;
	// its position is the last one delivered before it.
	MetaCaughtUp = "caught_up"
)

// StartFunc returns the position a topic's subscription starts after
// (exclusive), typically the projection's stored checkpoint.
type StartFunc func(ctx context.Context, topic string) (eventstore.Position, error)

// FeedConfig configures a FeedSubscriber.
type FeedConfig struct {
	Store eventstore.Store
	Start StartFunc
	// DeliverCaughtUp also delivers the store's caught-up signals as
	// messages marked MetaCaughtUp, in order with the events.
	DeliverCaughtUp bool
	// RedeliveryDelay is the pause before a Nacked message is sent again,
	// so a handler that keeps failing does not spin (default 100ms).
	RedeliveryDelay time.Duration
	// ResubscribeDelay is the pause before reopening a store subscription
	// that ended with an error (default 1s).
	ResubscribeDelay time.Duration
	Logger           *slog.Logger
}

// FeedSubscriber is a Watermill message.Subscriber over the event store's
// global feed. Every topic sees the whole feed; the topic only selects the
// start position (through FeedConfig.Start), so one subscriber can serve
// every projection with topic = projection name.
//
// Order is kept the way Watermill's gochannel keeps it: one message is in
// flight per subscription; a Nack sends the same event again and only an Ack
// moves on to the next event.
type FeedSubscriber struct {
	cfg FeedConfig

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

var _ message.Subscriber = (*FeedSubscriber)(nil)

// NewFeedSubscriber validates cfg and returns a subscriber. It panics on a
// missing store or start function: both are wiring mistakes.
func NewFeedSubscriber(cfg FeedConfig) *FeedSubscriber {
	if cfg.Store == nil {
		panic("projections: FeedConfig.Store is nil")
	}
	if cfg.Start == nil {
		panic("projections: FeedConfig.Start is nil")
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = 100 * time.Millisecond
	}
	if cfg.ResubscribeDelay <= 0 {
		cfg.ResubscribeDelay = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &FeedSubscriber{cfg: cfg, closing: make(chan struct{})}
}

// Subscribe implements message.Subscriber. The channel is closed when ctx
// ends or Close is called.
func (s *FeedSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("subscribe %q: %w", topic, eventstore.ErrClosed)
	}
	from, err := s.cfg.Start(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe %q: start position: %w", topic, err)
	}
	sub, err := s.cfg.Store.SubscribeAll(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("subscribe %q after %s: %w", topic, from, err)
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.pump(ctx, topic, sub, from, out)
	}()
	return out, nil
}

// Close implements message.Subscriber: it ends every subscription and waits
// for their goroutines. Calling it again is harmless (the Router closes the
// subscriber once per handler).
func (s *FeedSubscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// pump moves one subscription's messages to out, one at a time.
func (s *FeedSubscriber) pump(ctx context.Context, topic string, sub eventstore.Subscription, last eventstore.Position, out chan<- *message.Message) {
	log := s.cfg.Logger.With("topic", topic)
	// The store's Next is not bound to Close, so a Close must cancel it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() { _ = sub.Close() }()

	for {
		m, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, eventstore.ErrClosed) {
				return
			}
			// The port promises that transient loss is handled inside the
			// subscription; an error here means it gave up. Resume after
			// the last acknowledged position rather than end the handler.
			log.Error("projections: feed subscription failed, resubscribing", "after", last.String(), "error", err)
			_ = sub.Close()
			for {
				if !sleep(ctx, s.cfg.ResubscribeDelay) {
					return
				}
				sub, err = s.cfg.Store.SubscribeAll(ctx, last)
				if err == nil {
					break
				}
				log.Error("projections: resubscribe failed", "after", last.String(), "error", err)
			}
			continue
		}
		if m.Event == nil && !(m.CaughtUp && s.cfg.DeliverCaughtUp) {
			continue
		}
		msg := toMessage(m)
		if !s.deliver(ctx, msg, out) {
			return
		}
		if m.Event != nil {
			last = m.Event.Position
		}
	}
}

// deliver sends msg and waits for its Ack, resending on Nack. It reports
// false when the subscription is ending.
func (s *FeedSubscriber) deliver(ctx context.Context, msg *message.Message, out chan<- *message.Message) bool {
	for {
		acked, ok := s.deliverOnce(ctx, msg, out)
		if !ok {
			return false
		}
		if acked {
			return true
		}
		// A message's Ack/Nack fire once: send a fresh copy.
		msg = msg.Copy()
		if !sleep(ctx, s.cfg.RedeliveryDelay) {
			return false
		}
	}
}

// deliverOnce sends msg with a context of its own that ends with the Ack or
// Nack, as Watermill's subscribers do, so work a handler started for the
// message cannot outlive it.
func (s *FeedSubscriber) deliverOnce(ctx context.Context, msg *message.Message, out chan<- *message.Message) (acked, ok bool) {
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msg.SetContext(mctx)
	select {
	case out <- msg:
	case <-ctx.Done():
		return false, false
	}
	select {
	case <-msg.Acked():
		return true, true
	case <-msg.Nacked():
		return false, true
	case <-ctx.Done():
		return false, false
	}
}

func toMessage(m eventstore.SubscriptionMessage) *message.Message {
	if m.Event == nil {
		msg := message.NewMessage(uuid.NewString(), nil)
		msg.Metadata.Set(MetaCaughtUp, "true")
		msg.Metadata.Set(MetaPosition, m.Position.String())
		return msg
	}
	e := m.Event
	msg := message.NewMessage(e.ID.String(), e.Data)
	msg.Metadata.Set(MetaType, e.Type)
	msg.Metadata.Set(MetaStream, e.Stream)
	msg.Metadata.Set(MetaRevision, strconv.FormatUint(e.Revision, 10))
	msg.Metadata.Set(MetaPosition, e.Position.String())
	msg.Metadata.Set(MetaRecordedAt, e.RecordedAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(MetaMetadata, string(e.Metadata))
	return msg
}

// RecordedEventFromMessage is the inverse of the subscriber's encoding. ok
// is false for a caught-up marker, whose position is still returned.
func RecordedEventFromMessage(msg *message.Message) (rec eventstore.RecordedEvent, ok bool, err error) {
	pos, err := eventstore.ParsePosition(msg.Metadata.Get(MetaPosition))
	if err != nil {
		return eventstore.RecordedEvent{}, false, fmt.Errorf("message %s: %w", msg.UUID, err)
	}
	if msg.Metadata.Get(MetaCaughtUp) == "true" {
		return eventstore.RecordedEvent{Position: pos}, false, nil
	}
	id, err := uuid.Parse(msg.UUID)
	if err != nil {
		return eventstore.RecordedEvent{}, false, fmt.Errorf("message %s: event id: %w", msg.UUID, err)
	}
	rev, err := strconv.ParseUint(msg.Metadata.Get(MetaRevision), 10, 64)
	if err != nil {
		return eventstore.RecordedEvent{}, false, fmt.Errorf("message %s: revision: %w", msg.UUID, err)
	}
	var at time.Time
	if s := msg.Metadata.Get(MetaRecordedAt); s != "" {
		if at, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return eventstore.RecordedEvent{}, false, fmt.Errorf("message %s: recorded_at: %w", msg.UUID, err)
		}
	}
	var meta []byte
	if s := msg.Metadata.Get(MetaMetadata); s != "" {
		meta = []byte(s)
	}
	return eventstore.RecordedEvent{
		ID:         id,
		Stream:     msg.Metadata.Get(MetaStream),
		Revision:   rev,
		Position:   pos,
		Type:       msg.Metadata.Get(MetaType),
		Data:       msg.Payload,
		Metadata:   meta,
		RecordedAt: at,
	}, true, nil
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
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
