package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations"
)

// copyBatch is how many events one read of the source returns (tests make
// it smaller).
var copyBatch = 500

// copyEnvelope is what esdb.AppendCopies adds to an event's size (the
// original time around its metadata).
const copyEnvelope = 80

// copyEventsCmd is `record copy-events --from DATABASE_URL --to esdb://…`:
// copy, verify, then rebuild the read models (in cfg's database) from the
// new store. The service must be stopped while it runs.
func copyEventsCmd(ctx context.Context, cfg Config, log *slog.Logger, from, to string, rebuild bool, out io.Writer) error {
	if from == "" || !strings.HasPrefix(to, "esdb://") && !strings.HasPrefix(to, "esdb+discover://") {
		return errors.New("copy-events needs --from (a PostgreSQL URL, default DATABASE_URL) and --to (an esdb:// or esdb+discover:// URL)")
	}
	pool, err := migrations.NewPool(ctx, from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer pool.Close()
	if err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	dst, err := esdb.New(ctx, to, esdb.WithLogger(log))
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	src := postgres.New(pool)
	defer src.Close()
	if _, err := copyEvents(ctx, pool, src, dst, copyTarget(to), out); err != nil {
		return err
	}
	rep, err := verifyCopy(ctx, src, dst)
	if err != nil {
		return err
	}
	rep.print(out)
	if !rep.ok() {
		return errors.New("copy-events: the stores differ; the read models were not rebuilt")
	}
	if !rebuild {
		return nil
	}
	cfg.EventStoreURL = to
	svc, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	return svc.Rebuild(ctx, "", out)
}

// copyTarget names a target for the progress table: its address without
// credentials or options.
func copyTarget(to string) string {
	u, err := url.Parse(to)
	if err != nil {
		return "invalid"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// copyEvents copies every event of src, in global order, to dst, keeping
// IDs, types, data, metadata, revisions and original times. It resumes
// after the position recorded for target; a batch that was written but not
// recorded is written again, which the node recognises and ignores.
func copyEvents(ctx context.Context, pool *pgxpool.Pool, src eventstore.Store, dst *esdb.Store, target string, out io.Writer) (int64, error) {
	var pos eventstore.Position
	var copied int64
	err := pool.QueryRow(ctx, `SELECT commit_position, prepare_position, copied FROM es_copy_progress WHERE target = $1`, target).
		Scan(&pos.Commit, &pos.Prepare, &copied)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("copy progress: %w", err)
	default:
		fmt.Fprintf(out, "resuming after %s (%d events copied before)\n", pos, copied)
	}
	for {
		batch, err := readAllSettled(ctx, src, pos, out)
		if err != nil {
			return copied, fmt.Errorf("read source after %s: %w", pos, err)
		}
		if len(batch) == 0 {
			break
		}
		for _, run := range streamRuns(batch) {
			if _, err := dst.AppendCopies(ctx, run[0].Stream, run); err != nil {
				return copied, fmt.Errorf("copy %s@%d: %w", run[0].Stream, run[0].Revision, err)
			}
		}
		pos = batch[len(batch)-1].Position
		copied += int64(len(batch))
		if _, err := pool.Exec(ctx, `INSERT INTO es_copy_progress (target, commit_position, prepare_position, copied)
			VALUES ($1, $2, $3, $4) ON CONFLICT (target) DO UPDATE
			SET commit_position = $2, prepare_position = $3, copied = $4, updated_at = now()`,
			target, int64(pos.Commit), int64(pos.Prepare), copied); err != nil {
			return copied, fmt.Errorf("copy progress: %w", err)
		}
	}
	fmt.Fprintf(out, "copied %d events\n", copied)
	return copied, nil
}

// readAllSettled reads the feed after pos; at its end it waits while the
// store still holds events back (a PostgreSQL feed shows an event only once
// every older transaction on the server has ended), so an empty answer means
// there is nothing more to read.
func readAllSettled(ctx context.Context, s eventstore.Store, pos eventstore.Position, out io.Writer) ([]eventstore.RecordedEvent, error) {
	said := false
	for {
		batch, err := s.ReadAll(ctx, pos, copyBatch)
		if err != nil || len(batch) > 0 {
			return batch, err
		}
		hr, ok := s.(eventstore.HorizonReporter)
		if !ok {
			return batch, nil
		}
		h, err := hr.Horizon(ctx)
		if err != nil {
			return nil, err
		}
		if h.HeldBack == 0 {
			return batch, nil
		}
		if !said && h.Blocker != nil {
			said = true
			fmt.Fprintf(out, "waiting: %d events held back by an open transaction (pid %d, database %s, application %q)\n",
				h.HeldBack, h.Blocker.PID, h.Blocker.Database, h.Blocker.Application)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// streamRuns splits a batch in global order into runs of consecutive events
// of one stream, each small enough for one append.
func streamRuns(batch []eventstore.RecordedEvent) [][]eventstore.RecordedEvent {
	var runs [][]eventstore.RecordedEvent
	size := 0
	for i, e := range batch {
		n := len(e.Data) + len(e.Metadata) + 2*len(e.Type) + copyEnvelope
		last := len(runs) - 1
		if i > 0 && e.Stream == batch[i-1].Stream && size+n <= eventstore.MaxAppendSize {
			runs[last] = append(runs[last], e)
			size += n
			continue
		}
		runs = append(runs, []eventstore.RecordedEvent{e})
		size = n
	}
	return runs
}

// copyReport compares two stores: the order of the global feed, and per
// stream the count and a digest of every event's ID, revision, type, data,
// metadata and time.
type copyReport struct {
	srcEvents, dstEvents int
	srcOrder, dstOrder   string
	streams              int
	differ               []string // streams whose count or digest differ
}

func (r copyReport) ok() bool {
	return r.srcEvents == r.dstEvents && r.srcOrder == r.dstOrder && len(r.differ) == 0
}

func (r copyReport) print(out io.Writer) {
	fmt.Fprintf(out, "verify: source %d events, target %d events, %d streams\n", r.srcEvents, r.dstEvents, r.streams)
	fmt.Fprintf(out, "verify: feed order digest source %s, target %s\n", r.srcOrder, r.dstOrder)
	for i, s := range r.differ {
		if i == 20 {
			fmt.Fprintf(out, "verify: ... and %d more streams differ\n", len(r.differ)-i)
			break
		}
		fmt.Fprintf(out, "verify: stream %s differs\n", s)
	}
	if r.ok() {
		fmt.Fprintln(out, "verify: every stream has the same events on both sides")
	}
}

type storeDigest struct {
	events  int
	order   hash.Hash
	streams map[string]*streamDigest
}

type streamDigest struct {
	count int
	h     hash.Hash
}

func digestStore(ctx context.Context, s eventstore.Store) (*storeDigest, error) {
	d := &storeDigest{order: sha256.New(), streams: map[string]*streamDigest{}}
	var pos eventstore.Position
	var buf bytes.Buffer
	for {
		batch, err := readAllSettled(ctx, s, pos, io.Discard)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return d, nil
		}
		for _, e := range batch {
			d.events++
			d.order.Write(e.ID[:])
			sd := d.streams[e.Stream]
			if sd == nil {
				sd = &streamDigest{h: sha256.New()}
				d.streams[e.Stream] = sd
			}
			sd.count++
			buf.Reset()
			buf.Write(e.ID[:])
			buf.Write(binary.BigEndian.AppendUint64(nil, e.Revision))
			for _, part := range [][]byte{[]byte(e.Type), e.Data, e.Metadata} {
				buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
				buf.Write(part)
			}
			buf.Write(binary.BigEndian.AppendUint64(nil, uint64(e.RecordedAt.UnixMicro())))
			sd.h.Write(buf.Bytes())
		}
		pos = batch[len(batch)-1].Position
	}
}

func verifyCopy(ctx context.Context, src, dst eventstore.Store) (copyReport, error) {
	a, err := digestStore(ctx, src)
	if err != nil {
		return copyReport{}, fmt.Errorf("verify source: %w", err)
	}
	b, err := digestStore(ctx, dst)
	if err != nil {
		return copyReport{}, fmt.Errorf("verify target: %w", err)
	}
	r := copyReport{
		srcEvents: a.events, dstEvents: b.events,
		srcOrder: hex.EncodeToString(a.order.Sum(nil))[:16], dstOrder: hex.EncodeToString(b.order.Sum(nil))[:16],
	}
	names := map[string]bool{}
	for n := range a.streams {
		names[n] = true
	}
	for n := range b.streams {
		names[n] = true
	}
	r.streams = len(names)
	for n := range names {
		x, y := a.streams[n], b.streams[n]
		if x == nil || y == nil || x.count != y.count || !bytes.Equal(x.h.Sum(nil), y.h.Sum(nil)) {
			r.differ = append(r.differ, n)
		}
	}
	sort.Strings(r.differ)
	return r, nil
}
