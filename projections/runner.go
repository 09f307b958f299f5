package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
)

// Projection builds one read model from the global feed.
type Projection interface {
	// Name is stable: it keys the stored checkpoint and parked events
	// (e.g. "teacher_profile"). Lowercase letters, digits and underscores.
	Name() string
	// Tables lists the tables the projection owns (in schema public, named
	// without it, as Apply names them): a rebuild builds shadow copies of
	// them and swaps them in (rebuild.go).
	Tables() []string
	// Apply changes the read model inside tx, the transaction that also
	// moves the projection's checkpoint. It sees every event type the
	// registry knows and should return nil for those it does not use. An
	// error is retried, then the event is parked.
	Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error
}

// Flusher is implemented by a projection that keeps what a transaction's
// events change in memory and writes it once per transaction: the runner
// calls Flush after the last Apply of tx, before it stores the checkpoint
// and commits (the Merkle tree: its new leaves, hashes and head in one
// COPY instead of a round trip per event).
type Flusher interface {
	Flush(ctx context.Context, tx pgx.Tx) error
}

// flush calls p's Flush, if it has one.
func flush(ctx context.Context, tx pgx.Tx, p *projection) error {
	f, ok := p.Projection.(Flusher)
	if !ok {
		return nil
	}
	if err := f.Flush(ctx, tx); err != nil {
		return fmt.Errorf("projection %s: flush: %w", p.name, err)
	}
	return nil
}

// RetryPolicy bounds the retries of an event that fails to apply before it
// is parked.
type RetryPolicy struct {
	MaxRetries      int           // retries after the first attempt (default 5)
	InitialInterval time.Duration // default 100ms
	MaxInterval     time.Duration // default 5s
	Multiplier      float64       // default 2
}

// Config configures a Runner. Store, Registry and Pool are required.
type Config struct {
	Store    eventstore.Store
	Registry *event.Registry
	Pool     *pgxpool.Pool
	Logger   *slog.Logger
	Retry    RetryPolicy
	// RedeliveryDelay is the pause before the feed resends a Nacked
	// message (default 100ms).
	RedeliveryDelay time.Duration
	// PollInterval is WaitFor's fallback re-read of the stored
	// checkpoints, for progress made by another process (default 1s).
	PollInterval time.Duration
	// RebuildBatch is how many events a rebuild or a catch-up reads and
	// applies per transaction (default 500).
	RebuildBatch int
	// RebuildParallel bounds how many projections of a rebuild apply a
	// batch at the same time (default 4).
	RebuildParallel int
	// LiveBatch bounds how many events the live path applies per
	// transaction: whatever the feed has ready when the previous batch is
	// done, up to this many (default 500; 1 applies event by event).
	LiveBatch int
	// LiveGroups is how many transactions the live path applies a batch
	// in, side by side: the projections are dealt into this many groups,
	// each following the feed in one transaction a batch (group.go).
	// Fewer groups commit less per event; more apply in parallel
	// (default 2; 1 puts every projection in one transaction).
	LiveGroups int
	// OnBatch, if set, is called after every committed transaction of a
	// projection (metrics). It must not block.
	OnBatch func(BatchStats)
	// Personal opens the sealed personal fields of events before they are
	// decoded (shred.Codec; "已删除" once erased); nil decodes as stored.
	Personal interface {
		Open(ctx context.Context, typ string, data []byte) ([]byte, error)
	}
}

// ErrUnknownProjection is returned for a name no projection of the runner has.
var ErrUnknownProjection = errors.New("unknown projection")

// ErrAlreadyRunning is returned by Run while another Run is active.
var ErrAlreadyRunning = errors.New("projection runner already running")

// Runner feeds the global event feed to projections through one Watermill
// router, keeps each projection's checkpoint in the same transaction as its
// read-model change, parks events that keep failing, and offers
// read-your-writes waits and rebuilds.
type Runner struct {
	cfg   Config
	order []*projection
	byNm  map[string]*projection
	wmLog watermill.LoggerAdapter

	running atomic.Bool

	// progress is the last checkpoint each projection is known to have
	// committed; changed is closed and replaced whenever it moves, so
	// WaitFor needs no tight poll.
	mu       sync.Mutex
	progress map[string]eventstore.Position
	live     map[string]bool
	changed  chan struct{}
	// runs changes when a Run starts or ends, so a rebuild can tell
	// whether the Run that saw its projection live is still the current one.
	runs uint64

	// rebuildHook, set by tests, is called at stages of a rebuild.
	rebuildHook func(stage, projection string) error

	// envs decodes each event once for all the projections of this
	// runner (envcache.go).
	envs *envCache

	// slots bounds the projection transactions open at once to half the
	// pool (batch.go lockedTx), so an Apply that needs a second connection
	// of the same pool (the Merkle tree's feed read, a data key) always
	// finds one: with every connection held by a projection transaction
	// waiting for another, the runner deadlocked on a backlog.
	slots chan struct{}

	// rebuilds is each projection's latest rebuild in this process (under
	// mu); background runs those StartRebuild starts (rebuild_ops.go).
	rebuilds   map[string]*rebuildProgress
	background rebuildBackground
}

type projection struct {
	Projection
	name string
	// gate admits one writer at a time in this process: the live handler
	// (for one message, its retries and its parking) or a rebuild (for
	// the whole replay).
	gate chan struct{}
	// schema, set on a rebuild's copy, is the shadow schema its
	// transactions write (search_path first).
	schema string
}

func (p *projection) hold(ctx context.Context) error {
	select {
	case p.gate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("projection %s: %w", p.name, ctx.Err())
	}
}

func (p *projection) release() { <-p.gate }

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// NewRunner returns a runner with the default Config values. It panics on
// a nil dependency or a bad or duplicate projection name (wiring mistakes).
func NewRunner(store eventstore.Store, reg *event.Registry, pool *pgxpool.Pool, log *slog.Logger, ps ...Projection) *Runner {
	return NewRunnerWithConfig(Config{Store: store, Registry: reg, Pool: pool, Logger: log}, ps...)
}

// NewRunnerWithConfig is NewRunner with every setting explicit.
func NewRunnerWithConfig(cfg Config, ps ...Projection) *Runner {
	if cfg.Store == nil || cfg.Registry == nil || cfg.Pool == nil {
		panic("projections: NewRunner needs a store, a registry and a pool")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Retry.MaxRetries <= 0 {
		cfg.Retry.MaxRetries = 5
	}
	if cfg.Retry.InitialInterval <= 0 {
		cfg.Retry.InitialInterval = 100 * time.Millisecond
	}
	if cfg.Retry.MaxInterval <= 0 {
		cfg.Retry.MaxInterval = 5 * time.Second
	}
	if cfg.Retry.Multiplier < 1 {
		cfg.Retry.Multiplier = 2
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = 100 * time.Millisecond
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.RebuildBatch <= 0 {
		cfg.RebuildBatch = 500
	}
	if cfg.RebuildParallel <= 0 {
		cfg.RebuildParallel = 4
	}
	if cfg.LiveBatch <= 0 {
		cfg.LiveBatch = 500
	}
	if cfg.LiveGroups <= 0 {
		cfg.LiveGroups = 2
	}
	r := &Runner{
		cfg:      cfg,
		byNm:     map[string]*projection{},
		progress: map[string]eventstore.Position{},
		live:     map[string]bool{},
		changed:  make(chan struct{}),
		// Watermill reports every handler start and stop at info level;
		// that is debug detail for this service.
		wmLog: watermill.NewSlogLoggerWithLevelMapping(cfg.Logger.With("component", "watermill"),
			map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}),
	}
	// The live handlers of the projections run side by side, each a
	// batch or so apart; a backlog's catch-up reads RebuildBatch at a time.
	r.envs = newEnvCache(max(4*cfg.LiveBatch, 2*cfg.RebuildBatch), r.envelope)
	r.slots = make(chan struct{}, max(1, int(cfg.Pool.Config().MaxConns)/2))
	for _, p := range ps {
		if p == nil {
			panic("projections: nil projection")
		}
		name := p.Name()
		if !validName.MatchString(name) {
			panic(fmt.Sprintf("projections: bad projection name %q", name))
		}
		if _, dup := r.byNm[name]; dup {
			panic(fmt.Sprintf("projections: projection %q registered twice", name))
		}
		pp := &projection{Projection: p, name: name, gate: make(chan struct{}, 1)}
		r.order = append(r.order, pp)
		r.byNm[name] = pp
	}
	return r
}

// Names lists the projections in registration order.
func (r *Runner) Names() []string {
	out := make([]string, len(r.order))
	for i, p := range r.order {
		out[i] = p.name
	}
	return out
}

// Run subscribes every projection to the feed after its checkpoint and
// applies events until ctx ends, which is a clean stop (nil). It returns an
// error when the router cannot start or stops on its own.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer r.running.Store(false)
	r.mu.Lock()
	r.runs++
	r.mu.Unlock()
	defer r.clearLive()
	if len(r.order) == 0 {
		// A Watermill router with no handlers never returns from Run.
		<-ctx.Done()
		return nil
	}

	for _, p := range r.order {
		if err := ensureCheckpoint(ctx, r.cfg.Pool, p.name); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting: still a clean stop
			}
			return err
		}
	}
	if err := r.checkStore(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := r.CleanShadows(ctx); err != nil {
		r.cfg.Logger.WarnContext(ctx, "projections: shadows of stopped rebuilds not dropped", "err", err)
	}
	// Apply the backlog in batches first; the live subscription then
	// starts near the head. Stopping here is as clean as stopping later.
	for _, p := range r.order {
		if err := r.initialCatchUp(ctx, p); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	groups := r.groups()
	feed := NewFeedSubscriber(FeedConfig{
		Store:           r.cfg.Store,
		Start:           r.groupStart(groups),
		DeliverCaughtUp: true,
		RedeliveryDelay: r.cfg.RedeliveryDelay,
		MaxBatch:        r.cfg.LiveBatch,
		Logger:          r.cfg.Logger,
	})
	defer feed.Close()

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, r.wmLog)
	if err != nil {
		return fmt.Errorf("projections: router: %w", err)
	}
	// A failing event is retried and parked inside the handler
	// (applyBatch); what reaches the middleware is the database or the
	// runner failing, retried here and then Nacked, so the feed sends the
	// batch again: nothing is dropped.
	retry := middleware.Retry{
		MaxRetries:      r.cfg.Retry.MaxRetries,
		InitialInterval: r.cfg.Retry.InitialInterval,
		MaxInterval:     r.cfg.Retry.MaxInterval,
		Multiplier:      r.cfg.Retry.Multiplier,
		Logger:          r.wmLog,
		ShouldRetry:     func(p middleware.RetryParams) bool { return p.Err != nil && !errors.Is(p.Err, context.Canceled) },
	}
	// One handler a group of projections (group.go): one read of the
	// feed and one transaction a batch. The gates are taken inside it,
	// around the retries of each attempt.
	for topic, group := range groups {
		h := router.AddConsumerHandler(topic, topic, feed, r.groupHandler(group))
		h.AddMiddleware(retry.Middleware, middleware.Recoverer)
	}

	err = router.Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projections: router: %w", err)
	}
	return errors.New("projections: router stopped while its context was still live")
}

func (r *Runner) initialCatchUp(ctx context.Context, p *projection) error {
	if err := p.hold(ctx); err != nil {
		return err
	}
	defer p.release()
	start := time.Now()
	n, err := r.catchUp(ctx, p, false)
	if err != nil {
		return err
	}
	if n > 0 {
		r.cfg.Logger.InfoContext(ctx, "projection caught up", "projection", p.name, "events", n, "took", time.Since(start))
	}
	return nil
}

// startPosition is the feed's StartFunc: the stored checkpoint.
func (r *Runner) startPosition(ctx context.Context, topic string) (eventstore.Position, error) {
	pos, err := readCheckpoint(ctx, r.cfg.Pool, topic)
	if err != nil {
		return eventstore.Position{}, err
	}
	r.observe(topic, pos)
	return pos, nil
}

// handler applies one feed message (a batch of events) to p.
func (r *Runner) handler(p *projection) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		b, err := BatchFromMessage(msg)
		if err != nil {
			return err
		}
		ctx := msg.Context()
		if len(b.Events) > 0 {
			if err := r.applyLive(ctx, p, b); err != nil {
				return err
			}
		}
		if b.CaughtUp {
			return r.caughtUp(ctx, p, b.Position)
		}
		return nil
	}
}

// applyLive applies a batch of the live feed and moves the checkpoint, in
// one transaction unless an event fails (applyBatch). Events at or before
// the checkpoint were applied already (a redelivery after a lost Ack, a
// rebuild that went further, another instance) and are skipped. A
// checkpoint before the batch (a rebuild that stopped part way) is first
// caught up from the store.
func (r *Runner) applyLive(ctx context.Context, p *projection, b Batch) error {
	err := r.applyBatch(ctx, p, b.Prev, b.Events, false, "live")
	if !errors.Is(err, errGap) {
		return err
	}
	if _, err := r.catchUp(ctx, p, false); err != nil {
		return err
	}
	return r.applyBatch(ctx, p, b.Prev, b.Events, false, "live")
}

// caughtUp marks p live and moves its checkpoint to pos if it is behind,
// which it is only when the feed reports a position past the last event.
func (r *Runner) caughtUp(ctx context.Context, p *projection, pos eventstore.Position) error {
	r.mu.Lock()
	r.live[p.name] = true
	behind := r.progress[p.name].Less(pos)
	r.mu.Unlock()
	if !behind {
		return nil
	}
	tx, err := beginTx(ctx, r.cfg.Pool)
	if err != nil {
		return fmt.Errorf("projection %s: %w", p.name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	cp, err := lockCheckpoint(ctx, tx, p.name)
	if err != nil {
		return err
	}
	if cp.Less(pos) {
		if err := storeCheckpoint(ctx, tx, p.name, pos); err != nil {
			return err
		}
		cp = pos
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("projection %s: commit: %w", p.name, err)
	}
	r.observe(p.name, cp)
	return nil
}

// apply decodes rec and hands it to p. An event type the registry does not
// know is skipped, not parked: the store may hold other services' events
// and events of types this build no longer reads, and neither is an error
// of this projection. Its position still counts as applied.
func (r *Runner) apply(ctx context.Context, tx pgx.Tx, p *projection, rec eventstore.RecordedEvent) error {
	env, known, err := r.envs.get(ctx, rec)
	var open *openError
	if errors.As(err, &open) {
		// A data key not read (the database) may be read on a retry.
		return fmt.Errorf("projection %s: event %s (%s at %s): %w", p.name, rec.ID, rec.Type, rec.Position, err)
	}
	if err != nil {
		// Bytes that do not decode today will not decode on a retry.
		return Permanent(fmt.Errorf("projection %s: event %s (%s at %s): %w", p.name, rec.ID, rec.Type, rec.Position, err))
	}
	if !known {
		return nil
	}
	if err := p.Apply(ctx, tx, env); err != nil {
		return fmt.Errorf("projection %s: apply %s (%s at %s): %w", p.name, rec.ID, rec.Type, rec.Position, err)
	}
	return nil
}

// envelope decodes rec; apply asks r.envs, which calls it once per event
// for all the projections.
func (r *Runner) envelope(ctx context.Context, rec eventstore.RecordedEvent) (event.Envelope, bool, error) {
	data := rec.Data
	if r.cfg.Personal != nil && r.cfg.Registry.Known(rec.Type) {
		var err error
		if data, err = r.cfg.Personal.Open(ctx, rec.Type, data); err != nil {
			return event.Envelope{}, false, &openError{err}
		}
	}
	ev, err := r.cfg.Registry.Decode(rec.Type, data)
	var unknown *event.ErrUnknownEventType
	if errors.As(err, &unknown) {
		return event.Envelope{}, false, nil
	}
	if err != nil {
		return event.Envelope{}, false, err
	}
	var meta event.Metadata
	if len(rec.Metadata) > 0 {
		if err := json.Unmarshal(rec.Metadata, &meta); err != nil {
			return event.Envelope{}, false, fmt.Errorf("decode metadata: %w", err)
		}
	}
	return event.Envelope{
		ID:         rec.ID,
		Stream:     rec.Stream,
		Revision:   rec.Revision,
		Type:       rec.Type,
		Event:      ev,
		Metadata:   meta,
		RecordedAt: rec.RecordedAt,
	}, true, nil
}

// openError is a failure to open sealed personal fields.
type openError struct{ err error }

func (e *openError) Error() string { return "open personal data: " + e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// Permanent marks an error no retry can mend (an event that does not
// decode, a value its table cannot hold): the event is parked at once
// instead of after every retry, live and during a rebuild.
func Permanent(err error) error { return &permanentError{err: err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err is Permanent, or a PostgreSQL data
// exception (class 22: bad encoding, value too long, out of range) or
// integrity violation (class 23), which repeat on every attempt.
func IsPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23"))
}
