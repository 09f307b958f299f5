package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hbte/record/domain"
)

var schema = Schema{Fields: []Field{
	{Key: "name", Label: "姓名", Aliases: []string{"教师姓名", "Name"}, Required: true},
	{Key: "id_number", Label: "身份证号", Aliases: []string{"身份证件号码", "ID number"}, Required: true},
	{Key: "mobile", Label: "手机号", Aliases: []string{"手机号码", "mobile phone"}},
}}

func values(t *Table) []map[string]string {
	var out []map[string]string
	for _, r := range t.Rows {
		out = append(out, r.Values)
	}
	return out
}

func lines(t *Table) []int {
	var out []int
	for _, r := range t.Rows {
		out = append(out, r.Line)
	}
	return out
}

const plain = "姓名,身份证号,手机号\n张三,130102199001011235,13812341234\n,,\n李四,13010219900101124X,\n"

func TestReadCSVEncodings(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(plain)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"name": "张三", "id_number": "130102199001011235", "mobile": "13812341234"},
		{"name": "李四", "id_number": "13010219900101124X", "mobile": ""},
	}
	tests := []struct {
		name string
		data string
	}{
		{"utf-8", plain},
		{"utf-8 with BOM", "\ufeff" + plain},
		{"gbk", gbk},
		{"crlf", strings.ReplaceAll(plain, "\n", "\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "gbk" && bytes.Equal([]byte(tt.data), []byte(plain)) {
				t.Fatal("GBK encoding produced UTF-8")
			}
			tab, err := ReadCSV(strings.NewReader(tt.data), schema, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := values(tab); !reflect.DeepEqual(got, want) {
				t.Errorf("values = %v, want %v", got, want)
			}
			if got := lines(tab); !reflect.DeepEqual(got, []int{2, 4}) {
				t.Errorf("lines = %v, want [2 4] (blank row skipped, numbering kept)", got)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		keys    []string
		unknown []string
		err     string // a reason fragment
	}{
		{"aliases and markers", "教师姓名*,身份证件号码（必填）,Mobile Phone\n张三,1,2\n", []string{"name", "id_number", "mobile"}, nil, ""},
		{"english with underscores", "name,ID_Number,\n张三,1,\n", []string{"name", "id_number", ""}, nil, ""},
		{"full-width spaces", "\u3000姓 名\u3000,身份证号\n张三,1\n", []string{"name", "id_number"}, nil, ""},
		{"title row before the header", "2026年教师信息导入,,\n姓名,身份证号,备注\n张三,1,x\n", []string{"name", "id_number", ""}, []string{"备注"}, ""},
		{"missing required column", "姓名,手机号\n张三,1\n", nil, nil, "缺少必填列“身份证号”"},
		{"duplicate column", "姓名,教师姓名,身份证号\n张三,张三,1\n", nil, nil, "表头“教师姓名”重复"},
		{"no header at all", "a,b\nc,d\ne,f\ng,h\ni,j\nk,l\n", nil, nil, "未找到表头"},
		{"empty file", "", nil, nil, "文件为空"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := ReadCSV(strings.NewReader(tt.data), schema, Limits{})
			if tt.err != "" {
				if !errors.Is(err, domain.ErrValidation) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want validation containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tab.Keys, tt.keys) || !reflect.DeepEqual(tab.Unknown, tt.unknown) {
				t.Errorf("keys = %q unknown = %q, want %q %q", tab.Keys, tab.Unknown, tt.keys, tt.unknown)
			}
			if len(tab.Rows) != 1 || tab.Rows[0].Get("name") != "张三" {
				t.Errorf("rows = %+v", tab.Rows)
			}
		})
	}
}

func TestRequiredCellsAndErrorReport(t *testing.T) {
	data := "姓名,身份证号,手机号\n张三,,138\n李四,130102199001011235,\n,1301,139\n"
	tab, err := ReadCSV(strings.NewReader(data), schema, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []RowError{
		{Row: 2, Field: "id_number", Reason: "身份证号不能为空"},
		{Row: 4, Field: "name", Reason: "姓名不能为空"},
	}
	if !reflect.DeepEqual(tab.Errors, want) {
		t.Fatalf("errors = %+v, want %+v", tab.Errors, want)
	}
	// The caller adds domain reasons for another row.
	errs := append(tab.Errors, RowErrors(3, domain.Invalid("mobile", "手机号格式错误"))...)
	errs = append(errs, RowErrors(2, domain.Invalid("mobile", "手机号格式错误"))...)
	header, rows := ErrorReport(tab, errs)
	if !reflect.DeepEqual(header, []string{"行号", "错误原因", "姓名", "身份证号", "手机号"}) {
		t.Errorf("header = %q", header)
	}
	wantRows := [][]string{
		{"2", "身份证号：身份证号不能为空；手机号：手机号格式错误", "张三", "", "138"},
		{"3", "手机号：手机号格式错误", "李四", "130102199001011235", ""},
		{"4", "姓名：姓名不能为空", "", "1301", "139"},
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("rows = %q\nwant %q", rows, wantRows)
	}
}

func TestLimits(t *testing.T) {
	big := "姓名,身份证号\n" + strings.Repeat("张三,1\n", 100)
	if _, err := ReadCSV(strings.NewReader(big), schema, Limits{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size: err = %v, want ErrTooLarge", err)
	}
	if _, err := ReadCSV(strings.NewReader(big), schema, Limits{MaxRows: 99}); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("rows: err = %v, want ErrTooManyRows", err)
	}
	withBlanks := "姓名,身份证号\n" + strings.Repeat("张三,1\n,\n", 100)
	if tab, err := ReadCSV(strings.NewReader(withBlanks), schema, Limits{MaxRows: 100}); err != nil || len(tab.Rows) != 100 {
		t.Errorf("blank rows counted: %v", err)
	}
}

func TestReadDispatch(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"a.CSV", nil}, {"old.xls", ErrFormat}, {"x.pdf", ErrFormat}, {"noext", ErrFormat},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(plain), tt.name, schema, Limits{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestXLSX(t *testing.T) {
	// A workbook as a user makes it: a title row, the header, data with a
	// blank row between, numbers stored as text.
	f := excelize.NewFile()
	cells := map[string]string{
		"A1": "教师名单", "A2": "姓名", "B2": "身份证号", "C2": "手机号",
		"A3": "张三", "B3": "130102199001011235", "C3": "13812341234",
		"A5": "李四", "B5": "13010219900101124X",
	}
	for c, v := range cells {
		if err := f.SetCellStr("Sheet1", c, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	tab, err := Read(&buf, "名单.xlsx", schema, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"name": "张三", "id_number": "130102199001011235", "mobile": "13812341234"},
		{"name": "李四", "id_number": "13010219900101124X", "mobile": ""},
	}
	if got := values(tab); !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if got := lines(tab); !reflect.DeepEqual(got, []int{3, 5}) {
		t.Errorf("lines = %v, want [3 5]", got)
	}
	if _, err := ReadXLSX(strings.NewReader("not a zip"), schema, Limits{}); !errors.Is(err, ErrFormat) {
		t.Errorf("garbage: err = %v, want ErrFormat", err)
	}
}

func TestWriteXLSXRoundTrip(t *testing.T) {
	rows := [][]string{
		{"张三", "130102199001011235", "03111234567"},
		{"=HYPERLINK(\"x\")", "13010219900101124X", ""},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "导出", []string{"姓名", "身份证号", "手机号"}, Rows(rows)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"导出"}) {
		t.Errorf("sheets = %q", got)
	}
	got, err := f.GetRows("导出")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "身份证号", "手机号"},
		{"张三", "130102199001011235", "03111234567"},
		{"'=HYPERLINK(\"x\")", "13010219900101124X"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q\nwant %q", got, want)
	}
	typ, _ := f.GetCellType("导出", "B2")
	if typ == excelize.CellTypeNumber {
		t.Error("ID number stored as a number")
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]string{{"张三", "-3.5", "=1+1"}, {"李四", "@SUM(A1)", "a,b"}}
	if err := WriteCSV(&buf, []string{"姓名", "成绩", "备注"}, Rows(rows)); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff姓名,成绩,备注\r\n张三,-3.5,'=1+1\r\n李四,'@SUM(A1),\"a,b\"\r\n"
	if got := buf.String(); got != want {
		t.Errorf("csv = %q\nwant %q", got, want)
	}
	// What we write, we read back.
	tab, err := ReadCSV(&buf, Schema{Fields: []Field{{Key: "name", Label: "姓名", Required: true}, {Key: "note", Label: "备注"}}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Rows[1].Get("note"); got != "a,b" {
		t.Errorf("note = %q", got)
	}
}

func TestRowErrors(t *testing.T) {
	err := &domain.ValidationError{Fields: []domain.FieldError{{Field: "a", Reason: "x"}, {Field: "b", Reason: "y"}}}
	got := RowErrors(7, err)
	want := []RowError{{Row: 7, Field: "a", Reason: "x"}, {Row: 7, Field: "b", Reason: "y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if got := RowErrors(7, errors.New("boom")); len(got) != 1 || got[0].Reason != "boom" || got[0].Error() != "第7行：boom" {
		t.Errorf("plain error: %+v", got)
	}
	if RowErrors(7, nil) != nil {
		t.Error("nil error gave row errors")
	}
}

// A cell that cannot be stored refuses its row with the field and the
// reason; the other rows are read as usual, in NFC.
func TestCellsPassTheTextBoundary(t *testing.T) {
	in := "姓名,身份证号,手机号\n张\x00三,130102199001011235,13812341234\n李四,13010219900101124X,1\x07\ne\u0301,130102199001011235,\n"
	tab, err := ReadCSV(strings.NewReader(in), schema, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(tab); !reflect.DeepEqual(got, []int{4}) {
		t.Fatalf("rows read: %v, want only row 4", got)
	}
	if got := tab.Rows[0].Values["name"]; got != "\u00e9" {
		t.Fatalf("name %q, want NFC", got)
	}
	want := map[int]string{2: "name", 3: "mobile"}
	if len(tab.Errors) != 2 {
		t.Fatalf("errors: %+v", tab.Errors)
	}
	for _, e := range tab.Errors {
		if want[e.Row] != e.Field || e.Reason == "" {
			t.Fatalf("error %+v, want rows 2 (name) and 3 (mobile)", e)
		}
	}
}

// A row refused by the record's state shows the domain's reason for users,
// not the developers' text.
func TestRowErrorsShowTheRefusalsReason(t *testing.T) {
	err := fmt.Errorf("row: %w", domain.Refusal("cannot post a grade at stage \"approved\"", "该学员当前为“省级已审核并分配”，不能发布成绩"))
	got := RowErrors(3, err)
	if len(got) != 1 || got[0].Row != 3 || got[0].Reason != "该学员当前为“省级已审核并分配”，不能发布成绩" {
		t.Fatalf("RowErrors = %+v", got)
	}
}
