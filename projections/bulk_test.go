package projections

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
)

// bulkToy inserts one row an event into bulk_log through insertRow (held,
// then sent as multi-row statements); every fifth event marks the previous
// event's row, every fourth reads its own row back: both must see rows
// still held. Events 13 and 43 give a row that breaks NOT NULL.
type bulkToy struct{}

var insertBulkToy = newBulkInsert("bulk_log", []string{"event_id", "n", "note"}, "ON CONFLICT (event_id) DO NOTHING")

func (bulkToy) Name() string     { return "bulk_toy" }
func (bulkToy) Tables() []string { return []string{"bulk_log", "bulk_log_notes"} }

func (bulkToy) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	n := env.Event.(*toyHappened).N
	note := any(fmt.Sprintf("event %d", n))
	if n == 13 || n == 43 {
		note = nil
	}
	if err := insertRow(ctx, tx, insertBulkToy, env.ID, n, note); err != nil {
		return err
	}
	// A statement on another table may go ahead of the held rows.
	if _, err := tx.Exec(ctx, `INSERT INTO bulk_log_notes (n) VALUES ($1)`, n); err != nil {
		return err
	}
	if n%5 == 0 {
		if _, err := tx.Exec(ctx, `UPDATE bulk_log SET touched = true WHERE n = $1`, n-1); err != nil {
			return err
		}
	}
	if n%4 == 0 {
		var k int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM bulk_log WHERE event_id = $1`, env.ID).Scan(&k); err != nil {
			return err
		}
		if k != 1 {
			return Permanent(fmt.Errorf("event %d does not see its own row (%d)", n, k))
		}
	}
	return nil
}

type bulkRow struct {
	N       int
	Note    string
	Touched bool
}

func dumpBulk(t *testing.T, tx interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) []bulkRow {
	t.Helper()
	rows, err := tx.Query(context.Background(), `SELECT n, note, touched FROM bulk_log ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[bulkRow])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Rows inserted through insertRow arrive as multi-row statements, yet a
// later UPDATE or read of the table sees them, a bad row is charged to its
// own event (parked) while the rows sent with it are kept, and a rebuild,
// which applies 500 events a transaction, gives the same table.
func TestBulkInsertKeepsOrderAndChargesItsEvent(t *testing.T) {
	sf := storeFactories()[0]
	e := newEnv(t, sf)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `
		CREATE TABLE bulk_log (event_id uuid PRIMARY KEY, n int NOT NULL, note text NOT NULL, touched boolean NOT NULL DEFAULT false);
		CREATE TABLE bulk_log_notes (n int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	w := newFeedWriter(t, e.store, 3)
	backlog(t, e.store, w, 150) // catch-up: runs of many events
	r := e.runner(bulkToy{})
	start(t, r)
	waitLive(t, r, "bulk_toy")
	waitFor(t, r, w.append(50))

	applied := func(n int) bool { return n%7 != 0 && n != 13 && n != 43 } // every 7th is another service's event
	var want []bulkRow
	for n := 1; n <= 200; n++ {
		if applied(n) {
			want = append(want, bulkRow{N: n, Note: fmt.Sprintf("event %d", n), Touched: (n+1)%5 == 0 && applied(n+1)})
		}
	}
	parked, err := r.Parked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := dumpBulk(t, e.pool)
	if !slices.Equal(got, want) {
		t.Fatalf("bulk_log (parked %+v):\n got %v\nwant %v", parked, got, want)
	}
	var ids []string
	for _, p := range parked {
		ids = append(ids, p.EventID.String())
	}
	slices.Sort(ids)
	wantIDs := []string{findEvent(t, e.store, 13).ID.String(), findEvent(t, e.store, 43).ID.String()}
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("parked %v, want events 13 and 43 %v", ids, wantIDs)
	}

	if err := r.Rebuild(ctx, "bulk_toy"); err != nil {
		t.Fatal(err)
	}
	if got := dumpBulk(t, e.pool); !slices.Equal(got, want) {
		t.Fatalf("bulk_log after a rebuild:\n got %v\nwant %v", got, want)
	}
}

func TestNamesTable(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{`UPDATE key_field_audit SET x = 1`, true},
		{`SELECT 1 FROM key_field_audit_teachers`, false},
		{`SELECT 1 FROM key_field_audit_teachers JOIN key_field_audit USING (teacher_id)`, true},
		{`SELECT 1 FROM "key_field_audit"`, true},
		{`SELECT 1 FROM rb_x.key_field_audit`, true},
		{`SELECT 1 FROM my_key_field_audit`, false},
		{`key_field_audit`, true},
	} {
		if got := namesTable(c.sql, "key_field_audit"); got != c.want {
			t.Errorf("namesTable(%q) = %v, want %v", c.sql, got, c.want)
		}
	}
}
