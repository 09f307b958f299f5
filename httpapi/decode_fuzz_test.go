package httpapi

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/hbte/record/domain/text"
)

// commandBodies are a fresh value of every JSON body a command decodes.
var commandBodies = []func() any{
	func() any { return &ethicsCorrectionRequest{} },
	func() any { return &annualCorrectionRequest{} },
	func() any { return &loginRequest{} },
	func() any { return &changePasswordRequest{} },
	func() any { return &creditRevokeRequest{} },
	func() any { return &bankSubmitRequest{} },
	func() any { return &creditRecogniseRequest{} },
	func() any { return &creditReasonRequest{} },
	func() any { return &nominateRequest{} },
	func() any { return &assignmentRequest{} },
	func() any { return &noticeRequest{} },
	func() any { return &progressRequest{} },
	func() any { return &gradeRequest{} },
	func() any { return &institutionRequest{} },
	func() any { return &institutionAccountRequest{} },
	func() any { return &detailsRequest{} },
	func() any { return &createProjectRequest{} },
	func() any { return &projectChangeRequest{} },
	func() any { return &classRequest{} },
	func() any { return &policyRequest{} },
	func() any { return &firstRegistrationRequest{} },
	func() any { return &absenceRequest{} },
	func() any { return &datedNoteRequest{} },
	func() any { return &studioRequest{} },
	func() any { return &studioLinkRequest{} },
	func() any { return &createAccountRequest{} },
	func() any { return &contactCodeRequest{} },
	func() any { return &registerTeacherRequest{} },
	func() any { return &editRequest{} },
	func() any { return &keyCorrectionRequest{} },
	func() any { return &correctionRequest{} },
	func() any { return &decisionRequest{} },
	func() any { return &startTransferRequest{} },
	func() any { return &acceptTransferRequest{} },
	func() any { return &unitChangeTeacherRequest{} },
	func() any { return &registerUnitRequest{} },
	func() any { return &unitChangeRequest{} },
}

// Whatever bytes arrive, decoding never panics, and what it accepts holds
// only text that passes the boundary check, whichever command it is for.
func FuzzDecodeCommands(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"王\u0000"}`, `{"changes":{"native_place":"a\u0007"}}`, `{"reason":"e\u0301"}`,
		`{"items":[{"x":1}]}`, `[1,2]`, `"str"`, `{"name":`, "{\"name\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range commandBodies {
			v := mk()
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			if err := decode(httptest.NewRecorder(), r, v); err != nil {
				continue
			}
			assertClean(t, reflect.ValueOf(v))
		}
	})
}

func assertClean(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			assertClean(t, v.Elem())
		}
	case reflect.String:
		if p := text.Problem(v.String()); p != "" {
			t.Fatalf("decoded %q: %s", v.String(), p)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				assertClean(t, v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			assertClean(t, v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			assertClean(t, k)
			assertClean(t, v.MapIndex(k))
		}
	}
}
