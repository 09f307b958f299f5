// Package domain holds the error vocabulary shared by every aggregate package
// under domain/. Aggregates live in sub-packages (teacher, unit, account,
// project, enrollment, credit, registration, ...). Everything under domain/
// is pure: no I/O, no clock (time is passed in), no randomness.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound: the thing named does not exist.
var ErrNotFound = errors.New("not found")

// ErrInvalidState: the command does not fit the aggregate's current state
// (e.g. approving a correction that was already decided). HTTP 409. It is
// only a target for errors.Is: every refusal by state is built with
// Refusal, which names the reason for users (TestStateRefusalsAreBuiltWithAReason
// fails on any other use), so no refusal reaches a generic message.
var ErrInvalidState = errors.New("invalid state")

// ErrDuplicate: the thing already exists (e.g. a second teacher with one ID number).
var ErrDuplicate = errors.New("already exists")

// FieldError is one rejected field: its JSON name and a reason in Chinese for
// the user. Row is set (from 1) for imports.
type FieldError struct {
	Row    int    `json:"row,omitempty"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError carries every problem found in one input. It matches
// ErrValidation with errors.Is.
type ValidationError struct {
	Fields []FieldError
}

// ErrValidation is matched by *ValidationError.
var ErrValidation = errors.New("validation failed")

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		if f.Row > 0 {
			parts[i] = fmt.Sprintf("row %d %s: %s", f.Row, f.Field, f.Reason)
		} else {
			parts[i] = f.Field + ": " + f.Reason
		}
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Add records a problem.
func (e *ValidationError) Add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason})
}

// Err returns e when it holds a problem, else nil: `return v.Err()`.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid is a one-field ValidationError.
func Invalid(field, reason string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Reason: reason}}}
}

// StateError is a refusal caused by the state of things (a full quota, a
// missing seat), with the reason for users. It matches ErrInvalidState.
type StateError struct {
	Reason  string // for logs and developers
	Message string // for users, in Chinese
}

func (e *StateError) Error() string        { return e.Reason }
func (e *StateError) Is(target error) bool { return target == ErrInvalidState }

// UserMessage is what the API shows.
func (e *StateError) UserMessage() string { return e.Message }

// Refusal builds a StateError; declare it as a sentinel beside its rule.
func Refusal(reason, message string) error { return &StateError{Reason: reason, Message: message} }
