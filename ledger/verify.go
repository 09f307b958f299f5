package ledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/projections"
)

// Problem kinds, as the report names them.
const (
	// The event's bytes differ from what its chain hash covers.
	KindHashMismatch = "hash_mismatch"
	// The event's "prev" is not the previous event's hash.
	KindChainBroken = "chain_broken"
	// A stream's revisions are not consecutive: an event was removed or
	// moved.
	KindRevisionGap = "revision_gap"
	// An event without a chain where one is required (after the genesis
	// digest, or after a chained event of its stream).
	KindUnchained = "unchained"
	// A leaf recomputed from the store differs from the tree's stored leaf.
	KindLeafMismatch = "leaf_mismatch"
	// The store's Merkle root at a digest's size differs from the signed one.
	KindRootMismatch = "root_mismatch"
	// The store has fewer events than a digest (or the tree) covers.
	KindMissingEvents = "missing_events"
	// A digest's signature does not verify, or its key is unknown.
	KindDigestSignature = "digest_signature"
)

// Problem is one finding, located as exactly as the evidence allows.
type Problem struct {
	Kind     string               `json:"kind"`
	Stream   string               `json:"stream,omitempty"`
	Revision *uint64              `json:"revision,omitempty"`
	Position *eventstore.Position `json:"position,omitempty"`
	Leaf     *uint64              `json:"leaf,omitempty"`
	EventID  *uuid.UUID           `json:"event_id,omitempty"`
	Detail   string               `json:"detail"`
}

func (p Problem) String() string {
	s := p.Kind
	if p.Stream != "" {
		s += " " + p.Stream
		if p.Revision != nil {
			s += fmt.Sprintf("@%d", *p.Revision)
		}
	}
	if p.Position != nil {
		s += " at " + p.Position.String()
	}
	if p.Leaf != nil {
		s += fmt.Sprintf(" (leaf %d)", *p.Leaf)
	}
	return s + ": " + p.Detail
}

// Report is the outcome of a verification.
type Report struct {
	OK        bool  `json:"ok"`
	Events    int64 `json:"events"`
	Streams   int   `json:"streams"`
	Chained   int64 `json:"chained"`
	Unchained int64 `json:"unchained"`
	Digests   int   `json:"digests"`
	// DigestsChecked counts the signed roots the store's tree was compared with.
	DigestsChecked int `json:"digests_checked"`
	// GenesisSize is the first digest's tree size: events before it may
	// predate chains.
	GenesisSize uint64 `json:"genesis_size"`
	// TreeSize is the Merkle projection's size, TreeAuthentic whether its
	// stored hashes reproduce the newest signed root they cover (then a
	// leaf_mismatch names the event exactly).
	TreeSize      uint64    `json:"tree_size"`
	TreeAuthentic bool      `json:"tree_authentic"`
	Root          string    `json:"root"`
	First         *Problem  `json:"first_problem,omitempty"`
	Problems      []Problem `json:"problems"`
	Truncated     bool      `json:"problems_truncated,omitempty"`
	Seconds       float64   `json:"seconds"`
}

// Verifier re-reads a store and checks it.
type Verifier struct {
	Store eventstore.Store
	// Merkle is the tree projection; nil skips the leaf-by-leaf comparison
	// (the signed roots are still checked).
	Merkle *projections.MerkleQueries
	// Keys are the public keys digests may be signed with.
	Keys map[string]ed25519.PublicKey
	// External are digests kept outside the store (exported by the
	// auditor), checked besides those in the store.
	External []*integrity.DigestSigned
	// Batch is how many events one read asks for (default 2000).
	Batch int
	// MaxProblems caps the report (default 100).
	MaxProblems int
}

type streamState struct {
	next    uint64
	last    integrity.Hash
	chained bool
}

type digestCheck struct {
	d      integrity.Digest
	source string
}

// Verify reads the whole store once. It returns an error only when the
// store or database cannot be read; what it finds is in the report.
func (v *Verifier) Verify(ctx context.Context) (*Report, error) {
	start := time.Now()
	rep := &Report{Problems: []Problem{}}
	maxP := v.MaxProblems
	if maxP <= 0 {
		maxP = 100
	}
	add := func(p Problem) {
		if len(rep.Problems) >= maxP {
			rep.Truncated = true
			return
		}
		rep.Problems = append(rep.Problems, p)
	}

	// The digests: those in the store, then the external ones.
	stored, err := Digests(ctx, v.Store)
	if err != nil {
		return nil, err
	}
	var checks []digestCheck
	consider := func(ev *integrity.DigestSigned, source string, at *eventstore.Position, rev *uint64) {
		if err := ev.Verify(v.Keys); err != nil {
			p := Problem{Kind: KindDigestSignature, Position: at, Revision: rev, Detail: source + ": " + err.Error()}
			if rev != nil {
				p.Stream = integrity.DigestStream
			}
			add(p)
			return
		}
		d, _ := ev.Digest()
		checks = append(checks, digestCheck{d: d, source: source})
	}
	for _, s := range stored {
		pos, rev := s.Position, s.Revision
		consider(s.Digest, fmt.Sprintf("digest %d in the store", s.Revision), &pos, &rev)
	}
	for i, ev := range v.External {
		consider(ev, fmt.Sprintf("external digest %d", i), nil, nil)
	}
	rep.Digests = len(stored) + len(v.External)
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].d.TreeSize < checks[j].d.TreeSize })
	if len(checks) > 0 {
		rep.GenesisSize = checks[0].d.TreeSize
		for _, c := range checks {
			rep.GenesisSize = min(rep.GenesisSize, c.d.TreeSize)
		}
	}

	var head projections.TreeHead
	if v.Merkle != nil {
		if head, err = v.Merkle.Head(ctx); err != nil {
			return nil, err
		}
		rep.TreeSize = head.Size
	}

	batch := v.Batch
	if batch <= 0 {
		batch = 2000
	}
	streams := map[string]*streamState{}
	var tree integrity.Frontier
	var firstLeafDiff *Problem
	next := 0 // next digest check
	from := eventstore.Start
	for {
		recs, err := v.Store.ReadAll(ctx, from, batch)
		if err != nil {
			return nil, fmt.Errorf("verify: read feed after %s: %w", from, err)
		}
		if len(recs) == 0 {
			break
		}
		var stored []integrity.Hash
		if v.Merkle != nil && tree.Size() < head.Size {
			n := int(min(uint64(len(recs)), head.Size-tree.Size()))
			if stored, err = v.Merkle.LeafHashes(ctx, tree.Size(), n); err != nil {
				return nil, err
			}
		}
		for k, r := range recs {
			leaf := tree.Size()
			pos, rev, id := r.Position, r.Revision, r.ID
			at := func(kind, detail string) Problem {
				return Problem{Kind: kind, Stream: r.Stream, Revision: &rev, Position: &pos, Leaf: &leaf, EventID: &id, Detail: detail}
			}
			e := integrity.Compute(integrity.Event{ID: r.ID, Stream: r.Stream, Revision: r.Revision, Type: r.Type, Data: r.Data, Metadata: r.Metadata})
			st := streams[r.Stream]
			if st == nil {
				st = &streamState{}
				streams[r.Stream] = st
			}
			if r.Revision != st.next {
				detail := fmt.Sprintf("revision %d follows revision %d: ", r.Revision, int64(st.next)-1)
				if r.Revision > st.next {
					detail += fmt.Sprintf("revisions %d to %d are missing", st.next, r.Revision-1)
				} else {
					detail += "revisions out of order"
				}
				add(at(KindRevisionGap, detail))
			}
			if e.Chained {
				rep.Chained++
				if !e.Valid() {
					add(at(KindHashMismatch, fmt.Sprintf("the stored chain hash is %s but the event's bytes (id, stream, revision, type, data, metadata) hash to %s: the event was altered", e.Link.Hash, e.Hash)))
				}
				want := integrity.Zero
				if st.chained && r.Revision == st.next && r.Revision > 0 {
					want = st.last
				}
				if e.Link.Prev != want && r.Revision == st.next {
					add(at(KindChainBroken, fmt.Sprintf("prev is %s, the previous event of the stream has %s", e.Link.Prev, want)))
				}
				st.last, st.chained = e.Link.Hash, true
			} else {
				rep.Unchained++
				switch {
				case st.chained:
					add(at(KindUnchained, "an event without a chain after chained events of its stream: its metadata was altered"))
				case len(checks) > 0 && leaf >= rep.GenesisSize:
					add(at(KindUnchained, fmt.Sprintf("an event without a chain after the genesis digest (size %d): written around the service, or its metadata altered", rep.GenesisSize)))
				}
				st.last = integrity.Zero
			}
			st.next = r.Revision + 1
			lh := integrity.LeafHash(integrity.LeafInput(e, r.RecordedAt))
			if k < len(stored) && stored[k] != lh && firstLeafDiff == nil {
				p := at(KindLeafMismatch, "this event's leaf differs from the tree's stored leaf")
				if ls, err := v.Merkle.LeavesFrom(ctx, leaf, 1); err == nil && len(ls) == 1 {
					l := ls[0]
					if l.EventID != r.ID {
						p.Detail = fmt.Sprintf("the tree's leaf %d is event %s (%s@%d at %s); the store has this event there instead: events removed, inserted or reordered", leaf, l.EventID, l.Stream, l.Revision, l.Position)
					} else {
						p.Detail = fmt.Sprintf("the tree's leaf %d is this event with other bytes or recorded time: the event was altered after the tree took it", leaf)
					}
				}
				firstLeafDiff = &p
			}
			tree.Append(lh)
			for next < len(checks) && checks[next].d.TreeSize == tree.Size() {
				c := checks[next]
				if root := tree.Root(); root != c.d.RootHash {
					add(Problem{Kind: KindRootMismatch, Leaf: &leaf, Detail: fmt.Sprintf("%s signs root %s for the first %d events; the store gives %s",
						c.source, c.d.RootHash, c.d.TreeSize, root)})
				}
				rep.DigestsChecked++
				next++
			}
			from = r.Position
		}
		rep.Events = int64(tree.Size())
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	rep.Streams = len(streams)
	rep.Root = tree.Root().String()

	// Digests beyond the end of the store: events removed at the tail.
	n := tree.Size()
	for ; next < len(checks); next++ {
		c := checks[next]
		p := Problem{Kind: KindMissingEvents, Leaf: &n, Detail: fmt.Sprintf("%s covers %d events; the store has %d", c.source, c.d.TreeSize, n)}
		v.nameLeaf(ctx, &p, n)
		add(p)
	}
	if v.Merkle != nil {
		if head.Size > n {
			p := Problem{Kind: KindMissingEvents, Leaf: &n, Detail: fmt.Sprintf("the tree has %d leaves; the store has %d events", head.Size, n)}
			v.nameLeaf(ctx, &p, n)
			add(p)
		}
		// Is the stored tree the one that was signed? Then its leaves name
		// the first difference exactly.
		for i := len(checks) - 1; i >= 0; i-- {
			if checks[i].d.TreeSize <= head.Size {
				root, err := v.Merkle.RootAt(ctx, checks[i].d.TreeSize)
				if err != nil && !errors.Is(err, context.Canceled) {
					break
				}
				rep.TreeAuthentic = err == nil && root == checks[i].d.RootHash
				break
			}
		}
		if firstLeafDiff != nil {
			if rep.TreeAuthentic {
				firstLeafDiff.Detail += " (the tree's stored hashes reproduce the newest signed root, so its leaf is the original)"
			}
			add(*firstLeafDiff)
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return leafOf(rep.Problems[i]) < leafOf(rep.Problems[j]) })
	rep.OK = len(rep.Problems) == 0
	if !rep.OK {
		rep.First = &rep.Problems[0]
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func leafOf(p Problem) uint64 {
	if p.Leaf == nil {
		return 0 // digests themselves first
	}
	return *p.Leaf
}

// nameLeaf adds the tree's record of leaf i (the event that is missing).
func (v *Verifier) nameLeaf(ctx context.Context, p *Problem, i uint64) {
	if v.Merkle == nil {
		return
	}
	ls, err := v.Merkle.LeavesFrom(ctx, i, 1)
	if err != nil || len(ls) != 1 {
		return
	}
	l := ls[0]
	rev, pos, id := l.Revision, l.Position, l.EventID
	p.Stream, p.Revision, p.Position, p.EventID = l.Stream, &rev, &pos, &id
	p.Detail += fmt.Sprintf("; the first missing event is %s@%d (%s)", l.Stream, l.Revision, l.EventID)
}
