package httpapi

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
)

// TestCreditsOpenAPIDocumentsEveryRoute: docs/openapi-credits.yaml is a
// valid OpenAPI 3 document and names every route of the credit,
// appraisal, registration, growth and studio areas, with the same methods,
// and nothing they do not serve.
func TestCreditsOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../docs/openapi-credits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid document: %v", err)
	}
	r := chi.NewRouter()
	s := &Server{}
	for _, a := range []Area{&CreditArea{}, &AppraisalArea{}, &RegistrationArea{}, &GrowthArea{}, &StudioArea{}} {
		a.Routes(s, r)
	}
	// chi writes a parameter's pattern into the route ({action:join|...}).
	pattern := regexp.MustCompile(`\{([a-z_]+):[^}]*\}`)
	served := map[string]bool{}
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[strings.ToLower(method)+" "+pattern.ReplaceAllString(route, "{$1}")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToLower(method)+" "+path] = true
		}
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not documented: %s", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented but not served: %s", k)
		}
	}
	if len(served) < 40 {
		t.Errorf("only %d routes walked", len(served))
	}
}
