package projections

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/eventstore"
)

// envCache decodes each event once (its sealed personal fields opened,
// its JSON decoded through the registry, its metadata parsed) for every
// projection that applies it: the live handlers of all projections, each
// on its own subscription, and the projections of a rebuild, fed the same
// batches, ask for the same positions within a short while. It keeps the
// last size events asked for.
//
// The envelope is shared: a projection must treat env.Event (a pointer)
// and env.Metadata as read-only (TestProjectionsDoNotMutateEvents in
// cmd/record checks every projection of the service).
//
// A failure to open the personal fields (a data key not read) is not kept:
// the next attempt reads the key again. A decoding failure is kept: the
// same bytes fail the same way.
type envCache struct {
	decode func(ctx context.Context, rec eventstore.RecordedEvent) (event.Envelope, bool, error)
	size   int

	mu    sync.Mutex
	slots map[envKey]*envSlot
	ring  []envKey // insertion order; next is the oldest once full
	next  int
}

type envKey struct {
	pos eventstore.Position
	id  uuid.UUID
}

type envSlot struct {
	mu    sync.Mutex
	done  bool
	env   event.Envelope
	known bool
	err   error
}

func newEnvCache(size int, decode func(ctx context.Context, rec eventstore.RecordedEvent) (event.Envelope, bool, error)) *envCache {
	return &envCache{decode: decode, size: max(size, 1), slots: make(map[envKey]*envSlot, size)}
}

// get returns rec's envelope, decoding it unless another projection did.
// Callers asking for the same event at once wait for one decoding.
func (c *envCache) get(ctx context.Context, rec eventstore.RecordedEvent) (event.Envelope, bool, error) {
	s := c.slot(envKey{pos: rec.Position, id: rec.ID})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.env, s.known, s.err
	}
	env, known, err := c.decode(ctx, rec)
	var open *openError
	if errors.As(err, &open) {
		return env, known, err
	}
	s.env, s.known, s.err, s.done = env, known, err, true
	return env, known, err
}

func (c *envCache) slot(k envKey) *envSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.slots[k]; ok {
		return s
	}
	s := &envSlot{}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, k)
	} else {
		delete(c.slots, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % c.size
	}
	c.slots[k] = s
	return s
}
