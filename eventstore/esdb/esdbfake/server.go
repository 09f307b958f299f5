// Test hooks for other packages' tests: (*Server).Tamper (tamper.go)
// rewrites, drops or reorders stored events behind the client's back, for
// integrity tests; Freeze/Unfreeze and Stop/Restart model a hung or lost node.

package esdbfake

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Server is a fake EventStoreDB node. Its data lives as long as the value,
// across Stop and Restart.
type Server struct {
	mu      sync.Mutex
	log     []*record        // $all in log order
	streams map[string][]int // stream name -> indexes into log, by revision
	offset  uint64           // log offset of the next record
	// changed is closed and replaced on every write so live subscriptions
	// wake without polling.
	changed chan struct{}
	// frozen is non-nil while the server is frozen; Unfreeze closes it.
	frozen chan struct{}
	addr   string
	srv    *grpc.Server
	now    func() time.Time
}

// record is one stored event. It is never modified once in the log, so it
// may be read outside the lock.
type record struct {
	id       uuid.UUID
	stream   string
	revision uint64
	// pos is the record's log offset, used as both commit and prepare
	// position, as for a single-event write on a real node.
	pos      uint64
	metadata map[string]string // type, content-type, created
	custom   []byte
	data     []byte
}

// firstOffset is where the fake's log starts: a real node's first record is
// not at 0 either, and {0,0} must never look like an event's position.
const firstOffset = 256

// New returns a server that is not listening yet. Like a fresh EventStoreDB
// node, its log already holds a few system events.
func New() *Server {
	s := &Server{
		streams: make(map[string][]int),
		offset:  firstOffset,
		changed: make(chan struct{}),
		now:     time.Now,
	}
	s.AppendRaw("$users", "$User", []byte(`{"loginName":"admin"}`))
	s.AppendRaw("$user-admin", "$UserCreated", []byte(`{"loginName":"admin","fullName":"Event Store Administrator"}`))
	s.AppendRaw("$scavenges", "$scavengeIndexInitialized", []byte(`{}`))
	return s
}

// Start returns a server listening on a free port of 127.0.0.1, stopped when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("esdbfake: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Listen starts serving on addr ("127.0.0.1:0" picks a free port). The
// address actually bound is kept for Restart.
func (s *Server) Listen(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esdbfake: listen %s: %w", addr, err)
	}
	g := grpc.NewServer()
	streams.RegisterStreamsServer(g, &streamsService{s: s})
	serverfeatures.RegisterServerFeaturesServer(g, &featuresService{s: s})
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		_ = lis.Close()
		return errors.New("esdbfake: already listening")
	}
	s.srv = g
	s.addr = lis.Addr().String()
	s.mu.Unlock()
	go func() { _ = g.Serve(lis) }()
	return nil
}

// Stop closes the listener and every connection, as a crashed node would.
// The data is kept. Stop on a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	g := s.srv
	s.srv = nil
	s.mu.Unlock()
	if g != nil {
		g.Stop()
	}
}

// Restart listens again on the same address, with the same data.
func (s *Server) Restart() error {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	if addr == "" {
		return errors.New("esdbfake: restart before first listen")
	}
	return s.Listen(addr)
}

// Freeze makes the server stop answering while keeping its connections
// open: new calls and live subscriptions block until Unfreeze, Stop or the
// caller gives up. It models a node that hangs rather than dies.
func (s *Server) Freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen == nil {
		s.frozen = make(chan struct{})
	}
}

// Unfreeze undoes Freeze.
func (s *Server) Unfreeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen != nil {
		close(s.frozen)
		s.frozen = nil
	}
}

// Addr is the listening address, host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ConnString is the connection string of the server for the esdb client.
func (s *Server) ConnString() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// AppendRaw writes one event to stream without any expectation, as another
// writer of the same node would: system events, other services' streams.
func (s *Server) AppendRaw(stream, eventType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(stream, []proposed{{
		id:       uuid.New(),
		metadata: map[string]string{"type": eventType, "content-type": "application/json"},
		data:     data,
	}})
}

// wait blocks while the server is frozen.
func (s *Server) wait(ctx context.Context) error {
	s.mu.Lock()
	ch := s.frozen
	s.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

type proposed struct {
	id       uuid.UUID
	metadata map[string]string
	custom   []byte
	data     []byte
}

// recordSize approximates the size of a prepare record in a real log, so
// positions advance by uneven amounts.
func recordSize(stream string, p proposed) uint64 {
	n := 86 + len(stream) + len(p.metadata["type"]) + len(p.data) + len(p.custom)
	return uint64((n + 7) &^ 7)
}

func (s *Server) writeLocked(stream string, ps []proposed) {
	idx := s.streams[stream]
	ticks := strconv.FormatInt(s.now().UnixNano()/100, 10)
	for _, p := range ps {
		md := map[string]string{
			"type":         p.metadata["type"],
			"content-type": p.metadata["content-type"],
			"created":      ticks,
		}
		r := &record{
			id:       p.id,
			stream:   stream,
			revision: uint64(len(idx)),
			pos:      s.offset,
			metadata: md,
			custom:   p.custom,
			data:     p.data,
		}
		s.offset += recordSize(stream, p)
		idx = append(idx, len(s.log))
		s.log = append(s.log, r)
	}
	s.streams[stream] = idx
	close(s.changed)
	s.changed = make(chan struct{})
}

type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
	s *Server
}

// GetSupportedMethods answers the client's only call at connect. BatchAppend
// is not listed, so a client that could use it falls back to Append.
func (f *featuresService) GetSupportedMethods(ctx context.Context, _ *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	if err := f.s.wait(ctx); err != nil {
		return nil, err
	}
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: "23.10.0",
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
		},
	}, nil
}

func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(b[8:], uint64(st.GetLeastSignificantBits()))
		return uuid.UUID(b), nil
	}
	if str := u.GetString_(); str != "" {
		return uuid.Parse(str)
	}
	return uuid.Nil, errors.New("missing event id")
}

func uuidToProto(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func statusf(c codes.Code, format string, args ...any) error {
	return status.Errorf(c, format, args...)
}
