package file_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/hbte/record/domain/file"
)

func pngBytes(w, h int) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)))
	return b.Bytes()
}

func docx(names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		w, _ := z.Create(n)
		_, _ = w.Write([]byte("<x/>"))
	}
	_ = z.Close()
	return b.Bytes()
}

// The type comes from the bytes: an executable, an HTML page or text named
// 证明.pdf or .png is refused, whatever the name says.
func TestSniff(t *testing.T) {
	bomb := pngBytes(1, 1)
	// Claim 100000 x 100000 pixels in the IHDR of a 1x1 PNG.
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"pdf", []byte("%PDF-1.7\n..."), "application/pdf"},
		{"png", pngBytes(20, 10), "image/png"},
		{"docx", docx("[Content_Types].xml", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"exe", []byte("MZ\x90\x00\x03\x00\x00\x00"), ""},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ""},
		{"text", []byte("这是一段文字"), ""},
		{"png header, broken body", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), ""},
		{"decompression bomb", bomb, ""},
		{"a zip that is not a document", docx("a.txt"), ""},
	} {
		got, err := file.Sniff(tc.data)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
