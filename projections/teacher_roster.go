package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// RosterFilter selects teachers. Every set field narrows the result.
type RosterFilter struct {
	// Jurisdiction is a region code prefix of the teacher's county: 2
	// digits (province), 4 (city) or 6 (county); "" is every county, for
	// the system actor only.
	Jurisdiction string
	UnitID       uuid.UUID
	// Name matches the beginning of the name: a surname or a whole name.
	Name string
	// IDNumber is the full number or its last 4 or more characters; a
	// masked number as lists show it ("130102********1235") matches its
	// visible head and tail.
	IDNumber string
	// After is the cursor of the previous page (RosterPage.Next): the page
	// starts after it, at the same cost however deep. Offset skips rows
	// (after the cursor, if any) and costs what it skips; it stays for
	// older clients.
	After string
	// Limit defaults to DefaultPageSize and may not exceed MaxPageSize.
	Limit  int
	Offset int
}

// RosterCountCap bounds the count of a roster: a count costs what it
// counts, and no reader needs to know more than "over 10,000".
const RosterCountCap = 10_000

// RosterRow is one teacher in a list, with full values; call MaskedCopy
// before showing it in a list.
type RosterRow struct {
	TeacherID         uuid.UUID `json:"teacher_id"`
	Revision          uint64    `json:"revision"`
	Name              string    `json:"name"`
	Gender            string    `json:"gender"`
	BirthDate         string    `json:"birth_date"`
	IDType            string    `json:"id_type"`
	IDNumber          string    `json:"id_number"`
	City              string    `json:"city"`
	County            string    `json:"county"`
	CountyName        string    `json:"county_name"`
	UnitID            string    `json:"unit_id"`
	UnitName          string    `json:"unit_name"`
	MainStage         string    `json:"main_stage"`
	MainSubject       string    `json:"main_subject"`
	ProfessionalTitle string    `json:"professional_title"`
	Mobile            string    `json:"mobile"`
	OpenCorrections   int       `json:"open_corrections"`
	OpenTransfer      bool      `json:"open_transfer"`
	// TransferredOut: the teacher left the province; the record is
	// read-only and StatusLabel says 已调出本省.
	TransferredOut bool      `json:"transferred_out"`
	StatusLabel    string    `json:"status_label,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// MaskedCopy hides the ID number and mobile.
func (r RosterRow) MaskedCopy() RosterRow {
	r.IDNumber = ident.MaskID(r.IDNumber)
	r.Mobile = ident.MaskMobile(r.Mobile)
	return r
}

// RosterPage is one page of a roster and the number of all matches.
type RosterPage struct {
	// Total counts the matches up to RosterCountCap; TotalCapped says
	// there are more than that.
	Total       int         `json:"total"`
	TotalCapped bool        `json:"total_capped"`
	Rows        []RosterRow `json:"rows"`
	// Next is the cursor of the following page (RosterFilter.After, the
	// API's ?after=), empty on the last page.
	Next string `json:"next,omitempty"`
}

// rosterCursor is the position of a row in the roster's order.
type rosterCursor struct {
	County string
	Name   string
	ID     uuid.UUID
}

func (c rosterCursor) encode() string {
	b, _ := json.Marshal([]string{c.County, c.Name, c.ID.String()})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeRosterCursor(s string) (*rosterCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := domain.Invalid("after", "分页位置无效，请从第一页重新查询")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return nil, bad
	}
	var v []string
	if err := json.Unmarshal(b, &v); err != nil || len(v) != 3 {
		return nil, bad
	}
	id, err := uuid.Parse(v[2])
	if err != nil || !utf8.ValidString(v[1]) {
		return nil, bad
	}
	return &rosterCursor{County: v[0], Name: v[1], ID: id}, nil
}

// Roster lists the teachers matching f, ordered by county, name (in byte
// order, COLLATE "C") and id; a name searched in the whole province (a
// jurisdiction of two digits or none) is ordered by name and id.
//
// Index use (a province holds about a million teachers): everything goes
// through the btree teacher_profiles_county_name_c (county, name COLLATE
// "C", teacher_id). Without a name, unit or ID number, the jurisdiction's
// rows are one range of it in the page's order, and a page (the cursor a
// row comparison) one descent into it, however deep. With a name, the
// query walks the counties of the jurisdiction (a loose index scan: one
// descent per county) and takes from each at most a page, starting after
// the cursor, the name prefix a range within the county; so a page costs
// about one index descent per county, however deep. A unit
// (teacher_profiles_unit) or an ID number (the btree over
// reverse(id_number)) selects few rows, which are sorted. The total is
// counted the same way, up to RosterCountCap. A name searched in the whole
// province is one range of teacher_profiles_name_c (name COLLATE "C",
// teacher_id, with the county included), the page and the capped count
// both: the commonest surname matches 7 % of the province, and a page from
// each of its counties cost more than the whole range up to the cap.
func (q *TeacherQueries) Roster(ctx context.Context, f RosterFilter) (RosterPage, error) {
	return q.roster(ctx, f, false)
}

// roster is Roster; byCounty takes the county walk for a province-wide
// name and for a list without a name too (the benchmark's baseline).
func (q *TeacherQueries) roster(ctx context.Context, f RosterFilter, byCounty bool) (RosterPage, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return RosterPage{}, err
	}
	after, err := decodeRosterCursor(f.After)
	if err != nil {
		return RosterPage{}, err
	}
	keys, count, args, err := rosterSQL(f, after, limit, offset, byCounty)
	if err != nil {
		return RosterPage{}, err
	}
	// One snapshot for the count and the page, so they agree.
	tx, err := q.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return RosterPage{}, fmt.Errorf("roster: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var page RosterPage
	if err := tx.QueryRow(ctx, count, args.count...).Scan(&page.Total); err != nil {
		return RosterPage{}, fmt.Errorf("roster: count: %w", err)
	}
	if page.Total > RosterCountCap {
		page.Total, page.TotalCapped = RosterCountCap, true
	}
	rows, err := tx.Query(ctx, `
		WITH `+keys+`
		SELECT p.teacher_id, p.revision, p.name, p.gender, p.birth_date, p.id_type, p.id_number,
		       p.city, p.county, coalesce(p.unit_id::text, ''), coalesce(u.name, p.unit_name),
		       p.main_stage, p.main_subject, p.professional_title, p.mobile,
		       p.open_corrections, p.open_transfer_id IS NOT NULL, p.transferred_out_to <> '', p.updated_at
		FROM k JOIN teacher_profiles p ON p.teacher_id = k.teacher_id
		LEFT JOIN units u ON u.unit_id = p.unit_id
		ORDER BY `+args.order, args.keys...)
	if err != nil {
		return RosterPage{}, fmt.Errorf("roster: %w", err)
	}
	defer rows.Close()
	page.Rows = []RosterRow{}
	for rows.Next() {
		var r RosterRow
		var rev int64
		if err := rows.Scan(&r.TeacherID, &rev, &r.Name, &r.Gender, &r.BirthDate, &r.IDType, &r.IDNumber,
			&r.City, &r.County, &r.UnitID, &r.UnitName, &r.MainStage, &r.MainSubject, &r.ProfessionalTitle,
			&r.Mobile, &r.OpenCorrections, &r.OpenTransfer, &r.TransferredOut, &r.UpdatedAt); err != nil {
			return RosterPage{}, fmt.Errorf("roster: %w", err)
		}
		if r.TransferredOut {
			r.StatusLabel = teacher.TransferredOutLabel
		}
		r.Revision = uint64(rev)
		r.UpdatedAt = r.UpdatedAt.UTC()
		r.CountyName = regionName(r.County)
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return RosterPage{}, fmt.Errorf("roster: %w", err)
	}
	if len(page.Rows) > limit {
		page.Rows = page.Rows[:limit]
		last := page.Rows[limit-1]
		page.Next = rosterCursor{County: last.County, Name: last.Name, ID: last.TeacherID}.encode()
	}
	return page, nil
}

type rosterArgs struct {
	keys, count []any
	// order is the ORDER BY of the page over k.
	order string
}

// rosterSQL builds the CTE "k" (county, name, teacher_id) of the page's
// keys (limit+1 rows, to know whether a next page exists) and the capped
// count, with their arguments. byCounty takes the county walk also for a
// name searched province-wide and for a list without a name (the
// benchmark's baseline).
func rosterSQL(f RosterFilter, after *rosterCursor, limit, offset int, byCounty bool) (keys, count string, a rosterArgs, err error) {
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return "", "", a, err
	}
	a.order = "k.county, k.name, k.teacher_id"
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var conds []string // conditions on p within the county
	if name := strings.TrimSpace(f.Name); name != "" {
		if utf8.RuneCountInString(name) > 50 {
			return "", "", a, domain.Invalid("name", "姓名不能超过50个字")
		}
		conds = append(conds, `p.name COLLATE "C" >= `+arg(name))
		if next, ok := prefixEnd(name); ok {
			conds = append(conds, `p.name COLLATE "C" < `+arg(next))
		} else {
			conds = append(conds, `p.name LIKE `+arg(likeEscape(name)+"%"))
		}
	}
	if f.UnitID != uuid.Nil || f.IDNumber != "" {
		// Few rows: filter, then sort.
		if f.Jurisdiction != "" {
			conds = append(conds, "p.county >= "+arg(lo), "p.county < "+arg(hi))
		}
		if f.UnitID != uuid.Nil {
			conds = append(conds, "p.unit_id = "+arg(f.UnitID))
		}
		if f.IDNumber != "" {
			c, err := idNumberCondition(f.IDNumber, arg)
			if err != nil {
				return "", "", a, err
			}
			conds = append(conds, c...)
		}
		where := strings.Join(conds, " AND ")
		a.count = append([]any(nil), args...)
		count = fmt.Sprintf(`WITH f AS MATERIALIZED (SELECT 1 FROM teacher_profiles p WHERE %s LIMIT %d) SELECT count(*) FROM f`, where, RosterCountCap+1)
		if after != nil {
			where += fmt.Sprintf(` AND (p.county, p.name COLLATE "C", p.teacher_id) > (%s, %s, %s)`, arg(after.County), arg(after.Name), arg(after.ID))
		}
		// Materialized, so the planner picks the filter's index rather
		// than the one that gives the order.
		keys = fmt.Sprintf(`f AS MATERIALIZED (SELECT p.county, p.name COLLATE "C" AS name, p.teacher_id FROM teacher_profiles p WHERE %s),
			k AS (SELECT * FROM f ORDER BY 1, 2, 3 LIMIT %s OFFSET %s)`, where, arg(limit+1), arg(offset))
		a.keys = args
		return keys, count, a, nil
	}
	if len(conds) > 0 && len(f.Jurisdiction) <= 2 && !byCounty {
		// A name searched in the whole province (a province admin governs
		// every county): one range of teacher_profiles_name_c (name
		// COLLATE "C", teacher_id) INCLUDE (county), in name order, instead
		// of a page from each of the province's counties; the count is the
		// same range, up to the cap. A city's counties are a tenth of the
		// range: they keep the county walk.
		where := strings.Join(conds, " AND ")
		if f.Jurisdiction != "" {
			// Not a range of county: the generic plan would take the
			// county index for it, and scan the whole province.
			where += " AND left(p.county, 2) = " + arg(f.Jurisdiction)
		}
		a.count = append([]any(nil), args...)
		count = fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM teacher_profiles p WHERE %s LIMIT %d) t`, where, RosterCountCap+1)
		if after != nil {
			where += fmt.Sprintf(` AND (p.name COLLATE "C", p.teacher_id) > (%s, %s)`, arg(after.Name), arg(after.ID))
		}
		keys = fmt.Sprintf(`k AS (SELECT p.county, p.name COLLATE "C" AS name, p.teacher_id FROM teacher_profiles p
			WHERE %s ORDER BY p.name COLLATE "C", p.teacher_id LIMIT %s OFFSET %s)`, where, arg(limit+1), arg(offset))
		a.keys, a.order = args, "k.name, k.teacher_id"
		return keys, count, a, nil
	}
	if len(conds) == 0 && !byCounty {
		// No name: the jurisdiction's rows in the page's order are one
		// range of teacher_profiles_county_name_c, and a page one descent
		// into it, however deep (the county walk read a page from every
		// county after the cursor's: 46 ms at p50 for a province page in
		// the middle of 100,000 teachers).
		where := "true"
		if f.Jurisdiction != "" {
			where = "p.county >= " + arg(lo) + " AND p.county < " + arg(hi)
		}
		a.count = append([]any(nil), args...)
		count = fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM teacher_profiles p WHERE %s LIMIT %d) t`, where, RosterCountCap+1)
		if after != nil {
			where += fmt.Sprintf(` AND (p.county, p.name COLLATE "C", p.teacher_id) > (%s, %s, %s)`, arg(after.County), arg(after.Name), arg(after.ID))
		}
		keys = fmt.Sprintf(`k AS (SELECT p.county, p.name COLLATE "C" AS name, p.teacher_id FROM teacher_profiles p
			WHERE %s ORDER BY p.county, p.name COLLATE "C", p.teacher_id LIMIT %s OFFSET %s)`, where, arg(limit+1), arg(offset))
		a.keys = args
		return keys, count, a, nil
	}
	// The counties of the jurisdiction, one index descent each.
	walk := func(from string) string {
		return `RECURSIVE c(county) AS (
			(SELECT county FROM teacher_profiles WHERE county >= ` + from + ` AND county < ` + arg(hi) + ` ORDER BY county LIMIT 1)
			UNION ALL
			SELECT (SELECT p.county FROM teacher_profiles p WHERE p.county > c.county AND p.county < ` + arg(hi) + ` ORDER BY p.county LIMIT 1)
			FROM c WHERE c.county IS NOT NULL)`
	}
	within := ""
	if len(conds) > 0 {
		within = " AND " + strings.Join(conds, " AND ")
	}
	nameArgs := append([]any(nil), args...)
	countWalk := walk(arg(lo))
	count = fmt.Sprintf(`WITH %s SELECT count(*) FROM (SELECT 1 FROM c CROSS JOIN LATERAL (
			SELECT 1 FROM teacher_profiles p WHERE p.county = c.county%s LIMIT %d) x LIMIT %d) t`,
		countWalk, within, RosterCountCap+1, RosterCountCap+1)
	a.count = args

	args = nameArgs
	start, resume := lo, ""
	if after != nil && after.County > lo {
		start = after.County
	}
	from := arg(start)
	if after != nil {
		resume = fmt.Sprintf(` AND (p.name COLLATE "C", p.teacher_id) > (CASE WHEN c.county = %[1]s THEN %[2]s ELSE '' END, CASE WHEN c.county = %[1]s THEN %[3]s ELSE '00000000-0000-0000-0000-000000000000'::uuid END)`,
			arg(after.County), arg(after.Name), arg(after.ID))
	}
	w := walk(from)
	per := arg(offset + limit + 1)
	keys = fmt.Sprintf(`%s, k AS (SELECT x.county, x.name, x.teacher_id FROM c CROSS JOIN LATERAL (
			SELECT p.county, p.name COLLATE "C" AS name, p.teacher_id FROM teacher_profiles p
			WHERE p.county = c.county%s%s ORDER BY p.name COLLATE "C", p.teacher_id LIMIT %s) x
			ORDER BY 1, 2, 3 LIMIT %s OFFSET %s)`, w, within, resume, per, arg(limit+1), arg(offset))
	a.keys = args
	return keys, count, a, nil
}

// prefixEnd is the least string greater than every string starting with
// p in byte order (UTF-8 orders as code points): p with its last code point
// raised by one. ok is false when there is no such code point.
func prefixEnd(p string) (string, bool) {
	r, size := utf8.DecodeLastRuneInString(p)
	if r == utf8.RuneError || r == utf8.MaxRune {
		return "", false
	}
	r++
	if r >= 0xD800 && r <= 0xDFFF { // surrogates are not characters
		r = 0xE000
	}
	return p[:len(p)-size] + string(r), true
}

// idNumberCondition matches a full number, a tail of 4+ characters, or a
// masked number (head and tail around asterisks, of the same length).
func idNumberCondition(raw string, arg func(any) string) ([]string, error) {
	v := strings.ToUpper(strings.Join(strings.Fields(raw), ""))
	head, tail, masked := v, "", false
	if i := strings.IndexByte(v, '*'); i >= 0 {
		j := strings.LastIndexByte(v, '*')
		if strings.Trim(v[i:j+1], "*") != "" {
			return nil, domain.Invalid("id_number", "证件号码中的*只能连续出现在中间")
		}
		head, tail, masked = v[:i], v[j+1:], true
	} else {
		head, tail = "", v
	}
	if strings.Trim(head+tail, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, domain.Invalid("id_number", "证件号码只能包含数字和字母")
	}
	if len(tail) < 4 {
		return nil, domain.Invalid("id_number", "请输入完整证件号码或至少后4位")
	}
	// The tail is a prefix of the reversed number: a range on its index.
	rt := reverseString(tail)
	conds := []string{"reverse(p.id_number) >= " + arg(rt), "reverse(p.id_number) < " + arg(rt+"~")}
	if masked {
		conds = append(conds, "p.id_number LIKE "+arg(head+strings.Repeat("_", len(v)-len(head)-len(tail))+tail))
	}
	return conds, nil
}

func reverseString(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
