package esdbfake

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// streamDeleted fails a call on a tombstoned stream as a real node does:
// FailedPrecondition with the "stream-deleted" exception in the trailers,
// which the client turns into ErrorCodeStreamDeleted.
func streamDeleted(srv grpc.ServerStream, name string) error {
	srv.SetTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", name))
	return statusf(codes.FailedPrecondition, "Event stream '%s' is deleted.", name)
}

// checkLocked applies an expected revision to a stream's current revision
// (-1 for none).
func checkLocked(expected, current int64) bool {
	switch expected {
	case expectAny:
		return true
	case expectNoStream:
		return current < 0
	case expectStreamExists:
		return current >= 0
	}
	return expected == current
}

func wrongVersion(ctx context.Context, stream string, expected, current int64) error {
	_ = grpc.SetTrailer(ctx, metadata.Pairs("exception", "wrong-expected-version", "stream-name", stream,
		"expected-version", strconv.FormatInt(expected, 10), "actual-version", strconv.FormatInt(current, 10)))
	return statusf(codes.FailedPrecondition, "Append failed due to WrongExpectedVersion. Stream: %s, Expected version: %d, Actual version: %d", stream, expected, current)
}

// Delete soft-deletes a stream: a "$metadata" event with the truncate-before
// revision goes to "$$<stream>"; the stream then reads as not found, and a
// later append continues its revisions and shows only the new events.
func (x *streamsService) Delete(ctx context.Context, req *streams.DeleteReq) (*streams.DeleteResp, error) {
	if err := x.s.wait(ctx); err != nil {
		return nil, err
	}
	o := req.GetOptions()
	stream := string(o.GetStreamIdentifier().GetStreamName())
	var expected int64
	switch e := o.GetExpectedStreamRevision().(type) {
	case *streams.DeleteReq_Options_Revision:
		expected = int64(e.Revision)
	case *streams.DeleteReq_Options_NoStream:
		expected = expectNoStream
	case *streams.DeleteReq_Options_StreamExists:
		expected = expectStreamExists
	default:
		expected = expectAny
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	current, err := s.deletableLocked(ctx, stream, expected)
	if err != nil {
		return nil, err
	}
	s.deleted[stream] = uint64(current + 1)
	at := len(s.log)
	s.writeLocked("$$"+stream, []proposed{{
		id:       uuid.New(),
		metadata: map[string]string{"type": "$metadata", "content-type": "application/json"},
		data:     fmt.Appendf(nil, `{"$tb":%d}`, current+1),
	}})
	r := s.log[at]
	return &streams.DeleteResp{PositionOption: &streams.DeleteResp_Position_{Position: &streams.DeleteResp_Position{
		CommitPosition: r.commit, PreparePosition: r.prepare,
	}}}, nil
}

// Tombstone hard-deletes a stream: a "$streamDeleted" event at the largest
// revision marks it, and every later read or append of it fails with
// "stream-deleted".
func (x *streamsService) Tombstone(ctx context.Context, req *streams.TombstoneReq) (*streams.TombstoneResp, error) {
	if err := x.s.wait(ctx); err != nil {
		return nil, err
	}
	o := req.GetOptions()
	stream := string(o.GetStreamIdentifier().GetStreamName())
	var expected int64
	switch e := o.GetExpectedStreamRevision().(type) {
	case *streams.TombstoneReq_Options_Revision:
		expected = int64(e.Revision)
	case *streams.TombstoneReq_Options_NoStream:
		expected = expectNoStream
	case *streams.TombstoneReq_Options_StreamExists:
		expected = expectStreamExists
	default:
		expected = expectAny
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.deletableLocked(ctx, stream, expected); err != nil {
		return nil, err
	}
	s.tombstoned[stream] = true
	r := &record{
		id:       uuid.New(),
		stream:   stream,
		revision: math.MaxInt64,
		commit:   s.offset,
		prepare:  s.offset,
		metadata: map[string]string{"type": "$streamDeleted", "content-type": "application/octet-stream", "created": strconv.FormatInt(s.now().UnixNano()/100, 10)},
	}
	s.offset += recordSize(stream, proposed{metadata: r.metadata})
	s.log = append(s.log, r)
	close(s.changed)
	s.changed = make(chan struct{})
	return &streams.TombstoneResp{PositionOption: &streams.TombstoneResp_Position_{Position: &streams.TombstoneResp_Position{
		CommitPosition: r.commit, PreparePosition: r.prepare,
	}}}, nil
}

// deletableLocked is what a delete and a tombstone both check first: the
// stream is not tombstoned and is at the expected revision. It returns the
// stream's current revision (-1 for none).
func (s *Server) deletableLocked(ctx context.Context, stream string, expected int64) (int64, error) {
	if s.tombstoned[stream] {
		_ = grpc.SetTrailer(ctx, metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
		return 0, statusf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
	}
	current := int64(len(s.streams[stream])) - 1
	if !checkLocked(expected, current) {
		return 0, wrongVersion(ctx, stream, expected, current)
	}
	return current, nil
}
