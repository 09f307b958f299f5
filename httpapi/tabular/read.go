package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/text"
)

// Field is one column the caller understands. Key is the stable name used
// in Row.Values; Label is the Chinese header written in templates and
// reports; Aliases are other headers users type (English names, old
// template names). Matching ignores case, spaces, underscores, hyphens, a
// trailing required-marker "*" and a parenthesised note such as "（必填）".
type Field struct {
	Key      string
	Label    string
	Aliases  []string
	Required bool
}

// Schema lists the fields of one kind of upload.
type Schema struct {
	Fields []Field
}

// Limits bound one upload. Zero values take the defaults.
type Limits struct {
	MaxBytes int64 // default 10 MiB
	MaxRows  int   // data rows, blank rows not counted; default 10,000
}

const (
	DefaultMaxBytes = 10 << 20
	DefaultMaxRows  = 10_000
	// headerSearch is how many leading rows may hold a title before the
	// header row (templates often have a merged title row).
	headerSearch = 5
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	return l
}

// Row is one non-blank data row. Line is its row number as the user sees it
// in Excel (the header row of a plain file is 1, the first data row 2).
type Row struct {
	Line   int
	Values map[string]string // field key -> trimmed cell
	Cells  []string          // every cell as read, for the error report
}

// Get returns the value of key ("" if absent).
func (r Row) Get(key string) string { return r.Values[key] }

// Table is a parsed upload.
type Table struct {
	Headers []string // as written in the file
	Keys    []string // field key of each column, "" for an unknown column
	Unknown []string // headers that matched no field, for a warning
	Rows    []Row
	// Errors are row problems found while reading (a required cell empty).
	// The caller appends its own and writes an ErrorReport.
	Errors []RowError
}

// RowError is one problem of one row, shown to the user in the error
// report. Field is the field key ("" for the whole row).
type RowError struct {
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("第%d行：%s", e.Row, e.Reason)
	}
	return fmt.Sprintf("第%d行 %s：%s", e.Row, e.Field, e.Reason)
}

// RowErrors converts a domain validation error of one row (from a decision
// method or validator) into row errors, so domain reasons reach the report.
func RowErrors(row int, err error) []RowError {
	var v *domain.ValidationError
	if errors.As(err, &v) {
		out := make([]RowError, 0, len(v.Fields))
		for _, f := range v.Fields {
			out = append(out, RowError{Row: row, Field: f.Field, Reason: f.Reason})
		}
		return out
	}
	if err == nil {
		return nil
	}
	// A refusal by state carries its reason for users (domain.StateError).
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return []RowError{{Row: row, Reason: u.UserMessage()}}
	}
	return []RowError{{Row: row, Reason: err.Error()}}
}

var (
	ErrTooLarge    = errors.New("upload too large")
	ErrTooManyRows = errors.New("too many rows")
	ErrFormat      = errors.New("unsupported file format")
)

// Read dispatches on the file name: .csv or .xlsx. Legacy .xls is refused
// with a hint to re-save, because no maintained pure-Go reader exists.
func Read(r io.Reader, filename string, s Schema, lim Limits) (*Table, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv", ".txt":
		return ReadCSV(r, s, lim)
	case ".xlsx":
		return ReadXLSX(r, s, lim)
	case ".xls":
		return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", "不支持Excel 97-2003（.xls）格式，请另存为.xlsx或CSV后上传"))
	}
	return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", "仅支持.xlsx或.csv文件"))
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, domain.Invalid("file", fmt.Sprintf("文件不能超过%dMB", max>>20)))
	}
	return data, nil
}

// DecodeText returns data as UTF-8: a UTF-8 BOM is dropped; bytes that are
// not valid UTF-8 are taken as GB18030 (a superset of GBK and GB2312, what
// Excel in a Chinese locale writes for "CSV").
func DecodeText(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", "文件编码无法识别，请保存为UTF-8编码的CSV"))
	}
	return out, nil
}

// ReadCSV parses a comma-separated upload.
func ReadCSV(r io.Reader, s Schema, lim Limits) (*Table, error) {
	lim = lim.withDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	if data, err = DecodeText(data); err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	b := newBuilder(s, lim)
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", fmt.Sprintf("第%d行CSV格式错误", n)))
		}
		if err := b.add(n, rec); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// ReadXLSX parses the first sheet of a workbook.
func ReadXLSX(r io.Reader, s Schema, lim Limits) (*Table, error) {
	lim = lim.withDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	// Unzipped limits guard against a small file that inflates enormously.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: 20 * lim.MaxBytes, UnzipXMLSizeLimit: 10 * lim.MaxBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", "无法读取该Excel文件，请确认是.xlsx格式"))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrFormat, domain.Invalid("file", "工作簿中没有工作表"))
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	defer rows.Close()
	b := newBuilder(s, lim)
	for n := 1; rows.Next(); n++ {
		rec, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		if err := b.add(n, rec); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return b.finish()
}

// builder turns records into a Table; shared by both formats.
type builder struct {
	s       Schema
	lim     Limits
	byAlias map[string]string
	t       *Table
	header  bool
}

func newBuilder(s Schema, lim Limits) *builder {
	by := map[string]string{}
	for _, f := range s.Fields {
		for _, a := range append([]string{f.Key, f.Label}, f.Aliases...) {
			if a != "" {
				by[normalizeHeader(a)] = f.Key
			}
		}
	}
	return &builder{s: s, lim: lim, byAlias: by, t: &Table{}}
}

func (b *builder) add(n int, rec []string) error {
	if blank(rec) {
		return nil
	}
	if !b.header {
		return b.tryHeader(n, rec)
	}
	if len(b.t.Rows) >= b.lim.MaxRows {
		return fmt.Errorf("%w: %w", ErrTooManyRows, domain.Invalid("file", fmt.Sprintf("数据不能超过%d行，请分批上传", b.lim.MaxRows)))
	}
	row := Row{Line: n, Values: map[string]string{}, Cells: rec}
	bad := false
	for i, key := range b.t.Keys {
		switch {
		case key == "":
		case i >= len(rec): // Excel drops trailing empty cells
			row.Values[key] = ""
		default:
			// The text boundary: a cell that cannot be stored (a NUL, a
			// control character, broken encoding) refuses its row.
			v, err := text.Clean(key, cleanCell(rec[i]))
			if err != nil {
				b.t.Errors = append(b.t.Errors, RowErrors(n, err)...)
				bad = true
				continue
			}
			row.Values[key] = v
		}
	}
	if bad {
		return nil
	}
	for _, f := range b.s.Fields {
		if f.Required && row.Values[f.Key] == "" {
			if _, present := index(b.t.Keys, f.Key); present {
				b.t.Errors = append(b.t.Errors, RowError{Row: n, Field: f.Key, Reason: label(f) + "不能为空"})
			}
		}
	}
	b.t.Rows = append(b.t.Rows, row)
	return nil
}

// tryHeader takes the first row naming a known field as the header; rows
// before it (titles, notes) are skipped, within headerSearch rows.
func (b *builder) tryHeader(n int, rec []string) error {
	keys := make([]string, len(rec))
	known := 0
	for i, h := range rec {
		keys[i] = b.byAlias[normalizeHeader(h)]
		if keys[i] != "" {
			known++
		}
	}
	if known == 0 {
		if n >= headerSearch {
			return domain.Invalid("header", "未找到表头，请使用导入模板")
		}
		return nil
	}
	v := &domain.ValidationError{}
	seen := map[string]bool{}
	for i, k := range keys {
		switch {
		case k == "" && strings.TrimSpace(rec[i]) != "":
			b.t.Unknown = append(b.t.Unknown, strings.TrimSpace(rec[i]))
		case k != "" && seen[k]:
			v.Add("header", fmt.Sprintf("表头“%s”重复", strings.TrimSpace(rec[i])))
		}
		seen[k] = true
	}
	for _, f := range b.s.Fields {
		if f.Required && !seen[f.Key] {
			v.Add("header", fmt.Sprintf("缺少必填列“%s”", label(f)))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	b.t.Headers = append([]string(nil), rec...)
	b.t.Keys = keys
	b.header = true
	return nil
}

func (b *builder) finish() (*Table, error) {
	if !b.header {
		return nil, domain.Invalid("file", "文件为空或未找到表头")
	}
	return b.t, nil
}

func label(f Field) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Key
}

func index(xs []string, x string) (int, bool) {
	for i, y := range xs {
		if y == x {
			return i, true
		}
	}
	return -1, false
}

func blank(rec []string) bool {
	for _, c := range rec {
		if cleanCell(c) != "" {
			return false
		}
	}
	return true
}

// cleanCell trims ordinary, full-width and non-breaking spaces, which
// Excel users paste in without seeing them.
func cleanCell(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff' })
}

func normalizeHeader(h string) string {
	h = cleanCell(h)
	// Drop a parenthesised note: 身份证号（必填）, mobile (optional).
	for _, open := range []string{"(", "（"} {
		if i := strings.Index(h, open); i > 0 {
			h = h[:i]
		}
	}
	h = strings.TrimRight(cleanCell(h), "*＊")
	h = strings.ToLower(h)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, h)
}
