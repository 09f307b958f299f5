package text

import (
	"errors"
	"testing"

	"github.com/hbte/record/domain"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{"王建国", "王建国", false},
		{"第一行\n第二行\t制表", "第一行\n第二行\t制表", false},
		{"a\r\nb", "a\nb", false},
		{"e\u0301", "\u00e9", false}, // NFC
		{"a\x00b", "", true},
		{"a\rb", "", true},
		{"bell\x07", "", true},
		{"del\x7f", "", true},
		{"c1\u0085", "", true},
		{"\xff\xfe", "", true},
		{"broken\ufffd", "", true},
		{"", "", false},
	} {
		got, err := Clean("f", tc.in)
		if tc.bad {
			var v *domain.ValidationError
			if !errors.As(err, &v) || v.Fields[0].Field != "f" || v.Fields[0].Reason == "" {
				t.Errorf("Clean(%q) = %q, %v; want a field error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"王建国", "a\x00b", "a\r\nb", "e\u0301", "\xff", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Clean("f", s)
		if err != nil {
			return
		}
		// What passes is storable and stable: no NUL, valid UTF-8, and
		// cleaning it again changes nothing.
		if Problem(out) != "" {
			t.Fatalf("Clean(%q) = %q, which has a problem: %s", s, out, Problem(out))
		}
		again, err := Clean("f", out)
		if err != nil || again != out {
			t.Fatalf("Clean is not idempotent: %q -> %q -> %q (%v)", s, out, again, err)
		}
	})
}
