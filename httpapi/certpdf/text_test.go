package certpdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRuns(t *testing.T) {
	got := runs("共计60学时，“国培”—HB2026")
	want := []run{
		{fontCJK, "共计"}, {fontLatin, "60"}, {fontCJK, "学时，"}, {fontLatin, "“"},
		{fontCJK, "国培"}, {fontLatin, "”—HB2026"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runs = %q\nwant %q", got, want)
	}
}

func TestWrapKeepsEveryRune(t *testing.T) {
	r := mustRenderer(t)
	d, err := r.newDoc("P", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	d.pdf.AddPage()
	d.setSize(16)
	tests := []struct {
		name, text string
		width      float64
	}{
		{"chinese", strings.Repeat("河北省中小学教师继续教育", 6), 60},
		{"mixed", "于2026年4月1日至2026年4月30日参加培训，共计60学时，6.5学分。", 50},
		{"long url", "验证网址：https://jxjy.example.gov.cn/verify?number=HB20261000000426&code=7KQ2M9XD", 40},
		{"spaces", "Hebei teacher training record platform", 30},
		{"empty", "", 30},
	}
	for _, tt := range tests {
		lines := d.wrap(tt.text, tt.width)
		joined := strings.Join(lines, "")
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(tt.text, " ", "") {
			t.Errorf("%s: lost text:\n got %q\nwant %q", tt.name, joined, tt.text)
		}
		if d.width(tt.text) > tt.width && len(lines) < 2 {
			t.Errorf("%s: not wrapped: %q", tt.name, lines)
		}
		for _, l := range lines {
			// Closing punctuation may hang one character over the edge.
			if w := d.width(l); w > tt.width+d.width("，") {
				t.Errorf("%s: line %q is %.1f wide, limit %.1f", tt.name, l, w, tt.width)
			}
			if strings.HasPrefix(l, "，") || strings.HasPrefix(l, "。") {
				t.Errorf("%s: line starts with closing punctuation: %q", tt.name, l)
			}
		}
	}
}

// The CJK font has no digits: pdftotext would still read them back, so
// check that the Latin font is embedded and used too.
func TestBothFontsEmbedded(t *testing.T) {
	if _, err := exec.LookPath("pdffonts"); err != nil {
		t.Fatal("pdffonts missing: install poppler-utils (scripts/ensure-tools.sh)")
	}
	var buf bytes.Buffer
	if err := mustRenderer(t).Certificate(&buf, cert()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdffonts", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"utf8" + fontCJK, "utf8" + fontLatin} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pdffonts lacks %s:\n%s", want, out)
		}
	}
}
