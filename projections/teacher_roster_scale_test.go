package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/migrations/pgtest"
)

// TestRosterPagesAndCountAtScale fills teacher_profiles with 12,600
// teachers over three counties and checks that cursor pages walk exactly
// the rows of the order that SQL gives, that offset pages agree with
// them, that names match from their start, and that the count stops at
// RosterCountCap.
func TestRosterPagesAndCountAtScale(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	// Names: a surname of four, then one or two given characters; some
	// share a whole name, so the id decides the order among them.
	if _, err := pool.Exec(ctx, `
		INSERT INTO teacher_profiles (teacher_id, revision, name, county, city, registered_at, updated_at)
		SELECT md5(i::text)::uuid, 1,
		       (ARRAY['王','李','张','欧阳'])[i % 4 + 1] || (ARRAY['芳','伟','娜','秀英','强'])[i % 5 + 1] || CASE WHEN i % 3 = 0 THEN '' ELSE chr(19968 + i % 50) END,
		       (ARRAY['130102','130104','130202'])[CASE WHEN i < 10500 THEN 1 WHEN i < 12000 THEN 2 ELSE 3 END],
		       '1301', now(), now()
		FROM generate_series(0, 12599) i`); err != nil {
		t.Fatal(err)
	}
	q := NewTeacherQueries(pool)
	// A name searched in the whole province is in name order.
	want := func(f RosterFilter, where string, args ...any) []uuid.UUID {
		order := `county COLLATE "C", name COLLATE "C", teacher_id`
		if f.Name != "" && len(f.Jurisdiction) <= 2 {
			order = `name COLLATE "C", teacher_id`
		}
		rows, err := pool.Query(ctx, `SELECT teacher_id FROM teacher_profiles WHERE `+where+` ORDER BY `+order, args...)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	walk := func(f RosterFilter) (ids []uuid.UUID, first RosterPage) {
		for i := 0; ; i++ {
			p, err := q.Roster(ctx, f)
			if err != nil {
				t.Fatalf("Roster(%+v): %v", f, err)
			}
			if i == 0 {
				first = p
			}
			for _, r := range p.Rows {
				ids = append(ids, r.TeacherID)
			}
			if p.Next == "" {
				return ids, first
			}
			if len(p.Rows) != f.Limit {
				t.Fatalf("a page of %d rows before the end, want %d", len(p.Rows), f.Limit)
			}
			f.After = p.Next
		}
	}
	tests := []struct {
		f      RosterFilter
		where  string
		args   []any
		total  int
		capped bool
	}{
		{RosterFilter{Jurisdiction: "13", Limit: 200}, `county LIKE '13%'`, nil, RosterCountCap, true},
		{RosterFilter{Jurisdiction: "130102", Limit: 200}, `county = '130102'`, nil, RosterCountCap, true},
		{RosterFilter{Jurisdiction: "1301", Limit: 300}, `county LIKE '1301%'`, nil, RosterCountCap, true},
		{RosterFilter{Limit: 500}, `true`, nil, RosterCountCap, true},
		{RosterFilter{Jurisdiction: "1301", Name: "王", Limit: 200}, `county LIKE '1301%' AND name LIKE '王%'`, nil, 3000, false},
		{RosterFilter{Jurisdiction: "13", Name: "欧阳秀英", Limit: 37}, `name LIKE '欧阳秀英%'`, nil, 630, false},
		{RosterFilter{Jurisdiction: "130202", Name: "李", Limit: 7}, `county = '130202' AND name LIKE '李%'`, nil, 150, false},
		{RosterFilter{Jurisdiction: "13", Name: "张伟", Limit: 50}, `name LIKE '张伟%'`, nil, 630, false},
		{RosterFilter{Name: "赵", Limit: 50}, `name LIKE '赵%'`, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.f), func(t *testing.T) {
			got, first := walk(tc.f)
			exp := want(tc.f, tc.where, tc.args...)
			if !slices.Equal(got, exp) {
				t.Fatalf("cursor pages gave %d rows, SQL %d (or another order)", len(got), len(exp))
			}
			if first.Total != tc.total || first.TotalCapped != tc.capped {
				t.Errorf("total %d capped %v, want %d %v", first.Total, first.TotalCapped, tc.total, tc.capped)
			}
			if !tc.capped && tc.total != len(exp) {
				t.Errorf("total %d, rows %d", tc.total, len(exp))
			}
			// Offset pages agree with the cursor, and combine with it.
			for _, off := range []int{0, 1, len(exp) / 2, len(exp) - 1, len(exp)} {
				if off < 0 {
					continue
				}
				f := tc.f
				f.Offset = off
				p, err := q.Roster(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				end := min(off+f.Limit, len(exp))
				if !slices.Equal(rowIDs(p), exp[min(off, len(exp)):end]) || (p.Next != "") != (end < len(exp)) {
					t.Errorf("offset %d: %d rows, next %q", off, len(p.Rows), p.Next)
				}
				if len(p.Rows) > 0 {
					f.Offset, f.After = 1, p.Next
					if n, err := q.Roster(ctx, f); err != nil || (p.Next != "" && len(n.Rows) > 0 && n.Rows[0].TeacherID != exp[end+1]) {
						t.Errorf("offset after a cursor: %v", err)
					}
				}
			}
		})
	}
	for _, bad := range []string{"x", "e30", "WyIxMzAxMDIiLCLnjosiXQ", "WyIxMzAxMDIiLCLnjosiLCJub3QtYS11dWlkIl0"} {
		if _, err := q.Roster(ctx, RosterFilter{Jurisdiction: "130102", After: bad}); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("cursor %q: %v, want a validation error", bad, err)
		}
	}
}

func rowIDs(p RosterPage) []uuid.UUID {
	out := make([]uuid.UUID, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = r.TeacherID
	}
	return out
}
