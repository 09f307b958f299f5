package esdb_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hbte/record/eventstore/esdb/esdbfake"
)

// TestFakeTamper: the test-only hook changes what the client reads back, and
// dropping an event renumbers the revisions after it.
func TestFakeTamper(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := esdbfake.Start(t)
	c := rawClient(t, srv)
	evs := []client.EventData{rawEvent("a"), rawEvent("b"), rawEvent("c")}
	if _, err := c.AppendToStream(ctx, "s-1", client.AppendToStreamOptions{}, evs...); err != nil {
		t.Fatal(err)
	}
	srv.Tamper(func(stored []esdbfake.StoredEvent) []esdbfake.StoredEvent {
		var out []esdbfake.StoredEvent
		for _, e := range stored {
			switch e.ID {
			case evs[0].EventID:
				e.Data = []byte(`{"forged":true}`)
			case evs[1].EventID:
				continue
			}
			out = append(out, e)
		}
		return out
	})
	got := readRaw(t, ctx, c, "s-1")
	if len(got) != 2 || got[0].EventID != evs[0].EventID || got[1].EventID != evs[2].EventID {
		t.Fatalf("after tamper read %d events", len(got))
	}
	if !bytes.Equal(got[0].Data, []byte(`{"forged":true}`)) || got[0].EventType != "a" {
		t.Fatalf("tampered event: %s %s", got[0].EventType, got[0].Data)
	}
	if got[1].EventNumber != 1 {
		t.Fatalf("revision after a dropped event = %d, want 1", got[1].EventNumber)
	}
}
