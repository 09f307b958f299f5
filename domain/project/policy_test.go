package project

import (
	"errors"
	"testing"

	"github.com/hbte/record/domain"
)

func f(x float64) *float64 { return &x }

func TestPolicyGrade(t *testing.T) {
	half := DefaultPolicy()
	withMin := Policy{OfflineWeight: 40, OnlineWeight: 60, PassMark: 60, OnlineMin: f(50)}
	onlineOnly := Policy{OnlineWeight: 100, PassMark: 60}
	tests := []struct {
		name            string
		p               Policy
		offline, online *float64
		total           float64
		passed          bool
		err             error
	}{
		{"both 80", half, f(80), f(80), 80, true, nil},
		{"exactly the pass mark", half, f(60), f(60), 60, true, nil},
		{"just below", half, f(59.9), f(60), 60, true, nil}, // 59.95 rounds to 60.0
		{"below", half, f(59.8), f(60), 59.9, false, nil},
		{"weighted", withMin, f(90), f(70), 78, true, nil},
		{"part minimum fails a high total", withMin, f(100), f(45), 67, false, nil},
		{"part minimum met exactly", withMin, f(75), f(50), 60, true, nil},
		{"online only", onlineOnly, nil, f(61), 61, true, nil},
		{"score for unweighted part", onlineOnly, f(80), f(61), 0, false, domain.ErrValidation},
		{"missing score", half, nil, f(80), 0, false, domain.ErrValidation},
		{"score over 100", half, f(101), f(80), 0, false, domain.ErrValidation},
		{"negative score", half, f(-1), f(80), 0, false, domain.ErrValidation},
		{"invalid policy", Policy{OfflineWeight: 50, OnlineWeight: 40, PassMark: 60}, f(80), f(80), 0, false, ErrPolicyInvalid},
		{"float noise", Policy{OfflineWeight: 30, OnlineWeight: 70, PassMark: 70}, f(70), f(70), 70, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, passed, err := tt.p.Grade(tt.offline, tt.online)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if total != tt.total || passed != tt.passed {
				t.Errorf("Grade = %v, %v; want %v, %v", total, passed, tt.total, tt.passed)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name  string
		p     Policy
		field string
	}{
		{"default", DefaultPolicy(), ""},
		{"sum 90", Policy{OfflineWeight: 50, OnlineWeight: 40, PassMark: 60}, "weights"},
		{"negative weight", Policy{OfflineWeight: -10, OnlineWeight: 110, PassMark: 60}, "offline_weight"},
		{"pass mark 120", Policy{OfflineWeight: 50, OnlineWeight: 50, PassMark: 120}, "pass_mark"},
		{"minimum on unweighted part", Policy{OnlineWeight: 100, PassMark: 60, OfflineMin: f(50)}, "offline_min"},
		{"minimum out of range", Policy{OfflineWeight: 50, OnlineWeight: 50, PassMark: 60, OnlineMin: f(101)}, "online_min"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		got := ""
		if fs := fieldsOf(err); len(fs) > 0 {
			got = fs[0]
		}
		if got != tt.field {
			t.Errorf("%s: field = %q (%v), want %q", tt.name, got, err, tt.field)
		}
	}
}
