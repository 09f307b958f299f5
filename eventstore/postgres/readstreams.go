package postgres

import (
	"context"
	"fmt"

	"github.com/hbte/record/eventstore"
)

// ReadStreams implements eventstore.StreamsReader: every named stream,
// whole, in one query over the primary key (stream, revision).
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error) {
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	out := make(map[string][]eventstore.RecordedEvent, len(streams))
	if len(streams) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM es_events
		WHERE stream = ANY($1::text[]) ORDER BY stream, revision`, streams)
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(streams), err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(streams), err)
	}
	for _, e := range events {
		out[e.Stream] = append(out[e.Stream], e)
	}
	return out, nil
}
