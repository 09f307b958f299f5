package ident

import (
	"fmt"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/region"
)

// Field names used in errors; they are the JSON keys of the teacher record.
const (
	FieldIDNumber          = "id_number"
	FieldCertificateNumber = "certificate_number"
	FieldMobile            = "mobile"
	FieldEmail             = "email"
)

// ResidentID is a checked 18-digit resident ID number.
type ResidentID struct {
	Number    string    // normalised: upper-case X
	AreaCode  string    // first 6 digits, the place of first issue
	BirthDate time.Time // UTC midnight
	Gender    string    // GB/T 2261.1 code: "1" male, "2" female
}

// Warning is a doubt that must not stop the input, shown to the admin.
type Warning struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// CheckChar computes the GB 11643-1999 check character of the first 17
// digits. It panics on anything but 17 digits: callers check first.
func CheckChar(first17 string) byte {
	if len(first17) != 17 || !allDigits(first17) {
		panic(fmt.Sprintf("ident: CheckChar needs 17 digits, got %q", first17))
	}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseResidentID checks an 18-digit resident ID number: format, check
// character, a real birth date before today (the caller's civil date, China
// time), a known province prefix. A 6-digit area code missing from the
// current region list yields a warning only: IDs keep the code of the place
// and year they were issued, and codes get renumbered.
func ParseResidentID(raw string, today time.Time) (ResidentID, []Warning, error) {
	s := strings.ToUpper(strings.TrimSpace(raw))
	invalid := func(reason string) (ResidentID, []Warning, error) {
		return ResidentID{}, nil, domain.Invalid(FieldIDNumber, reason)
	}
	switch {
	case s == "":
		return invalid("请填写身份证号码")
	case len(s) != 18:
		return invalid(fmt.Sprintf("身份证号码应为18位，实际为%d位", len([]rune(s))))
	case !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X'):
		return invalid("身份证号码前17位应为数字，最后一位为数字或X")
	}
	tree := region.Default()
	if _, ok := tree.IDProvince(s[:2]); !ok {
		return invalid(fmt.Sprintf("身份证号码前两位“%s”不是有效的省级行政区划代码", s[:2]))
	}
	birth, ok := civilDate(s[6:14])
	if !ok {
		return invalid(fmt.Sprintf("身份证号码中的出生日期“%s”不是有效日期", s[6:14]))
	}
	if birth.Year() < 1900 {
		return invalid("身份证号码中的出生年份早于1900年")
	}
	if !birth.Before(dateOf(today)) {
		return invalid("身份证号码中的出生日期不能是今天或将来的日期")
	}
	if want := CheckChar(s[:17]); s[17] != want {
		return invalid("身份证号码校验位错误，请逐位核对")
	}
	id := ResidentID{Number: s, AreaCode: s[:6], BirthDate: birth, Gender: "2"}
	if (s[16]-'0')%2 == 1 {
		id.Gender = "1"
	}
	var warnings []Warning
	if _, isRegion := tree.County(id.AreaCode); !isRegion && tree.Valid(s[:2]) {
		warnings = append(warnings, Warning{
			Field:  FieldIDNumber,
			Reason: fmt.Sprintf("身份证号码前六位“%s”不在现行行政区划代码中（可能是旧代码），请核对", id.AreaCode),
		})
	}
	return id, warnings, nil
}

// civilDate parses YYYYMMDD as a real calendar date (no Feb 30).
func civilDate(s string) (time.Time, bool) {
	d, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

// dateOf drops the clock of t in its own location, giving UTC midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
