package esdbfake

import (
	"errors"
	"io"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

type streamsService struct {
	streams.UnimplementedStreamsServer
	s *Server
}

// Expected-version sentinels as EventStoreDB encodes them internally.
const (
	expectNoStream     int64 = -1
	expectAny          int64 = -2
	expectStreamExists int64 = -4
)

// Append receives the options, then the proposed events, then answers once.
func (x *streamsService) Append(srv streams.Streams_AppendServer) error {
	ctx := srv.Context()
	if err := x.s.wait(ctx); err != nil {
		return err
	}
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return statusf(codes.InvalidArgument, "first append message must carry options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return statusf(codes.InvalidArgument, "empty stream name")
	}
	var expected int64
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Revision:
		expected = int64(e.Revision)
	case *streams.AppendReq_Options_NoStream:
		expected = expectNoStream
	case *streams.AppendReq_Options_Any:
		expected = expectAny
	case *streams.AppendReq_Options_StreamExists:
		expected = expectStreamExists
	default:
		return statusf(codes.InvalidArgument, "missing expected stream revision")
	}
	var events []proposed
	size := 0
	for {
		m, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := m.GetProposedMessage()
		if pm == nil {
			return statusf(codes.InvalidArgument, "expected a proposed message")
		}
		id, err := uuidFromProto(pm.GetId())
		if err != nil {
			return statusf(codes.InvalidArgument, "event id: %v", err)
		}
		md := pm.GetMetadata()
		if md["type"] == "" || md["content-type"] == "" {
			return statusf(codes.InvalidArgument, "event %s lacks type or content-type metadata", id)
		}
		// A real node counts data, metadata and the type name twice, and
		// fails the call as soon as the sum passes its limit.
		size += len(pm.GetData()) + len(pm.GetCustomMetadata()) + 2*len(md["type"])
		if size > x.s.maxAppend {
			srv.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.Itoa(x.s.maxAppend)))
			return statusf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", x.s.maxAppend)
		}
		events = append(events, proposed{id: id, metadata: md, custom: pm.GetCustomMetadata(), data: pm.GetData()})
	}
	x.s.mu.Lock()
	gone := x.s.tombstoned[stream]
	x.s.mu.Unlock()
	if gone {
		return streamDeleted(srv, stream)
	}
	return srv.SendAndClose(x.s.append(stream, expected, events))
}

// append applies EventStoreDB's rules: with a specific expectation (a
// revision or NoStream) a batch whose IDs are already stored right after the
// expected revision is an idempotent success that writes nothing; a partial
// overlap or any other mismatch is WrongExpectedVersion. With Any and
// StreamExists the retry is recognised only when the batch equals the
// stream's last events (EventStoreDB's own check there is best effort).
func (s *Server) append(stream string, expected int64, events []proposed) *streams.AppendResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[stream]
	current := int64(len(idx)) - 1
	k := int64(len(events))

	idsAt := func(first int64) bool {
		if k == 0 || first < 0 || first+k-1 > current {
			return false
		}
		for i, e := range events {
			if s.log[idx[first+int64(i)]].id != e.id {
				return false
			}
		}
		return true
	}

	switch {
	case expected >= expectNoStream:
		if expected < current {
			if idsAt(expected + 1) {
				return successResp(expected+k, nil)
			}
			return wrongResp(expected, current)
		}
		if expected > current {
			return wrongResp(expected, current)
		}
	case expected == expectStreamExists && current < 0:
		return wrongResp(expected, current)
	default:
		if idsAt(current - k + 1) {
			return successResp(current, nil)
		}
	}
	if k == 0 {
		return successResp(current, nil)
	}
	first := len(s.log)
	s.writeLocked(stream, events)
	// The answer carries the write's position, which for a multi-event
	// write is its first record's, not its last event's.
	return successResp(current+k, s.log[first])
}

func successResp(current int64, last *record) *streams.AppendResp {
	ok := &streams.AppendResp_Success{}
	if current < 0 {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(current)}
	}
	// A retry recognised as idempotent writes nothing and, as on a real
	// node, reports no position.
	if last == nil {
		ok.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	} else {
		ok.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
			CommitPosition: last.commit, PreparePosition: last.commit,
		}}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: ok}}
}

func wrongResp(expected, current int64) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch expected {
	case expectNoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectAny:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(expected)}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: uint64(expected)}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}
