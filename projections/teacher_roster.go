package projections

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
)

// RosterFilter selects teachers. Every set field narrows the result.
type RosterFilter struct {
	// Jurisdiction is a region code prefix of the teacher's county: 2
	// digits (province), 4 (city) or 6 (county); "" is every county, for
	// the system actor only.
	Jurisdiction string
	UnitID       uuid.UUID
	// Name matches any part of the name.
	Name string
	// IDNumber is the full number or its last 4 or more characters; a
	// masked number as lists show it ("130102********1235") matches its
	// visible head and tail.
	IDNumber string
	// Limit defaults to DefaultPageSize and may not exceed MaxPageSize.
	Limit  int
	Offset int
}

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
	UpdatedAt         time.Time `json:"updated_at"`
}

// MaskedCopy hides the ID number and mobile.
func (r RosterRow) MaskedCopy() RosterRow {
	r.IDNumber = ident.MaskID(r.IDNumber)
	r.Mobile = ident.MaskMobile(r.Mobile)
	return r
}

// RosterPage is one page of a roster and the number of all matches.
type RosterPage struct {
	Total int         `json:"total"`
	Rows  []RosterRow `json:"rows"`
}

// Roster lists the teachers matching f, ordered by county, name and id.
//
// Index use (a province holds about a million teachers): the jurisdiction
// is a range on the county btree (teacher_profiles_county_name, which also
// gives the order), a unit on teacher_profiles_unit, a name on the pg_trgm
// GIN index (for 3 characters or more), an ID tail on the btree over
// reverse(id_number). The total is a count(*) of the same filter.
func (q *TeacherQueries) Roster(ctx context.Context, f RosterFilter) (RosterPage, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return RosterPage{}, err
	}
	where, args, err := rosterWhere(f)
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
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles p WHERE `+where, args...).Scan(&page.Total); err != nil {
		return RosterPage{}, fmt.Errorf("roster: count: %w", err)
	}
	n := len(args)
	rows, err := tx.Query(ctx, `
		SELECT p.teacher_id, p.revision, p.name, p.gender, p.birth_date, p.id_type, p.id_number,
		       p.city, p.county, coalesce(p.unit_id::text, ''), coalesce(u.name, p.unit_name),
		       p.main_stage, p.main_subject, p.professional_title, p.mobile,
		       p.open_corrections, p.open_transfer_id IS NOT NULL, p.updated_at
		FROM teacher_profiles p LEFT JOIN units u ON u.unit_id = p.unit_id
		WHERE `+where+fmt.Sprintf(`
		ORDER BY p.county, p.name, p.teacher_id
		LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, limit, offset)...)
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
			&r.Mobile, &r.OpenCorrections, &r.OpenTransfer, &r.UpdatedAt); err != nil {
			return RosterPage{}, fmt.Errorf("roster: %w", err)
		}
		r.Revision = uint64(rev)
		r.UpdatedAt = r.UpdatedAt.UTC()
		r.CountyName = regionName(r.County)
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return RosterPage{}, fmt.Errorf("roster: %w", err)
	}
	return page, nil
}

// rosterWhere builds the filter over teacher_profiles p.
func rosterWhere(f RosterFilter) (string, []any, error) {
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return "", nil, err
	}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	conds := []string{"TRUE"}
	if f.Jurisdiction != "" {
		conds = append(conds, "p.county >= "+arg(lo), "p.county < "+arg(hi))
	}
	if f.UnitID != uuid.Nil {
		conds = append(conds, "p.unit_id = "+arg(f.UnitID))
	}
	if name := strings.TrimSpace(f.Name); name != "" {
		if utf8.RuneCountInString(name) > 50 {
			return "", nil, domain.Invalid("name", "姓名不能超过50个字")
		}
		conds = append(conds, "p.name LIKE "+arg("%"+likeEscape(name)+"%"))
	}
	if f.IDNumber != "" {
		c, err := idNumberCondition(f.IDNumber, arg)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, c...)
	}
	return strings.Join(conds, " AND "), args, nil
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
