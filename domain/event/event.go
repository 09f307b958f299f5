// Package event is the domain's event vocabulary: the Event interface, the
// registry of stable type names, the metadata every event carries and the
// aggregate root that records and applies events.
//
// It is pure: no I/O, and it imports nothing from the rest of the project.
package event

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
)

// Event is a domain event. EventType returns its stable, stored name
// (e.g. "teacher.key_field_corrected"); it must never change once stored.
type Event interface {
	EventType() string
}

// Registry maps stored type names to Go types. Build one at wiring time with
// each package's Register function; it is read-only afterwards.
type Registry struct {
	factories map[string]func() Event
}

func NewRegistry() *Registry { return &Registry{factories: map[string]func() Event{}} }

// Register adds an event type. It panics on a duplicate or on a factory whose
// product reports another name: both are wiring mistakes.
func (r *Registry) Register(factory func() Event) {
	name := factory().EventType()
	if name == "" {
		panic("event: empty event type name")
	}
	if _, dup := r.factories[name]; dup {
		panic(fmt.Sprintf("event: %q registered twice", name))
	}
	r.factories[name] = factory
}

// Known reports whether name is registered.
func (r *Registry) Known(name string) bool { _, ok := r.factories[name]; return ok }

// Names lists the registered names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.factories))
	for n := range r.factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrUnknownEventType is returned by Decode for an unregistered name.
type ErrUnknownEventType struct{ Name string }

func (e *ErrUnknownEventType) Error() string { return fmt.Sprintf("unknown event type %q", e.Name) }

// Decode turns stored JSON into the registered Go value (a pointer).
func (r *Registry) Decode(name string, data []byte) (Event, error) {
	f, ok := r.factories[name]
	if !ok {
		return nil, &ErrUnknownEventType{Name: name}
	}
	e := f()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return e, nil
}

// Encode returns the stored name and JSON of e.
func (r *Registry) Encode(e Event) (string, []byte, error) {
	name := e.EventType()
	if !r.Known(name) {
		return "", nil, &ErrUnknownEventType{Name: name}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return name, data, nil
}

// Metadata is stored beside every event: who did it, under which authority,
// and how the request relates to others. It never holds secrets.
type Metadata struct {
	ActorID       uuid.UUID `json:"actor_id"`
	ActorRole     string    `json:"actor_role"`
	ActorName     string    `json:"actor_name,omitempty"`
	Jurisdiction  string    `json:"jurisdiction,omitempty"` // region code the actor acted under
	RequestID     string    `json:"request_id,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	OccurredAt    time.Time `json:"occurred_at"`
	// Chain is the event's link in its stream's hash chain, written by the
	// repository when it appends (domain/integrity, docs/INTEGRITY.md). It
	// is always the last member of the stored metadata; leave it nil when
	// writing.
	Chain *Chain `json:"chain,omitempty"`
}

// Chain is the hash-chain member of stored metadata: the previous event's
// chain hash and this event's, as lowercase hex.
type Chain struct {
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// Envelope is a decoded, stored event with its place in the store.
type Envelope struct {
	ID         uuid.UUID
	Stream     string
	Revision   uint64
	Type       string
	Event      Event
	Metadata   Metadata
	RecordedAt time.Time
}
