package esdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// Append implements eventstore.Store. The expectation is always sent
// explicitly (the client's default is Any, which disables both the
// concurrency check and guaranteed idempotency).
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	name := s.cfg.namespace + stream
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		data[i] = esdb.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: esdb.ContentTypeJson,
			Data:        e.Data,
			Metadata:    e.Metadata,
		}
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: toESDB(expected)}
	wr, err := supervise(s, ctx, "append", func(ctx context.Context, c *esdb.Client, _ func()) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, name, opts, data...)
	})
	if err != nil {
		var e *esdb.Error
		if errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion {
			return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, e)
		}
		if m := maxAppendSize.FindStringSubmatch(err.Error()); m != nil {
			// The node's own limit is lower than the port's.
			limit, _ := strconv.Atoi(m[1])
			return eventstore.AppendResult{}, fmt.Errorf("esdb: %w", &eventstore.AppendTooLargeError{Stream: stream, Size: eventstore.AppendSize(events), Max: limit})
		}
		if deleted(err) {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, eventstore.ErrStreamDeleted)
		}
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, err)
	}
	res := eventstore.AppendResult{
		NextRevision: wr.NextExpectedVersion,
		Position:     eventstore.Position{Commit: wr.CommitPosition, Prepare: wr.PreparePosition},
	}
	if res.Position.IsZero() || len(events) > 1 {
		// The port promises the position of the last event written. A
		// retry the server recognised as already written reports none, and
		// for a multi-event write the server reports the write's position,
		// which may not be the last event's (unverified: no real server
		// here). Positions never change, so reading the event back is exact.
		got, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{From: res.NextRevision, Max: 1})
		switch {
		case err == nil && len(got) == 1:
			res.Position = got[0].Position
		case res.Position.IsZero():
			// Written, but where is unknown: an error makes the caller
			// retry, which the server recognises again.
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: position of revision %d: %w", stream, res.NextRevision, errors.Join(err, errMissing))
		default:
			s.log.Warn("esdb: kept the server's position of a multi-event append", "stream", stream, "err", errors.Join(err, errMissing))
		}
	}
	return res, nil
}

var errMissing = errors.New("event not found")

// maxAppendSize is a node's refusal of an append over its limit.
var maxAppendSize = regexp.MustCompile(`Maximum Append Size of (\d+) Exceeded`)

// deleted reports the client's answer for a tombstoned stream.
func deleted(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeStreamDeleted
}

func toESDB(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	if n, ok := e.Exact(); ok {
		return esdb.Revision(n)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	return esdb.Any{}
}

// gotRevision extracts the current revision from the client's conflict
// message, its only carrier: "expecting '…' but got '<n>|no_stream'".
var gotRevision = regexp.MustCompile(`but got '(no_stream|\d+)'`)

// conflict builds the typed error with the stream's actual revision, taken
// from the server's answer or, failing that, by reading the stream's end.
func (s *Store) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, e *esdb.Error) error {
	wrong := &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: -1}
	if m := gotRevision.FindStringSubmatch(e.Error()); m != nil {
		if m[1] == "no_stream" {
			return wrong
		}
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			wrong.Actual = n
			return wrong
		}
	}
	last, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true, Max: 1})
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return wrong
	case err != nil:
		return errors.Join(wrong, fmt.Errorf("actual revision unknown: %w", err))
	case len(last) == 1:
		wrong.Actual = int64(last[0].Revision)
	}
	return wrong
}

func validate(stream string, events []eventstore.EventData) error {
	if stream == "" {
		return errors.New("esdb: append: empty stream name")
	}
	if len(events) == 0 {
		return fmt.Errorf("esdb: append to %q: no events", stream)
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			// The client would silently make up a random ID, defeating
			// idempotent retries.
			return fmt.Errorf("esdb: append to %q: event %d has no ID", stream, i)
		}
		if e.Type == "" {
			return fmt.Errorf("esdb: append to %q: event %d has no type", stream, i)
		}
	}
	// Checked here too: a real server refuses it while the client is still
	// sending, and the client then reports only EOF.
	return eventstore.CheckAppendSize(stream, events)
}
