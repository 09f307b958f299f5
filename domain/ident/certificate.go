package ident

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/region"
)

// Certificate is a checked 17-digit teacher certificate number.
type Certificate struct {
	Number      string
	Year        int    // year of grant
	Province    string // 2-digit province code
	Body        string // 3-digit granting body within the province
	Type        string // CertificateType code "1".."7"
	GenderDigit string // "0", "1" or "2": sources disagree on its meaning
	Sequence    string // 6 digits
}

// The first certificates were granted after the 1995 regulations; earlier
// years mean a typing error.
const firstCertificateYear = 1996

// ParseCertificateNumber checks a teacher certificate number against the
// national layout and against certType, the certificate-type field of the
// same record: the number's type digit must agree with it. Legacy numbers
// that do not fit need an admin override, decided by the caller.
func ParseCertificateNumber(raw, certType string, today time.Time) (Certificate, error) {
	s := strings.Join(strings.Fields(raw), "")
	invalid := func(reason string) (Certificate, error) {
		return Certificate{}, domain.Invalid(FieldCertificateNumber, reason)
	}
	switch {
	case s == "":
		return invalid("请填写教师资格证号码")
	case !allDigits(s):
		return invalid("教师资格证号码应全部为数字")
	case len(s) != 17:
		return invalid(fmt.Sprintf("教师资格证号码应为17位数字，实际为%d位", len(s)))
	}
	c := Certificate{
		Number: s, Province: s[4:6], Body: s[6:9], Type: s[9:10],
		GenderDigit: s[10:11], Sequence: s[11:],
	}
	c.Year, _ = strconv.Atoi(s[:4]) // digits checked above
	if c.Year < firstCertificateYear || c.Year > today.Year() {
		return invalid(fmt.Sprintf("教师资格证号码前四位为发证年份，“%d”不在%d年至今之间", c.Year, firstCertificateYear))
	}
	if _, ok := region.Default().Province(c.Province); !ok {
		return invalid(fmt.Sprintf("教师资格证号码第5-6位“%s”不是有效的省级代码", c.Province))
	}
	if !CertificateType.Valid(c.Type) {
		return invalid(fmt.Sprintf("教师资格证号码第10位为资格种类，应为1-7，实际为“%s”", c.Type))
	}
	if c.GenderDigit > "2" {
		return invalid(fmt.Sprintf("教师资格证号码第11位应为0、1或2，实际为“%s”", c.GenderDigit))
	}
	if certType != "" && certType != c.Type {
		return invalid(fmt.Sprintf("教师资格证号码中的种类为“%s”，与所填教师资格证种类“%s”不一致",
			CertificateType.Label(c.Type), CertificateType.Label(certType)))
	}
	return c, nil
}

// NormalizeLegacyCertificateNumber accepts a number that does not fit the
// national layout, for an admin override: only spaces are removed, and it
// must stay short printable ASCII so it can be searched and printed.
func NormalizeLegacyCertificateNumber(raw string) (string, error) {
	s := strings.Join(strings.Fields(raw), "")
	if s == "" {
		return "", domain.Invalid(FieldCertificateNumber, "请填写教师资格证号码")
	}
	if len(s) > 40 {
		return "", domain.Invalid(FieldCertificateNumber, "教师资格证号码不能超过40个字符")
	}
	for _, r := range s {
		if r < '!' || r > '~' {
			return "", domain.Invalid(FieldCertificateNumber, "教师资格证号码只能包含字母、数字和符号")
		}
	}
	return strings.ToUpper(s), nil
}
