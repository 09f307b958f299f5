package shred

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/migrations/pgtest"
)

// TestRotateMasterKey: a rotation interrupted after its first transaction
// leaves both master keys in the file and every value readable; the next
// run resumes it without adding a key; afterwards the file holds only the
// new key, every sealed value opens with it alone (a fresh process), the
// erased subject stays erased, and no data key names the old master key.
func TestRotateMasterKey(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	keys := NewKeys(pool, dir, now)
	codec := &Codec{Keys: keys}

	type sealed struct {
		subject uuid.UUID
		name    string
		data    []byte
	}
	var all []sealed
	for i := range 7 {
		id := uuid.New()
		name := "教师" + string(rune('甲'+i))
		data, err := codec.Seal(ctx, "teacher-"+id.String(), teacher.TypeRegistered,
			[]byte(`{"teacher_id":"`+id.String()+`","profile":{"name":"`+name+`","county":"130102"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), name) {
			t.Fatalf("not sealed: %s", data)
		}
		all = append(all, sealed{id, name, data})
	}
	erased := all[3]
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Destroy(ctx, tx, erased.subject); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	oldID, err := keys.Ring().CurrentID()
	if err != nil {
		t.Fatal(err)
	}

	// opens checks every value with a process that knows only the file.
	opens := func(when string) {
		t.Helper()
		fresh := &Codec{Keys: NewKeys(pool, dir, now)}
		for _, s := range all {
			out, err := fresh.Open(ctx, teacher.TypeRegistered, s.data)
			if err != nil {
				t.Fatalf("%s: open %s: %v", when, s.subject, err)
			}
			want := s.name
			if s.subject == erased.subject {
				want = Erased
			}
			if !strings.Contains(string(out), `"name":"`+want+`"`) {
				t.Errorf("%s: %s opens as %s, want %s", when, s.subject, out, want)
			}
		}
	}
	fileKeys := func() []masterKey {
		t.Helper()
		ks, _, err := readKeyFile(filepath.Join(dir, MasterKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}

	// Interrupted after the first transaction of two keys.
	stop, cancel := context.WithCancel(ctx)
	_, err = keys.Rotate(stop, RotateOptions{Batch: 2, Progress: func(int) { cancel() }})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rotation: %v", err)
	}
	if ks := fileKeys(); len(ks) != 2 || ks[1].id != oldID {
		t.Fatalf("after the interruption the file holds %d keys", len(ks))
	}
	var moved, left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE master_key_id <> $1), count(*) FILTER (WHERE master_key_id = $1)
		FROM personal_data_keys`, oldID).Scan(&moved, &left); err != nil {
		t.Fatal(err)
	}
	if moved != 2 || left != 4 {
		t.Fatalf("after the interruption: %d rewrapped, %d left", moved, left)
	}
	opens("interrupted")

	// A new subject meanwhile gets its key under the new master key.
	late := uuid.New()
	data, err := codec.Seal(ctx, "teacher-"+late.String(), teacher.TypeRegistered, []byte(`{"profile":{"name":"迟到"}}`))
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, sealed{late, "迟到", data})

	rot, err := keys.Rotate(ctx, RotateOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Resumed || rot.Rewrapped != 4 || rot.KeyID == oldID || len(rot.Dropped) != 1 || rot.Dropped[0] != oldID {
		t.Fatalf("resumed rotation: %+v", rot)
	}
	if ks := fileKeys(); len(ks) != 1 || ks[0].id != rot.KeyID {
		t.Fatalf("the old master key is still in the file (%d keys)", len(ks))
	}
	var stale, destroyed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE master_key_id IS DISTINCT FROM $1 AND wrapped IS NOT NULL),
		count(*) FILTER (WHERE wrapped IS NULL AND destroyed_at IS NOT NULL) FROM personal_data_keys`, rot.KeyID).Scan(&stale, &destroyed); err != nil {
		t.Fatal(err)
	}
	if stale != 0 || destroyed != 1 {
		t.Fatalf("after the rotation: %d keys under another master key, %d destroyed", stale, destroyed)
	}
	opens("rotated")
	if _, err := codec.Seal(ctx, "teacher-"+erased.subject.String(), teacher.TypeRegistered, []byte(`{"profile":{"name":"再来"}}`)); !errors.Is(err, ErrErased) {
		t.Fatalf("sealing for the erased subject after the rotation: %v", err)
	}

	// A second rotation is a new one: one more key, every data key moved.
	again, err := keys.Rotate(ctx, RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Resumed || again.Rewrapped != len(all)-1 || again.KeyID == rot.KeyID {
		t.Fatalf("second rotation: %+v", again)
	}
	opens("rotated twice")
	if b, err := os.ReadFile(filepath.Join(dir, MasterKeyFile)); err != nil || strings.Count(string(b), "BEGIN") != 1 {
		t.Fatalf("key file after two rotations: %v\n%s", err, b)
	}
}
