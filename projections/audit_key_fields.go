package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// KeyFieldAuditProjection keeps key_field_audit: one row per key field an
// event set or changed, with the teacher's name and county at the time and
// the actor, for auditors who verify who changed identity data and when.
//
// What counts:
//   - teacher.registered: one row per non-empty key field, old value "",
//     so the auditor sees who set each key field first. The certificate
//     number's row carries the admin's override reason, if any.
//   - teacher.key_field_corrected: one row (a correction approved from a
//     teacher's request carries its correction id; gender and birth date
//     forced by an ID number carry the "随…更正" reason the domain wrote).
//   - teacher.transfer_accepted: one row each for city (when it changes),
//     county and unit, with the transfer id and the reason given when the
//     transfer was started. A transfer only started, rejected or cancelled
//     changes no key field and makes no row.
//
// The teacher's name and county "at the time" are those before the change
// (the record the admin acted on); county_after differs only for a
// transfer, so both counties' auditors see it.
type KeyFieldAuditProjection struct{}

func (KeyFieldAuditProjection) Name() string { return "key_field_audit" }
func (KeyFieldAuditProjection) Tables() []string {
	return []string{"key_field_audit", "key_field_audit_teachers"}
}

// auditTeacher is the projection's memory of one teacher.
type auditTeacher struct {
	revision           int64
	name, city, county string
	unitID, unitName   string
	transferID         *uuid.UUID
	transferReason     string
}

type auditRow struct {
	field, old, new, oldLabel, newLabel, reason string
	correctionID, transferID                    *uuid.UUID
	county, countyAfter, teacherName            string
}

func (KeyFieldAuditProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	id, ok := streamID(env.Stream, "teacher")
	if !ok {
		return nil
	}
	if !changesKeyFields(env.Event) {
		// Most of a teacher's events (ordinary edits, requests) neither
		// make a row nor change what the projection remembers: no read,
		// no write. The stored revision is that of the last event that
		// did, which is all the replay guard below needs.
		return nil
	}
	rev := int64(env.Revision)
	st, found, err := loadAuditTeacher(ctx, tx, id)
	if err != nil {
		return err
	}
	if found && rev <= st.revision {
		return nil // applied already
	}
	var rows []auditRow
	switch e := env.Event.(type) {
	case *teacher.Registered:
		if found {
			return nil
		}
		p := e.Profile
		st = auditTeacher{name: p.Name, city: p.City, county: p.County, unitID: p.UnitID, unitName: e.UnitName}
		for _, f := range teacher.Fields() {
			v := p.Get(f)
			if !teacher.IsKeyField(f) || v == "" {
				continue
			}
			r := auditRow{field: f, new: v}
			switch f {
			case teacher.FieldUnit:
				r.newLabel = e.UnitName
			case teacher.FieldCertificateNumber:
				if e.CertificateOverride != "" {
					r.reason = "按历史证书例外登记，说明：" + e.CertificateOverride
				}
			}
			rows = append(rows, r)
		}
		for i := range rows {
			rows[i].county, rows[i].countyAfter, rows[i].teacherName = p.County, p.County, p.Name
		}
	default:
		if !found {
			return fmt.Errorf("key field audit: %s for teacher %s, who is not registered", env.Type, id)
		}
		rows = st.change(env.Event)
	}
	st.revision = rev
	return insertAuditRows(ctx, tx, env, id, rows, st)
}

// changesKeyFields reports whether ev is one of the events Apply records
// or remembers: a registration, a key-field correction, or a step of a
// transfer.
func changesKeyFields(ev event.Event) bool {
	switch ev.(type) {
	case *teacher.Registered, *teacher.KeyFieldCorrected, *teacher.TransferStarted,
		*teacher.TransferRejected, *teacher.TransferCancelled, *teacher.TransferAccepted:
		return true
	}
	return false
}

// change applies ev to the memory and returns the rows it makes, filled
// with the state before the change.
func (st *auditTeacher) change(ev event.Event) []auditRow {
	before := auditRow{county: st.county, countyAfter: st.county, teacherName: st.name}
	switch e := ev.(type) {
	case *teacher.KeyFieldCorrected:
		r := before
		r.field, r.old, r.new, r.oldLabel, r.newLabel = e.Field, e.Old, e.New, e.OldLabel, e.NewLabel
		r.reason = e.Reason
		if e.Override != "" {
			r.reason += "；按历史证书例外处理，说明：" + e.Override
		}
		r.correctionID = nullUUID(e.CorrectionID)
		switch e.Field {
		case teacher.FieldName:
			st.name = e.New
		case teacher.FieldCity:
			st.city = e.New
		case teacher.FieldCounty:
			st.county = e.New
			r.countyAfter = e.New
		case teacher.FieldUnit:
			st.unitID, st.unitName = e.New, e.NewLabel
		}
		return []auditRow{r}
	case *teacher.TransferStarted:
		st.transferID, st.transferReason = nullUUID(e.TransferID), e.Reason
	case *teacher.TransferRejected, *teacher.TransferCancelled:
		st.transferID, st.transferReason = nil, ""
	case *teacher.TransferAccepted:
		reason := ""
		if st.transferID != nil && *st.transferID == e.TransferID {
			reason = st.transferReason
		}
		tid := nullUUID(e.TransferID)
		mk := func(field, old, nu, oldLabel, newLabel string) auditRow {
			r := before
			r.countyAfter = e.ToCounty
			r.field, r.old, r.new, r.oldLabel, r.newLabel = field, old, nu, oldLabel, newLabel
			r.reason, r.transferID = reason, tid
			return r
		}
		var rows []auditRow
		if st.city != e.ToCity {
			rows = append(rows, mk(teacher.FieldCity, st.city, e.ToCity, "", ""))
		}
		if st.county != e.ToCounty {
			rows = append(rows, mk(teacher.FieldCounty, st.county, e.ToCounty, "", ""))
		}
		if st.unitID != e.ToUnitID {
			rows = append(rows, mk(teacher.FieldUnit, st.unitID, e.ToUnitID, st.unitName, e.ToUnitName))
		}
		st.city, st.county, st.unitID, st.unitName = e.ToCity, e.ToCounty, e.ToUnitID, e.ToUnitName
		st.transferID, st.transferReason = nil, ""
		return rows
	}
	return nil
}

func loadAuditTeacher(ctx context.Context, tx pgx.Tx, id uuid.UUID) (auditTeacher, bool, error) {
	var st auditTeacher
	err := tx.QueryRow(ctx, `
		SELECT revision, name, city, county, unit_id, unit_name, transfer_id, transfer_reason
		FROM key_field_audit_teachers WHERE teacher_id = $1`, id).
		Scan(&st.revision, &st.name, &st.city, &st.county, &st.unitID, &st.unitName, &st.transferID, &st.transferReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return auditTeacher{}, false, nil
	}
	if err != nil {
		return auditTeacher{}, false, fmt.Errorf("key field audit: teacher %s: %w", id, err)
	}
	return st, true, nil
}

var insertAudit = newBulkInsert("key_field_audit",
	[]string{"event_id", "field", "teacher_id", "revision", "seq", "event_type", "teacher_name",
		"county", "county_after", "field_label", "old_value", "new_value", "old_label", "new_label", "reason",
		"correction_id", "transfer_id", "actor_id", "actor_name", "actor_role", "actor_jurisdiction", "occurred_at"},
	"ON CONFLICT (event_id, field) DO NOTHING")

// insertAuditRows writes an event's rows and the teacher's state after it
// (a registration makes a row a key field). In a run of events they reach
// PostgreSQL with the run's other statements (pipeTx).
func insertAuditRows(ctx context.Context, tx pgx.Tx, env event.Envelope, teacherID uuid.UUID, rows []auditRow, st auditTeacher) error {
	pid, prole := payloadActor(env.Event)
	actorID, role := actorOf(env, pid, prole)
	for seq, r := range rows {
		err := insertRow(ctx, tx, insertAudit,
			env.ID, r.field, teacherID, int64(env.Revision), seq, env.Type, r.teacherName,
			r.county, r.countyAfter, teacher.FieldLabel(r.field), r.old, r.new, r.oldLabel, r.newLabel, r.reason,
			r.correctionID, r.transferID, actorID, env.Metadata.ActorName, role, env.Metadata.Jurisdiction, occurredAt(env))
		if err != nil {
			return fmt.Errorf("key field audit: %s: %w", env.ID, err)
		}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO key_field_audit_teachers (teacher_id, revision, name, city, county, unit_id, unit_name, transfer_id, transfer_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (teacher_id) DO UPDATE SET revision = $2, name = $3, city = $4, county = $5,
			unit_id = $6, unit_name = $7, transfer_id = $8, transfer_reason = $9`,
		teacherID, st.revision, st.name, st.city, st.county, st.unitID, st.unitName, st.transferID, st.transferReason)
	if err != nil {
		return fmt.Errorf("key field audit: %s: %w", env.ID, err)
	}
	return nil
}

// AuditFilter selects key-field audit rows. Every set field narrows.
type AuditFilter struct {
	TeacherID uuid.UUID
	Field     string // a field name, e.g. "id_number"
	ActorID   uuid.UUID
	// Jurisdiction is a region prefix of the teacher's county before or
	// after the change; "" is everything (system actor only).
	Jurisdiction string
	// From is inclusive, To exclusive; zero means open.
	From, To time.Time
	// Limit defaults to DefaultPageSize for KeyFieldAudit; for the CSV
	// export 0 means every row.
	Limit  int
	Offset int
}

// AuditEntry is one key-field change. Values are in full; the CSV export
// masks ID numbers.
type AuditEntry struct {
	EventID           uuid.UUID    `json:"event_id"`
	EventType         string       `json:"event_type"`
	TeacherID         uuid.UUID    `json:"teacher_id"`
	Revision          uint64       `json:"revision"`
	TeacherName       string       `json:"teacher_name"`
	County            string       `json:"county"`
	CountyAfter       string       `json:"county_after"`
	Field             string       `json:"field"`
	FieldLabel        string       `json:"field_label"`
	OldValue          ident.Masked `json:"old_value"` // masked by the field's type unless revealed
	NewValue          ident.Masked `json:"new_value"`
	OldLabel          string       `json:"old_label,omitempty"`
	NewLabel          string       `json:"new_label,omitempty"`
	Reason            string       `json:"reason"`
	CorrectionID      *uuid.UUID   `json:"correction_id,omitempty"`
	TransferID        *uuid.UUID   `json:"transfer_id,omitempty"`
	ActorID           uuid.UUID    `json:"actor_id"`
	ActorName         string       `json:"actor_name"`
	ActorRole         string       `json:"actor_role"`
	ActorRoleLabel    string       `json:"actor_role_label"`
	ActorJurisdiction string       `json:"actor_jurisdiction"`
	OccurredAt        time.Time    `json:"occurred_at"`
}

// AuditPage is one page of audit rows and the number of all matches.
type AuditPage struct {
	Total   int          `json:"total"`
	Entries []AuditEntry `json:"entries"`
}

// auditWhere builds the filter; rows are ordered by time, then by their
// place in the teacher's stream.
func auditWhere(f AuditFilter) (string, []any, error) {
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
		l, h := arg(lo), arg(hi)
		conds = append(conds, fmt.Sprintf("((county >= %[1]s AND county < %[2]s) OR (county_after >= %[1]s AND county_after < %[2]s))", l, h))
	}
	if f.TeacherID != uuid.Nil {
		conds = append(conds, "teacher_id = "+arg(f.TeacherID))
	}
	if f.Field != "" {
		if !teacher.IsKeyField(f.Field) {
			return "", nil, domain.Invalid("field", "不是关键字段")
		}
		conds = append(conds, "field = "+arg(f.Field))
	}
	if f.ActorID != uuid.Nil {
		conds = append(conds, "actor_id = "+arg(f.ActorID))
	}
	if !f.From.IsZero() {
		conds = append(conds, "occurred_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		if !f.From.IsZero() && !f.From.Before(f.To) {
			return "", nil, domain.Invalid("to", "结束时间应晚于开始时间")
		}
		conds = append(conds, "occurred_at < "+arg(f.To))
	}
	return strings.Join(conds, " AND "), args, nil
}

const auditColumns = `event_id, event_type, teacher_id, revision, teacher_name, county, county_after, field,
	field_label, old_value, new_value, old_label, new_label, reason, correction_id, transfer_id,
	actor_id, actor_name, actor_role, actor_jurisdiction, occurred_at`

const auditOrder = ` ORDER BY occurred_at, teacher_id, revision, seq`

func scanAudit(rows pgx.Rows) (AuditEntry, error) {
	var a AuditEntry
	var rev int64
	var oldValue, newValue string
	err := rows.Scan(&a.EventID, &a.EventType, &a.TeacherID, &rev, &a.TeacherName, &a.County, &a.CountyAfter,
		&a.Field, &a.FieldLabel, &oldValue, &newValue, &a.OldLabel, &a.NewLabel, &a.Reason,
		&a.CorrectionID, &a.TransferID, &a.ActorID, &a.ActorName, &a.ActorRole, &a.ActorJurisdiction, &a.OccurredAt)
	a.OldValue, a.NewValue = ident.NewMasked(a.Field, oldValue), ident.NewMasked(a.Field, newValue)
	a.Revision = uint64(rev)
	a.OccurredAt = a.OccurredAt.UTC()
	a.ActorRoleLabel = access.Role(a.ActorRole).Label()
	return a, err
}

// KeyFieldAudit lists key-field changes matching f, oldest first.
func (q *TeacherQueries) KeyFieldAudit(ctx context.Context, f AuditFilter) (AuditPage, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return AuditPage{}, err
	}
	where, args, err := auditWhere(f)
	if err != nil {
		return AuditPage{}, err
	}
	tx, err := q.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return AuditPage{}, fmt.Errorf("key field audit: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var page AuditPage
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM key_field_audit WHERE `+where, args...).Scan(&page.Total); err != nil {
		return AuditPage{}, fmt.Errorf("key field audit: count: %w", err)
	}
	n := len(args)
	rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM key_field_audit WHERE `+where+auditOrder+
		fmt.Sprintf(` LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("key field audit: %w", err)
	}
	defer rows.Close()
	page.Entries = []AuditEntry{}
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return AuditPage{}, fmt.Errorf("key field audit: %w", err)
		}
		page.Entries = append(page.Entries, a)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, fmt.Errorf("key field audit: %w", err)
	}
	return page, nil
}
