package projections

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/migrations"
)

// BenchmarkRosterAtScale times the county roster (TeacherQueries.Roster)
// on a database whose read models `record seed` + `record rebuild` built,
// 16 readers at once, against the query it replaced (substring LIKE over
// the jurisdiction, count(*), OFFSET) run the same way in the same run. The
// old query is timed after its sixth execution, when PostgreSQL has
// switched to a generic plan (as the service's prepared statements do).
// Metrics per case: p50 and p99 in ms of each, and p99 old/new. A name
// searched province-wide, and a list without a name, are also timed the
// way they were answered before (a page from each county, q.roster(...,
// true): "walk").
//
//	ROSTER_BENCH_DATABASE_URL=postgres://…/scale go test -run '^$' -bench RosterAtScale -benchtime 1x ./projections/
//
// ROSTER_BENCH_SKIP_OLD=1 skips the query before issue 14 (seconds a call
// at a million rows) and times the new query against the county walk only.
func BenchmarkRosterAtScale(b *testing.B) {
	url := os.Getenv("ROSTER_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("set ROSTER_BENCH_DATABASE_URL to a seeded database")
	}
	ctx := context.Background()
	pool, err := migrations.NewPool(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	q := NewTeacherQueries(pool)
	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	// A deep page: the middle of the county, and of the province.
	cursorAt := func(f RosterFilter, n int) string {
		f.Limit, f.Offset = 1, n-1
		p, err := q.Roster(ctx, f)
		if err != nil || len(p.Rows) == 0 {
			b.Fatalf("cursor at %d: %v", n, err)
		}
		r := p.Rows[0]
		return rosterCursor{County: r.County, Name: r.Name, ID: r.TeacherID}.encode()
	}
	county := RosterFilter{Jurisdiction: "130102", Limit: 20}
	var inCounty int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles WHERE county = '130102'`).Scan(&inCounty); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		f    RosterFilter
	}{
		{"county", county},
		{"county name=王", RosterFilter{Jurisdiction: "130102", Name: "王", Limit: 20}},
		{"county name=欧阳", RosterFilter{Jurisdiction: "130102", Name: "欧阳", Limit: 20}},
		{"county full name", RosterFilter{Jurisdiction: "130102", Name: "王芳", Limit: 20}},
		{"county middle page", RosterFilter{Jurisdiction: "130102", Limit: 20, Offset: inCounty / 2}},
		{"province name=王", RosterFilter{Jurisdiction: "13", Name: "王", Limit: 20}},
		{"province name=璇 (rare)", RosterFilter{Jurisdiction: "13", Name: "璇", Limit: 20}},
		{"province middle page", RosterFilter{Jurisdiction: "13", Limit: 20, Offset: total / 2}},
		{"province last page", RosterFilter{Jurisdiction: "13", Limit: 20, Offset: total - 20}},
	}
	const readers, rounds = 16, 10
	for _, tc := range cases {
		newF := tc.f
		if newF.Offset > 0 {
			newF.After, newF.Offset = cursorAt(tc.f, tc.f.Offset), 0
		}
		oldT := []time.Duration{0}
		if os.Getenv("ROSTER_BENCH_SKIP_OLD") == "" {
			oldT = timeConcurrently(b, readers, rounds, func() error { return oldRoster(ctx, pool, tc.f) })
		}
		newT := timeConcurrently(b, readers, rounds, func() error { _, err := q.Roster(ctx, newF); return err })
		walk := ""
		if tc.f.Name == "" || len(tc.f.Jurisdiction) <= 2 {
			walkT := timeConcurrently(b, readers, rounds, func() error { _, err := q.roster(ctx, newF, true); return err })
			walk = fmt.Sprintf(" | walk p50 %6.1f ms p99 %6.1f ms | p99 walk/new %5.1f", ms(pct(walkT, 50)), ms(pct(walkT, 99)), float64(pct(walkT, 99))/float64(pct(newT, 99)))
		}
		b.Logf("%-26s old p50 %7.1f ms p99 %7.1f ms | new p50 %6.1f ms p99 %6.1f ms | p99 old/new %6.1f%s",
			tc.name, ms(pct(oldT, 50)), ms(pct(oldT, 99)), ms(pct(newT, 50)), ms(pct(newT, 99)), float64(pct(oldT, 99))/float64(pct(newT, 99)), walk)
	}
	b.ReportMetric(float64(total), "teachers")
}

// oldRoster is the roster's query before issue 14: count(*) and the page
// by OFFSET in one snapshot, a name as a substring.
func oldRoster(ctx context.Context, pool *pgxpool.Pool, f RosterFilter) error {
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return err
	}
	where := "p.county >= $1 AND p.county < $2"
	args := []any{lo, hi}
	if f.Name != "" {
		where += " AND p.name LIKE $3"
		args = append(args, "%"+likeEscape(f.Name)+"%")
	}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles p WHERE `+where, args...).Scan(&n); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT p.teacher_id, p.name, coalesce(u.name, p.unit_name)
		FROM teacher_profiles p LEFT JOIN units u ON u.unit_id = p.unit_id WHERE `+where+fmt.Sprintf(`
		ORDER BY p.county, p.name, p.teacher_id LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// timeConcurrently runs fn rounds times in each of readers goroutines
// (after 6 warm-up calls each: prepared statements go generic after 5)
// and returns every call's duration, sorted.
func timeConcurrently(b *testing.B, readers, rounds int, fn func() error) []time.Duration {
	out := make(chan time.Duration, readers*rounds)
	errs := make(chan error, readers)
	for range readers {
		go func() {
			for range 6 {
				if err := fn(); err != nil {
					errs <- err
					return
				}
			}
			for range rounds {
				start := time.Now()
				if err := fn(); err != nil {
					errs <- err
					return
				}
				out <- time.Since(start)
			}
			errs <- nil
		}()
	}
	for range readers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	close(out)
	var ds []time.Duration
	for d := range out {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}

func pct(ds []time.Duration, p int) time.Duration { return ds[(len(ds)-1)*p/100] }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
