package ident

import (
	"strings"
	"testing"
	"time"
)

var fuzzToday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Whatever the input, the validator either refuses it or returns a number
// that satisfies every rule it claims to check.
func FuzzParseResidentID(f *testing.F) {
	for _, s := range []string{"130102199001011235", "13010219900101124x", "130102199002300000", "", "1301021990010112345",
		"１３０１０２１９９０", "130102\x00990101123X", "990102199001011235"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, _, err := ParseResidentID(raw, fuzzToday)
		if err != nil {
			return
		}
		n := id.Number
		if len(n) != 18 || strings.ToUpper(n) != n || CheckChar(n[:17]) != n[17] {
			t.Fatalf("accepted %q as %q, which fails the check character", raw, n)
		}
		if !id.BirthDate.Before(fuzzToday) || id.BirthDate.Format("20060102") != n[6:14] {
			t.Fatalf("accepted %q with birth date %v", raw, id.BirthDate)
		}
		if (n[16]-'0')%2 == 1 && id.Gender != "1" || (n[16]-'0')%2 == 0 && id.Gender != "2" {
			t.Fatalf("accepted %q with gender %q", raw, id.Gender)
		}
	})
}

func FuzzParseCertificateNumber(f *testing.F) {
	for _, s := range []string{"20031301031000123", "2003130103100012", "2003130109100012a", "", "20991301031000123"} {
		for _, typ := range []string{"1", "3", "7", "9", ""} {
			f.Add(s, typ)
		}
	}
	f.Fuzz(func(t *testing.T, raw, typ string) {
		c, err := ParseCertificateNumber(raw, typ, fuzzToday)
		if err != nil {
			return
		}
		// With no certificate type given, the number alone is checked.
		if len(c.Number) != 17 || (typ != "" && c.Type != typ) || c.Number[9:10] != c.Type || c.Year > fuzzToday.Year() {
			t.Fatalf("accepted %q (type %q) as %+v", raw, typ, c)
		}
		for _, r := range c.Number {
			if r < '0' || r > '9' {
				t.Fatalf("accepted %q with a non-digit", raw)
			}
		}
	})
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"13812341234", "+86 138-1234-1234", "008613812341234", "12345", "1381234123４", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := NormalizeMobile(raw)
		if err != nil {
			return
		}
		if len(m) != 11 || m[0] != '1' || m[1] < '3' || m[1] > '9' {
			t.Fatalf("accepted %q as %q", raw, m)
		}
		for _, r := range m {
			if r < '0' || r > '9' {
				t.Fatalf("accepted %q as %q with a non-digit", raw, m)
			}
		}
		if again, err := NormalizeMobile(m); err != nil || again != m {
			t.Fatalf("normalising %q again gives %q, %v", m, again, err)
		}
	})
}
