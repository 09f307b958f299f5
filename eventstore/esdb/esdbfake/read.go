package esdbfake

import (
	"context"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read serves stream reads, $all reads and $all subscriptions. It sends only
// the response kinds the v4 client understands: the client panics on others.
func (x *streamsService) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	ctx := srv.Context()
	if err := x.s.wait(ctx); err != nil {
		return err
	}
	o := req.GetOptions()
	if o == nil {
		return statusf(codes.InvalidArgument, "missing read options")
	}
	f, err := newFilter(o.GetFilter())
	if err != nil {
		return err
	}
	_, str := o.GetUuidOption().GetContent().(*streams.ReadReq_Options_UUIDOption_String_)
	send := func(r *record) error { return srv.Send(r.proto(!str)) }
	backwards := o.GetReadDirection() == streams.ReadReq_Options_Backwards
	subscribe := o.GetSubscription() != nil

	switch so := o.GetStreamOption().(type) {
	case *streams.ReadReq_Options_Stream:
		if subscribe {
			return statusf(codes.Unimplemented, "esdbfake: stream subscriptions are not implemented")
		}
		return x.s.readStream(srv, so.Stream, backwards, o.GetCount(), send)
	case *streams.ReadReq_Options_All:
		if subscribe {
			if backwards {
				return statusf(codes.InvalidArgument, "subscriptions read forwards")
			}
			return x.s.subscribeAll(ctx, srv, so.All, f, send)
		}
		return x.s.readAll(so.All, backwards, o.GetCount(), f, send)
	}
	return statusf(codes.InvalidArgument, "missing stream option")
}

func (r *record) proto(structured bool) *streams.ReadResp {
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToProto(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.prepare,
			CommitPosition:   r.commit,
			Metadata:         r.metadata,
			CustomMetadata:   r.custom,
			Data:             r.data,
		},
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.commit},
	}}}
}

// readStream reads from a revision inclusive in either direction. A stream
// that was never written answers StreamNotFound, in-band, as a real node does.
func (s *Server) readStream(srv streams.Streams_ReadServer, o *streams.ReadReq_Options_StreamOptions, backwards bool, count uint64, send func(*record) error) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	s.mu.Lock()
	if s.tombstoned[name] {
		s.mu.Unlock()
		return streamDeleted(srv, name)
	}
	idx, ok := s.streams[name]
	first := int64(s.deleted[name]) // a soft delete hides revisions before $tb
	if !ok || first > int64(len(idx))-1 {
		s.mu.Unlock()
		return srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{
			StreamNotFound: &streams.ReadResp_StreamNotFound{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}},
		}})
	}
	last := int64(len(idx)) - 1
	var from int64
	switch r := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		from = int64(r.Revision)
		if backwards && from > last {
			from = last
		}
	case *streams.ReadReq_Options_StreamOptions_End:
		from = last
		if !backwards {
			from = last + 1
		}
	}
	var out []*record
	step := int64(1)
	if backwards {
		step = -1
	}
	if !backwards && from < first {
		from = first
	}
	// Past the end (or before the start, backwards) is an empty answer.
	for rev := from; rev >= first && rev <= last && uint64(len(out)) < count; rev += step {
		out = append(out, s.log[idx[rev]])
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := send(r); err != nil {
			return err
		}
	}
	return nil
}

// cmp orders a record against a client position by (commit, prepare).
func (r *record) cmp(commit, prepare uint64) int {
	switch {
	case r.commit < commit:
		return -1
	case r.commit > commit:
		return 1
	case r.prepare < prepare:
		return -1
	case r.prepare > prepare:
		return 1
	}
	return 0
}

// readAll reads $all. Forwards from a position includes the event at that
// position; backwards excludes it: the real node's behaviour, which differs
// from subscriptions (exclusive).
func (s *Server) readAll(o *streams.ReadReq_Options_AllOptions, backwards bool, count uint64, f *filter, send func(*record) error) error {
	s.mu.Lock()
	var out []*record
	n := len(s.log)
	var i int
	switch p := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Start:
		i = 0
		if backwards {
			i = -1
		}
	case *streams.ReadReq_Options_AllOptions_End:
		i = n
		if backwards {
			i = n - 1
		}
	case *streams.ReadReq_Options_AllOptions_Position:
		c, pr := p.Position.GetCommitPosition(), p.Position.GetPreparePosition()
		if backwards {
			i = n - 1
			for i >= 0 && s.log[i].cmp(c, pr) >= 0 {
				i--
			}
		} else {
			for i < n && s.log[i].cmp(c, pr) < 0 {
				i++
			}
		}
	}
	step := 1
	if backwards {
		step = -1
	}
	for ; i >= 0 && i < n && uint64(len(out)) < count; i += step {
		if f.match(s.log[i]) {
			out = append(out, s.log[i])
		}
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := send(r); err != nil {
			return err
		}
	}
	return nil
}

// subscribeAll is a catch-up subscription: Confirmation first, then history
// strictly after the start position, CaughtUp once at the head, then live
// events. A filtered subscription also gets checkpoints while it scans.
func (s *Server) subscribeAll(ctx context.Context, srv streams.Streams_ReadServer, o *streams.ReadReq_Options_AllOptions, f *filter, send func(*record) error) error {
	if err := srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{
		Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()},
	}}); err != nil {
		return err
	}
	s.mu.Lock()
	next := 0
	switch p := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_End:
		next = len(s.log)
	case *streams.ReadReq_Options_AllOptions_Position:
		c, pr := p.Position.GetCommitPosition(), p.Position.GetPreparePosition()
		for next < len(s.log) && s.log[next].cmp(c, pr) <= 0 {
			next++
		}
	}
	s.mu.Unlock()

	scanned := 0
	caughtUp := false
	for {
		if err := s.wait(ctx); err != nil {
			return err
		}
		s.mu.Lock()
		batch := append([]*record(nil), s.log[next:]...)
		changed := s.changed
		s.mu.Unlock()
		for _, r := range batch {
			next++
			scanned++
			if f.match(r) {
				if err := send(r); err != nil {
					return err
				}
			}
			if f != nil && scanned%f.checkpointEvery == 0 {
				if err := srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{
					Checkpoint: &streams.ReadResp_Checkpoint{CommitPosition: r.commit, PreparePosition: r.prepare},
				}}); err != nil {
					return err
				}
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// filter is a server-side $all filter on stream name or event type, by
// prefixes or a regular expression. A nil filter matches everything.
type filter struct {
	onType          bool
	prefixes        []string
	re              *regexp.Regexp
	checkpointEvery int
}

func newFilter(o *streams.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	f := &filter{}
	var e *streams.ReadReq_Options_FilterOptions_Expression
	switch x := o.GetFilter().(type) {
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		e = x.StreamIdentifier
	case *streams.ReadReq_Options_FilterOptions_EventType:
		e, f.onType = x.EventType, true
	default:
		return nil, statusf(codes.InvalidArgument, "filter without expression")
	}
	f.prefixes = e.GetPrefix()
	if rx := e.GetRegex(); rx != "" {
		re, err := regexp.Compile(rx)
		if err != nil {
			return nil, statusf(codes.InvalidArgument, "filter regex: %v", err)
		}
		f.re = re
	}
	if len(f.prefixes) == 0 && f.re == nil {
		return nil, statusf(codes.InvalidArgument, "filter needs prefixes or a regex")
	}
	window := int(o.GetMax())
	if window == 0 {
		window = 32
	}
	mult := int(o.GetCheckpointIntervalMultiplier())
	if mult == 0 {
		mult = 1
	}
	f.checkpointEvery = window * mult
	return f, nil
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.stream
	if f.onType {
		subject = r.metadata["type"]
	}
	if f.re != nil && !f.re.MatchString(subject) {
		return false
	}
	if len(f.prefixes) == 0 {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}
