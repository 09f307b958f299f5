package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipeTx is the transaction a projection's Apply sees while the runner
// applies a run of events: its Exec statements are not sent one by one but
// queued, and go to PostgreSQL together in one round trip (a pgx batch)
// before anything that reads (Query, QueryRow, SendBatch, CopyFrom, a
// savepoint), when maxPipelined are waiting, and when the run ends. Rows
// of a bulkInsert are held longer (bulk.go). A new
// teacher is a row in eight read models, an ethics upload of 50,000
// teachers 50,000 rows: the round trips, not PostgreSQL's work, bounded
// how fast the projections kept up.
//
// What changes for Apply: Exec answers an empty command tag and a nil error
// at once; a failing statement's error comes back from the next call that
// sends (execNow, Query, the end of the run), as a *pipelinedError naming
// the event whose Apply queued it, so the runner retries or parks that
// event as before. Apply code that needs Exec's answer (RowsAffected) calls
// execNow. Statements run in the order they were issued (a bulkInsert's
// rows before the first later statement that names their table), so a read
// sees the writes before it.
type pipeTx struct {
	pgx.Tx
	batch  *pgx.Batch
	owners []int // the event (index in the run) of each queued statement
	// mixed marks the queued statements that carry rows of several
	// events (bulk.go): a failure of one is charged to the earliest.
	mixed []bool
	cur   int // the event being applied
	// bulk holds rows of multi-row inserts not yet queued (bulk.go).
	bulk []*bulkRows
}

// maxPipelined bounds the statements queued at once (memory, and the
// size of one round trip).
const maxPipelined = 1000

// pipelinedError is a queued statement's failure, with the index of the
// event whose Apply queued it.
type pipelinedError struct {
	event int
	err   error
}

func (e *pipelinedError) Error() string {
	return fmt.Sprintf("statement of event %d of the run: %v", e.event, e.err)
}

func (e *pipelinedError) Unwrap() error { return e.err }

// mixedRowsError is the failure of a statement that carried rows of
// several events. It is not Permanent whatever PostgreSQL answered (it does
// not unwrap to the *pgconn.PgError): the runner retries the event it is
// charged to alone, where that event's rows go in a statement of their own,
// so a row that cannot be stored is charged to its own event in the end.
type mixedRowsError struct{ msg string }

func (e *mixedRowsError) Error() string {
	return "a multi-row insert with rows of several events failed, retried event by event: " + e.msg
}

// failedEvent is the index of the event err belongs to: the one that queued
// a failing statement, else cur, the one that returned it.
func failedEvent(err error, cur int) int {
	var pe *pipelinedError
	if errors.As(err, &pe) {
		return pe.event
	}
	return cur
}

// baseTx is the transaction under a pipeTx (a projection that keeps state
// per transaction keys it by this).
func baseTx(tx pgx.Tx) pgx.Tx {
	if p, ok := tx.(*pipeTx); ok {
		return p.Tx
	}
	return tx
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.queueBulkFor(ctx, sql); err != nil {
		return pgconn.CommandTag{}, err
	}
	return pgconn.CommandTag{}, t.queue(ctx, sql, t.cur, false, args...)
}

// queue adds a statement of event owner (the earliest of several, mixed)
// to the batch, and sends the batch when maxPipelined are waiting.
func (t *pipeTx) queue(ctx context.Context, sql string, owner int, mixed bool, args ...any) error {
	if t.batch == nil {
		t.batch = &pgx.Batch{}
	}
	t.batch.Queue(sql, args...)
	t.owners = append(t.owners, owner)
	t.mixed = append(t.mixed, mixed)
	if len(t.owners) >= maxPipelined {
		return t.send(ctx)
	}
	return nil
}

// flush sends everything held: the rows of multi-row inserts, then the
// queued statements, and reads every answer.
func (t *pipeTx) flush(ctx context.Context) error {
	if err := t.queueBulkFor(ctx, ""); err != nil {
		return err
	}
	return t.send(ctx)
}

// sendFor sends what must reach PostgreSQL before sql: every queued
// statement, and the held rows of the tables sql names.
func (t *pipeTx) sendFor(ctx context.Context, sql string) error {
	if err := t.queueBulkFor(ctx, sql); err != nil {
		return err
	}
	return t.send(ctx)
}

// send sends the queued statements and reads every answer.
func (t *pipeTx) send(ctx context.Context) error {
	if len(t.owners) == 0 {
		return nil
	}
	b, owners, mixed := t.batch, t.owners, t.mixed
	t.batch, t.owners, t.mixed = nil, nil, nil
	br := t.Tx.SendBatch(ctx, b)
	for i, ev := range owners {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			if mixed[i] {
				err = &mixedRowsError{msg: err.Error()}
			}
			return &pipelinedError{event: ev, err: err}
		}
	}
	if err := br.Close(); err != nil {
		return &pipelinedError{event: owners[len(owners)-1], err: err}
	}
	return nil
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.sendFor(ctx, sql); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.sendFor(ctx, sql); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		if err := t.queueBulkFor(ctx, q.SQL); err != nil {
			return errBatch{err: err}
		}
	}
	if err := t.send(ctx); err != nil {
		return errBatch{err: err}
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.sendFor(ctx, table.Sanitize()); err != nil {
		return 0, err
	}
	return t.Tx.CopyFrom(ctx, table, cols, src)
}

func (t *pipeTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Begin(ctx)
}

func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Prepare(ctx, name, sql)
}

// Commit and Rollback belong to the runner, which holds the transaction
// under the pipeTx; a projection never ends it.
func (t *pipeTx) Commit(context.Context) error {
	return errors.New("projections: a projection must not commit the runner's transaction")
}

func (t *pipeTx) Rollback(context.Context) error {
	return errors.New("projections: a projection must not roll back the runner's transaction")
}

// execNow runs sql at once, after what is queued, and returns its answer:
// for Apply code that needs the command tag (RowsAffected).
func execNow(ctx context.Context, tx pgx.Tx, sql string, args ...any) (pgconn.CommandTag, error) {
	if p, ok := tx.(*pipeTx); ok {
		if err := p.sendFor(ctx, sql); err != nil {
			return pgconn.CommandTag{}, err
		}
		return p.Tx.Exec(ctx, sql, args...)
	}
	return tx.Exec(ctx, sql, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errBatch answers every result of a batch that was never sent with the
// error that kept it from being sent.
type errBatch struct {
	pgx.BatchResults // nil: only the methods below are answered
	err              error
}

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
