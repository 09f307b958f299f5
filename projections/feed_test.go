package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
)

func TestMessageEncodingRoundTrips(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123456789, time.UTC)
	cases := []eventstore.RecordedEvent{
		{ID: uuid.New(), Stream: "teacher-1", Revision: 7, Position: eventstore.Position{Commit: 900, Prepare: 12},
			Type: "teacher.registered", Data: []byte(`{"a":1}`), Metadata: []byte(`{"actor_role":"county_admin"}`), RecordedAt: at},
		{ID: uuid.New(), Stream: "s", Revision: 0, Position: eventstore.Position{Commit: 1, Prepare: 1},
			Type: "x", Data: []byte(`{}`), RecordedAt: at},
	}
	for _, want := range cases {
		msg := toMessage(eventstore.SubscriptionMessage{Event: &want, Position: want.Position})
		if msg.UUID != want.ID.String() || string(msg.Payload) != string(want.Data) {
			t.Errorf("message %s %q, want the event id and data", msg.UUID, msg.Payload)
		}
		got, ok, err := RecordedEventFromMessage(msg)
		if err != nil || !ok {
			t.Fatalf("decode: %v %v", ok, err)
		}
		if !got.RecordedAt.Equal(want.RecordedAt) {
			t.Errorf("recorded at %v, want %v", got.RecordedAt, want.RecordedAt)
		}
		got.RecordedAt = want.RecordedAt
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
	cu := toMessage(eventstore.SubscriptionMessage{CaughtUp: true, Position: eventstore.Position{Commit: 5, Prepare: 4}})
	got, ok, err := RecordedEventFromMessage(cu)
	if err != nil || ok || got.Position != (eventstore.Position{Commit: 5, Prepare: 4}) {
		t.Errorf("caught-up marker decoded as %+v, %v, %v", got, ok, err)
	}
}

func appendN(t *testing.T, s eventstore.Store, stream string, n int) []eventstore.Position {
	t.Helper()
	var out []eventstore.Position
	for i := range n {
		res, err := s.Append(context.Background(), stream, eventstore.Any(), eventstore.EventData{
			ID: uuid.New(), Type: "t", Data: fmt.Appendf(nil, `{"i":%d}`, i),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Position)
	}
	return out
}

func receive(t *testing.T, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no message")
	}
	return nil
}

func TestFeedSubscriberOrderAckNackAndClose(t *testing.T) {
	store := memory.New()
	defer store.Close()
	pos := appendN(t, store, "s-1", 5)
	starts := map[string]eventstore.Position{"from_start": eventstore.Start, "from_third": pos[2]}
	sub := NewFeedSubscriber(FeedConfig{
		Store:           store,
		Start:           func(_ context.Context, topic string) (eventstore.Position, error) { return starts[topic], nil },
		RedeliveryDelay: time.Millisecond,
	})

	ch, err := sub.Subscribe(context.Background(), "from_start")
	if err != nil {
		t.Fatal(err)
	}
	m := receive(t, ch)
	if m.Metadata.Get(MetaPosition) != pos[0].String() {
		t.Fatalf("first message at %s, want %s", m.Metadata.Get(MetaPosition), pos[0])
	}
	// Nothing else arrives before the Ack.
	select {
	case other := <-ch:
		t.Fatalf("got %s before acking the first message", other.Metadata.Get(MetaPosition))
	case <-time.After(50 * time.Millisecond):
	}
	// A Nack brings the same event again.
	m.Nack()
	again := receive(t, ch)
	if again.UUID != m.UUID || again == m {
		t.Fatalf("after Nack got %s (same object %v), want a fresh copy of %s", again.UUID, again == m, m.UUID)
	}
	again.Ack()
	for i := 1; i < 5; i++ {
		m := receive(t, ch)
		if m.Metadata.Get(MetaPosition) != pos[i].String() {
			t.Fatalf("message %d at %s, want %s", i, m.Metadata.Get(MetaPosition), pos[i])
		}
		m.Ack()
	}

	// Another topic starts after its own position.
	ch2, err := sub.Subscribe(context.Background(), "from_third")
	if err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ch2); m.Metadata.Get(MetaPosition) != pos[3].String() {
		t.Fatalf("from_third starts at %s, want %s", m.Metadata.Get(MetaPosition), pos[3])
	}

	// Live events arrive after the backlog.
	live := appendN(t, store, "s-2", 1)
	if m := receive(t, ch); m.Metadata.Get(MetaPosition) != live[0].String() {
		t.Fatalf("live message at %s, want %s", m.Metadata.Get(MetaPosition), live[0])
	} else {
		m.Ack()
	}

	done := make(chan struct{})
	go func() { _ = sub.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return with a message in flight")
	}
	for range ch {
	}
	for range ch2 {
	}
	if _, err := sub.Subscribe(context.Background(), "from_start"); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestFeedSubscriberCaughtUpMarker(t *testing.T) {
	store := memory.New()
	defer store.Close()
	pos := appendN(t, store, "s", 2)
	sub := NewFeedSubscriber(FeedConfig{Store: store, DeliverCaughtUp: true,
		Start: func(context.Context, string) (eventstore.Position, error) { return eventstore.Start, nil }})
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	receive(t, ch).Ack()
	receive(t, ch).Ack()
	m := receive(t, ch)
	if m.Metadata.Get(MetaCaughtUp) != "true" || m.Metadata.Get(MetaPosition) != pos[1].String() {
		t.Fatalf("third message %v, want a caught-up marker at %s", m.Metadata, pos[1])
	}
	m.Ack()
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("message after cancel")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("channel not closed after the context ended")
	}
}

// TestFeedSubscriberWatermillSuite runs Watermill's own Pub/Sub suite
// against the feed subscriber. The suite needs a publisher and isolated
// topics, which a global feed does not have, so the test adds a thin
// adapter: publishing appends to the stream named after the topic, and the
// subscriber side passes on the topic's stream only (acking the rest
// itself) and forwards each Ack or Nack to the feed's message. Everything
// the suite checks about delivery, order, Ack/Nack, redelivery and closing
// therefore goes through FeedSubscriber. Consumer groups and reconnects do
// not apply and are skipped by the suite's feature flags.
func TestFeedSubscriberWatermillSuite(t *testing.T) {
	store := memory.New()
	t.Cleanup(func() { _ = store.Close() })
	tests.TestPubSub(t, tests.Features{
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
		ForceShort:                       os.Getenv("WATERMILL_SUITE_FULL") == "",
	}, func(t *testing.T) (message.Publisher, message.Subscriber) {
		feed := NewFeedSubscriber(FeedConfig{Store: store, RedeliveryDelay: time.Millisecond,
			Start: func(context.Context, string) (eventstore.Position, error) { return eventstore.Start, nil }})
		return storePublisher{store}, &topicFilter{feed: feed}
	}, nil)
}

type storePublisher struct{ store eventstore.Store }

func (p storePublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		id, err := uuid.Parse(m.UUID)
		if err != nil {
			return err
		}
		meta, err := json.Marshal(m.Metadata)
		if err != nil {
			return err
		}
		if _, err := p.store.Append(context.Background(), topic, eventstore.Any(),
			eventstore.EventData{ID: id, Type: "watermill.test", Data: m.Payload, Metadata: meta}); err != nil {
			return err
		}
	}
	return nil
}

func (storePublisher) Close() error { return nil }

type topicFilter struct {
	feed *FeedSubscriber
	wg   sync.WaitGroup
}

func (f *topicFilter) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := f.feed.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(out)
		for m := range in {
			if m.Metadata.Get(MetaStream) != topic {
				m.Ack()
				continue
			}
			fwd := message.NewMessage(m.UUID, m.Payload)
			_ = json.Unmarshal([]byte(m.Metadata.Get(MetaMetadata)), &fwd.Metadata)
			fwd.SetContext(m.Context())
			select {
			case out <- fwd:
			case <-m.Context().Done():
				return
			}
			select {
			case <-fwd.Acked():
				m.Ack()
			case <-fwd.Nacked():
				m.Nack()
			case <-m.Context().Done():
				return
			}
		}
	}()
	return out, nil
}

// Close returns once every channel it handed out is closed, as the suite
// expects of a subscriber.
func (f *topicFilter) Close() error {
	err := f.feed.Close()
	f.wg.Wait()
	return err
}
