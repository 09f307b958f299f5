package event

// Root is embedded in aggregates. It tracks the revision loaded from the store
// and the events recorded since, which have already been applied.
//
// Usage in an aggregate:
//
//	type Teacher struct{ event.Root; ... }
//	func (t *Teacher) Apply(e event.Event) { switch e := e.(type) { ... } }
//	func (t *Teacher) Rename(...) error { ...check...; t.Record(t, &Renamed{...}); return nil }
type Root struct {
	version int64 // revision of the last stored event; -1 for a new aggregate
	loaded  bool
	changes []Event
}

// Applier is what an aggregate implements to change its state from an event.
// Apply must not fail: invariants are checked before an event is recorded.
type Applier interface {
	Apply(Event)
}

// Record applies e to a at once (so a second decision in the same command sees
// it) and queues it for appending.
func (r *Root) Record(a Applier, e Event) {
	a.Apply(e)
	r.changes = append(r.changes, e)
}

// Load replays stored history through a.Apply and sets the version.
func (r *Root) Load(a Applier, history []Envelope) {
	for _, env := range history {
		a.Apply(env.Event)
		r.version = int64(env.Revision)
	}
	r.loaded = len(history) > 0
	if !r.loaded {
		r.version = -1
	}
}

// Version is the revision of the last stored event, -1 for a new aggregate.
func (r *Root) Version() int64 {
	if !r.loaded {
		return -1
	}
	return r.version
}

// Changes are the events recorded since loading, in order.
func (r *Root) Changes() []Event { return r.changes }

// MarkSaved clears the recorded changes after a successful append.
func (r *Root) MarkSaved(newVersion uint64) {
	r.changes = nil
	r.version = int64(newVersion)
	r.loaded = true
}
