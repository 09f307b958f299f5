package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
)

// FormState is what a page with several forms needs to show one refused
// form again: which form, what was typed, the reasons per field.
type FormState struct {
	Which  string
	Values map[string][]string
	Fields map[string]string
}

// Val is what the user typed into field of form which ("" for another form).
func (f FormState) Val(which, field string) string {
	if f.Which != which || f.Values == nil {
		return ""
	}
	if v := f.Values[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Err is the reason next to field of form which.
func (f FormState) Err(which, field string) string {
	if f.Which != which {
		return ""
	}
	return f.Fields[field]
}

// RefusedForm turns a command's error into the state of the refused form
// which, the message and the status, or ok=false for an error that ends
// the request (pass it to Fail).
func RefusedForm(r *http.Request, which string, err error) (FormState, string, int, bool) {
	status, msg, fields, ok := Refused(err)
	if !ok {
		return FormState{}, "", status, false
	}
	_ = r.ParseForm()
	return FormState{Which: which, Values: r.PostForm, Fields: fields}, msg, status, true
}

// PathID reads a UUID path parameter; a malformed one is a missing record.
func PathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s %q: %w", name, chi.URLParam(r, name), domain.ErrNotFound)
	}
	return id, nil
}

// WithRevision puts the revision the user saw (hidden input "revision")
// into the command's context as If-Match.
func WithRevision(r *http.Request) (context.Context, error) {
	rev, err := strconv.ParseInt(r.PostFormValue("revision"), 10, 64)
	if err != nil || rev < 0 {
		return nil, ValidationErrors(domain.FieldError{Field: "revision", Reason: "页面缺少记录版本，请刷新页面后再提交"})
	}
	return commands.WithRequest(r.Context(), commands.Request{ExpectedRevision: &rev}), nil
}
