package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hbte/record/eventstore"
)

// defaultBatch bounds ReadAll when the caller passes no limit.
const defaultBatch = 500

// readAllCount is "no limit" for the client: the server streams in batches.
const readAllCount = math.MaxInt64

// ReadStream implements eventstore.Store. A missing stream arrives as an
// error on the first Recv, not on the call.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.RecordedEvent, error) {
	name := s.cfg.namespace + stream
	ro := esdb.ReadStreamOptions{From: esdb.Revision(opts.From)}
	if opts.Direction == eventstore.Backwards {
		ro.Direction = esdb.Backwards
		if opts.FromEnd {
			ro.From = esdb.End{}
		}
	}
	count := uint64(readAllCount)
	if opts.Max > 0 {
		count = uint64(opts.Max)
	}
	out, err := supervise(s, ctx, "read stream", func(ctx context.Context, c *esdb.Client, beat func()) ([]eventstore.RecordedEvent, error) {
		rs, err := c.ReadStream(ctx, name, ro, count)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		out := []eventstore.RecordedEvent{}
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			beat()
			out = append(out, convert(ev.Event, stream))
		}
	})
	if err != nil {
		var e *esdb.Error
		if errors.As(err, &e) && e.Code() == esdb.ErrorCodeResourceNotFound {
			return nil, &eventstore.StreamNotFoundError{Stream: stream}
		}
		if deleted(err) {
			return nil, fmt.Errorf("esdb: read %q: %w", stream, eventstore.ErrStreamDeleted)
		}
		return nil, fmt.Errorf("esdb: read %q: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. EventStoreDB cannot filter a $all read
// on the server and starts it at the given position inclusive, so this skips
// the event at from, system events and foreign streams itself, and reads on
// until it has limit events or reaches the end.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		limit = defaultBatch
	}
	out := []eventstore.RecordedEvent{}
	at := from
	for len(out) < limit {
		// One more than needed: the first event may be the one at `at`.
		count := uint64(limit-len(out)) + 1
		opts := esdb.ReadAllOptions{From: esdb.Start{}}
		if !at.IsZero() {
			opts.From = esdb.Position{Commit: at.Commit, Prepare: at.Prepare}
		}
		type batch struct {
			events []eventstore.RecordedEvent
			raw    int
			last   eventstore.Position
		}
		b, err := supervise(s, ctx, "read $all", func(ctx context.Context, c *esdb.Client, beat func()) (batch, error) {
			rs, err := c.ReadAll(ctx, opts, count)
			if err != nil {
				return batch{}, err
			}
			defer rs.Close()
			b := batch{last: at}
			for {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					return b, nil
				}
				if err != nil {
					return batch{}, err
				}
				beat()
				b.raw++
				r := ev.Event
				p := eventstore.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare}
				if !at.Less(p) {
					continue
				}
				b.last = p
				if name, ok := s.feedStream(r.StreamID, r.EventType); ok {
					b.events = append(b.events, convert(r, name))
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("esdb: read $all after %s: %w", at, err)
		}
		out = append(out, b.events...)
		if uint64(b.raw) < count || b.last == at {
			break
		}
		at = b.last
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
