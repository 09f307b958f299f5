package esdbfake

import (
	"cmp"
	"maps"

	"github.com/google/uuid"
)

// StoredEvent is one event as the fake holds it, for Tamper. TEST ONLY.
type StoredEvent struct {
	ID       uuid.UUID
	Stream   string
	Revision uint64 // recomputed from the returned order; ignored on the way back
	// Position is the event's own log position (its prepare position);
	// Commit is its write's (equal for a single-event write; 0 on the way
	// back means Position). Kept as returned: a test that reorders events
	// should swap positions too, or readers will see the feed out of order
	// (which may be what it wants).
	Position uint64
	Commit   uint64
	Type     string
	Data     []byte
	Metadata []byte // the event's user (custom) metadata
	// Created is the server's "created" metadata, in .NET ticks since the
	// Unix epoch (100 ns units), as a string.
	Created string
}

// Tamper rewrites the stored log behind the client's back, as someone with
// write access to a node's disk could: change an event's data, metadata or
// type, drop it, or reorder events. TEST ONLY (integrity tests use it to prove
// that a tampered history is detected); nothing in the service calls it.
//
// fn receives a copy of every stored event in $all order, system events
// included, and returns the new log. Stream revisions are renumbered from the
// returned order. Live subscriptions see only events appended afterwards.
func (s *Server) Tamper(fn func(stored []StoredEvent) []StoredEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := make([]StoredEvent, len(s.log))
	for i, r := range s.log {
		in[i] = StoredEvent{
			ID:       r.id,
			Stream:   r.stream,
			Revision: r.revision,
			Position: r.prepare,
			Commit:   r.commit,
			Type:     r.metadata["type"],
			Data:     append([]byte(nil), r.data...),
			Metadata: append([]byte(nil), r.custom...),
			Created:  r.metadata["created"],
		}
	}
	before := make(map[uuid.UUID]*record, len(s.log))
	for _, r := range s.log {
		before[r.id] = r
	}
	out := fn(in)
	s.log = nil
	s.streams = make(map[string][]int)
	for _, e := range out {
		idx := s.streams[e.Stream]
		var md map[string]string
		if old := before[e.ID]; old != nil {
			md = maps.Clone(old.metadata)
		} else {
			md = map[string]string{"content-type": "application/json", "created": e.Created}
		}
		md["type"] = e.Type
		if e.Created != "" {
			md["created"] = e.Created
		}
		s.streams[e.Stream] = append(idx, len(s.log))
		s.log = append(s.log, &record{
			id:       e.ID,
			stream:   e.Stream,
			revision: uint64(len(idx)),
			commit:   cmp.Or(e.Commit, e.Position),
			prepare:  e.Position,
			metadata: md,
			custom:   e.Metadata,
			data:     e.Data,
		})
		if e.Position >= s.offset {
			s.offset = e.Position + 8
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}
