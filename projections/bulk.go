package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// bulkInsert is a single-row INSERT that a projection issues for many
// events of a run, into a table it writes mostly by inserting (a teacher's
// history, credit entries, key-field audit rows): insertRow queues its rows
// in the run's pipeTx, which sends them as multi-row statements (up to
// maxBulkRows rows each). A rebuild inserts millions of such rows; one
// statement a row cost PostgreSQL a statement's overhead on each
// (BENCHMARKS.md, "Where PostgreSQL's time goes in a rebuild").
//
// Order is kept where it can be seen: the queued rows of a table are sent
// before any later statement that names the table (an UPDATE of a row
// queued earlier, a read), and every queued row is sent before the run
// ends. A statement that does not name the table may reach PostgreSQL
// before rows queued earlier, so a table written this way must have no
// trigger, foreign key or rule that another table's statement relies on.
// A failing multi-row statement is charged to the earliest event whose row
// it carried, as an error that is never Permanent (mixedRowsError): the
// runner retries that event alone, where its rows go in a statement of
// their own, and so narrows the failure down to the event whose row fails,
// which it parks as for any statement.
type bulkInsert struct {
	table    string
	columns  []string
	conflict string // what follows VALUES, e.g. "ON CONFLICT (entry_id) DO NOTHING"

	one   string         // the single-row statement
	sized map[int]string // the statement for each chunk size (powers of two)
}

// maxBulkRows is the most rows one statement carries (a power of two).
const maxBulkRows = 64

// newBulkInsert describes INSERT INTO table (columns) VALUES (…) conflict.
func newBulkInsert(table string, columns []string, conflict string) *bulkInsert {
	b := &bulkInsert{table: table, columns: columns, conflict: conflict, sized: map[int]string{}}
	for n := 1; n <= maxBulkRows; n *= 2 {
		b.sized[n] = b.statement(n)
	}
	b.one = b.sized[1]
	return b
}

func (b *bulkInsert) statement(rows int) string {
	var s strings.Builder
	s.WriteString("INSERT INTO ")
	s.WriteString(b.table)
	s.WriteString(" (")
	s.WriteString(strings.Join(b.columns, ", "))
	s.WriteString(") VALUES ")
	k := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			s.WriteString(", ")
		}
		s.WriteByte('(')
		for c := range b.columns {
			if c > 0 {
				s.WriteString(", ")
			}
			s.WriteByte('$')
			s.WriteString(strconv.Itoa(k))
			k++
		}
		s.WriteByte(')')
	}
	if b.conflict != "" {
		s.WriteByte(' ')
		s.WriteString(b.conflict)
	}
	return s.String()
}

// insertRow inserts one row (values in the order of the columns): queued
// when tx is a run's pipeTx, at once otherwise.
func insertRow(ctx context.Context, tx pgx.Tx, b *bulkInsert, values ...any) error {
	if len(values) != len(b.columns) {
		return fmt.Errorf("insert into %s: %d values for %d columns", b.table, len(values), len(b.columns))
	}
	if p, ok := tx.(*pipeTx); ok {
		return p.queueRow(ctx, b, values)
	}
	_, err := tx.Exec(ctx, b.one, values...)
	return err
}

// bulkRows is what a pipeTx holds of one bulkInsert: the values row after
// row, and the event (index in the run) each row came from.
type bulkRows struct {
	b      *bulkInsert
	values []any
	owners []int
}

// queueRow adds a row to what t holds for b, and moves full chunks to the
// pipelined statements.
func (t *pipeTx) queueRow(ctx context.Context, b *bulkInsert, values []any) error {
	var rows *bulkRows
	for _, r := range t.bulk {
		if r.b == b {
			rows = r
			break
		}
	}
	if rows == nil {
		rows = &bulkRows{b: b}
		t.bulk = append(t.bulk, rows)
	}
	rows.values = append(rows.values, values...)
	rows.owners = append(rows.owners, t.cur)
	if len(rows.owners) >= maxBulkRows {
		return t.queueBulk(ctx, rows)
	}
	return nil
}

// queueBulk moves rows' held rows to the pipelined statements, in chunks
// of powers of two (so a table has a handful of statements to prepare).
func (t *pipeTx) queueBulk(ctx context.Context, rows *bulkRows) error {
	width := len(rows.b.columns)
	for len(rows.owners) > 0 {
		n := maxBulkRows
		for n > len(rows.owners) {
			n /= 2
		}
		mixed := rows.owners[0] != rows.owners[n-1]
		if err := t.queue(ctx, rows.b.sized[n], rows.owners[0], mixed, rows.values[:n*width]...); err != nil {
			return err
		}
		rows.values = rows.values[n*width:]
		rows.owners = rows.owners[n:]
	}
	rows.values, rows.owners = nil, nil
	return nil
}

// queueBulkFor moves the held rows of every table sql names (all of them
// for sql "") to the pipelined statements, ahead of sql.
func (t *pipeTx) queueBulkFor(ctx context.Context, sql string) error {
	for _, rows := range t.bulk {
		if len(rows.owners) == 0 || (sql != "" && !namesTable(sql, rows.b.table)) {
			continue
		}
		if err := t.queueBulk(ctx, rows); err != nil {
			return err
		}
	}
	return nil
}

// namesTable reports whether sql contains table as a whole identifier
// (key_field_audit_teachers does not name key_field_audit).
func namesTable(sql, table string) bool {
	for i := 0; ; {
		j := strings.Index(sql[i:], table)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(table)
		if (j == 0 || !identByte(sql[j-1])) && (end == len(sql) || !identByte(sql[end])) {
			return true
		}
		i = j + 1
	}
}

func identByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
