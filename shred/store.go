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
		// The new key, or (another writer was first) the stored one.
		masterID, wrapped, err = k.create(ctx, subject)
		if errors.Is(err, pgx.ErrNoRows) {
			err = k.pool.QueryRow(ctx, `SELECT master_key_id, wrapped FROM personal_data_keys WHERE subject = $1`, subject).Scan(&masterID, &wrapped)
		}
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
	return unwrapWith(m, subject, wrapped)
}

func unwrapWith(m masterKey, subject uuid.UUID, wrapped []byte) ([]byte, error) {
	masterID := m.id
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
// its tombstone) exists, and returns it as stored: pgx.ErrNoRows when one
// existed (one round trip for a new subject).
func (k *Keys) create(ctx context.Context, subject uuid.UUID) (*string, []byte, error) {
	m, err := k.ring.current()
	if err != nil {
		return nil, nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, fmt.Errorf("data key: %w", err)
	}
	wrapped, err := wrap(m, subject, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("data key: %w", err)
	}
	var masterID *string
	var stored []byte
	err = k.pool.QueryRow(ctx, `INSERT INTO personal_data_keys (subject, master_key_id, wrapped, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO NOTHING RETURNING master_key_id, wrapped`,
		subject, m.id, wrapped, k.now().UTC()).Scan(&masterID, &stored)
	return masterID, stored, err // get names the subject
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

// RotateBatch is how many data keys one transaction of a rotation
// rewraps: short transactions, so the rotation never holds back the
// PostgreSQL event store's feed (docs/ARCHITECTURE.md, operational notes).
const RotateBatch = 1000

// RotateOptions tune Rotate; the zero value rewraps RotateBatch keys per
// transaction.
type RotateOptions struct {
	Batch int
	// Progress, when set, is told after each committed transaction how
	// many keys the rotation has rewrapped so far.
	Progress func(rewrapped int)
}

// Rotation is what Rotate did.
type Rotation struct {
	KeyID     string   // the new current master key
	Resumed   bool     // an interrupted rotation was finished
	Rewrapped int      // data keys rewrapped by this run
	Dropped   []string // master key ids removed from the file
}

// Rotate moves every data key to a new master key, resumably:
//
//  1. A new key is put first in the file; the old ones stay, so every
//     instance still unwraps every data key (instances wrap new data keys
//     with the file's first key as soon as they see the file change). A
//     file already holding several keys is an interrupted rotation: its
//     first key is the target and no key is added.
//  2. Every data key wrapped by another key is rewrapped, RotateBatch per
//     transaction (a run interrupted here is resumed by the next one).
//  3. Only when no data key is wrapped by another key are the old keys
//     removed from the file; a data key made meanwhile by an instance that
//     had not yet seen the new file is rewrapped with the old key still in
//     this process's memory.
//
// Destroyed keys (erasures) have nothing to rewrap and stay destroyed.
func (k *Keys) Rotate(ctx context.Context, opt RotateOptions) (Rotation, error) {
	if opt.Batch <= 0 {
		opt.Batch = RotateBatch
	}
	target, old, resumed, err := k.ring.startRotation()
	if err != nil {
		return Rotation{}, err
	}
	out := Rotation{KeyID: target.id, Resumed: resumed}
	held := map[string]masterKey{}
	for _, m := range old {
		held[m.id] = m
	}
	pass := func() (int, error) {
		n, err := k.rewrap(ctx, target, held, opt, out.Rewrapped)
		out.Rewrapped += n
		return n, err
	}
	for {
		if _, err := pass(); err != nil {
			return out, err
		}
		// A pass sees every key made before it began; one more, empty,
		// proves none was made with an old key meanwhile.
		n, err := pass()
		if err != nil {
			return out, err
		}
		if n == 0 {
			break
		}
	}
	for _, m := range old {
		out.Dropped = append(out.Dropped, m.id)
	}
	if err := k.ring.dropOthers(target.id); err != nil {
		return out, err
	}
	// The old keys are still in held: a key wrapped by one after the last
	// pass is moved now, not lost.
	if _, err := pass(); err != nil {
		return out, err
	}
	return out, nil
}

// rewrap moves the data keys not wrapped by target to it, opt.Batch per
// transaction in the order of their subjects; held unwraps them. It
// returns how many it moved.
func (k *Keys) rewrap(ctx context.Context, target masterKey, held map[string]masterKey, opt RotateOptions, before int) (int, error) {
	done := 0
	after := uuid.Nil
	for {
		n, last, err := k.rewrapBatch(ctx, target, held, after, opt.Batch)
		if err != nil {
			return done, fmt.Errorf("rotate personal data master key: %w", err)
		}
		done += n
		if n > 0 && opt.Progress != nil {
			opt.Progress(before + done)
		}
		if last == uuid.Nil {
			return done, nil
		}
		after = last
	}
}

// rewrapBatch rewraps up to limit data keys of subjects after after in one
// transaction; last is the last subject looked at (uuid.Nil at the end).
func (k *Keys) rewrapBatch(ctx context.Context, target masterKey, held map[string]masterKey, after uuid.UUID, limit int) (int, uuid.UUID, error) {
	tx, err := k.pool.Begin(ctx)
	if err != nil {
		return 0, uuid.Nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// FOR UPDATE: an erasure destroying one of these keys waits for this
	// transaction (and then destroys the rewrapped key), never the reverse.
	rows, err := tx.Query(ctx, `SELECT subject, master_key_id, wrapped FROM personal_data_keys
		WHERE subject > $1 AND wrapped IS NOT NULL AND master_key_id <> $2
		ORDER BY subject LIMIT $3 FOR UPDATE`, after, target.id, limit)
	if err != nil {
		return 0, uuid.Nil, err
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
			return 0, uuid.Nil, err
		}
		m, ok := held[mid]
		if !ok {
			if m, err = k.ring.byID(mid); err != nil {
				rows.Close()
				return 0, uuid.Nil, err
			}
		}
		raw, err := unwrapWith(m, s, w)
		if err != nil {
			rows.Close()
			return 0, uuid.Nil, err
		}
		nw, err := wrap(target, s, raw)
		if err != nil {
			rows.Close()
			return 0, uuid.Nil, err
		}
		out = append(out, row{s, nw})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, uuid.Nil, err
	}
	if len(out) == 0 {
		return 0, uuid.Nil, nil
	}
	b := &pgx.Batch{}
	for _, r := range out {
		b.Queue(`UPDATE personal_data_keys SET master_key_id = $2, wrapped = $3 WHERE subject = $1`, r.subject, target.id, r.wrapped)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, uuid.Nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, uuid.Nil, err
	}
	last := out[len(out)-1].subject
	if len(out) < limit {
		last = uuid.Nil
	}
	return len(out), last, nil
}
