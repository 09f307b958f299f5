package appraisal

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// UploadStreamName is the stream of one upload batch.
func UploadStreamName(batchID uuid.UUID) string { return "upload-" + batchID.String() }

// Kind is what an upload file holds. Stored in events: never change.
type Kind string

const (
	KindEthics Kind = "ethics" // 师德考核
	KindAnnual Kind = "annual" // 年度考核
)

// Valid reports whether k is known.
func (k Kind) Valid() bool { return k == KindEthics || k == KindAnnual }

// Label is the Chinese name shown to users.
func (k Kind) Label() string {
	switch k {
	case KindEthics:
		return "师德考核"
	case KindAnnual:
		return "年度考核"
	}
	return string(k)
}

// MaxHonorsLength bounds the honors cell (in characters).
const MaxHonorsLength = 500

// Row is one row of an upload file as read, every cell a string.
type Row struct {
	Year     string
	Name     string
	IDNumber string
	Gender   string
	Unit     string
	// Result is 达标/不达标 for ethics, a grade label or code for annual.
	Result string
	// SeriousBreach (ethics only) is an optional 是/否 cell.
	SeriousBreach string
	Honors        string
}

// TeacherFacts are the record's values of the teacher an ID number found;
// the validator compares the row with them and never changes them.
type TeacherFacts struct {
	TeacherID uuid.UUID
	Name      string
	// Gender is 男 or 女 (or the codes 1/2).
	Gender string
	Unit   string
	County string
}

// RowContext is what a row is checked against besides the teacher.
type RowContext struct {
	Kind Kind
	// Uploader is the county admin uploading; teachers outside their county
	// are refused.
	Uploader access.Actor
	// CurrentYear bounds the year column: results are uploaded after a year
	// ends or at its end, never ahead.
	CurrentYear int
}

// Parsed is a row that passed validation.
type Parsed struct {
	Row       int
	TeacherID uuid.UUID
	County    string
	Year      int
	Grade     Grade  // KindAnnual
	Ethics    Ethics // KindEthics
}

// NotInReach is the row error for an ID number the uploader's county has
// no teacher with, whether another county has one or nobody does.
const NotInReach = "本辖区内没有该证件号码的教师"

// NormalizeID is the form ID numbers are looked up by: trimmed, with a
// lowercase check character x uppercased.
func NormalizeID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ValidateRow checks one upload row (numbered from 1) against the teacher
// found by its ID number (nil when none was found). Every problem is
// reported; a name, gender or unit that disagrees with the record is an
// error for the row and is never written back to the record, since the
// record, not the spreadsheet, is the authority on identity.
func ValidateRow(ctx RowContext, n int, r Row, found *TeacherFacts) (Parsed, []domain.FieldError) {
	var errs []domain.FieldError
	add := func(field, reason string) {
		errs = append(errs, domain.FieldError{Row: n, Field: field, Reason: reason})
	}
	p := Parsed{Row: n}

	year, err := strconv.Atoi(strings.TrimSpace(r.Year))
	switch {
	case err != nil:
		add("year", "年度应为四位数字")
	case year < FirstYear || year > ctx.CurrentYear:
		add("year", fmt.Sprintf("年度应在%d至%d之间", FirstYear, ctx.CurrentYear))
	default:
		p.Year = year
	}

	if NormalizeID(r.IDNumber) == "" {
		add("id_number", "请填写身份证件号码")
	} else if found == nil || !ctx.Uploader.Covers(found.County) {
		// A teacher of another county reads exactly like a number nobody
		// has: nothing of that record (name, unit) is compared or told.
		add("id_number", NotInReach)
	} else {
		p.TeacherID, p.County = found.TeacherID, found.County
		if name := strings.TrimSpace(r.Name); name == "" {
			add("name", "请填写姓名")
		} else if name != strings.TrimSpace(found.Name) {
			add("name", "姓名与教师信息不一致（以系统记录为准，未作修改）")
		}
		if g, ok := parseGender(r.Gender); !ok {
			add("gender", "性别应为男或女")
		} else if fg, _ := parseGender(found.Gender); g != fg {
			add("gender", "性别与教师信息不一致（以系统记录为准，未作修改）")
		}
		if unit := strings.Join(strings.Fields(r.Unit), ""); unit == "" {
			add("unit", "请填写单位")
		} else if unit != strings.Join(strings.Fields(found.Unit), "") {
			add("unit", "单位与教师信息不一致（以系统记录为准，未作修改）")
		}
	}

	honors := strings.TrimSpace(r.Honors)
	if utf8.RuneCountInString(honors) > MaxHonorsLength {
		add("honors", fmt.Sprintf("荣誉不能超过%d字", MaxHonorsLength))
	}

	switch ctx.Kind {
	case KindAnnual:
		if g, ok := ParseGrade(r.Result); ok {
			p.Grade = g
		} else {
			add("result", "考核结果应为优秀、合格、基本合格、不合格或代码1-4")
		}
	case KindEthics:
		passed, ok := ParseEthics(r.Result)
		if !ok {
			add("result", "师德考核结果应为达标或不达标")
		}
		serious, ok2 := parseYesNo(r.SeriousBreach)
		if !ok2 {
			add("serious_breach", "严重违反师德应填是或否")
		}
		if ok && ok2 && serious && passed {
			add("serious_breach", "有严重违反师德行为的，师德考核不能为达标")
		}
		p.Ethics = Ethics{Year: p.Year, Passed: passed, SeriousBreach: serious, Honors: honors}
	default:
		add("kind", "未知的上传类型")
	}
	if len(errs) > 0 {
		return Parsed{}, errs
	}
	return p, nil
}

func parseGender(s string) (string, bool) {
	switch strings.TrimSpace(s) {
	case "男", "1":
		return "男", true
	case "女", "2":
		return "女", true
	}
	return "", false
}

// ValidateRows checks a whole file: every row alone, then that no teacher
// appears twice for one year (which of the two would count is a guess the
// system should not make: both rows are refused).
func ValidateRows(ctx RowContext, rows []Row, lookup func(normalizedID string) *TeacherFacts) ([]Parsed, []domain.FieldError) {
	var (
		parsed []Parsed
		errs   []domain.FieldError
	)
	type key struct {
		id   string
		year string
	}
	firstRow := map[key]int{}
	dup := map[int]bool{}
	for i, r := range rows {
		k := key{NormalizeID(r.IDNumber), strings.TrimSpace(r.Year)}
		if k.id == "" {
			continue
		}
		if j, ok := firstRow[k]; ok {
			dup[j], dup[i] = true, true
		} else {
			firstRow[k] = i
		}
	}
	for i, r := range rows {
		n := i + 1
		p, rowErrs := ValidateRow(ctx, n, r, lookup(NormalizeID(r.IDNumber)))
		if dup[i] {
			rowErrs = append(rowErrs, domain.FieldError{Row: n, Field: "id_number", Reason: "同一教师同一年度在文件中出现多次"})
		}
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		parsed = append(parsed, p)
	}
	return parsed, errs
}

// Upload is one upload batch.
type Upload struct {
	event.Root
	id       uuid.UUID
	recorded *UploadRecorded
}

// NewUpload returns an empty batch; load history into it or call Record.
func NewUpload(id uuid.UUID) *Upload { return &Upload{id: id} }

func (u *Upload) ID() uuid.UUID { return u.id }

// Summary is the recorded batch, nil before it is recorded.
func (u *Upload) Summary() *UploadRecorded {
	if u.recorded == nil {
		return nil
	}
	c := *u.recorded
	return &c
}

// Apply changes the state from an event; it never fails.
func (u *Upload) Apply(e event.Event) {
	if e, ok := e.(*UploadRecorded); ok {
		u.id = e.BatchID
		u.recorded = e
	}
}

// UploadFile describes the uploaded file.
type UploadFile struct {
	Name   string
	SHA256 string
}

// RecordUpload records the batch once. rows is the number of data rows;
// errorsReport is the SHA-256 of the stored report of the row errors
// (empty when every row was accepted).
func (u *Upload) RecordUpload(actor access.Actor, kind Kind, f UploadFile, rows, accepted int, errorsReport string, at time.Time) error {
	if u.recorded != nil {
		return fmt.Errorf("appraisal: upload %s already recorded: %w", u.id, domain.ErrDuplicate)
	}
	if actor.Role != access.RoleCountyAdmin || access.JurisdictionLevel(actor.Jurisdiction) != "county" {
		return fmt.Errorf("appraisal: only a county admin uploads results: %w", access.ErrForbidden)
	}
	v := &domain.ValidationError{}
	if u.id == uuid.Nil {
		v.Add("batch_id", "缺少批次编号")
	}
	if !kind.Valid() {
		v.Add("kind", "未知的上传类型")
	}
	if strings.TrimSpace(f.Name) == "" {
		v.Add("file_name", "缺少文件名")
	}
	if len(f.SHA256) != 64 {
		v.Add("file_sha256", "文件摘要不正确")
	}
	if rows < 0 || accepted < 0 || accepted > rows {
		v.Add("rows", "行数不正确")
	}
	if errorsReport != "" && len(errorsReport) != 64 {
		v.Add("errors_report", "错误报告摘要不正确")
	}
	if at.IsZero() {
		v.Add("at", "缺少上传时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u.Record(u, &UploadRecorded{
		BatchID: u.id, Kind: kind, County: actor.Jurisdiction, FileName: strings.TrimSpace(f.Name),
		FileSHA256: f.SHA256, Rows: rows, Accepted: accepted, Rejected: rows - accepted,
		ErrorsReport: errorsReport, UploadedBy: actor.UserID, UploadedAt: at,
	})
	return nil
}
