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
// savepoint), when maxPipelined are waiting, and when the run ends. A new
// teacher is a row in eight read models, an ethics upload of 50,000
// teachers 50,000 rows: the round trips, not PostgreSQL's work, bounded
// how fast the projections kept up.
//
// What changes for Apply: Exec answers an empty command tag and a nil error
// at once; a failing statement's error comes back from the next call that
// sends (execNow, Query, the end of the run), as a *pipelinedError naming
// the event whose Apply queued it, so the runner retries or parks that
// event as before. Apply code that needs Exec's answer (RowsAffected) calls
// execNow. Statements run in the order they were issued, so a read sees the
// writes before it.
type pipeTx struct {
	pgx.Tx
	batch  *pgx.Batch
	owners []int // the event (index in the run) of each queued statement
	cur    int   // the event being applied
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
	if t.batch == nil {
		t.batch = &pgx.Batch{}
	}
	t.batch.Queue(sql, args...)
	t.owners = append(t.owners, t.cur)
	if len(t.owners) >= maxPipelined {
		return pgconn.CommandTag{}, t.flush(ctx)
	}
	return pgconn.CommandTag{}, nil
}

// flush sends what is queued and reads every answer.
func (t *pipeTx) flush(ctx context.Context) error {
	if len(t.owners) == 0 {
		return nil
	}
	b, owners := t.batch, t.owners
	t.batch, t.owners = nil, nil
	br := t.Tx.SendBatch(ctx, b)
	for _, ev := range owners {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return &pipelinedError{event: ev, err: err}
		}
	}
	if err := br.Close(); err != nil {
		return &pipelinedError{event: owners[len(owners)-1], err: err}
	}
	return nil
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.Tx.Query(ctx, sql, args...)
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return errRow{err}
	}
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.flush(ctx); err != nil {
		return errBatch{err: err}
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
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
		if err := p.flush(ctx); err != nil {
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
