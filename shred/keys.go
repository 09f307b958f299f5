// Package shred is the crypto-shredding of personal data (docs/INTEGRITY.md
// section 6): the personal fields of a teacher's events (and of accounts'
// events) are sealed with a data key of their own subject (AES-256-GCM),
// stored wrapped by a master key kept in DATA_DIR, outside the event store
// and its database. Destroying a subject's data key erases its personal
// fields from every event that holds them, while the events, their hashes
// and every count built from them stay.
//
// It is a top-level package because it belongs to none of the layers: the
// command side seals on append and opens on load, the projections open on
// decode, and the binary rotates the master key; domain/ stays pure.
package shred

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// MasterKeyFile is the master key set's file name in DATA_DIR.
const MasterKeyFile = "personal-data-master.pem"

const pemType = "PERSONAL DATA MASTER KEY"

// masterKey is one AES-256 key with its id (the first 16 hex digits of
// the SHA-256 of its bytes).
type masterKey struct {
	id   string
	aead cipher.AEAD
}

// KeyRing is the master key set in DATA_DIR: the first key in the file
// wraps new data keys, every key in it unwraps. It reads the file at first
// use and again when a wrapped key names an id it does not hold (another
// instance rotated).
type KeyRing struct {
	Dir string

	mu    sync.Mutex
	keys  []masterKey
	stamp fileStamp // of the file as last read
}

// fileStamp tells a rewritten key file from the one read.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}
}

func keyID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("hbte-record personal data master key\x00"), raw...))
	return hex.EncodeToString(sum[:8])
}

func newMasterKey(raw []byte) (masterKey, error) {
	b, err := aes.NewCipher(raw)
	if err != nil {
		return masterKey{}, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return masterKey{}, err
	}
	return masterKey{id: keyID(raw), aead: g}, nil
}

func readKeyFile(path string) ([]masterKey, [][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var keys []masterKey
	var raws [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != pemType || len(blk.Bytes) != 32 {
			return nil, nil, fmt.Errorf("%s: not a %s of 32 bytes", path, pemType)
		}
		k, err := newMasterKey(blk.Bytes)
		if err != nil {
			return nil, nil, err
		}
		if id := blk.Headers["Key-Id"]; id != "" && id != k.id {
			return nil, nil, fmt.Errorf("%s: key id %s does not match its key", path, id)
		}
		keys, raws = append(keys, k), append(raws, blk.Bytes)
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("%s: no master key", path)
	}
	return keys, raws, nil
}

func writeKeyFile(path string, raws [][]byte, excl bool) error {
	var out []byte
	for _, raw := range raws {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemType, Headers: map[string]string{"Key-Id": keyID(raw)}, Bytes: raw})...)
	}
	if excl {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(out)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// load reads the file, creating it with a new key when it does not exist.
func (k *KeyRing) load() error {
	path := filepath.Join(k.Dir, MasterKeyFile)
	keys, _, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(k.Dir, 0o700); err != nil {
			return fmt.Errorf("master key: %w", err)
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return fmt.Errorf("master key: %w", err)
		}
		// O_EXCL: of two processes starting at once, one writes the key.
		if err := writeKeyFile(path, [][]byte{raw}, true); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("master key: %w", err)
		}
		keys, _, err = readKeyFile(path)
	}
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	k.keys, k.stamp = keys, stampOf(path)
	return nil
}

// current is the key that wraps new data keys: the file's first. The file
// is read again when it changed (a rotation by another process), so new
// data keys are wrapped by the new key from then on.
func (k *KeyRing) current() (masterKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil || stampOf(filepath.Join(k.Dir, MasterKeyFile)) != k.stamp {
		if err := k.load(); err != nil {
			return masterKey{}, err
		}
	}
	return k.keys[0], nil
}

// byID finds a key, re-reading the file once when it is not held.
func (k *KeyRing) byID(id string) (masterKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		if k.keys == nil || attempt == 1 {
			if err := k.load(); err != nil {
				return masterKey{}, err
			}
		}
		for _, m := range k.keys {
			if m.id == id {
				return m, nil
			}
		}
	}
	return masterKey{}, fmt.Errorf("master key %s: not in %s", id, filepath.Join(k.Dir, MasterKeyFile))
}

// CurrentID is the id of the key that wraps new data keys.
func (k *KeyRing) CurrentID() (string, error) {
	m, err := k.current()
	return m.id, err
}

// addKey puts a new key first in the file (the old ones stay, so both
// unwrap until every data key is rewrapped) and returns its id.
func (k *KeyRing) addKey() (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.load(); err != nil {
		return "", err
	}
	path := filepath.Join(k.Dir, MasterKeyFile)
	_, raws, err := readKeyFile(path)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	if err := writeKeyFile(path, append([][]byte{raw}, raws...), false); err != nil {
		return "", fmt.Errorf("master key: %w", err)
	}
	if err := k.load(); err != nil {
		return "", err
	}
	return keyID(raw), nil
}

// startRotation returns the rotation's target key (the file's first) and
// the keys it retires. A file of one key gets a new first key; a file of
// several is an interrupted rotation, resumed without a new key.
func (k *KeyRing) startRotation() (target masterKey, old []masterKey, resumed bool, err error) {
	k.mu.Lock()
	if err := k.load(); err != nil {
		k.mu.Unlock()
		return masterKey{}, nil, false, err
	}
	resumed = len(k.keys) > 1
	k.mu.Unlock()
	if !resumed {
		if _, err := k.addKey(); err != nil {
			return masterKey{}, nil, false, err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[0], append([]masterKey(nil), k.keys[1:]...), resumed, nil
}

// dropOthers keeps only the key id in the file.
func (k *KeyRing) dropOthers(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	path := filepath.Join(k.Dir, MasterKeyFile)
	_, raws, err := readKeyFile(path)
	if err != nil {
		return err
	}
	for _, raw := range raws {
		if keyID(raw) == id {
			if err := writeKeyFile(path, [][]byte{raw}, false); err != nil {
				return fmt.Errorf("master key: %w", err)
			}
			return k.load()
		}
	}
	return fmt.Errorf("master key %s: not in %s", id, path)
}
