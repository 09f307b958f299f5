package esdb

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/hbte/record/eventstore"
)

// A node sets every event's "created" time itself. An event copied from
// another store keeps its original time in its metadata, in an envelope
// this adapter writes and removes again on reading, byte for byte:
//
//	{"$recorded_at":"2026-03-01T08:30:00.123456789Z","$metadata":<original>}
//
// (<original> is null for an event without metadata.)
const (
	copyHead = `{"$recorded_at":"`
	copyMid  = `","$metadata":`
)

func wrapCopied(meta []byte, at time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(copyHead)
	b.WriteString(at.UTC().Format(time.RFC3339Nano))
	b.WriteString(copyMid)
	if len(meta) == 0 {
		b.WriteString("null")
	} else {
		b.Write(meta)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// unwrapCopied returns the original metadata and time of a copied event,
// ok false for any other event.
func unwrapCopied(meta []byte) (orig []byte, at time.Time, ok bool) {
	rest, found := bytes.CutPrefix(meta, []byte(copyHead))
	if !found || len(rest) < len(copyMid)+1 || rest[len(rest)-1] != '}' {
		return nil, time.Time{}, false
	}
	ts, inner, found := bytes.Cut(rest[:len(rest)-1], []byte(copyMid))
	if !found {
		return nil, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return nil, time.Time{}, false
	}
	if string(inner) == "null" {
		inner = nil
	}
	return inner, t, true
}

// AppendCopies writes events read from another store (all of one stream,
// consecutive revisions) with their IDs, types, data, metadata, revisions
// and original times: readers of this store see them exactly as the source
// had them, positions aside. The expectation is the revision before the
// first event, so a copy that is run again after an interruption rewrites
// nothing: the node recognises the same IDs at the same revisions.
func (s *Store) AppendCopies(ctx context.Context, stream string, events []eventstore.RecordedEvent) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: copy to %q: no events", stream)
	}
	expected := eventstore.NoStream()
	if r := events[0].Revision; r > 0 {
		expected = eventstore.Exact(r - 1)
	}
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		if e.Stream != stream || e.Revision != events[0].Revision+uint64(i) {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: copy to %q: event %s is %s@%d, not the next revision", stream, e.ID, e.Stream, e.Revision)
		}
		data[i] = eventstore.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: wrapCopied(e.Metadata, e.RecordedAt)}
	}
	return s.Append(ctx, stream, expected, data...)
}
