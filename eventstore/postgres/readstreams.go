package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
)

// ReadStreams implements eventstore.StreamsReader: every named stream,
// whole, in one query, one primary-key range scan per stream (a lateral
// join over the names, so the plan is the same however many there are),
// without JIT (compiling costs more than a few thousand key lookups).
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error) {
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	out := make(map[string][]eventstore.RecordedEvent, len(streams))
	names := slices.Clone(streams)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return out, nil
	}
	var events []eventstore.RecordedEvent
	err := s.retryRead(ctx, func() (err error) {
		events, err = s.readStreamsOnce(ctx, names)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(names), err)
	}
	for _, e := range events {
		out[e.Stream] = append(out[e.Stream], e)
	}
	for name, evs := range out {
		byRev := func(a, b eventstore.RecordedEvent) int { return cmp.Compare(a.Revision, b.Revision) }
		if !slices.IsSortedFunc(evs, byRev) {
			slices.SortFunc(evs, byRev)
			out[name] = evs
		}
	}
	return out, nil
}

func (s *Store) readStreamsOnce(ctx context.Context, names []string) ([]eventstore.RecordedEvent, error) {
	var events []eventstore.RecordedEvent
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT x.* FROM unnest($1::text[]) AS s(name)
			CROSS JOIN LATERAL (SELECT `+columns+` FROM es_events WHERE stream = s.name ORDER BY revision) x`, names)
		if err != nil {
			return err
		}
		events, err = scanEvents(rows)
		return err
	})
	return events, err
}
