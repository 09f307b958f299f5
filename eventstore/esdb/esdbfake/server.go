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
	"net/url"
	"os"
	"path/filepath"
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
	"google.golang.org/grpc/credentials"
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
	// deleted: soft-deleted streams and the first revision still visible
	// ($tb); tombstoned: hard-deleted streams.
	deleted    map[string]uint64
	tombstoned map[string]bool
	// maxAppend is the server's MaxAppendSize.
	maxAppend int
	// Security, as a real node has it by default: TLS with a certificate
	// signed by the test CA, and basic auth on every Streams call.
	insecure bool
	tls      *testCA
	caFile   string
	login    string
	password string
}

// Option configures a Server.
type Option func(*Server)

// Insecure serves plain-text gRPC without authentication, as a node
// started with --insecure.
func Insecure() Option { return func(s *Server) { s.insecure = true } }

// WithUser sets the one user the node accepts (default admin/changeit, a
// real node's default).
func WithUser(login, password string) Option {
	return func(s *Server) { s.login, s.password = login, password }
}

// WithMaxAppendSize sets the node's MaxAppendSize (default 1,048,576).
func WithMaxAppendSize(n int) Option { return func(s *Server) { s.maxAppend = n } }

// record is one stored event. It is never modified once in the log, so it
// may be read outside the lock.
type record struct {
	id       uuid.UUID
	stream   string
	revision uint64
	// prepare is the record's own log offset; commit is the position of
	// the write it belongs to (its first record), so the events of one
	// multi-event write share their commit position, as on a real node.
	commit   uint64
	prepare  uint64
	metadata map[string]string // type, content-type, created
	custom   []byte
	data     []byte
}

// firstOffset is where the fake's log starts: a real node's first record is
// not at 0 either, and {0,0} must never look like an event's position.
const firstOffset = 256

// New returns a server that is not listening yet. Like a fresh EventStoreDB
// node, its log already holds a few system events, and unless Insecure is
// given it serves TLS (a fresh test CA) and requires basic auth.
func New(opts ...Option) *Server {
	s := &Server{
		streams:    make(map[string][]int),
		offset:     firstOffset,
		changed:    make(chan struct{}),
		now:        time.Now,
		deleted:    make(map[string]uint64),
		tombstoned: make(map[string]bool),
		maxAppend:  1 << 20,
		login:      "admin",
		password:   "changeit",
	}
	for _, o := range opts {
		o(s)
	}
	if !s.insecure {
		ca, err := newTestCA()
		if err != nil {
			panic(fmt.Sprintf("esdbfake: test CA: %v", err))
		}
		s.tls = ca
	}
	s.AppendRaw("$users", "$User", []byte(`{"loginName":"admin"}`))
	s.AppendRaw("$user-admin", "$UserCreated", []byte(`{"loginName":"admin","fullName":"Event Store Administrator"}`))
	s.AppendRaw("$scavenges", "$scavengeIndexInitialized", []byte(`{}`))
	return s
}

// Start returns a server listening on a free port of 127.0.0.1, stopped when
// the test ends. Its CA certificate is written into the test's temporary
// directory.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	if s.tls != nil {
		s.caFile = filepath.Join(t.TempDir(), "esdbfake-ca.pem")
		if err := os.WriteFile(s.caFile, s.tls.caPEM, 0o600); err != nil {
			t.Fatalf("esdbfake: %v", err)
		}
	}
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
	gopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.authUnary),
		grpc.ChainStreamInterceptor(s.authStream),
		// Room for an append at the limit plus its framing; the limit
		// itself is the Append handler's to enforce, with a real node's
		// answer.
		grpc.MaxRecvMsgSize(8 << 20),
	}
	if s.tls != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(s.tls.serverConfig())))
	}
	g := grpc.NewServer(gopts...)
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

// ConnString is the connection string of the server for the esdb client:
// with TLS, the user's credentials and the CA file, as production uses it.
func (s *Server) ConnString() string {
	if s.tls == nil {
		return "esdb://" + s.Addr() + "?tls=false"
	}
	return s.ConnStringAs(s.login, s.password)
}

// ConnStringAs is ConnString with other credentials ("" for none), to test
// refusals. It needs TLS: the client sends credentials only over TLS.
func (s *Server) ConnStringAs(login, password string) string {
	u := url.URL{Scheme: "esdb", Host: s.Addr(), RawQuery: "tls=true&tlsCAFile=" + url.QueryEscape(s.CAFile())}
	if login != "" {
		u.User = url.UserPassword(login, password)
	}
	return u.String()
}

// CAFile is the path of the PEM file of the CA that signed the server's
// certificate ("" when insecure). Without Start it is written to a new
// temporary file on first use.
func (s *Server) CAFile() string {
	if s.tls == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.caFile == "" {
		f, err := os.CreateTemp("", "esdbfake-ca-*.pem")
		if err == nil {
			_, err = f.Write(s.tls.caPEM)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			panic(fmt.Sprintf("esdbfake: write CA file: %v", err))
		}
		s.caFile = f.Name()
	}
	return s.caFile
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

// writeLocked appends ps to stream as one write: every record's commit
// position is the write's first record's.
func (s *Server) writeLocked(stream string, ps []proposed) {
	idx := s.streams[stream]
	ticks := strconv.FormatInt(s.now().UnixNano()/100, 10)
	commit := s.offset
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
			commit:   commit,
			prepare:  s.offset,
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
