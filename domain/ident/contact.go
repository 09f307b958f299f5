package ident

import (
	"strings"

	"github.com/hbte/record/domain"
)

// NormalizeMobile returns the 11-digit mainland mobile number in raw after
// removing +86/0086, spaces and hyphens. Carrier prefixes are not
// hard-coded: they change; any 1[3-9] followed by 9 digits is accepted.
func NormalizeMobile(raw string) (string, error) {
	s := strings.NewReplacer(" ", "", "-", "", "\u3000", "", "\t", "").Replace(strings.TrimSpace(raw))
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "0086"):
		s = s[4:]
	}
	if s == "" {
		return "", domain.Invalid(FieldMobile, "请填写手机号码")
	}
	if len(s) != 11 || !allDigits(s) || s[0] != '1' || s[1] < '3' {
		return "", domain.Invalid(FieldMobile, "手机号码应为以13-19开头的11位数字")
	}
	return s, nil
}

// NormalizeEmail trims an address and lower-cases its domain. The check is
// deliberately plain (one @, a dotted domain of letters, digits and hyphens,
// no spaces): the confirmation code proves the address works.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	bad := func() (string, error) {
		return "", domain.Invalid(FieldEmail, "电子邮箱格式不正确")
	}
	if s == "" {
		return "", domain.Invalid(FieldEmail, "请填写电子邮箱")
	}
	if len(s) > 254 || strings.Count(s, "@") != 1 {
		return bad()
	}
	local, host, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return bad()
	}
	for _, r := range local {
		if r <= ' ' || r > '~' || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return bad()
		}
	}
	host = strings.ToLower(host)
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return bad()
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad()
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return bad()
			}
		}
	}
	if tld := labels[len(labels)-1]; len(tld) < 2 || allDigits(tld) {
		return bad()
	}
	return local + "@" + host, nil
}
