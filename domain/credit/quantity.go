package credit

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Quantity is an exact decimal amount of hours (学时) or credits (学分). It
// is held as an integer count of thousandths, so sums and comparisons are
// exact: 359 h + 0.5 h is 359.5 h, never 360 h. New input accepts at most
// one decimal place (ParseQuantity); stored events may carry up to three,
// because credits were once recorded as floats (a seed wrote hours/8).
//
// In JSON it is a plain number ("hours": 359.5), so events stored with
// integer hours decode to the same whole amount and an integral amount
// encodes as before ("hours": 90): the meaning of every stored field is
// unchanged, its values may now carry a fraction. An instance older than
// this type cannot decode a fractional amount: upgrade every instance before
// fractions are entered.
//
// It is a struct so an untyped constant (Hours: 90) does not compile into
// 90 thousandths: write Whole(90) or Tenths(905).
type Quantity struct{ milli int64 }

// quantityScale is the number of units in one hour or credit.
const quantityScale = 1000

// MaxInputDecimals is how many decimal places input may carry.
const MaxInputDecimals = 1

// Whole is n hours or credits.
func Whole(n int) Quantity { return Quantity{int64(n) * quantityScale} }

// Tenths is n tenths of an hour or credit.
func Tenths(n int) Quantity { return Quantity{int64(n) * (quantityScale / 10)} }

// Milli is n thousandths of an hour or credit: what Thousandths gives back,
// for read models that keep quantities as integers.
func Milli(n int64) Quantity { return Quantity{n} }

// Thousandths is q as an integer count of thousandths.
func (q Quantity) Thousandths() int64 { return q.milli }

// FromFloat converts a float recorded elsewhere (a project's credits) to the
// nearest thousandth, which is what a one- or two-place decimal typed into a
// float meant.
func FromFloat(f float64) Quantity { return Quantity{int64(math.Round(f * quantityScale))} }

// ErrQuantity is the reason a text is not a quantity.
var ErrQuantity = fmt.Errorf("credit: not a decimal with at most %d decimal place", MaxInputDecimals)

// ParseQuantity reads user input: digits with at most one decimal place
// ("359", "0.5", "12.0"); a sign, an exponent or a second decimal place is
// refused, never rounded.
func ParseQuantity(s string) (Quantity, error) {
	q, decimals, err := parseDecimal(strings.TrimSpace(s), false)
	if err != nil || decimals > MaxInputDecimals {
		return Quantity{}, ErrQuantity
	}
	return q, nil
}

// parseDecimal reads [-]digits[.digits] exactly. Places beyond the scale
// (only possible in old stored floats) are dropped toward zero.
func parseDecimal(s string, allowSign bool) (Quantity, int, error) {
	neg := false
	if allowSign && strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || len(intPart) > 12 {
		return Quantity{}, 0, ErrQuantity
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return Quantity{}, 0, ErrQuantity
		}
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return Quantity{}, 0, ErrQuantity
	}
	decimals := len(strings.TrimRight(frac, "0"))
	f := int64(0)
	scale := int64(quantityScale)
	for i := 0; i < len(frac) && scale > 1; i++ {
		scale /= 10
		f += int64(frac[i]-'0') * scale
	}
	q := Quantity{n*quantityScale + f}
	if neg {
		q.milli = -q.milli
	}
	return q, decimals, nil
}

// String is the exact decimal without trailing zeros: "359.5", "90", "2.25".
func (q Quantity) String() string {
	sign := ""
	v := q.milli
	if v < 0 {
		sign, v = "-", -v
	}
	whole, frac := v/quantityScale, v%quantityScale
	if frac == 0 {
		return sign + strconv.FormatInt(whole, 10)
	}
	fs := strings.TrimRight(fmt.Sprintf("%03d", frac), "0")
	return sign + strconv.FormatInt(whole, 10) + "." + fs
}

// IsZero reports whether q is nothing.
func (q Quantity) IsZero() bool { return q.milli == 0 }

// Sign is -1, 0 or 1.
func (q Quantity) Sign() int {
	switch {
	case q.milli < 0:
		return -1
	case q.milli > 0:
		return 1
	}
	return 0
}

// Cmp compares q and r: -1, 0 or 1.
func (q Quantity) Cmp(r Quantity) int {
	switch {
	case q.milli < r.milli:
		return -1
	case q.milli > r.milli:
		return 1
	}
	return 0
}

// Less reports q < r.
func (q Quantity) Less(r Quantity) bool { return q.milli < r.milli }

// Add is q + r.
func (q Quantity) Add(r Quantity) Quantity { return Quantity{q.milli + r.milli} }

// Sub is q - r.
func (q Quantity) Sub(r Quantity) Quantity { return Quantity{q.milli - r.milli} }

// Min is the smaller of q and r.
func (q Quantity) Min(r Quantity) Quantity {
	if r.milli < q.milli {
		return r
	}
	return q
}

// Max is the larger of q and r.
func (q Quantity) Max(r Quantity) Quantity {
	if r.milli > q.milli {
		return r
	}
	return q
}

// Float is q as a float64, for display and old float fields only (never for
// totals or comparisons).
func (q Quantity) Float() float64 { return float64(q.milli) / quantityScale }

// InputExact reports whether q has at most one decimal place, as input must.
func (q Quantity) InputExact() bool { return q.milli%(quantityScale/10) == 0 }

// Mul is q times a rate (hours per credit), exact at the scale: the
// product of two amounts with up to three places each, truncated toward zero
// beyond three places (never rounded up in the teacher's favour).
func (q Quantity) Mul(rate Quantity) Quantity {
	return Quantity{q.milli * rate.milli / quantityScale}
}

// MarshalJSON writes q as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON reads a JSON number (or a string holding one) exactly.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	s = strings.Trim(s, `"`)
	v, _, err := parseDecimal(s, true)
	if err != nil {
		return fmt.Errorf("credit: %q is not an exact decimal: %w", s, err)
	}
	*q = v
	return nil
}

// Value stores q in a numeric column.
func (q Quantity) Value() (driver.Value, error) { return q.String(), nil }

// Scan reads q from a numeric (or integer) column.
func (q *Quantity) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*q = Quantity{}
		return nil
	case int64:
		*q = Quantity{v * quantityScale}
		return nil
	case string:
		return q.UnmarshalJSON([]byte(v))
	case []byte:
		return q.UnmarshalJSON(v)
	case float64:
		return q.UnmarshalJSON([]byte(strconv.FormatFloat(v, 'f', -1, 64)))
	}
	return fmt.Errorf("credit: cannot scan %T into a quantity", src)
}
