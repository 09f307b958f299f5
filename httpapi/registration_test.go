package httpapi

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestRegistrationCheckAtIsChinaTime: a date-only as_of is the end of that
// day in China (UTC+8), and an instant is checked on its China date.
func TestRegistrationCheckAtIsChinaTime(t *testing.T) {
	tests := []struct {
		asOf         string
		date, record time.Time
	}{
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 15, 59, 59, 999999999, time.UTC)},
		// 00:30 on 2 March in China, 16:30 on 1 March in UTC.
		{"2026-03-01T16:30:00Z", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)},
		{"2026-03-01T23:30:00%2B08:00", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 15, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		at, err := registrationCheckAt(httptest.NewRequest("GET", "/x?as_of="+tt.asOf, nil))
		if err != nil {
			t.Fatalf("%s: %v", tt.asOf, err)
		}
		if !at.Date.Equal(tt.date) || !at.RecordAt.Equal(tt.record) {
			t.Errorf("as_of=%s: date %v, record %v; want %v, %v", tt.asOf, at.Date, at.RecordAt, tt.date, tt.record)
		}
	}
	// An event at 23:30 China time on D is inside "as of D"; one at 00:30
	// on D+1 is not.
	at, _ := registrationCheckAt(httptest.NewRequest("GET", "/x?as_of=2026-03-01", nil))
	in, out := time.Date(2026, 3, 1, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)), time.Date(2026, 3, 2, 0, 30, 0, 0, time.FixedZone("CST", 8*3600))
	if in.After(at.RecordAt) || !out.After(at.RecordAt) {
		t.Errorf("as of 2026-03-01 reads the record to %v", at.RecordAt)
	}
	if _, err := registrationCheckAt(httptest.NewRequest("GET", "/x?as_of=1.3.2026", nil)); err == nil {
		t.Error("a malformed as_of was accepted")
	}
}
