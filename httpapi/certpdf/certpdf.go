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
	"github.com/skip2/go-qrcode"

	"github.com/hbte/record/domain/ident"
)

// Default font files on Debian: fonts-droid-fallback for Chinese,
// fonts-dejavu-core for digits and Latin letters, which the Droid fallback
// font lacks.
const (
	DefaultCJKFont   = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	DefaultLatinFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

// Fonts are the TrueType files to use; empty fields take the defaults.
type Fonts struct {
	CJK   string
	Latin string
}

// ErrFont: a configured font is missing or not a TrueType file.
var ErrFont = errors.New("certpdf: TrueType font unavailable")

// Renderer draws PDFs; safe for concurrent use (each call builds its own
// document from the shared, read-only font bytes).
type Renderer struct {
	cjk, latin []byte
}

// NewRenderer reads both fonts.
func NewRenderer(f Fonts) (*Renderer, error) {
	if f.CJK == "" {
		f.CJK = DefaultCJKFont
	}
	if f.Latin == "" {
		f.Latin = DefaultLatinFont
	}
	cjk, err := readFont(f.CJK, "fonts-droid-fallback")
	if err != nil {
		return nil, err
	}
	latin, err := readFont(f.Latin, "fonts-dejavu-core")
	if err != nil {
		return nil, err
	}
	return NewRendererFromBytes(cjk, latin)
}

func readFont(path, pkg string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s not found (install Debian package %s, run scripts/ensure-tools.sh, or configure another .ttf)", ErrFont, path, pkg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	if err := checkTrueType(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

func checkTrueType(font []byte) error {
	if len(font) < 12 {
		return fmt.Errorf("%w: file too short", ErrFont)
	}
	switch string(font[:4]) {
	case "\x00\x01\x00\x00", "true":
		return nil
	case "OTTO":
		return fmt.Errorf("%w: OpenType/CFF (.otf) fonts are not supported by fpdf; use a .ttf", ErrFont)
	case "ttcf":
		return fmt.Errorf("%w: font collections (.ttc) are not supported by fpdf; use a .ttf", ErrFont)
	}
	return fmt.Errorf("%w: not a TrueType file", ErrFont)
}

// NewRendererFromBytes uses font data already loaded (embedded, or from a
// database).
func NewRendererFromBytes(cjk, latin []byte) (*Renderer, error) {
	for _, f := range [][]byte{cjk, latin} {
		if err := checkTrueType(f); err != nil {
			return nil, err
		}
	}
	r := &Renderer{cjk: cjk, latin: latin}
	// Parse once now so a broken font fails at startup, not at first print.
	if _, err := r.newDoc("L", time.Time{}); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Renderer) newDoc(orientation string, date time.Time) (*doc, error) {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetCatalogSort(true)
	if date.IsZero() {
		date = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	if err := addFont(pdf, fontCJK, r.cjk); err != nil {
		return nil, err
	}
	if err := addFont(pdf, fontLatin, r.latin); err != nil {
		return nil, err
	}
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	d := &doc{pdf: pdf}
	d.setSize(12)
	return d, nil
}

// addFont turns fpdf's panic on a malformed font file into ErrFont.
func addFont(pdf *fpdf.Fpdf, name string, font []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: unreadable TrueType file: %v", ErrFont, p)
		}
	}()
	pdf.AddUTF8FontFromBytes(name, "", font)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("%w: %w", ErrFont, err)
	}
	return nil
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
	VerificationURL  string // printed: the verification page with the number
	QRURL            string // in the QR code: the page with number and code filled in; none if empty
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

// TrainingPhrase is "“name”培训", without doubling 培训 when the name
// already ends with it (most project names do).
func TrainingPhrase(name string) string {
	if strings.HasSuffix(name, "培训") {
		return "“" + name + "”"
	}
	return "“" + name + "”培训"
}

func credits(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Certificate writes the certificate as a one-page A4 landscape PDF.
func (r *Renderer) Certificate(w io.Writer, c Certificate) error {
	if err := c.validate(); err != nil {
		return err
	}
	d, err := r.newDoc("L", c.IssuedOn)
	if err != nil {
		return err
	}
	pdf := d.pdf
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
	d.setSize(34)
	d.text(0, 32, pageW, 16, "培训结业证书", "C")

	pdf.SetTextColor(0, 0, 0)
	d.setSize(16)
	body := fmt.Sprintf("%s（身份证件号：%s）于%s至%s参加%s，由%s承办，完成规定的学习任务，经考核合格，共计%d学时，%s学分。",
		c.TeacherName, ident.MaskID(strings.TrimSpace(c.IDNumber)), Date(c.Start), Date(c.End),
		TrainingPhrase(c.ProjectName), c.Institution, c.Hours, credits(c.Credits))
	pdf.SetY(66)
	d.paragraph(38, pageW-76, 11, "\u3000\u3000"+body)
	d.paragraph(38, pageW-76, 11, "\u3000\u3000特发此证。")

	// Verification block, bottom left, with the QR code left of it.
	x := 30.0
	if c.QRURL != "" {
		png, err := qrcode.Encode(c.QRURL, qrcode.Medium, 256)
		if err != nil {
			return fmt.Errorf("certpdf: qr code: %w", err)
		}
		pdf.RegisterImageOptionsReader("verify-qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
		pdf.ImageOptions("verify-qr", 24, 140, 32, 32, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		x = 58
	}
	d.setSize(11)
	y := 150.0
	for _, line := range []string{
		"证书编号：" + c.Number,
		"验证码：" + c.VerificationCode,
		"验证网址：" + c.VerificationURL,
	} {
		d.text(x, y, 150, 7, line, "L")
		y += 8
	}

	// Issuer and date, bottom right.
	d.setSize(14)
	d.text(170, 150, 100, 9, c.IssuingBody, "C")
	d.text(170, 159, 100, 9, Date(c.IssuedOn), "C")
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
	d, err := r.newDoc("P", n.IssuedOn)
	if err != nil {
		return err
	}
	pdf := d.pdf
	pdf.SetTitle("开班通知 "+n.ProjectName, true)
	pdf.AddPage()
	const pageW = 210.0
	d.setSize(24)
	d.text(0, 25, pageW, 14, "开班通知", "C")

	d.setSize(13)
	pdf.SetY(50)
	greeting := n.Unit
	if greeting == "" {
		greeting = "所在学校"
	}
	d.paragraph(25, pageW-50, 8, greeting+"：")
	d.paragraph(25, pageW-50, 8, fmt.Sprintf(
		"\u3000\u3000贵校%s老师已被遴选参加“%s”，由%s承办。请贵校支持该教师按时参加培训，并妥善安排其培训期间的教育教学工作。",
		n.TeacherName, n.ProjectName, n.Institution))

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
	const x, labelW, lineH, pad = 25.0, 32.0, 9.0, 2.0
	valueW := pageW - 50 - labelW
	y := pdf.GetY() + 4
	for _, row := range rows {
		lines := d.wrap(row[1], valueW-2*pad)
		h := lineH * float64(len(lines))
		pdf.Rect(x, y, labelW, h, "D")
		pdf.Rect(x+labelW, y, valueW, h, "D")
		d.text(x, y, labelW, h, row[0], "C")
		for i, line := range lines {
			d.text(x+labelW+pad, y+lineH*float64(i), valueW-2*pad, lineH, line, "L")
		}
		y += h
	}
	y += 12
	d.text(pageW-25-90, y, 90, 8, n.Institution, "C")
	if !n.IssuedOn.IsZero() {
		d.text(pageW-25-90, y+8, 90, 8, Date(n.IssuedOn), "C")
	}
	return output(pdf, w)
}
