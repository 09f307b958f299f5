package shred

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
)

// ErrErased: the subject's data key was destroyed; nothing more is sealed
// for it (HTTP 409).
var ErrErased = domain.Refusal("personal data of this subject was erased", "该用户的个人信息已删除，不能再写入")

// cacheFor is how long an unwrapped data key is kept in memory. A key
// destroyed by another instance is forgotten here at the latest after it;
// the instance that destroys it forgets it at once.
const cacheFor = time.Minute

// cacheMax bounds the cache: a rebuild over a million teachers touches two
// million subjects within minutes. Past it, expired entries are dropped,
// then the oldest half of the rest.
const cacheMax = 50_000

// Keys holds the subjects' data keys: wrapped in PostgreSQL
// (personal_data_keys), unwrapped by the master key ring.
type Keys struct {
	pool *pgxpool.Pool
	ring *KeyRing
	now  func() time.Time

	mu    sync.Mutex
	cache map[uuid.UUID]cached
}

type cached struct {
	aead   cipher.AEAD // nil: destroyed
	expiry time.Time   // zero for destroyed keys: they never come back
}

// NewKeys keeps data keys in pool's database, wrapped by the master key in
// dir (created at first use).
func NewKeys(pool *pgxpool.Pool, dir string, now func() time.Time) *Keys {
	if pool == nil || dir == "" || now == nil {
		panic("shred: NewKeys needs a pool, a directory and a clock")
	}
	return &Keys{pool: pool, ring: &KeyRing{Dir: dir}, now: now, cache: map[uuid.UUID]cached{}}
}

// Ring is the master key ring.
func (k *Keys) Ring() *KeyRing { return k.ring }

func wrapAAD(subject uuid.UUID) []byte {
	return append([]byte("hbte-record data key v1\x00"), subject[:]...)
}

func aeadOf(raw []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// get returns the subject's data key; create makes one when the subject
// has none. nil without an error: the key was destroyed (or, without
// create, never made).
func (k *Keys) get(ctx context.Context, subject uuid.UUID, create bool) (cipher.AEAD, error) {
	now := k.now()
	k.mu.Lock()
	c, ok := k.cache[subject]
	k.mu.Unlock()
	if ok && (c.aead == nil || now.Before(c.expiry)) {
		if c.aead == nil && create {
			return nil, ErrErased
		}
		return c.aead, nil
	}
	var masterID *string
	var wrapped []byte
	err := k.pool.QueryRow(ctx, `SELECT master_key_id, wrapped FROM personal_data_keys WHERE subject = $1`, subject).Scan(&masterID, &wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		if !create {
			return nil, nil
		}
		if err := k.create(ctx, subject); err != nil {
			return nil, err
		}
		err = k.pool.QueryRow(ctx, `SELECT master_key_id, wrapped FROM personal_data_keys WHERE subject = $1`, subject).Scan(&masterID, &wrapped)
	}
	if err != nil {
		return nil, fmt.Errorf("data key of %s: %w", subject, err)
	}
	if wrapped == nil {
		k.mu.Lock()
		k.cache[subject] = cached{}
		k.mu.Unlock()
		if create {
			return nil, ErrErased
		}
		return nil, nil
	}
	aead, err := k.unwrap(subject, *masterID, wrapped)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.cache) >= cacheMax {
		k.shrink(now)
	}
	k.cache[subject] = cached{aead: aead, expiry: now.Add(cacheFor)}
	k.mu.Unlock()
	return aead, nil
}

// shrink drops expired keys, then, if the cache is still full, the half
// that expires first. Destroyed keys stay (they are few and never return).
// k.mu is held.
func (k *Keys) shrink(now time.Time) {
	var live []time.Time
	for s, c := range k.cache {
		switch {
		case c.aead == nil:
		case !now.Before(c.expiry):
			delete(k.cache, s)
		default:
			live = append(live, c.expiry)
		}
	}
	if len(k.cache) < cacheMax {
		return
	}
	slices.SortFunc(live, time.Time.Compare)
	cut := live[len(live)/2]
	for s, c := range k.cache {
		if c.aead != nil && !c.expiry.After(cut) {
			delete(k.cache, s)
		}
	}
}

func (k *Keys) unwrapRaw(subject uuid.UUID, masterID string, wrapped []byte) ([]byte, error) {
	m, err := k.ring.byID(masterID)
	if err != nil {
		return nil, err
	}
	ns := m.aead.NonceSize()
	if len(wrapped) < ns {
		return nil, fmt.Errorf("data key of %s: wrapped key too short", subject)
	}
	raw, err := m.aead.Open(nil, wrapped[:ns], wrapped[ns:], wrapAAD(subject))
	if err != nil {
		return nil, fmt.Errorf("data key of %s: unwrap with master key %s: %w", subject, masterID, err)
	}
	return raw, nil
}

func (k *Keys) unwrap(subject uuid.UUID, masterID string, wrapped []byte) (cipher.AEAD, error) {
	raw, err := k.unwrapRaw(subject, masterID, wrapped)
	if err != nil {
		return nil, err
	}
	return aeadOf(raw)
}

func wrap(m masterKey, subject uuid.UUID, raw []byte) ([]byte, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return m.aead.Seal(nonce, nonce, raw, wrapAAD(subject)), nil
}

// create stores a new random 256-bit data key for subject unless one (or
// its tombstone) exists.
func (k *Keys) create(ctx context.Context, subject uuid.UUID) error {
	m, err := k.ring.current()
	if err != nil {
		return err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	wrapped, err := wrap(m, subject, raw)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	_, err = k.pool.Exec(ctx, `INSERT INTO personal_data_keys (subject, master_key_id, wrapped, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO NOTHING`, subject, m.id, wrapped, k.now().UTC())
	if err != nil {
		return fmt.Errorf("data key of %s: %w", subject, err)
	}
	return nil
}

// Destroy erases the subjects' data keys inside tx (a tombstone row stays,
// so no new key is made for them). It is idempotent.
func (k *Keys) Destroy(ctx context.Context, tx pgx.Tx, subjects ...uuid.UUID) error {
	for _, s := range subjects {
		_, err := tx.Exec(ctx, `INSERT INTO personal_data_keys (subject, created_at, destroyed_at) VALUES ($1, $2, $2)
			ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, master_key_id = NULL,
				destroyed_at = COALESCE(personal_data_keys.destroyed_at, EXCLUDED.destroyed_at)`, s, k.now().UTC())
		if err != nil {
			return fmt.Errorf("destroy data key of %s: %w", s, err)
		}
		k.Forget(s)
	}
	return nil
}

// Forget drops a subject's key from this instance's memory.
func (k *Keys) Forget(subject uuid.UUID) {
	k.mu.Lock()
	delete(k.cache, subject)
	k.mu.Unlock()
}

// Rotate makes a new master key, rewraps every data key with it in one
// transaction, and then removes the previous master keys from the file.
// Other instances read the new file when they meet its key id. It returns
// the new key id and how many data keys were rewrapped.
func (k *Keys) Rotate(ctx context.Context) (string, int, error) {
	id, err := k.ring.addKey()
	if err != nil {
		return "", 0, err
	}
	m, err := k.ring.byID(id)
	if err != nil {
		return "", 0, err
	}
	tx, err := k.pool.Begin(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("rotate: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `SELECT subject, master_key_id, wrapped FROM personal_data_keys
		WHERE wrapped IS NOT NULL AND master_key_id <> $1 FOR UPDATE`, id)
	if err != nil {
		return "", 0, fmt.Errorf("rotate: %w", err)
	}
	type row struct {
		subject uuid.UUID
		wrapped []byte
	}
	var out []row
	for rows.Next() {
		var s uuid.UUID
		var mid string
		var w []byte
		if err := rows.Scan(&s, &mid, &w); err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("rotate: %w", err)
		}
		raw, err := k.unwrapRaw(s, mid, w)
		if err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("rotate: %w", err)
		}
		nw, err := wrap(m, s, raw)
		if err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("rotate: %w", err)
		}
		out = append(out, row{s, nw})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", 0, fmt.Errorf("rotate: %w", err)
	}
	for _, r := range out {
		if _, err := tx.Exec(ctx, `UPDATE personal_data_keys SET master_key_id = $2, wrapped = $3 WHERE subject = $1`, r.subject, id, r.wrapped); err != nil {
			return "", 0, fmt.Errorf("rotate: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", 0, fmt.Errorf("rotate: %w", err)
	}
	if err := k.ring.dropOthers(id); err != nil {
		return "", 0, err
	}
	return id, len(out), nil
}
