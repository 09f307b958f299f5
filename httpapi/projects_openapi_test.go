package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
)

// TestProjectsOpenAPIDocumentsEveryRoute: docs/openapi-projects.yaml is a
// valid OpenAPI 3 document and names every route the area serves, with the
// same methods, and nothing it does not serve.
func TestProjectsOpenAPIDocumentsEveryRoute(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../docs/openapi-projects.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid document: %v", err)
	}
	r := chi.NewRouter()
	a := &ProjectArea{}
	s := &Server{}
	a.Routes(s, r)
	a.PublicRoutes(s, r)
	served := map[string]bool{}
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[strings.ToLower(method)+" "+route] = true
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
}
