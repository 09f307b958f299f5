package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// identityStream holds the store's identity: one event, written by the first
// Identity call. Its name has no "$" (system streams need admin rights) and
// no "-" (so it is no "<category>-<id>" stream of the service); it lives in
// the store's namespace, so each namespace is a store of its own, and the
// global feed leaves it out (feedStream).
const (
	identityStream = "store_identity"
	identityType   = "store.identity"
)

type identityData struct {
	ID      uuid.UUID `json:"id"`
	Created time.Time `json:"created"`
}

// Identity implements eventstore.Store.
func (s *Store) Identity(ctx context.Context) (eventstore.Identity, error) {
	id, err := s.readIdentity(ctx)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		data, _ := json.Marshal(identityData{ID: uuid.New(), Created: time.Now().UTC()})
		_, err = s.Append(ctx, identityStream, eventstore.NoStream(),
			eventstore.EventData{ID: uuid.New(), Type: identityType, Data: data, Metadata: []byte(`{}`)})
		if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			return eventstore.Identity{}, fmt.Errorf("esdb: store identity: %w", err)
		}
		// Written now, or by a concurrent first call: the stream's first
		// event is the identity either way.
		id, err = s.readIdentity(ctx)
	}
	if err != nil {
		return eventstore.Identity{}, fmt.Errorf("esdb: store identity: %w", err)
	}
	return eventstore.Identity{ID: id, Kind: eventstore.KindEventStore}, nil
}

func (s *Store) readIdentity(ctx context.Context) (uuid.UUID, error) {
	evs, err := s.ReadStream(ctx, identityStream, eventstore.ReadOptions{Max: 1})
	if err != nil {
		return uuid.Nil, err
	}
	if len(evs) == 0 {
		return uuid.Nil, &eventstore.StreamNotFoundError{Stream: identityStream}
	}
	var d identityData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil || evs[0].Type != identityType || d.ID == uuid.Nil {
		return uuid.Nil, fmt.Errorf("stream %s holds no identity (event type %q)", identityStream, evs[0].Type)
	}
	return d.ID, nil
}
