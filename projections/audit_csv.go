package projections

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// auditCSVHeader is the export's header row, in Chinese for the auditors
// who open it in a spreadsheet.
var auditCSVHeader = []string{
	"时间", "事项", "教师编号", "教师姓名", "所在区县", "字段", "原值", "新值", "理由",
	"更正申请编号", "异动编号", "操作人", "操作人角色", "操作人管辖区域", "事件编号",
}

// WriteKeyFieldAuditCSV writes the rows matching f as CSV: UTF-8 with a
// byte-order mark (so Excel reads the Chinese correctly), Chinese headers,
// times in China time, coded values as their labels and the unit as its
// name. ID numbers are masked in the value columns: an export leaves the
// system, and an auditor who must see a full number looks it up in the
// application, where the reveal is recorded. f.Limit 0 exports every row;
// rows are streamed, not held in memory.
func (q *TeacherQueries) WriteKeyFieldAuditCSV(ctx context.Context, w io.Writer, f AuditFilter) error {
	if f.Limit < 0 || f.Offset < 0 {
		_, _, err := pageBounds(f.Limit, f.Offset)
		return err
	}
	where, args, err := auditWhere(f)
	if err != nil {
		return err
	}
	sql := `SELECT ` + auditColumns + ` FROM key_field_audit WHERE ` + where + auditOrder
	if f.Limit > 0 {
		sql += fmt.Sprintf(` LIMIT $%d`, len(args)+1)
		args = append(args, f.Limit)
	}
	if f.Offset > 0 {
		sql += fmt.Sprintf(` OFFSET $%d`, len(args)+1)
		args = append(args, f.Offset)
	}
	rows, err := q.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("key field audit csv: %w", err)
	}
	defer rows.Close()

	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("key field audit csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what spreadsheet programs on Windows expect
	if err := cw.Write(auditCSVHeader); err != nil {
		return fmt.Errorf("key field audit csv: %w", err)
	}
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("key field audit csv: %w", err)
		}
		if err := cw.Write(auditCSVRecord(a)); err != nil {
			return fmt.Errorf("key field audit csv: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("key field audit csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("key field audit csv: %w", err)
	}
	return nil
}

func auditCSVRecord(a AuditEntry) []string {
	county := regionText(a.County)
	if a.CountyAfter != a.County {
		county += " → " + regionText(a.CountyAfter)
	}
	return []string{
		a.OccurredAt.In(ident.ChinaTime).Format("2006-01-02 15:04:05"),
		auditKind(a.EventType),
		a.TeacherID.String(),
		cell(a.TeacherName),
		county,
		a.FieldLabel,
		cell(auditValue(a.Field, a.OldValue.Raw(), a.OldLabel)),
		cell(auditValue(a.Field, a.NewValue.Raw(), a.NewLabel)),
		cell(a.Reason),
		uuidText(a.CorrectionID),
		uuidText(a.TransferID),
		cell(a.ActorName),
		a.ActorRoleLabel,
		regionText(a.ActorJurisdiction),
		a.EventID.String(),
	}
}

func auditKind(eventType string) string {
	switch eventType {
	case teacher.TypeRegistered:
		return "登记"
	case teacher.TypeKeyFieldCorrected:
		return "更正"
	case teacher.TypeTransferAccepted:
		return "异动"
	}
	return eventType
}

// auditValue renders a value for the export: masked for an ID number, the
// label the event recorded (a unit's name), the region's name for a city or
// county, else the code's label.
func auditValue(field, value, label string) string {
	switch {
	case value == "":
		return ""
	case field == teacher.FieldIDNumber:
		return ident.MaskID(value)
	case label != "":
		return label
	case field == teacher.FieldCity || field == teacher.FieldCounty:
		return regionText(value)
	}
	return teacher.ValueLabel(field, value)
}

// regionText is "130102 长安区", or the code alone if unknown.
func regionText(code string) string {
	if n := regionName(code); n != "" {
		return code + " " + n
	}
	return code
}

func uuidText(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// cell defuses formula injection: a spreadsheet would evaluate free text
// that starts with one of these characters.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// AuditValue is a value of a key-field change as people read it (the
// export's rendering, for the pages too): ID numbers masked, labels and
// region names instead of codes.
func AuditValue(field, value, label string) string { return auditValue(field, value, label) }

// AuditKind is the Chinese name of the event behind an audit row.
func AuditKind(eventType string) string { return auditKind(eventType) }
