package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/eventstore"
)

// CreditImportRow is one training record of an earlier system, every cell
// as read. Line is the row number the user sees in the file.
type CreditImportRow struct {
	Line        int
	IDNumber    string
	Name        string
	Year        string
	CompletedOn string
	Level       string
	Category    string
	Hours       string
	Credits     string
	Title       string
	ExternalID  string
}

// CreditImportReport says what became of every row.
type CreditImportReport struct {
	System string `json:"system"`
	Rows   int    `json:"rows"`
	// Granted rows added an entry; Unchanged rows were already counted with
	// the same figures (a file imported again); Rejected rows have errors.
	Granted   int                 `json:"granted"`
	Unchanged int                 `json:"unchanged"`
	Rejected  int                 `json:"rejected"`
	Errors    []domain.FieldError `json:"errors"`
	// Position is the last write, for read-your-writes.
	Position eventstore.Position `json:"-"`
}

// ImportCredits loads training records since 2018 from an earlier system.
// Each row becomes a ledger entry marked as imported with its source (the
// system and the record's id there), which is also what makes it count
// once: importing the same file again grants nothing. A row with an error
// is reported and skipped; the others are applied. The domain decides who
// may import (credit.CanGrant).
func (h *Handlers) ImportCredits(ctx context.Context, actor access.Actor, system string, rows []CreditImportRow) (CreditImportReport, error) {
	system = strings.TrimSpace(system)
	rep := CreditImportReport{System: system, Rows: len(rows), Errors: []domain.FieldError{}}
	if system == "" {
		return rep, domain.Invalid("system", "请填写数据来源系统名称")
	}
	// The domain says who imports; asking it about the actor's own region
	// refuses a role that may not import at all before any row is read.
	if !credit.CanGrant(actor, credit.SourceImport, actor.Jurisdiction) {
		return rep, fmt.Errorf("credit import: %s may not import training records: %w", actor.Role, access.ErrForbidden)
	}
	for _, row := range rows {
		errs, recorded, pos, err := h.importCreditRow(ctx, actor, system, row)
		if err != nil {
			return rep, fmt.Errorf("row %d: %w", row.Line, err)
		}
		switch {
		case len(errs) > 0:
			rep.Rejected++
			rep.Errors = append(rep.Errors, errs...)
		case recorded:
			rep.Granted++
			if rep.Position.Less(pos) {
				rep.Position = pos
			}
		default:
			rep.Unchanged++
		}
	}
	return rep, nil
}

// importCreditRow returns the row's errors, or applies it. err is for
// failures that are not the row's fault (the store is down).
func (h *Handlers) importCreditRow(ctx context.Context, actor access.Actor, system string, row CreditImportRow) ([]domain.FieldError, bool, eventstore.Position, error) {
	var none eventstore.Position
	var errs []domain.FieldError
	add := func(field, reason string) {
		errs = append(errs, domain.FieldError{Row: row.Line, Field: field, Reason: reason})
	}
	g := credit.Grant{Title: row.Title, Source: credit.Source{Kind: credit.SourceImport, System: system, ExternalID: strings.TrimSpace(row.ExternalID)}}
	year, err := strconv.Atoi(strings.TrimSpace(row.Year))
	if err != nil {
		add("year", "年度应为四位数字")
	}
	g.Year = year
	if s := strings.TrimSpace(row.CompletedOn); s == "" {
		if err == nil {
			// Only the year is known: the latest day the activity can have
			// happened, as the ledger asks.
			g.CompletedOn = time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
		}
	} else if d, ok := parseDay(s); ok {
		g.CompletedOn = d
	} else {
		add("completed_on", "完成日期格式应为2019-06-30")
	}
	if lv, ok := parseCreditLevel(row.Level); ok {
		g.Level = lv
	} else {
		add("level", "级别应为国家级、省级、市级、县级、校级、其他或代码10/20/30/40/60/99")
	}
	if c, ok := parseCreditCategory(row.Category); ok {
		g.Category = c
	} else {
		add("category", "类别应为培训、校本研修、学历提升、班主任工作或其他")
	}
	if s := strings.TrimSpace(row.Hours); s != "" {
		n, err := credit.ParseQuantity(s)
		if err != nil {
			add("hours", "学时应为数字，最多保留一位小数（如 12 或 12.5）")
		}
		g.Hours = n
	}
	if s := strings.TrimSpace(row.Credits); s != "" {
		f, err := credit.ParseQuantity(s)
		if err != nil {
			add("credits", "学分应为数字，最多保留一位小数（如 1 或 0.5）")
		}
		g.Credits = f
	}
	idNumber := appraisal.NormalizeID(row.IDNumber)
	if idNumber == "" {
		add("id_number", "请填写身份证件号码")
		return errs, false, none, nil
	}
	teacherID, err := h.TeacherByIDNumber(ctx, idNumber)
	if errors.Is(err, domain.ErrNotFound) {
		add("id_number", appraisal.NotInReach)
		return errs, false, none, nil
	}
	if err != nil {
		return nil, false, none, err
	}
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return nil, false, none, err
	}
	if !actor.Covers(t.County()) {
		// The same as a number nobody has (permission before state).
		add("id_number", appraisal.NotInReach)
		return errs, false, none, nil
	}
	if name := strings.TrimSpace(row.Name); name != strings.TrimSpace(t.Profile().Name) {
		add("name", "姓名与教师信息不一致（以系统记录为准）")
	}
	if len(errs) > 0 {
		return errs, false, none, nil
	}
	res, err := h.GrantCredits(ctx, actor, teacherID, g)
	if rowErr := rowErrors(row.Line, err); rowErr != nil {
		return rowErr, false, none, nil
	}
	if err != nil {
		return nil, false, none, err
	}
	return nil, res.Recorded, res.Position, nil
}

// rowErrors turns a refusal of one row's decision into its row errors; it
// returns nil for success and for failures that are not the row's (which
// the caller returns as they are).
func rowErrors(line int, err error) []domain.FieldError {
	if err == nil {
		return nil
	}
	var v *domain.ValidationError
	switch {
	case errors.As(err, &v):
		out := make([]domain.FieldError, len(v.Fields))
		for i, f := range v.Fields {
			f.Row = line
			out[i] = f
		}
		return out
	case errors.Is(err, access.ErrForbidden):
		return []domain.FieldError{{Row: line, Field: "id_number", Reason: "无权处理该教师的记录"}}
	case errors.Is(err, credit.ErrAlreadyCounted):
		return []domain.FieldError{{Row: line, Field: "external_id", Reason: "该记录已计入，且学时、学分等与本次不同；如需更改请先撤销原记录"}}
	case errors.Is(err, appraisal.ErrUseCorrection):
		return []domain.FieldError{{Row: line, Field: "result", Reason: "该年度已有不同的结果，请通过更正功能修改并说明原因"}}
	case errors.Is(err, domain.ErrDuplicate):
		return []domain.FieldError{{Row: line, Field: "", Reason: "记录重复"}}
	}
	// A refusal by the state of the record (e.g. a teacher whose record is
	// closed) is the row's, with the domain's reason for the uploader.
	var refusal *domain.StateError
	if errors.As(err, &refusal) {
		return []domain.FieldError{{Row: line, Field: "", Reason: refusal.UserMessage()}}
	}
	return nil
}

// parseDay reads 2019-06-30, 2019/6/30 or 20190630.
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006.1.2"} {
		if d, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

func parseCreditLevel(s string) (credit.Level, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []credit.Level{credit.LevelNational, credit.LevelProvincial, credit.LevelCity, credit.LevelCounty, credit.LevelSchool, credit.LevelOther} {
		if s == string(l) || s == l.Label() {
			return l, true
		}
	}
	return "", false
}

func parseCreditCategory(s string) (credit.Category, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return credit.CategoryTraining, true
	}
	for _, c := range []credit.Category{credit.CategoryTraining, credit.CategorySchoolBased, credit.CategoryDegreeStudy, credit.CategoryClassTeacher, credit.CategoryOther} {
		if s == string(c) || s == c.Label() {
			return c, true
		}
	}
	return "", false
}
