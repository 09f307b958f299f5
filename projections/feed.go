package projections

import (
	"context"
	"encoding/binary"
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
	// its position is the last one delivered before it. On a batch message
	// it says that the marker followed the batch's last event.
	MetaCaughtUp = "caught_up"
	// MetaBatch is the number of events of a batch message (FeedConfig.
	// MaxBatch > 1); its payload is their binary encoding, MetaPosition
	// the last event's position and MetaPrev the position it follows.
	MetaBatch = "batch"
	MetaPrev  = "prev"
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
	// MaxBatch > 1 makes each message carry up to MaxBatch events: what
	// the store subscription has ready when the previous message is
	// acknowledged, without waiting for more (a batch message, MetaBatch;
	// decode it with BatchFromMessage). 0 or 1: one event per message.
	MaxBatch int
	// MaxBatchBytes bounds a batch's data and metadata (default 8 MiB).
	MaxBatchBytes int
	Logger        *slog.Logger
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
	if cfg.MaxBatch < 1 {
		cfg.MaxBatch = 1
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = 8 << 20
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

// pump moves one subscription's messages to out, one message at a time: a
// reader goroutine keeps up to MaxBatch messages of the store subscription
// ready, and each message sent takes whatever is ready (one event when
// MaxBatch is 1).
func (s *FeedSubscriber) pump(ctx context.Context, topic string, sub eventstore.Subscription, last eventstore.Position, out chan<- *message.Message) {
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
	ready := make(chan eventstore.SubscriptionMessage, s.cfg.MaxBatch)
	var rg sync.WaitGroup
	rg.Add(1)
	go func() {
		defer rg.Done()
		defer close(ready)
		s.read(ctx, topic, sub, last, ready)
	}()
	defer rg.Wait()
	defer cancel()

	prev := last
	for {
		m, ok := <-ready
		if !ok {
			return
		}
		if s.cfg.MaxBatch == 1 {
			if !s.deliver(ctx, toMessage(m), out) {
				return
			}
			continue
		}
		// Take what is ready, up to the bounds; a caught-up marker ends
		// the batch.
		var events []eventstore.RecordedEvent
		size := 0
		caughtUp := false
		for {
			if m.Event != nil {
				events = append(events, *m.Event)
				size += len(m.Event.Data) + len(m.Event.Metadata) + len(m.Event.Stream) + len(m.Event.Type)
			} else {
				caughtUp = true
			}
			if caughtUp || len(events) >= s.cfg.MaxBatch || size >= s.cfg.MaxBatchBytes {
				break
			}
			select {
			case m, ok = <-ready:
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if !s.deliver(ctx, batchMessage(prev, events, caughtUp), out) {
			return
		}
		if len(events) > 0 {
			prev = events[len(events)-1].Position
		}
	}
}

// read moves the store subscription's events (and, if asked for, its
// caught-up signals) to ready until ctx ends.
func (s *FeedSubscriber) read(ctx context.Context, topic string, sub eventstore.Subscription, last eventstore.Position, ready chan<- eventstore.SubscriptionMessage) {
	log := s.cfg.Logger.With("topic", topic)
	defer func() { _ = sub.Close() }()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, eventstore.ErrClosed) {
				return
			}
			// The port promises that transient loss is handled inside the
			// subscription; an error here means it gave up. Resume after
			// the last position read (everything read is delivered)
			// rather than end the handler.
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
		select {
		case ready <- m:
		case <-ctx.Done():
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

// Batch is what one feed message carries: the events after Prev, in order,
// and whether the feed was caught up after the last of them. Position is
// the last event's position (Prev for a marker without events).
type Batch struct {
	Prev     eventstore.Position
	Position eventstore.Position
	Events   []eventstore.RecordedEvent
	CaughtUp bool
}

// batchMessage encodes a batch in a compact binary form: JSON would encode
// each event's data again, and the batch never leaves the process.
func batchMessage(prev eventstore.Position, events []eventstore.RecordedEvent, caughtUp bool) *message.Message {
	pos := prev
	size := 0
	for _, e := range events {
		size += 16 + 5*binary.MaxVarintLen64 + len(e.Stream) + len(e.Type) + len(e.Data) + len(e.Metadata) + 4*binary.MaxVarintLen64
	}
	buf := make([]byte, 0, size)
	for _, e := range events {
		buf = append(buf, e.ID[:]...)
		buf = appendBytes(buf, []byte(e.Stream))
		buf = binary.AppendUvarint(buf, e.Revision)
		buf = binary.AppendUvarint(buf, e.Position.Commit)
		buf = binary.AppendUvarint(buf, e.Position.Prepare)
		buf = appendBytes(buf, []byte(e.Type))
		buf = binary.AppendVarint(buf, e.RecordedAt.UnixNano())
		buf = appendBytes(buf, e.Data)
		buf = appendBytes(buf, e.Metadata)
		pos = e.Position
	}
	msg := message.NewMessage(uuid.NewString(), buf)
	msg.Metadata.Set(MetaBatch, strconv.Itoa(len(events)))
	msg.Metadata.Set(MetaPrev, prev.String())
	msg.Metadata.Set(MetaPosition, pos.String())
	if caughtUp {
		msg.Metadata.Set(MetaCaughtUp, "true")
	}
	return msg
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// BatchFromMessage decodes any message of the feed: a batch message, a
// single event (a batch of one whose Prev is unknown, zero) or a caught-up
// marker (no events).
func BatchFromMessage(msg *message.Message) (Batch, error) {
	if msg.Metadata.Get(MetaBatch) == "" {
		rec, ok, err := RecordedEventFromMessage(msg)
		if err != nil {
			return Batch{}, err
		}
		if !ok {
			return Batch{Position: rec.Position, CaughtUp: true}, nil
		}
		return Batch{Position: rec.Position, Events: []eventstore.RecordedEvent{rec}}, nil
	}
	n, err := strconv.Atoi(msg.Metadata.Get(MetaBatch))
	if err != nil || n < 0 {
		return Batch{}, fmt.Errorf("message %s: bad batch size %q", msg.UUID, msg.Metadata.Get(MetaBatch))
	}
	b := Batch{CaughtUp: msg.Metadata.Get(MetaCaughtUp) == "true", Events: make([]eventstore.RecordedEvent, 0, n)}
	if b.Prev, err = eventstore.ParsePosition(msg.Metadata.Get(MetaPrev)); err != nil {
		return Batch{}, fmt.Errorf("message %s: %w", msg.UUID, err)
	}
	if b.Position, err = eventstore.ParsePosition(msg.Metadata.Get(MetaPosition)); err != nil {
		return Batch{}, fmt.Errorf("message %s: %w", msg.UUID, err)
	}
	d := batchDecoder{buf: msg.Payload}
	for range n {
		var e eventstore.RecordedEvent
		copy(e.ID[:], d.take(16))
		e.Stream = string(d.bytes())
		e.Revision = d.uvarint()
		e.Position.Commit = d.uvarint()
		e.Position.Prepare = d.uvarint()
		e.Type = string(d.bytes())
		e.RecordedAt = time.Unix(0, d.varint()).UTC()
		e.Data = d.bytes()
		if m := d.bytes(); len(m) > 0 {
			e.Metadata = m
		}
		if d.bad {
			return Batch{}, fmt.Errorf("message %s: truncated batch at event %d of %d", msg.UUID, len(b.Events), n)
		}
		b.Events = append(b.Events, e)
	}
	if len(d.buf) != 0 {
		return Batch{}, fmt.Errorf("message %s: %d bytes after the batch's %d events", msg.UUID, len(d.buf), n)
	}
	return b, nil
}

type batchDecoder struct {
	buf []byte
	bad bool
}

func (d *batchDecoder) take(n int) []byte {
	if d.bad || n < 0 || n > len(d.buf) {
		d.bad = true
		return nil
	}
	out := d.buf[:n:n]
	d.buf = d.buf[n:]
	return out
}

func (d *batchDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *batchDecoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *batchDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.bad = true
		return nil
	}
	return d.take(int(n))
}
