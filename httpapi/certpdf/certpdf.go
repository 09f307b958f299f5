package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/hbte/record/domain/ident"
)

// DefaultFontPath is where Debian's fonts-droid-fallback puts its TrueType
// CJK font.
const DefaultFontPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// ErrFont: the configured font is missing or not a TrueType file.
var ErrFont = errors.New("certpdf: CJK TrueType font unavailable")

const family = "cjk"

// Renderer draws PDFs with one font; safe for concurrent use (each call
// builds its own document from the shared, read-only font bytes).
type Renderer struct {
	font []byte
}

// NewRenderer reads the font at path ("" means DefaultFontPath).
func NewRenderer(path string) (*Renderer, error) {
	if path == "" {
		path = DefaultFontPath
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s not found (install Debian package fonts-droid-fallback, or run scripts/ensure-tools.sh, or configure another .ttf)", ErrFont, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	return NewRendererFromBytes(data)
}

// NewRendererFromBytes uses font data already loaded (embedded or from a
// database).
func NewRendererFromBytes(font []byte) (*Renderer, error) {
	if len(font) < 12 {
		return nil, fmt.Errorf("%w: file too short", ErrFont)
	}
	switch string(font[:4]) {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, fmt.Errorf("%w: OpenType/CFF (.otf) fonts are not supported by fpdf; use a .ttf", ErrFont)
	case "ttcf":
		return nil, fmt.Errorf("%w: font collections (.ttc) are not supported by fpdf; use a .ttf", ErrFont)
	default:
		return nil, fmt.Errorf("%w: not a TrueType file", ErrFont)
	}
	r := &Renderer{font: font}
	// Parse once now so a broken font fails at startup, not at first print.
	if _, err := r.newDoc("L", time.Time{}); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Renderer) newDoc(orientation string, date time.Time) (*fpdf.Fpdf, error) {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetCatalogSort(true)
	if date.IsZero() {
		date = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.AddUTF8FontFromBytes(family, "", r.font)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	pdf.SetAutoPageBreak(false, 0)
	return pdf, nil
}

// Certificate is what a completion certificate shows.
type Certificate struct {
	TeacherName      string
	IDNumber         string // full or masked; printed masked
	ProjectName      string
	Institution      string
	Start, End       time.Time
	Hours            int
	Credits          float64
	Number           string
	VerificationCode string
	VerificationURL  string
	IssuingBody      string // e.g. 河北省中小学教师继续教育中心
	IssuedOn         time.Time
}

func (c Certificate) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"teacher name", c.TeacherName}, {"project", c.ProjectName}, {"institution", c.Institution},
		{"number", c.Number}, {"verification code", c.VerificationCode}, {"issuing body", c.IssuingBody},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if c.Start.IsZero() || c.End.IsZero() || c.IssuedOn.IsZero() {
		missing = append(missing, "dates")
	}
	if len(missing) > 0 {
		return fmt.Errorf("certpdf: certificate lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// Date prints a date the Chinese way: 2026年4月1日.
func Date(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func credits(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Certificate writes the certificate as a one-page A4 landscape PDF.
func (r *Renderer) Certificate(w io.Writer, c Certificate) error {
	if err := c.validate(); err != nil {
		return err
	}
	pdf, err := r.newDoc("L", c.IssuedOn)
	if err != nil {
		return err
	}
	pdf.SetTitle("培训结业证书 "+c.Number, true)
	pdf.AddPage()
	const pageW, pageH = 297.0, 210.0

	// Double frame.
	pdf.SetDrawColor(160, 30, 30)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, pageW-20, pageH-20, "D")
	pdf.SetLineWidth(0.4)
	pdf.Rect(14, 14, pageW-28, pageH-28, "D")

	pdf.SetTextColor(160, 30, 30)
	pdf.SetFont(family, "", 34)
	pdf.SetXY(0, 32)
	pdf.CellFormat(pageW, 16, "培训结业证书", "", 1, "C", false, 0, "")

	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont(family, "", 16)
	body := fmt.Sprintf("%s（身份证件号：%s）于%s至%s参加“%s”培训，由%s承办，完成规定的学习任务，经考核合格，共计%d学时，%s学分。",
		c.TeacherName, ident.MaskID(strings.TrimSpace(c.IDNumber)), Date(c.Start), Date(c.End),
		c.ProjectName, c.Institution, c.Hours, credits(c.Credits))
	pdf.SetXY(38, 66)
	pdf.MultiCell(pageW-76, 11, "    "+body, "", "L", false)
	pdf.SetX(38)
	pdf.MultiCell(pageW-76, 11, "    特发此证。", "", "L", false)

	// Verification block, bottom left.
	pdf.SetFont(family, "", 11)
	y := 150.0
	for _, line := range []string{
		"证书编号：" + c.Number,
		"验证码：" + c.VerificationCode,
		"验证网址：" + c.VerificationURL,
	} {
		pdf.SetXY(30, y)
		pdf.CellFormat(150, 7, line, "", 0, "L", false, 0, "")
		y += 8
	}

	// Issuer and date, bottom right.
	pdf.SetFont(family, "", 14)
	pdf.SetXY(170, 150)
	pdf.CellFormat(100, 9, c.IssuingBody, "", 2, "C", false, 0, "")
	pdf.SetX(170)
	pdf.CellFormat(100, 9, Date(c.IssuedOn), "", 0, "C", false, 0, "")

	return output(pdf, w)
}

func output(pdf *fpdf.Fpdf, w io.Writer) error {
	// Render into memory so a failure never leaves half a PDF on w.
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("certpdf: render: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// ClassNotice is what the teacher needs to ask the school for leave.
type ClassNotice struct {
	TeacherName string
	Unit        string // the teacher's school
	ProjectName string
	Institution string
	ClassName   string
	Start, End  time.Time
	Hours       int
	ReportDate  time.Time // date and time of reporting
	ReportPlace string
	Contact     string
	Notes       string
	IssuedOn    time.Time
}

// ClassNotice writes the 开班通知 as an A4 portrait PDF.
func (r *Renderer) ClassNotice(w io.Writer, n ClassNotice) error {
	if strings.TrimSpace(n.TeacherName) == "" || strings.TrimSpace(n.ProjectName) == "" ||
		n.ReportDate.IsZero() || n.Start.IsZero() || n.End.IsZero() {
		return errors.New("certpdf: class notice lacks teacher, project or dates")
	}
	pdf, err := r.newDoc("P", n.IssuedOn)
	if err != nil {
		return err
	}
	pdf.SetTitle("开班通知 "+n.ProjectName, true)
	pdf.AddPage()
	const pageW = 210.0
	pdf.SetFont(family, "", 24)
	pdf.SetXY(0, 25)
	pdf.CellFormat(pageW, 14, "开班通知", "", 1, "C", false, 0, "")

	pdf.SetFont(family, "", 13)
	pdf.SetXY(25, 50)
	greeting := n.Unit
	if greeting == "" {
		greeting = "所在学校"
	}
	pdf.MultiCell(pageW-50, 8, greeting+"：", "", "L", false)
	pdf.SetX(25)
	intro := fmt.Sprintf("    贵校%s老师已被遴选参加“%s”，由%s承办。请贵校支持该教师按时参加培训，并妥善安排其培训期间的教育教学工作。",
		n.TeacherName, n.ProjectName, n.Institution)
	pdf.MultiCell(pageW-50, 8, intro, "", "L", false)

	days := int(n.End.Sub(n.Start).Hours()/24) + 1
	rows := [][2]string{
		{"培训项目", n.ProjectName},
		{"承培机构", n.Institution},
		{"班级", n.ClassName},
		{"培训时间", fmt.Sprintf("%s至%s（共%d天）", Date(n.Start), Date(n.End), days)},
		{"培训学时", fmt.Sprintf("%d学时", n.Hours)},
		{"报到时间", fmt.Sprintf("%s %02d:%02d", Date(n.ReportDate), n.ReportDate.Hour(), n.ReportDate.Minute())},
		{"报到地点", n.ReportPlace},
		{"联系方式", n.Contact},
	}
	if strings.TrimSpace(n.Notes) != "" {
		rows = append(rows, [2]string{"注意事项", n.Notes})
	}
	pdf.Ln(4)
	for _, row := range rows {
		x, y := 25.0, pdf.GetY()
		pdf.SetXY(x+32, y)
		pdf.MultiCell(pageW-50-32, 9, row[1], "1", "L", false)
		h := pdf.GetY() - y
		pdf.SetXY(x, y)
		pdf.CellFormat(32, h, row[0], "1", 0, "C", false, 0, "")
		pdf.SetXY(x, y+h)
	}
	pdf.Ln(12)
	pdf.SetX(pageW - 25 - 90)
	pdf.CellFormat(90, 8, n.Institution, "", 2, "C", false, 0, "")
	if !n.IssuedOn.IsZero() {
		pdf.SetX(pageW - 25 - 90)
		pdf.CellFormat(90, 8, Date(n.IssuedOn), "", 0, "C", false, 0, "")
	}
	return output(pdf, w)
}
