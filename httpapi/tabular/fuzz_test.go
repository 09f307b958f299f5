package tabular

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hbte/record/domain/text"
)

// The readers never panic, and every value they hand on passes the text
// boundary: whatever a file holds, what reaches a command can be stored.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{plain, "姓名,身份证号\n张\x00三,1\n", "\xef\xbb\xbf姓名,身份证号\n\"a\nb\",x\n", "", "姓名\n\"unterminated", "a,b\n1,2,3\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Read(bytes.NewReader(data), "x.csv", schema, Limits{MaxRows: 200})
		if err != nil {
			return
		}
		checkTable(t, tab)
	})
}

func FuzzReadXLSX(f *testing.F) {
	x := excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "身份证号", "手机号"})
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"张三", "130102199001011235", 13812341234})
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04 not really a zip"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Read(bytes.NewReader(data), "x.xlsx", schema, Limits{MaxRows: 200})
		if err != nil {
			return
		}
		checkTable(t, tab)
	})
}

func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	for _, r := range tab.Rows {
		for k, v := range r.Values {
			if p := text.Problem(v); p != "" {
				t.Fatalf("row %d %s = %q passed the reader: %s", r.Line, k, v, p)
			}
		}
	}
}
