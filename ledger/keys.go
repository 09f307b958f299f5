// Package ledger makes the event store verifiable without trusting whoever
// runs it: the digest signing keys (kept in DATA_DIR, outside the event
// store and its database), the issuer of signed digests of the Merkle tree
// (projections.MerkleProjection), the verifier that re-reads the whole store
// and checks every stream's hash chain and the tree against the digests, and
// the proofs for one record. The bytes are specified in docs/INTEGRITY.md;
// hashing lives in domain/integrity.
package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/hbte/record/httpapi/sso"
)

// KeyFile is the signing key set's file name in DATA_DIR.
const KeyFile = "integrity-keys.pem"

// Keys is the digest signing key set: the current key signs, previous keys
// (public parts only) still verify older digests.
type Keys struct {
	Set  sso.KeySet
	Path string
}

// LoadKeys reads DATA_DIR/integrity-keys.pem, creating it with a new
// Ed25519 key (mode 0600) when it does not exist.
func LoadKeys(dir string) (*Keys, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("integrity keys: %w", err)
		}
		key, err := sso.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		pem, err := sso.KeySet{Current: key}.MarshalPEM()
		if err != nil {
			return nil, err
		}
		// O_EXCL: of two processes starting at once, one writes the key
		// and the other reads it.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.Write(pem)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("integrity keys: write %s: %w", path, err)
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("integrity keys: %w", err)
		}
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("integrity keys: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("integrity keys: %w", err)
	}
	set, err := sso.ParseKeySetPEM(b)
	if err != nil {
		return nil, fmt.Errorf("integrity keys %s: %w", path, err)
	}
	return &Keys{Set: set, Path: path}, nil
}

// RotateKeys makes a new current key in DATA_DIR's key file and keeps the
// previous keys' public parts (all of them: old digests stay verifiable).
// Running processes pick the new key up when restarted.
func RotateKeys(dir string) (*Keys, error) {
	k, err := LoadKeys(dir)
	if err != nil {
		return nil, err
	}
	next, err := sso.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	set := k.Set.Rotate(next, len(k.Set.Previous)+1)
	pem, err := set.MarshalPEM()
	if err != nil {
		return nil, err
	}
	tmp := k.Path + ".tmp"
	if err := os.WriteFile(tmp, pem, 0o600); err != nil {
		return nil, fmt.Errorf("integrity keys: %w", err)
	}
	if err := os.Rename(tmp, k.Path); err != nil {
		return nil, fmt.Errorf("integrity keys: %w", err)
	}
	return &Keys{Set: set, Path: k.Path}, nil
}

// Public maps every key id of the set to its public key.
func (k *Keys) Public() map[string]ed25519.PublicKey {
	out := map[string]ed25519.PublicKey{k.Set.Current.ID: k.Set.Current.Public}
	for _, p := range k.Set.Previous {
		out[p.ID] = p.Public
	}
	return out
}

// KeyRing loads the key set from Dir at first use, so a process that never
// signs or checks digests never touches DATA_DIR.
type KeyRing struct {
	Dir string

	mu   sync.Mutex
	keys *Keys
}

// FixedKeys is a ring holding k.
func FixedKeys(k *Keys) *KeyRing { return &KeyRing{keys: k} }

// Get returns the key set, loading (or creating) it on first use.
func (r *KeyRing) Get() (*Keys, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		k, err := LoadKeys(r.Dir)
		if err != nil {
			return nil, err
		}
		r.keys = k
	}
	return r.keys, nil
}
