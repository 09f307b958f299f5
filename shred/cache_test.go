package shred

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// The key cache stays bounded however many subjects a rebuild touches, and
// keeps what it knows of destroyed keys.
func TestKeyCacheStaysBounded(t *testing.T) {
	aead, err := aeadOf(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	k := &Keys{cache: map[uuid.UUID]cached{}}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	destroyed := uuid.New()
	k.cache[destroyed] = cached{}
	for i := range 3 * cacheMax {
		if len(k.cache) >= cacheMax {
			k.shrink(now)
		}
		k.cache[uuid.New()] = cached{aead: aead, expiry: now.Add(cacheFor)} // all expire at once: the worst case
		if i%1000 == 0 {
			now = now.Add(time.Millisecond)
		}
	}
	if len(k.cache) > cacheMax {
		t.Fatalf("cache holds %d keys, bound %d", len(k.cache), cacheMax)
	}
	if c, ok := k.cache[destroyed]; !ok || c.aead != nil {
		t.Fatal("the destroyed key was forgotten")
	}
}
