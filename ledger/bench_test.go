package ledger_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/ledger"
	"github.com/hbte/record/migrations/pgtest"
	"github.com/hbte/record/projections"
)

// BenchmarkVerify measures `record verify`'s work (ledger.Verifier) over a
// PostgreSQL store of LEDGER_BENCH_EVENTS chained events (default 100,000;
// `make bench-verify` uses 1,000,000), bulk-loaded with COPY in streams of
// 10 events of about 300 bytes of data, with the Merkle projection built and
// a digest signed. Baseline in the same run: reading the same feed with
// ReadAll in the verifier's batch size, without hashing (readall_events/s);
// ratio_vs_readall = verify events/s ÷ that. It also reports how long the
// Merkle projection took to build (tree_build_s) and its events/s.
func BenchmarkVerify(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("LEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	pool := pgtest.New(b)
	store := postgres.New(pool)
	b.Cleanup(func() { store.Close() })

	start := time.Now()
	const perStream, perTx = 10, 50_000
	meta := []byte(`{"actor_id":"6a1f7c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b","actor_role":"county_admin","actor_name":"县级管理员","jurisdiction":"130102","request_id":"bench","occurred_at":"2026-01-02T03:04:05.123456Z"}`)
	var rows [][]any
	var stream string
	var prev integrity.Hash
	flush := func() {
		if len(rows) == 0 {
			return
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"es_events"}, []string{"stream", "revision", "event_id", "event_type", "data", "metadata"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i := 0; i < n; i++ {
		rev := uint64(i % perStream)
		if rev == 0 {
			stream, prev = "teacher-"+uuid.NewString(), integrity.Zero
		}
		id := uuid.New()
		data := fmt.Appendf(nil, `{"teacher_id":"%s","field":"unit","old":"石家庄市第四十中学","new":"石家庄市桥西区第一小学","reason":"工作调动，经县级教育行政部门审核同意（第%d号）","effective":"2026-01-02","seq":%d}`, stream[8:], i, i)
		sealed, h, err := integrity.Seal(prev, id, stream, rev, "test.noted", data, meta)
		if err != nil {
			b.Fatal(err)
		}
		prev = h
		rows = append(rows, []any{stream, int64(rev), id, "test.noted", data, sealed})
		if len(rows) == perTx {
			flush()
		}
	}
	flush()
	b.Logf("loaded %d events in %s", n, time.Since(start).Round(time.Millisecond))
	if _, err := pool.Exec(ctx, `ANALYZE es_events`); err != nil {
		b.Fatal(err)
	}

	// The tree, then a digest.
	reg := registry()
	runner := projections.NewRunner(store, reg, pool, slog.New(slog.NewTextHandler(io.Discard, nil)), &projections.MerkleProjection{Store: store})
	for {
		recs, err := store.ReadAll(ctx, eventstore.Start, 1)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond) // the feed waits for older open transactions on the server
	}
	t0 := time.Now()
	if err := runner.Rebuild(ctx, "integrity_merkle"); err != nil {
		b.Fatal(err)
	}
	build := time.Since(t0)
	merkle := projections.MerkleQueries{DB: pool}
	keys, err := ledger.LoadKeys(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	d, err := (&ledger.Issuer{Store: store, Merkle: merkle, Keys: ledger.FixedKeys(keys)}).Issue(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if d.Digest.TreeSize != uint64(n) {
		b.Fatalf("digest covers %d events, want %d (feed held back?)", d.Digest.TreeSize, n)
	}

	b.ResetTimer()
	var verify, read time.Duration
	for i := 0; i < b.N; i++ {
		// Baseline: the same reads without any checking.
		t1 := time.Now()
		from, count := eventstore.Start, 0
		for {
			recs, err := store.ReadAll(ctx, from, 2000)
			if err != nil {
				b.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			count += len(recs)
			from = recs[len(recs)-1].Position
		}
		read += time.Since(t1)
		t2 := time.Now()
		rep, err := (&ledger.Verifier{Store: store, Merkle: &merkle, Keys: keys.Public()}).Verify(ctx)
		if err != nil {
			b.Fatal(err)
		}
		verify += time.Since(t2)
		if !rep.OK || rep.Events != int64(n+1) || rep.DigestsChecked != 1 || !rep.TreeAuthentic {
			b.Fatalf("report: %+v", rep)
		}
	}
	events := float64(n+1) * float64(b.N)
	b.ReportMetric(verify.Seconds()/float64(b.N), "verify_s")
	b.ReportMetric(events/verify.Seconds(), "verify_events/s")
	b.ReportMetric(events/read.Seconds(), "readall_events/s")
	b.ReportMetric(read.Seconds()/verify.Seconds(), "ratio_vs_readall")
	b.ReportMetric(build.Seconds(), "tree_build_s")
	b.ReportMetric(float64(n)/build.Seconds(), "tree_build_events/s")
}
