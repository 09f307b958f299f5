package enrollment

import (
	"errors"
	"testing"

	"github.com/hbte/record/domain/project"
)

func TestCertificateNumber(t *testing.T) {
	tests := []struct {
		year   int
		cat    project.Category
		serial int
		want   string
		err    bool
	}{
		{2026, project.CategoryNational, 42, "HB2026100000042", false},
		{2026, project.CategoryProvincial, 1, "HB2026200000001", false},
		{2019, project.CategoryOther, MaxSerial, "HB2019999999999", false},
		{2017, project.CategoryNational, 1, "", true},
		{2026, project.Category(50), 1, "", true},
		{2026, project.CategoryNational, 0, "", true},
		{2026, project.CategoryNational, MaxSerial + 1, "", true},
	}
	for _, tt := range tests {
		got, err := CertificateNumber(tt.year, tt.cat, tt.serial)
		if tt.err {
			if !errors.Is(err, ErrCertificateNumber) {
				t.Errorf("%v: err = %v, want ErrCertificateNumber", tt, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt, err)
		}
		if len(got) != 16 || got[:15] != tt.want {
			t.Errorf("got %q, want %q plus a check digit", got, tt.want)
		}
		if !ValidCertificateNumber(got) {
			t.Errorf("%q does not validate", got)
		}
	}
}

func TestCertificateCheckDigit(t *testing.T) {
	// 2026100000042: Luhn check digit computed by hand is 6.
	got, _ := CertificateNumber(2026, project.CategoryNational, 42)
	if got != "HB20261000000426" {
		t.Errorf("got %q, want HB20261000000426", got)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"HB20261000000426", true},
		{"hb20261000000426", true},
		{" HB20261000000426 ", true},
		{"HB20261000000427", false}, // wrong check digit
		{"HB20261000000246", false}, // transposed digits
		{"HB20265000000426", false}, // category 50 does not exist
		{"HX20261000000426", false},
		{"HB2026100000042", false},
		{"HB2026100000042A", false},
	}
	for _, tt := range tests {
		if got := ValidCertificateNumber(tt.in); got != tt.want {
			t.Errorf("ValidCertificateNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestVerificationCode(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
		err  bool
	}{
		{[]byte{0, 0, 0, 0, 0}, "00000000", false},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff}, "ZZZZZZZZ", false},
		{[]byte{0x08, 0x42, 0x10, 0x84, 0x21}, "11111111", false},
		{[]byte{0x08, 0x42, 0x10, 0x84, 0x21, 0xff}, "11111111", false}, // extra bytes ignored
		{[]byte{1, 2, 3}, "", true},
	}
	for _, tt := range tests {
		got, err := VerificationCode(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("VerificationCode(%x) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err == nil && !validVerificationCode(got) {
			t.Errorf("%q does not validate", got)
		}
	}
	if got := NormalizeVerificationCode("abcd-o1il"); got != "ABCD0111" {
		t.Errorf("Normalize = %q", got)
	}
}
