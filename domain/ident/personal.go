package ident

import (
	"encoding/json"
	"log/slog"
	"regexp"
)

// Masked is a value that may be personal data, typed by the field it
// belongs to. Wherever it goes out (JSON, fmt and templates through
// String, logs through LogValue) it shows itself masked by that type: ID
// numbers as MaskID, mobiles as MaskMobile, a login that is an ID number
// as an ID number. Only Reveal, which a handler calls for a role that may
// see the full value and records in the security audit, lets it out whole.
// Masking is thus a property of the value, not of each endpoint.
type Masked struct {
	field    string
	value    string
	revealed bool
}

// FieldLogin types a login: teachers log in with their ID number. With
// FieldIDNumber and FieldMobile these are the fields whose values are
// personal data of high risk (PIPL).
const FieldLogin = "login"

// NewMasked types value by its field.
func NewMasked(field, value string) Masked { return Masked{field: field, value: value} }

// Reveal returns the value that shows itself whole. The caller checks the
// role and records the reveal.
func (m Masked) Reveal() Masked { m.revealed = true; return m }

// Raw is the full value for code that compares or formats it before it
// is masked again (never to send it out as is).
func (m Masked) Raw() string { return m.value }

// Field is the field the value belongs to.
func (m Masked) Field() string { return m.field }

var idLike = regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`)

// String is the value as it may be shown: masked unless revealed.
func (m Masked) String() string {
	if m.revealed || m.value == "" {
		return m.value
	}
	switch m.field {
	case FieldIDNumber:
		return MaskID(m.value)
	case FieldMobile:
		return MaskMobile(m.value)
	case FieldLogin:
		if idLike.MatchString(m.value) {
			return MaskID(m.value)
		}
	}
	return m.value
}

// MarshalJSON writes the value as String shows it.
func (m Masked) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON reads a plain string (a client decoding a response).
func (m *Masked) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &m.value) }

// LogValue keeps logs masked too.
func (m Masked) LogValue() slog.Value { return slog.StringValue(m.String()) }
