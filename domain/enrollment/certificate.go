package enrollment

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hbte/record/domain/project"
)

// Certificate numbers: "HB" + year (4) + training category (2) + serial (7,
// zero-padded) + a Luhn check digit over the 13 digits, e.g.
// HB2026100000042 + check. The check digit catches a mistyped number on the
// public verification page before any lookup.
const certPrefix = "HB"

// MaxSerial is the largest serial per year and category.
const MaxSerial = 9_999_999

var ErrCertificateNumber = errors.New("invalid certificate number")

// CertificateNumber builds the number from its parts; serial comes from a
// per-year counter kept by the command layer.
func CertificateNumber(year int, category project.Category, serial int) (string, error) {
	if year < 2018 || year > 9999 {
		return "", fmt.Errorf("%w: year %d", ErrCertificateNumber, year)
	}
	if !category.Valid() {
		return "", fmt.Errorf("%w: category %d", ErrCertificateNumber, category)
	}
	if serial < 1 || serial > MaxSerial {
		return "", fmt.Errorf("%w: serial %d", ErrCertificateNumber, serial)
	}
	body := fmt.Sprintf("%04d%02d%07d", year, int(category), serial)
	return certPrefix + body + string(rune('0'+luhn(body))), nil
}

// ValidCertificateNumber checks shape, category and check digit; it accepts
// lowercase "hb" because people type it.
func ValidCertificateNumber(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 16 || !strings.HasPrefix(s, certPrefix) {
		return false
	}
	digits := s[2:]
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	cat := project.Category(int(digits[4]-'0')*10 + int(digits[5]-'0'))
	if !cat.Valid() {
		return false
	}
	return int(digits[13]-'0') == luhn(digits[:13])
}

// luhn returns the check digit that makes body+digit pass the Luhn test.
func luhn(body string) int {
	sum := 0
	double := true // the check digit will be rightmost, so the last body digit doubles
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// crockford is Crockford's base32: no I, L, O or U, so a code read aloud or
// off paper is not confused.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// VerificationCodeBytes is how many random bytes VerificationCode needs.
const VerificationCodeBytes = 5

// VerificationCode turns 5 random bytes (40 bits) into 8 characters printed
// on the certificate; together with the number it proves the paper is real.
// The caller supplies the randomness (crypto/rand) to keep this pure.
func VerificationCode(random []byte) (string, error) {
	if len(random) < VerificationCodeBytes {
		return "", fmt.Errorf("verification code needs %d random bytes, got %d", VerificationCodeBytes, len(random))
	}
	var v uint64
	for _, b := range random[:VerificationCodeBytes] {
		v = v<<8 | uint64(b)
	}
	out := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		out[i] = crockford[v&31]
		v >>= 5
	}
	return string(out), nil
}

// NormalizeVerificationCode maps what a user types to the canonical form
// (upper case, O->0, I/L->1, hyphens and spaces dropped).
func NormalizeVerificationCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case 'O':
			return '0'
		case 'I', 'L':
			return '1'
		case '-', ' ':
			return -1
		}
		return r
	}, s)
}

func validVerificationCode(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(crockford, r) {
			return false
		}
	}
	return true
}
