package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
)

// The hash chain (docs/INTEGRITY.md): every event this service appends
// carries in its metadata the chain hash of its stream's previous event and
// its own, computed over its canonical bytes. The repository has the
// previous hash in hand, because it loaded the stream to decide; an event
// stored before chains began has none, and the next event links to zero.

// sealEvents encodes changes as the events that follow revision version
// (-1: a new stream) of stream, each with metadata meta sealed into the
// chain after prev. With personal set, the events' personal fields are
// sealed first: the chain covers the ciphertext.
func sealEvents(ctx context.Context, reg *event.Registry, personal PersonalData, stream string, version int64, prev integrity.Hash, meta []byte,
	changes []event.Event, id func(int) uuid.UUID) ([]eventstore.EventData, error) {
	data := make([]eventstore.EventData, len(changes))
	for i, c := range changes {
		name, body, err := reg.Encode(c)
		if err != nil {
			return nil, err
		}
		if personal != nil {
			if body, err = personal.Seal(ctx, stream, name, body); err != nil {
				return nil, fmt.Errorf("seal personal data of %s: %w", stream, err)
			}
		}
		evID := id(i)
		rev := uint64(version + 1 + int64(i))
		sealed, h, err := integrity.Seal(prev, evID, stream, rev, name, body, meta)
		if err != nil {
			return nil, fmt.Errorf("seal %s@%d: %w", stream, rev, err)
		}
		data[i] = eventstore.EventData{ID: evID, Type: name, Data: body, Metadata: sealed}
		prev = h
	}
	return data, nil
}

// historyHash is the chain hash of a loaded history's last event: zero for
// an empty stream or an event stored before chains began.
func historyHash(h []event.Envelope) integrity.Hash {
	if len(h) == 0 {
		return integrity.Zero
	}
	return chainHash(h[len(h)-1].Metadata)
}

func chainHash(md event.Metadata) integrity.Hash {
	if md.Chain == nil {
		return integrity.Zero
	}
	// A malformed stored hash is not the writer's to judge: the new event
	// links to zero and the verifier reports the broken link.
	hash, err := integrity.ParseHash(md.Chain.Hash)
	if err != nil {
		return integrity.Zero
	}
	return hash
}

// TailHash reads the chain hash of stream's last event (zero when the
// stream is empty or its last event has no chain).
func TailHash(ctx context.Context, store eventstore.Store, stream string) (integrity.Hash, error) {
	last, err := store.ReadStream(ctx, stream, eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true, Max: 1})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(last) == 0) {
		return integrity.Zero, nil
	}
	if err != nil {
		return integrity.Zero, fmt.Errorf("read %s: %w", stream, err)
	}
	return RecordedHash(last[0]), nil
}

// RecordedHash is the chain hash a stored event carries (zero without one).
func RecordedHash(rec eventstore.RecordedEvent) integrity.Hash {
	_, link, ok := integrity.Split(rec.Metadata)
	if !ok {
		return integrity.Zero
	}
	return link.Hash
}
