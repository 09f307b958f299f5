package ident

import (
	"time"

	"github.com/hbte/record/domain"
)

// Date and month layouts stored in events and shown to users.
// ChinaTime is the users' time zone (UTC+8, no daylight saving). A fixed
// zone, so it needs no tzdata on the server.
var ChinaTime = time.FixedZone("CST", 8*3600)

const (
	DateLayout  = "2006-01-02"
	MonthLayout = "2006-01"
)

// ParseDate reads a YYYY-MM-DD calendar date (no Feb 30) as UTC midnight.
func ParseDate(field, label, raw string) (time.Time, error) {
	d, err := time.Parse(DateLayout, raw)
	if err != nil {
		return time.Time{}, domain.Invalid(field, label+"应为有效日期，格式如 1990-01-31")
	}
	return d, nil
}

// ParseMonth reads a YYYY-MM year and month as the first of the month, UTC.
func ParseMonth(field, label, raw string) (time.Time, error) {
	d, err := time.Parse(MonthLayout, raw)
	if err != nil {
		return time.Time{}, domain.Invalid(field, label+"应为有效年月，格式如 2010-09")
	}
	return d, nil
}

// Today is the civil date of t in its own location, as UTC midnight; pass
// t in China Standard Time.
func Today(t time.Time) time.Time { return dateOf(t) }
