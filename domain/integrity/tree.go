package integrity

// Frontier folds leaves into an RFC 6962 Merkle tree in O(log n) memory:
// it keeps the roots of the perfect subtrees that make up the tree so far,
// left to right (a "compact range"). The verifier uses it to recompute the
// root of a whole store in one pass.
type Frontier struct {
	size  uint64
	roots []Hash // roots[i] covers 2^k leaves, sizes decreasing
}

// Size is the number of leaves folded in.
func (f *Frontier) Size() uint64 { return f.size }

// Append adds a leaf hash.
func (f *Frontier) Append(leaf Hash) {
	f.roots = append(f.roots, leaf)
	f.size++
	// Each trailing zero bit of the new size closes one perfect subtree.
	for n := f.size; n&1 == 0; n >>= 1 {
		k := len(f.roots)
		f.roots[k-2] = NodeHash(f.roots[k-2], f.roots[k-1])
		f.roots = f.roots[:k-1]
	}
}

// Root is the RFC 6962 tree hash of the leaves so far.
func (f *Frontier) Root() Hash {
	if f.size == 0 {
		return EmptyRoot
	}
	h := f.roots[len(f.roots)-1]
	for i := len(f.roots) - 2; i >= 0; i-- {
		h = NodeHash(f.roots[i], h)
	}
	return h
}
