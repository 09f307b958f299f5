package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A line logged with a request's context carries the request's ID, once,
// and the ID answered in X-Request-ID is the same.
func TestRequestIDOnLogLinesAndAnswers(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler{Handler: slog.NewJSONHandler(&buf, nil)})
	var m *Metrics // request IDs work without metrics too
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside")
		log.LogAttrs(r.Context(), slog.LevelInfo, "explicit", slog.String("request_id", "given"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	id := rec.Header().Get(RequestIDHeader)
	if id == "" {
		t.Fatal("no X-Request-ID")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"`+id+`"`) {
		t.Fatalf("log line without the answered ID %s: %s", id, buf.String())
	}
	if strings.Count(lines[1], "request_id") != 1 {
		t.Fatalf("request_id twice: %s", lines[1])
	}
	buf.Reset()
	log.InfoContext(context.Background(), "outside")
	if strings.Contains(buf.String(), "request_id") {
		t.Fatalf("an ID outside a request: %s", buf.String())
	}
}
