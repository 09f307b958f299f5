// Package text is the one check every piece of text passes where it enters
// the system (JSON bodies, query strings, form fields, spreadsheet cells,
// file names): valid UTF-8, no control characters but tab and newline, in
// Unicode normal form C. Text that passes can be stored by every backend
// and every read model (PostgreSQL text cannot hold NUL), so a projection
// never meets an event it cannot store. It is pure.
package text

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hbte/record/domain"
)

// Problem names what is wrong with s, in Chinese for users, or "" when s
// is acceptable. Tab and newline are allowed; a Windows line break (CR LF,
// as browsers send a textarea) is acceptable and becomes LF in Clean.
func Problem(s string) string {
	if !utf8.ValidString(s) {
		return "含有无效的字符编码（须为 UTF-8）"
	}
	for i, r := range s {
		switch {
		case r == '\t' || r == '\n':
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "含有不可见的控制字符"
		case r == utf8.RuneError: // an explicit U+FFFD: a sign of broken encoding upstream
			return "含有无法识别的字符（�）"
		}
	}
	return ""
}

// Clean returns s in NFC with CR LF as LF, or a field error naming field.
func Clean(field, s string) (string, error) {
	if p := Problem(s); p != "" {
		return "", domain.Invalid(field, p)
	}
	if strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	return s, nil
}

// Fields cleans many values at once; every bad field is reported, so a
// form shows all its problems together.
type Fields struct {
	errs []domain.FieldError
}

// Clean cleans one value and remembers its problem, if any.
func (f *Fields) Clean(field, s string) string {
	out, err := Clean(field, s)
	if err != nil {
		f.errs = append(f.errs, domain.FieldError{Field: field, Reason: Problem(s)})
		return s
	}
	return out
}

// Err is nil when every value was acceptable.
func (f *Fields) Err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return &domain.ValidationError{Fields: f.errs}
}
