package ident

import "strings"

// MaskID hides the birth date and sequence of an ID number for lists and
// exports (PIPL): "130102199001011235" -> "130102********1235". Shorter
// foreign document numbers keep only their first and last character.
func MaskID(id string) string {
	r := []rune(id)
	switch n := len(r); {
	case n >= 15:
		return string(r[:6]) + strings.Repeat("*", n-10) + string(r[n-4:])
	case n > 2:
		return string(r[:1]) + strings.Repeat("*", n-2) + string(r[n-1:])
	default:
		return strings.Repeat("*", n)
	}
}

// MaskMobile hides the four digits before the last four:
// "13812341234" -> "138****1234".
func MaskMobile(m string) string {
	r := []rune(m)
	switch n := len(r); {
	case n >= 8:
		return string(r[:n-8]) + "****" + string(r[n-4:])
	case n > 2:
		return strings.Repeat("*", n-2) + string(r[n-2:])
	default:
		return strings.Repeat("*", n)
	}
}
