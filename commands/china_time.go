package commands

import (
	"time"

	"github.com/hbte/record/domain/ident"
)

// ChinaDate is the China calendar date of the instant t, held as UTC
// midnight like every date in the domain.
func ChinaDate(t time.Time) time.Time {
	y, m, d := t.In(ident.ChinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CheckOnDate is the check "as of" the date d (its year, month and day are
// read as a China date): on that day, with the record as it stood at the end
// of that day in China, so what a user did at 23:30 counts and what they did
// after midnight does not.
func CheckOnDate(d time.Time) CheckAt {
	y, m, dd := d.Date()
	endOfDay := time.Date(y, m, dd+1, 0, 0, 0, 0, ident.ChinaTime).Add(-time.Nanosecond)
	return CheckAt{Date: time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), RecordAt: endOfDay.UTC()}
}

// CheckAtInstant is the check at the instant t: on its China date, with the
// record as it stood at t.
func CheckAtInstant(t time.Time) CheckAt {
	return CheckAt{Date: ChinaDate(t), RecordAt: t.UTC()}
}
