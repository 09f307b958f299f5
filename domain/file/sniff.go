package file

import (
	"archive/zip"
	"bytes"
	"image"
	_ "image/jpeg" // decoders for Sniff
	_ "image/png"

	"github.com/hbte/record/domain"
)

// MaxImagePixels bounds an uploaded image: a decompression bomb (a small
// PNG of 100,000 x 100,000 pixels) is refused before it is decoded.
const MaxImagePixels = 40_000_000

// Sniff tells a file's type by its bytes, never by its name: a PDF starts
// with %PDF-, a PNG or JPEG must decode as an image (within
// MaxImagePixels), a DOCX is a zip holding word/document.xml. Anything else
// is refused. The result is one of the accepted content types.
func Sniff(data []byte) (string, error) {
	bad := func(reason string) (string, error) { return "", domain.Invalid("file", reason) }
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "application/pdf", nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return bad("图片已损坏，无法读取")
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
			return bad("图片尺寸过大（最多4000万像素）")
		}
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return bad("图片已损坏，无法读取")
		}
		if format == "png" {
			return "image/png", nil
		}
		return "image/jpeg", nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return bad("文件已损坏，无法读取")
		}
		for _, f := range z.File {
			if f.Name == "word/document.xml" {
				return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", nil
			}
		}
		return bad("仅支持PDF、JPG、PNG、DOCX文件（这个压缩包不是Word文档）")
	}
	return bad("仅支持PDF、JPG、PNG、DOCX文件（按文件内容判断）")
}

// IsImage reports whether a content type Sniff returns is an image.
func IsImage(contentType string) bool {
	return contentType == "image/png" || contentType == "image/jpeg"
}
