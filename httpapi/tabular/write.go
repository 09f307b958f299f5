package tabular

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"sort"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// WriteCSV writes UTF-8 with a BOM (without it Excel in a Chinese locale
// reads the file as GBK and shows mojibake) and CRLF line ends.
func WriteCSV(w io.Writer, header []string, rows iter.Seq[[]string]) error {
	if _, err := w.Write([]byte{0xEF, 0xBB, 0xBF}); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(safeRow(header)); err != nil {
		return err
	}
	for row := range rows {
		if err := cw.Write(safeRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeRow defuses formula injection: a cell a spreadsheet would run as a
// formula (=, +, -, @ at the start, or a leading tab/CR) gets a leading
// apostrophe, unless it is a plain number such as -3.5.
func safeRow(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = safeCell(c)
	}
	return out
}

func safeCell(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(c, 64); err == nil && c[0] != '=' && c[0] != '@' {
			return c
		}
		return "'" + c
	}
	return c
}

// WriteXLSX streams header and rows into one sheet. Every cell is written
// as text so ID numbers and codes keep their leading zeros and digits.
func WriteXLSX(w io.Writer, sheet string, header []string, rows iter.Seq[[]string]) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if sheet == "" {
		sheet = "Sheet1"
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx panes: %w", err)
	}
	n := 1
	put := func(cells []string) error {
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = safeCell(c)
		}
		n++
		return sw.SetRow(cell, vals)
	}
	if err := put(header); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	for row := range rows {
		if err := put(row); err != nil {
			return fmt.Errorf("xlsx row %d: %w", n, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	return f.Write(w)
}

// Rows adapts a slice for the writers.
func Rows(rows [][]string) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for _, r := range rows {
			if !yield(r) {
				return
			}
		}
	}
}

// ErrorReport is the upload sent back with two leading columns, 行号 and
// 错误原因: every row that has errors, its cells as uploaded, all its
// reasons joined. The user fixes the cells and uploads the report again
// (the extra columns are unknown headers and ignored).
func ErrorReport(t *Table, errs []RowError) (header []string, rows [][]string) {
	header = append([]string{"行号", "错误原因"}, t.Headers...)
	reasons := map[int][]string{}
	order := []int{}
	labels := map[string]string{}
	for i, k := range t.Keys {
		if k != "" {
			labels[k] = t.Headers[i]
		}
	}
	for _, e := range errs {
		if _, ok := reasons[e.Row]; !ok {
			order = append(order, e.Row)
		}
		r := e.Reason
		if l, ok := labels[e.Field]; ok {
			r = cleanCell(l) + "：" + r
		}
		reasons[e.Row] = append(reasons[e.Row], r)
	}
	sort.Ints(order)
	cells := map[int][]string{}
	for _, row := range t.Rows {
		cells[row.Line] = row.Cells
	}
	for _, line := range order {
		joined := ""
		for i, r := range reasons[line] {
			if i > 0 {
				joined += "；"
			}
			joined += r
		}
		out := append([]string{strconv.Itoa(line), joined}, cells[line]...)
		rows = append(rows, out)
	}
	return header, rows
}
