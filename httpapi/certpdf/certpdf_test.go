package certpdf

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

var (
	rendererOnce sync.Once
	renderer     *Renderer
	rendererErr  error
)

func mustRenderer(t *testing.T) *Renderer {
	t.Helper()
	rendererOnce.Do(func() {
		renderer, rendererErr = NewRenderer(Fonts{CJK: os.Getenv("CERTPDF_FONT_CJK"), Latin: os.Getenv("CERTPDF_FONT_LATIN")})
	})
	if rendererErr != nil {
		t.Fatalf("%v (run scripts/ensure-tools.sh)", rendererErr)
	}
	return renderer
}

// text extracts the PDF's text with pdftotext and drops all white space, so
// assertions do not depend on where lines wrap.
func text(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext missing: install poppler-utils (scripts/ensure-tools.sh)")
	}
	path := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, string(out))
}

func cert() Certificate {
	return Certificate{
		TeacherName: "张三丰", IDNumber: "130102199001011235",
		ProjectName: "2026年国培计划——乡村教师信息技术应用能力提升培训", Institution: "河北师范大学",
		Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		Hours: 60, Credits: 6.5, Number: "HB20261000000426", VerificationCode: "7KQ2M9XD",
		VerificationURL: "https://jxjy.example.gov.cn/verify", IssuingBody: "河北省中小学教师继续教育中心",
		IssuedOn: time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC),
	}
}

func TestCertificateText(t *testing.T) {
	r := mustRenderer(t)
	var buf bytes.Buffer
	if err := r.Certificate(&buf, cert()); err != nil {
		t.Fatal(err)
	}
	got := text(t, buf.Bytes())
	for _, want := range []string{
		"培训结业证书", "张三丰", "130102********1235", "2026年国培计划——乡村教师信息技术应用能力提升培训",
		"河北师范大学", "2026年4月1日至2026年4月30日", "60学时", "6.5学分",
		"证书编号：HB20261000000426", "验证码：7KQ2M9XD", "https://jxjy.example.gov.cn/verify",
		"河北省中小学教师继续教育中心", "2026年5月10日", "特发此证",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("certificate text lacks %q\ngot: %s", want, got)
		}
	}
	if strings.Contains(got, "199001011235") {
		t.Error("the full ID number is printed")
	}
}

func TestCertificateIsLandscapeAndDeterministic(t *testing.T) {
	r := mustRenderer(t)
	var a, b bytes.Buffer
	if err := r.Certificate(&a, cert()); err != nil {
		t.Fatal(err)
	}
	if err := r.Certificate(&b, cert()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of one certificate differ")
	}
	// A4 landscape media box: 841.89 x 595.28 points.
	if !bytes.Contains(a.Bytes(), []byte("/MediaBox [0 0 841.89 595.28]")) {
		t.Error("not A4 landscape")
	}
	if !bytes.HasPrefix(a.Bytes(), []byte("%PDF-")) {
		t.Error("not a PDF")
	}
}

func TestCertificateRefusesIncomplete(t *testing.T) {
	r := mustRenderer(t)
	c := cert()
	c.Number = ""
	var buf bytes.Buffer
	if err := r.Certificate(&buf, c); err == nil || buf.Len() != 0 {
		t.Errorf("err = %v, wrote %d bytes", err, buf.Len())
	}
}

func TestClassNoticeText(t *testing.T) {
	r := mustRenderer(t)
	n := ClassNotice{
		TeacherName: "李四", Unit: "石家庄市长安区第一小学", ProjectName: "2026年省培计划骨干教师培训",
		Institution: "河北师范大学", ClassName: "小学数学一班",
		Start: time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC),
		Hours: 80, ReportDate: time.Date(2026, 7, 5, 14, 30, 0, 0, time.UTC),
		ReportPlace: "河北师范大学汇华学院报告厅", Contact: "王老师 0311-80789999",
		Notes: "请携带身份证和笔记本电脑", IssuedOn: time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC),
	}
	var buf bytes.Buffer
	if err := r.ClassNotice(&buf, n); err != nil {
		t.Fatal(err)
	}
	got := text(t, buf.Bytes())
	for _, want := range []string{
		"开班通知", "石家庄市长安区第一小学", "李四", "2026年省培计划骨干教师培训", "小学数学一班",
		"2026年7月6日至2026年7月15日（共10天）", "80学时", "2026年7月5日14:30", "河北师范大学汇华学院报告厅",
		"王老师0311-80789999", "请携带身份证和笔记本电脑", "2026年6月20日",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("notice text lacks %q\ngot: %s", want, got)
		}
	}
}

func TestFontErrors(t *testing.T) {
	dir := t.TempDir()
	otf := filepath.Join(dir, "x.otf")
	_ = os.WriteFile(otf, append([]byte("OTTO"), make([]byte, 20)...), 0o600)
	ttc := filepath.Join(dir, "x.ttc")
	_ = os.WriteFile(ttc, append([]byte("ttcf"), make([]byte, 20)...), 0o600)
	junk := filepath.Join(dir, "x.ttf")
	_ = os.WriteFile(junk, append([]byte{0, 1, 0, 0}, make([]byte, 20)...), 0o600)
	real := DefaultLatinFont
	tests := []struct {
		fonts Fonts
		hint  string
	}{
		{Fonts{CJK: filepath.Join(dir, "missing.ttf")}, "fonts-droid-fallback"},
		{Fonts{Latin: filepath.Join(dir, "missing.ttf")}, "fonts-dejavu-core"},
		{Fonts{CJK: otf, Latin: real}, ".otf"},
		{Fonts{CJK: ttc, Latin: real}, ".ttc"},
		{Fonts{CJK: junk, Latin: real}, "unreadable"},
	}
	for _, tt := range tests {
		_, err := NewRenderer(tt.fonts)
		if !errors.Is(err, ErrFont) || !strings.Contains(err.Error(), tt.hint) {
			t.Errorf("%+v: err = %v, want ErrFont mentioning %q", tt.fonts, err, tt.hint)
		}
	}
}
