package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/httpapi"
)

// chiParam matches a chi parameter with a pattern, {action:join|leave}.
var chiParam = regexp.MustCompile(`\{([a-z_]+):[^}]*\}`)

// TestOpenAPIDocumentsEveryRoute: the served document is valid OpenAPI 3
// and names exactly the routes the wired server serves, with their methods.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid document: %v", err)
	}
	a := startApp(t, "postgres")
	served := map[string]bool{}
	err = chi.Walk(a.svc.HTTP.Routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = chiParam.ReplaceAllString(strings.TrimSuffix(route, "/"), "{$1}")
		if !strings.HasPrefix(route, "/api/v1/") || route == "/api/v1/openapi.yaml" {
			return nil // health checks, the well-known JWKS and the document itself
		}
		served[strings.ToLower(method)+" "+strings.TrimPrefix(route, "/api/v1")] = true
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
	if len(served) < 90 {
		t.Fatalf("only %d routes walked: the walk missed the areas", len(served))
	}
	r := a.anon().must(200, "GET", "/api/v1/openapi.yaml", nil)
	if !strings.Contains(string(r.Body), "openapi: 3.0.3") {
		t.Fatal("the document is not served")
	}
}
