package file

import (
	"path"
	"strings"

	"github.com/hbte/record/domain"
)

// MaxFileSize is the largest file a teacher may attach. Scans of a
// certificate or a book cover fit easily; larger files are usually whole
// books or videos the record does not need.
const MaxFileSize = 10 << 20

// FileRef names an uploaded file by its content: the blob store keys it by
// SHA256, so the same file uploaded twice is stored once and an event can
// never point at content that changed after it was recorded.
type FileRef struct {
	SHA256      string `json:"sha256"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// allowedTypes maps each accepted content type to the extensions that may
// carry it; both must agree so a renamed executable is not accepted as a PDF
// by a browser that trusts the extension.
var allowedTypes = map[string][]string{
	"application/pdf": {".pdf"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/png":       {".png"},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
}

// ValidateFile reports every problem with f, prefixing field names with
// prefix (e.g. "file" or "evidence[2]").
func ValidateFile(prefix string, f FileRef) []domain.FieldError {
	var errs []domain.FieldError
	add := func(field, reason string) {
		errs = append(errs, domain.FieldError{Field: prefix + "." + field, Reason: reason})
	}
	if !isSHA256Hex(f.SHA256) {
		add("sha256", "文件摘要应为64位小写十六进制SHA-256值")
	}
	name := strings.TrimSpace(f.Name)
	switch {
	case name == "":
		add("name", "文件名不能为空")
	case strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0):
		add("name", "文件名不能包含路径")
	case len(name) > 255:
		add("name", "文件名过长")
	}
	switch {
	case f.Size <= 0:
		add("size", "文件为空")
	case f.Size > MaxFileSize:
		add("size", "文件不能超过10MB")
	}
	exts, ok := allowedTypes[f.ContentType]
	if !ok {
		add("content_type", "仅支持PDF、JPG、PNG、DOCX文件")
	} else if name != "" {
		ext := strings.ToLower(path.Ext(name))
		match := false
		for _, e := range exts {
			if e == ext {
				match = true
			}
		}
		if !match {
			add("name", "文件扩展名与文件类型不符")
		}
	}
	return errs
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
