package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
)

// MerkleProjection folds the global feed into an append-only Merkle tree
// (RFC 6962 hashing, domain/integrity's leaves; stored as tlog numbers its
// hashes), the tree that signed digests and proofs are about.
//
// Every event of the feed is a leaf, in feed order, whatever its type: the
// runner hands Apply only the events its registry knows, so Apply reads
// the raw events from the store itself, from the tree's last leaf up to the
// event it is given, and adds them all. Within one transaction it keeps what
// it read ahead and the hashes it computed, so a batch of events costs
// about one read of the feed, and writes the new leaves, hashes and head
// once, when the runner flushes the transaction (Flusher).
type MerkleProjection struct {
	Store eventstore.Store
	// ReadAhead is how many events one read of the feed asks for (default 500).
	ReadAhead int

	mu    sync.Mutex
	cache *merkleTx
}

// merkleTx is the projection's view of the tree within one transaction.
type merkleTx struct {
	ctx     context.Context
	tx      pgx.Tx
	size    int64
	pos     eventstore.Position
	hashes  map[int64]tlog.Hash // read or written in this transaction
	covered map[leafKey]bool    // events added in this transaction
	ahead   []eventstore.RecordedEvent
	// Leaves and hashes added but not written yet, and the head they
	// lead to: written together (flush), so the stored tree is always
	// whole.
	leafRows, hashRows [][]any
	stored             int64 // size of the stored tree
}

type leafKey struct {
	stream   string
	revision uint64
}

const merkleName = "integrity_merkle"

func (*MerkleProjection) Name() string { return merkleName }
func (*MerkleProjection) Tables() []string {
	return []string{"merkle_leaves", "merkle_hashes", "merkle_state"}
}

// ReadIndexes: the first event of each transaction is looked up by
// stream and revision (is it in the tree already?).
func (*MerkleProjection) ReadIndexes() []string { return []string{"merkle_leaves_stream"} }

func (p *MerkleProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.apply(ctx, tx, env); err != nil {
		p.cache = nil // the transaction will be rolled back
		return fmt.Errorf("merkle tree: %w", err)
	}
	return nil
}

func (p *MerkleProjection) apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	tx = baseTx(tx) // one tree state per transaction, however the runner wraps it
	key := leafKey{env.Stream, env.Revision}
	c := p.cache
	if c == nil || c.tx != tx {
		var err error
		if c, err = loadMerkleTx(ctx, tx); err != nil {
			return err
		}
		p.cache = c
		var seen bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM merkle_leaves WHERE stream = $1 AND revision = $2)`,
			env.Stream, int64(env.Revision)).Scan(&seen); err != nil {
			return err
		}
		if seen {
			return nil
		}
	}
	if c.covered[key] {
		return nil
	}
	c.ctx = ctx
	batch := p.ReadAhead
	if batch <= 0 {
		batch = 500
	}
	for {
		if len(c.ahead) == 0 {
			recs, err := p.Store.ReadAll(ctx, c.pos, batch)
			if err != nil {
				return fmt.Errorf("read feed after %s: %w", c.pos, err)
			}
			if len(recs) == 0 {
				return fmt.Errorf("%s@%d is not in the feed after the tree's last leaf (%s)", env.Stream, env.Revision, c.pos)
			}
			c.ahead = recs
		}
		n := len(c.ahead)
		for i, r := range c.ahead {
			if r.Stream == env.Stream && r.Revision == env.Revision {
				n = i + 1
				break
			}
		}
		if err := c.add(c.ahead[:n]); err != nil {
			return err
		}
		c.ahead = c.ahead[n:]
		if c.covered[key] {
			return nil
		}
	}
}

// Flush writes what tx's events added to the tree: the runner calls it
// before it stores the checkpoint and commits, so the stored tree always
// reaches the checkpoint (read-your-writes holds for digests and proofs
// too).
func (p *MerkleProjection) Flush(ctx context.Context, tx pgx.Tx) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	tx = baseTx(tx)
	c := p.cache
	if c == nil || c.tx != tx {
		return nil
	}
	c.ctx = ctx
	if err := c.flush(ctx); err != nil {
		p.cache = nil
		return fmt.Errorf("merkle tree: %w", err)
	}
	return nil
}

func loadMerkleTx(ctx context.Context, tx pgx.Tx) (*merkleTx, error) {
	c := &merkleTx{tx: tx, hashes: map[int64]tlog.Hash{}, covered: map[leafKey]bool{}}
	var commit, prepare int64
	err := tx.QueryRow(ctx, `SELECT size, pos_commit, pos_prepare FROM merkle_state WHERE id = 1`).Scan(&c.size, &commit, &prepare)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	c.pos = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
	c.stored = c.size
	return c, nil
}

// ReadHashes implements tlog.HashReader over this transaction's hashes and
// the stored ones.
func (c *merkleTx) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(c.ctx, c.tx, c.hashes, indexes)
}

func readHashes(ctx context.Context, db rowsQuerier, cache map[int64]tlog.Hash, indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, i := range indexes {
		if _, ok := cache[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		rows, err := db.Query(ctx, `SELECT idx, hash FROM merkle_hashes WHERE idx = ANY($1)`, missing)
		if err != nil {
			return nil, fmt.Errorf("read tree hashes: %w", err)
		}
		found := map[int64]tlog.Hash{}
		for rows.Next() {
			var i int64
			var b []byte
			if err := rows.Scan(&i, &b); err != nil {
				rows.Close()
				return nil, err
			}
			var h tlog.Hash
			copy(h[:], b)
			found[i] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, i := range missing {
			h, ok := found[i]
			if !ok {
				return nil, fmt.Errorf("tree hash %d is missing", i)
			}
			if cache != nil {
				cache[i] = h
			}
		}
		if cache == nil {
			cache = found
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		out[k] = cache[i]
	}
	return out, nil
}

// add appends recs as the next leaves, in memory.
func (c *merkleTx) add(recs []eventstore.RecordedEvent) error {
	for _, r := range recs {
		e := integrity.Compute(integrity.Event{ID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type, Data: r.Data, Metadata: r.Metadata})
		leaf := integrity.LeafHash(integrity.LeafInput(e, r.RecordedAt))
		hs, err := tlog.StoredHashesForRecordHash(c.size, tlog.Hash(leaf), c)
		if err != nil {
			return fmt.Errorf("leaf %d: %w", c.size, err)
		}
		base := tlog.StoredHashIndex(0, c.size)
		for k, h := range hs {
			c.hashes[base+int64(k)] = h
			c.hashRows = append(c.hashRows, []any{base + int64(k), h[:]})
		}
		c.leafRows = append(c.leafRows, []any{c.size, r.Stream, int64(r.Revision), r.ID, int64(r.Position.Commit), int64(r.Position.Prepare)})
		c.covered[leafKey{r.Stream, r.Revision}] = true
		c.size++
		c.pos = r.Position
	}
	return nil
}

// flush writes the leaves added and the new head: after a few events (the
// live path) in one round trip, after many with COPY.
func (c *merkleTx) flush(ctx context.Context) error {
	if c.size == c.stored {
		return nil
	}
	root, err := tlog.TreeHash(c.size, c)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	b := &pgx.Batch{}
	if len(c.leafRows) > 64 {
		if _, err := c.tx.CopyFrom(ctx, pgx.Identifier{"merkle_leaves"},
			[]string{"idx", "stream", "revision", "event_id", "pos_commit", "pos_prepare"}, pgx.CopyFromRows(c.leafRows)); err != nil {
			return fmt.Errorf("store leaves: %w", err)
		}
		if _, err := c.tx.CopyFrom(ctx, pgx.Identifier{"merkle_hashes"}, []string{"idx", "hash"}, pgx.CopyFromRows(c.hashRows)); err != nil {
			return fmt.Errorf("store tree hashes: %w", err)
		}
	} else {
		cols := make([][]any, 6)
		for _, r := range c.leafRows {
			for i := range cols {
				cols[i] = append(cols[i], r[i])
			}
		}
		b.Queue(`INSERT INTO merkle_leaves (idx, stream, revision, event_id, pos_commit, pos_prepare)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::bigint[], $6::bigint[])`,
			cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
		var hidx, hval []any
		for _, r := range c.hashRows {
			hidx, hval = append(hidx, r[0]), append(hval, r[1])
		}
		b.Queue(`INSERT INTO merkle_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, hidx, hval)
	}
	b.Queue(`INSERT INTO merkle_state (id, size, root, pos_commit, pos_prepare) VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET size = $1, root = $2, pos_commit = $3, pos_prepare = $4`,
		c.size, root[:], int64(c.pos.Commit), int64(c.pos.Prepare))
	if err := c.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("store tree: %w", err)
	}
	c.leafRows, c.hashRows = c.leafRows[:0], c.hashRows[:0]
	c.stored = c.size
	return nil
}

// MerkleQueries reads the tree for digests, proofs and the verifier.
type MerkleQueries struct{ DB *pgxpool.Pool }

// TreeHead is the tree's current size, root and last leaf's position.
type TreeHead struct {
	Size     uint64
	Root     integrity.Hash
	Position eventstore.Position
}

// Head returns the tree's head (size 0 before the first leaf).
func (q MerkleQueries) Head(ctx context.Context) (TreeHead, error) {
	var h TreeHead
	var size, commit, prepare int64
	var root []byte
	err := q.DB.QueryRow(ctx, `SELECT size, root, pos_commit, pos_prepare FROM merkle_state WHERE id = 1`).Scan(&size, &root, &commit, &prepare)
	if errors.Is(err, pgx.ErrNoRows) {
		return TreeHead{Root: integrity.EmptyRoot}, nil
	}
	if err != nil {
		return h, fmt.Errorf("merkle head: %w", err)
	}
	h.Size = uint64(size)
	copy(h.Root[:], root)
	h.Position = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
	return h, nil
}

func (q MerkleQueries) reader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return readHashes(ctx, q.DB, nil, idx) })
}

// RootAt recomputes the root of the first size leaves from the stored hashes.
func (q MerkleQueries) RootAt(ctx context.Context, size uint64) (integrity.Hash, error) {
	h, err := tlog.TreeHash(int64(size), q.reader(ctx))
	return integrity.Hash(h), err
}

// InclusionProof is the RFC 6962 audit path of leaf in the tree of size.
func (q MerkleQueries) InclusionProof(ctx context.Context, size, leaf uint64) ([]integrity.Hash, error) {
	p, err := tlog.ProveRecord(int64(size), int64(leaf), q.reader(ctx))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of leaf %d in %d: %w", leaf, size, err)
	}
	return hashes(p), nil
}

// ConsistencyProof is the RFC 6962 consistency proof from the tree of size
// from to the tree of size to.
func (q MerkleQueries) ConsistencyProof(ctx context.Context, from, to uint64) ([]integrity.Hash, error) {
	p, err := tlog.ProveTree(int64(to), int64(from), q.reader(ctx))
	if err != nil {
		return nil, fmt.Errorf("consistency proof %d to %d: %w", from, to, err)
	}
	return hashes(p), nil
}

func hashes[T ~[]tlog.Hash](p T) []integrity.Hash {
	out := make([]integrity.Hash, len(p))
	for i, h := range p {
		out[i] = integrity.Hash(h)
	}
	return out
}

// Leaf is one leaf's event.
type Leaf struct {
	Index    uint64
	Stream   string
	Revision uint64
	EventID  uuid.UUID
	Position eventstore.Position
}

// LeavesOf lists the leaves of one stream's events, by revision.
func (q MerkleQueries) LeavesOf(ctx context.Context, stream string) ([]Leaf, error) {
	return q.leaves(ctx, `SELECT idx, stream, revision, event_id, pos_commit, pos_prepare FROM merkle_leaves WHERE stream = $1 ORDER BY revision, idx`, stream)
}

// LeavesFrom lists at most limit leaves from index from, in order.
func (q MerkleQueries) LeavesFrom(ctx context.Context, from uint64, limit int) ([]Leaf, error) {
	return q.leaves(ctx, `SELECT idx, stream, revision, event_id, pos_commit, pos_prepare FROM merkle_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2`, int64(from), limit)
}

func (q MerkleQueries) leaves(ctx context.Context, sql string, args ...any) ([]Leaf, error) {
	rows, err := q.DB.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("merkle leaves: %w", err)
	}
	defer rows.Close()
	var out []Leaf
	for rows.Next() {
		var l Leaf
		var idx, rev, commit, prepare int64
		if err := rows.Scan(&idx, &l.Stream, &rev, &l.EventID, &commit, &prepare); err != nil {
			return nil, err
		}
		l.Index, l.Revision = uint64(idx), uint64(rev)
		l.Position = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LeafHashes returns the stored leaf hashes of leaves [from, from+n).
func (q MerkleQueries) LeafHashes(ctx context.Context, from uint64, n int) ([]integrity.Hash, error) {
	idx := make([]int64, n)
	for i := range idx {
		idx[i] = tlog.StoredHashIndex(0, int64(from)+int64(i))
	}
	hs, err := readHashes(ctx, q.DB, nil, idx)
	if err != nil {
		return nil, err
	}
	return hashes(hs), nil
}
