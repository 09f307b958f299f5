package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/projections"
)

// ErrEmptyTree is returned by Issue before the tree has its first leaf.
var ErrEmptyTree = errors.New("ledger: the Merkle tree has no leaves yet")

// Issuer signs digests of the Merkle projection's tree and appends them to
// the digest stream, chained like every other event.
type Issuer struct {
	Store  eventstore.Store
	Merkle projections.MerkleQueries
	Keys   *KeyRing
	Now    func() time.Time
	Log    *slog.Logger
}

// Issued is a digest as stored.
type Issued struct {
	Digest   *integrity.DigestSigned
	Revision uint64 // in the digest stream; the digest's number
	Position eventstore.Position
	// New is false when the tree had not grown since the last digest, which
	// is then returned instead of a new one.
	New bool
}

// Issue signs the tree's current head, unless the last digest already
// covers it. Concurrent issuers settle on the digest stream's revision.
func (s *Issuer) Issue(ctx context.Context) (Issued, error) {
	keys, err := s.Keys.Get()
	if err != nil {
		return Issued{}, err
	}
	for attempt := 0; ; attempt++ {
		head, err := s.Merkle.Head(ctx)
		if err != nil {
			return Issued{}, err
		}
		if head.Size == 0 {
			return Issued{}, ErrEmptyTree
		}
		last, err := LastDigest(ctx, s.Store)
		if err != nil {
			return Issued{}, err
		}
		expected, prev, rev := eventstore.NoStream(), integrity.Zero, uint64(0)
		if last != nil {
			// Nothing new, or only the last digest itself: signing again
			// would only add digests of digests.
			if last.Digest.TreeSize >= head.Size || head.Position == last.Position {
				return last.Issued, nil
			}
			expected, rev = eventstore.Exact(last.Revision), last.Revision+1
			prev = last.hash
		}
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		at := now().UTC()
		d := integrity.Digest{TreeSize: head.Size, RootHash: head.Root,
			LastPosition: integrity.Position{Commit: head.Position.Commit, Prepare: head.Position.Prepare},
			IssuedAt:     at, KeyID: keys.Set.Current.ID}
		ev := d.Sign(keys.Set.Current.Private)
		data, err := json.Marshal(ev)
		if err != nil {
			return Issued{}, err
		}
		meta, err := json.Marshal(event.Metadata{ActorRole: string(access.RoleSystem), ActorName: "integrity", OccurredAt: at})
		if err != nil {
			return Issued{}, err
		}
		id := uuid.New()
		sealed, _, err := integrity.Seal(prev, id, integrity.DigestStream, rev, ev.EventType(), data, meta)
		if err != nil {
			return Issued{}, err
		}
		res, err := s.Store.Append(ctx, integrity.DigestStream, expected,
			eventstore.EventData{ID: id, Type: ev.EventType(), Data: data, Metadata: sealed})
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) && attempt < 5 {
			continue // another process issued one: look again
		}
		if err != nil {
			return Issued{}, fmt.Errorf("ledger: append digest: %w", err)
		}
		if s.Log != nil {
			s.Log.InfoContext(ctx, "integrity digest signed", "tree_size", head.Size, "root", head.Root.String(), "key_id", d.KeyID)
		}
		return Issued{Digest: ev, Revision: res.NextRevision, Position: res.Position, New: true}, nil
	}
}

// Run issues a digest every interval until ctx ends (interval <= 0: never).
func (s *Issuer) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Issue(ctx); err != nil && !errors.Is(err, ErrEmptyTree) && ctx.Err() == nil && s.Log != nil {
				s.Log.WarnContext(ctx, "integrity digest not issued", "err", err)
			}
		}
	}
}

type storedDigest struct {
	Issued
	hash integrity.Hash
}

// LastDigest reads the newest digest (nil when there is none).
func LastDigest(ctx context.Context, store eventstore.Store) (*storedDigest, error) {
	recs, err := store.ReadStream(ctx, integrity.DigestStream, eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true, Max: 1})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(recs) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read digests: %w", err)
	}
	d, err := decodeDigest(recs[0])
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Digests reads every digest in the store, oldest first.
func Digests(ctx context.Context, store eventstore.Store) ([]Issued, error) {
	recs, err := store.ReadStream(ctx, integrity.DigestStream, eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read digests: %w", err)
	}
	out := make([]Issued, 0, len(recs))
	for _, r := range recs {
		d, err := decodeDigest(r)
		if err != nil {
			return nil, err
		}
		out = append(out, d.Issued)
	}
	return out, nil
}

func decodeDigest(r eventstore.RecordedEvent) (storedDigest, error) {
	var ev integrity.DigestSigned
	if r.Type != ev.EventType() {
		return storedDigest{}, fmt.Errorf("ledger: %s@%d is a %q, not a digest", r.Stream, r.Revision, r.Type)
	}
	if err := json.Unmarshal(r.Data, &ev); err != nil {
		return storedDigest{}, fmt.Errorf("ledger: digest %d: %w", r.Revision, err)
	}
	_, link, _ := integrity.Split(r.Metadata)
	return storedDigest{Issued: Issued{Digest: &ev, Revision: r.Revision, Position: r.Position}, hash: link.Hash}, nil
}
