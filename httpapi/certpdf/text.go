package certpdf

import (
	"strings"

	"github.com/go-pdf/fpdf"
)

// Droid Sans Fallback has CJK glyphs but none for ASCII, so digits, Latin
// letters and Western punctuation come from a second font. A run is a
// stretch of text drawn in one font.
const (
	fontCJK   = "cjk"
	fontLatin = "latin"
	// cjkFrom is the first code point taken from the CJK font: CJK
	// radicals, symbols and punctuation (U+3000 block), ideographs, and
	// the full-width forms all lie above it; Latin, general punctuation
	// (“” —) and the like lie below and are covered by the Latin font.
	cjkFrom = 0x2E80
)

type run struct {
	font string
	text string
}

func fontFor(r rune) string {
	if r >= cjkFrom {
		return fontCJK
	}
	return fontLatin
}

func runs(s string) []run {
	var out []run
	for _, r := range s {
		f := fontFor(r)
		if n := len(out); n > 0 && out[n-1].font == f {
			out[n-1].text += string(r)
			continue
		}
		out = append(out, run{font: f, text: string(r)})
	}
	return out
}

// doc wraps fpdf with two-font text drawing. Cell margins are zero: each
// run is its own cell, and margins would open gaps between runs.
type doc struct {
	pdf  *fpdf.Fpdf
	size float64
}

func (d *doc) setSize(pt float64) {
	d.size = pt
	d.pdf.SetFont(fontCJK, "", pt)
}

func (d *doc) width(s string) float64 {
	w := 0.0
	for _, r := range runs(s) {
		d.pdf.SetFont(r.font, "", d.size)
		w += d.pdf.GetStringWidth(r.text)
	}
	return w
}

// text draws s in a box (x, y, w, h), aligned "L", "C" or "R", vertically
// centred.
func (d *doc) text(x, y, w, h float64, s, align string) {
	switch align {
	case "C":
		x += (w - d.width(s)) / 2
	case "R":
		x += w - d.width(s)
	}
	for _, r := range runs(s) {
		d.pdf.SetFont(r.font, "", d.size)
		rw := d.pdf.GetStringWidth(r.text)
		d.pdf.SetXY(x, y)
		d.pdf.CellFormat(rw, h, r.text, "", 0, "L", false, 0, "")
		x += rw
	}
	d.pdf.SetXY(x, y)
}

// paragraph draws s wrapped at width w from (x, current y), one line per
// lineH, and leaves the cursor below it.
func (d *doc) paragraph(x, w, lineH float64, s string) {
	y := d.pdf.GetY()
	for _, line := range d.wrap(s, w) {
		d.text(x, y, w, lineH, line, "L")
		y += lineH
	}
	d.pdf.SetXY(x, y)
}

// wrap breaks s into lines no wider than w. fpdf's MultiCell and SplitText
// treat a Chinese character as a separator and drop it at the break (a
// wrapped date lost its 月); this keeps every rune. Latin runs (numbers,
// URLs) stay whole when they fit, and closing punctuation never starts a
// line.
func (d *doc) wrap(s string, w float64) []string {
	var lines []string
	var cur strings.Builder
	curW := 0.0
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		curW = 0
	}
	for _, tok := range tokens(s) {
		if tok == "\n" {
			flush()
			continue
		}
		tw := d.width(tok)
		switch {
		case curW+tw <= w || closing(tok) || cur.Len() == 0 && tw <= w:
		case tw > w:
			// A run longer than a line (a long URL): break it by rune.
			for _, r := range tok {
				rw := d.width(string(r))
				if curW+rw > w && cur.Len() > 0 {
					flush()
				}
				cur.WriteRune(r)
				curW += rw
			}
			continue
		default:
			flush()
			if tok == " " {
				continue
			}
		}
		cur.WriteString(tok)
		curW += tw
	}
	if cur.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// tokens splits text into breakable units: each CJK character or mark
// alone, each space alone, runs of anything else together.
func tokens(text string) []string {
	var out []string
	var run strings.Builder
	end := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r == '\n' || r == ' ':
			end()
			out = append(out, string(r))
		case r >= cjkFrom:
			end()
			out = append(out, string(r))
		default:
			run.WriteRune(r)
		}
	}
	end()
	return out
}

func closing(tok string) bool {
	return len([]rune(tok)) == 1 && strings.ContainsAny(tok, "，。、；：！？）》」』”’,.;:!?)")
}
