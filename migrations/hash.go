package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

type fileHash struct{ h hash.Hash }

func newHash() *fileHash { return &fileHash{h: sha256.New()} }

func (f *fileHash) add(name string, body []byte) {
	f.h.Write([]byte(name))
	f.h.Write([]byte{0})
	f.h.Write(body)
	f.h.Write([]byte{0})
}

func (f *fileHash) sum() string { return hex.EncodeToString(f.h.Sum(nil))[:12] }
