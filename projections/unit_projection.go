package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/unit"
)

// UnitsProjection keeps units: every school with its official name, county,
// school area and category (code and Chinese label) and stage.
type UnitsProjection struct{}

func (UnitsProjection) Name() string     { return "units" }
func (UnitsProjection) Tables() []string { return []string{"units"} }

func (UnitsProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	id, ok := streamID(env.Stream, "unit")
	if !ok {
		return nil
	}
	at, rev := occurredAt(env), int64(env.Revision)
	var err error
	switch e := env.Event.(type) {
	case *unit.Registered:
		city := e.City
		if city == "" && len(e.County) >= 4 {
			city = e.County[:4]
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO units (unit_id, revision, name, county, city, area_code, area_label,
				category_code, category_label, stage, stage_label, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
			ON CONFLICT (unit_id) DO NOTHING`,
			id, rev, e.Name, e.County, city, e.Area, dictLabel(ident.SchoolArea, e.Area),
			e.Category, dictLabel(ident.SchoolCategory, e.Category), e.Stage, dictLabel(ident.TeachingStage, e.Stage), at)
	case *unit.Renamed:
		err = updateUnit(ctx, tx, id, rev, at, "name = $4", e.New)
	case *unit.AreaChanged:
		err = updateUnit(ctx, tx, id, rev, at, "area_code = $4, area_label = $5", e.New, dictLabel(ident.SchoolArea, e.New))
	case *unit.CategoryChanged:
		err = updateUnit(ctx, tx, id, rev, at, "category_code = $4, category_label = $5", e.New, dictLabel(ident.SchoolCategory, e.New))
	case *unit.StageChanged:
		err = updateUnit(ctx, tx, id, rev, at, "stage = $4, stage_label = $5", e.New, dictLabel(ident.TeachingStage, e.New))
	default:
		err = updateUnit(ctx, tx, id, rev, at, "")
	}
	if err != nil {
		return fmt.Errorf("unit %s: %s: %w", id, env.Type, err)
	}
	return nil
}

// updateUnit moves the revision and applies set; the revision guard makes
// a repeated event a no-op.
func updateUnit(ctx context.Context, tx pgx.Tx, id uuid.UUID, rev int64, at time.Time, set string, args ...any) error {
	sets := "revision = $2, updated_at = $3"
	if set != "" {
		sets += ", " + set
	}
	_, err := tx.Exec(ctx, `UPDATE units SET `+sets+` WHERE unit_id = $1 AND revision < $2`, append([]any{id, rev, at}, args...)...)
	return err
}

func dictLabel(d *ident.Dict, code string) string {
	if code == "" {
		return ""
	}
	return d.Label(code)
}

// Unit is a school as lists and the teacher profile show it.
type Unit struct {
	UnitID        uuid.UUID `json:"unit_id"`
	Revision      uint64    `json:"revision"`
	Name          string    `json:"name"`
	County        string    `json:"county"`
	CountyName    string    `json:"county_name"`
	City          string    `json:"city"`
	CityName      string    `json:"city_name"`
	AreaCode      string    `json:"area"`
	AreaLabel     string    `json:"area_label"`
	CategoryCode  string    `json:"category"`
	CategoryLabel string    `json:"category_label"`
	Stage         string    `json:"stage"`
	StageLabel    string    `json:"stage_label"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// UnitFilter selects schools.
type UnitFilter struct {
	// Jurisdiction is a region prefix of the school's county; "" is all.
	Jurisdiction string
	// Name matches any part of the official name.
	Name   string
	Limit  int
	Offset int
}

// UnitPage is one page of schools and the number of all matches.
type UnitPage struct {
	Total int    `json:"total"`
	Units []Unit `json:"units"`
}

const unitColumns = `unit_id, revision, name, county, city, area_code, area_label, category_code,
	category_label, stage, stage_label, created_at, updated_at`

func scanUnit(row pgx.Row) (Unit, error) {
	var u Unit
	var rev int64
	if err := row.Scan(&u.UnitID, &rev, &u.Name, &u.County, &u.City, &u.AreaCode, &u.AreaLabel,
		&u.CategoryCode, &u.CategoryLabel, &u.Stage, &u.StageLabel, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return Unit{}, err
	}
	u.Revision = uint64(rev)
	u.CountyName, u.CityName = regionName(u.County), regionName(u.City)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// Unit returns one school; an unknown id matches domain.ErrNotFound.
func (q *TeacherQueries) Unit(ctx context.Context, id uuid.UUID) (Unit, error) {
	u, err := scanUnit(q.pool.QueryRow(ctx, `SELECT `+unitColumns+` FROM units WHERE unit_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Unit{}, fmt.Errorf("unit %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("unit %s: %w", id, err)
	}
	return u, nil
}

// Units lists schools matching f, ordered by county, name and id.
func (q *TeacherQueries) Units(ctx context.Context, f UnitFilter) (UnitPage, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return UnitPage{}, err
	}
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return UnitPage{}, err
	}
	where := "county >= $1 AND county < $2"
	args := []any{lo, hi}
	if name := strings.TrimSpace(f.Name); name != "" {
		if utf8.RuneCountInString(name) > 60 {
			return UnitPage{}, domain.Invalid("name", "单位名称不能超过60个字")
		}
		args = append(args, "%"+likeEscape(name)+"%")
		where += " AND name LIKE $3"
	}
	tx, err := q.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return UnitPage{}, fmt.Errorf("units: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var page UnitPage
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM units WHERE `+where, args...).Scan(&page.Total); err != nil {
		return UnitPage{}, fmt.Errorf("units: count: %w", err)
	}
	n := len(args)
	rows, err := tx.Query(ctx, `SELECT `+unitColumns+` FROM units WHERE `+where+
		fmt.Sprintf(` ORDER BY county, name, unit_id LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return UnitPage{}, fmt.Errorf("units: %w", err)
	}
	defer rows.Close()
	page.Units = []Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return UnitPage{}, fmt.Errorf("units: %w", err)
		}
		page.Units = append(page.Units, u)
	}
	if err := rows.Err(); err != nil {
		return UnitPage{}, fmt.Errorf("units: %w", err)
	}
	return page, nil
}
