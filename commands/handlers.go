package commands

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/eventstore"
)

// Deps are what the handlers need.
type Deps struct {
	Repo    *Repository
	Creds   *Credentials
	Regions *region.Tree
	Now     func() time.Time
	// Notifier sends confirmation codes; nil logs them (no gateway).
	Notifier Notifier
	// Files checks that a photo a record points at is an image its actor
	// uploaded; nil accepts none.
	Files *FileStore
	// Subjects, when set, answers a batch check of the record as it stands
	// (CheckRegistrations) from a read model instead of replaying every
	// teacher's streams; nil replays.
	Subjects CheckSubjects
}

// Handlers holds one method per command, each in its own file.
type Handlers struct {
	Deps
}

// NewHandlers panics on missing wiring.
func NewHandlers(d Deps) *Handlers {
	if d.Repo == nil || d.Creds == nil || d.Now == nil {
		panic("commands: NewHandlers needs Repo, Creds and Now")
	}
	if d.Regions == nil {
		d.Regions = region.Default()
	}
	if d.Notifier == nil {
		d.Notifier = LogNotifier{Log: slog.Default()}
	}
	return &Handlers{Deps: d}
}

// Result is what a command reports: the aggregate it touched, the revision
// it left the stream at (for If-Match) and the global position (for
// read-your-writes).
type Result struct {
	ID       uuid.UUID           `json:"id"`
	Revision int64               `json:"revision"`
	Position eventstore.Position `json:"-"`
}

func result(id uuid.UUID, res eventstore.AppendResult, agg interface{ Version() int64 }) Result {
	return Result{ID: id, Revision: agg.Version(), Position: res.Position}
}

// Request carries per-request facts a handler records in metadata.
type Request struct {
	RequestID      string
	CorrelationID  string
	IdempotencyKey string
	// ExpectedRevision is the revision the client saw (If-Match), if any.
	ExpectedRevision *int64
}

type requestKey struct{}

// WithRequest attaches request facts to ctx (the HTTP layer does this).
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request facts of ctx.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// write builds the append description of one command: who, when, under
// which authority, and the client's idempotency key and expected revision.
func (h *Handlers) write(ctx context.Context, actor access.Actor) Write {
	rq := RequestFrom(ctx)
	key := ""
	if rq.IdempotencyKey != "" {
		// Keys are per user: two users may pick the same key.
		key = actor.UserID.String() + "/" + rq.IdempotencyKey
	}
	return Write{
		Meta: event.Metadata{
			ActorID: actor.UserID, ActorRole: string(actor.Role), ActorName: actor.RecordedName(),
			Jurisdiction: actor.Jurisdiction, RequestID: rq.RequestID, CorrelationID: rq.CorrelationID,
			OccurredAt: h.Now().UTC(),
		},
		IdempotencyKey:  key,
		ExpectedVersion: rq.ExpectedRevision,
	}
}

// newID derives a new aggregate's ID from the idempotency key, so
// a retried create goes to the same stream; without a key it is random.
func (h *Handlers) newID(ctx context.Context, actor access.Actor, kind string) uuid.UUID {
	rq := RequestFrom(ctx)
	if rq.IdempotencyKey == "" {
		return uuid.New()
	}
	return uuid.NewSHA1(idemNamespace, []byte(kind+"\x00"+actor.UserID.String()+"\x00"+rq.IdempotencyKey))
}
