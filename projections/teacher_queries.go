package projections

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
)

// TeacherProjections lists the read models of the teacher record, units and
// accounts, in the order a runner should register them. Each owns its
// tables and keeps its own memory of what it needs from other streams, so
// any one of them can be rebuilt alone.
func TeacherProjections() []Projection {
	return []Projection{
		UnitsProjection{},
		withErasure(TeacherProfileProjection{}),
		withErasure(TeacherHistoryProjection{}),
		withErasure(KeyFieldAuditProjection{}),
		withErasure(QueuesProjection{}),
		withErasure(AccountsProjection{}),
	}
}

// TeacherQueries reads the teacher read models. It does no authorization:
// the caller (httpapi) checks the actor's reach and passes the actor's
// jurisdiction as the filter, and masks values for roles that must not see
// them in full.
type TeacherQueries struct {
	pool *pgxpool.Pool
}

// NewTeacherQueries panics on a nil pool: a wiring mistake.
func NewTeacherQueries(pool *pgxpool.Pool) *TeacherQueries {
	if pool == nil {
		panic("projections: NewTeacherQueries needs a pool")
	}
	return &TeacherQueries{pool: pool}
}

// Paging bounds shared by the list queries.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

func pageBounds(limit, offset int) (int, int, error) {
	var v domain.ValidationError
	if limit < 0 || limit > MaxPageSize {
		v.Add("limit", fmt.Sprintf("每页条数应在1至%d之间", MaxPageSize))
	}
	if offset < 0 {
		v.Add("offset", "起始位置不能为负数")
	}
	if err := v.Err(); err != nil {
		return 0, 0, err
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	return limit, offset, nil
}

// regionRange turns a jurisdiction (2, 4 or 6 digits; "" for everything)
// into a half-open range of region codes: codes are digits, so every code
// with the prefix p lies in [p, p+"~"). A range, unlike LIKE with a
// parameter, uses the btree in a generic plan too.
func regionRange(field, code string) (lo, hi string, err error) {
	if code == "" {
		return "", "~", nil
	}
	if n := len(code); (n != 2 && n != 4 && n != 6) || strings.Trim(code, "0123456789") != "" {
		return "", "", domain.Invalid(field, "管辖区域代码应为2、4或6位数字")
	}
	return code, code + "~", nil
}

// occurredAt is when the change happened by the actor's clock (metadata),
// falling back to the store's recording time for events written without
// it. Both are stored, so a rebuild gets the same value.
func occurredAt(env event.Envelope) time.Time {
	if !env.Metadata.OccurredAt.IsZero() {
		return env.Metadata.OccurredAt.UTC()
	}
	return env.RecordedAt.UTC()
}

// actorOf prefers the metadata, which every command writes, and falls back
// to the actor fields that teacher events also carry.
func actorOf(env event.Envelope, id uuid.UUID, role string) (uuid.UUID, string) {
	if env.Metadata.ActorID != uuid.Nil {
		id = env.Metadata.ActorID
	}
	if env.Metadata.ActorRole != "" {
		role = env.Metadata.ActorRole
	}
	return id, role
}

// streamID parses "<category>-<uuid>"; ok is false for another category.
func streamID(stream, category string) (uuid.UUID, bool) {
	rest, found := strings.CutPrefix(stream, category+"-")
	if !found {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}

// nullUUID maps uuid.Nil to SQL NULL.
func nullUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// parseUnitID reads a unit id stored as a string in teacher events; ""
// is no unit.
func parseUnitID(s string) (*uuid.UUID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("unit id %q: %w", s, err)
	}
	return &id, nil
}

// likeEscape escapes LIKE's wildcards in user input.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// regionName is the short name of a region code ("长安区"), "" if unknown.
func regionName(code string) string {
	if code == "" {
		return ""
	}
	return region.Default().Name(code)
}
