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

// Labels come from route patterns and standard methods only: no request
// can mint a series of its own.
func TestMetricLabelsAreBounded(t *testing.T) {
	m := NewMetrics()
	h := m.Instrument(http.NotFoundHandler())
	for _, method := range []string{"GET", "BREW", "X-ANY"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/no/such/"+method, nil))
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "record_http_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			key := ""
			for _, l := range s.GetLabel() {
				key += l.GetName() + "=" + l.GetValue() + ","
			}
			got[key] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"method=GET,route=unmatched,status=404,":   1,
		"method=OTHER,route=unmatched,status=404,": 2,
	}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("series %v, want %v", got, want)
		}
	}
}
