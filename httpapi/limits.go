package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits bound how many requests of each class the service answers at
// once, so that no class can take every database connection: a storm of
// slow downloads or of heavy queries leaves commands, the health checks
// and the projections (which have pools of their own) their share.
// The sum of the three bounds must stay below the API pool's size.
type Limits struct {
	Queries   int           // GET and HEAD requests that are not downloads (pages included)
	Commands  int           // every other method
	Downloads int           // exports and files: ?format=csv|xlsx, PDFs, reports, /api/v1/files/
	Wait      time.Duration // how long a request waits for a slot before a 503
}

// DefaultLimits fit an API pool of 24 connections with 2 to spare.
var DefaultLimits = Limits{Queries: 12, Commands: 8, Downloads: 2, Wait: 10 * time.Second}

// Class names, as in the metrics' "class" label.
const (
	ClassQuery    = "query"
	ClassCommand  = "command"
	ClassDownload = "download"
)

// Limiter applies Limits: one semaphore per class.
type Limiter struct {
	lim     Limits
	sem     map[string]chan struct{}
	metrics *Metrics
}

// NewLimiter returns a limiter; a bound of 0 or less takes the default.
func NewLimiter(l Limits, m *Metrics) *Limiter {
	if l.Queries <= 0 {
		l.Queries = DefaultLimits.Queries
	}
	if l.Commands <= 0 {
		l.Commands = DefaultLimits.Commands
	}
	if l.Downloads <= 0 {
		l.Downloads = DefaultLimits.Downloads
	}
	if l.Wait <= 0 {
		l.Wait = DefaultLimits.Wait
	}
	return &Limiter{lim: l, metrics: m, sem: map[string]chan struct{}{
		ClassQuery:    make(chan struct{}, l.Queries),
		ClassCommand:  make(chan struct{}, l.Commands),
		ClassDownload: make(chan struct{}, l.Downloads),
	}}
}

// InUse is how many requests of class are being answered.
func (l *Limiter) InUse(class string) int { return len(l.sem[class]) }

// RequestClass names the class of a request, or "" for those never limited:
// the health checks, metrics and static files, which touch no pool or
// only for a ping that must answer whatever else is going on.
func RequestClass(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/.well-known/"):
		return ""
	case isDownload(r):
		return ClassDownload
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return ClassQuery
	}
	return ClassCommand
}

// isDownload is a request whose answer may be large or slow to send.
func isDownload(r *http.Request) bool {
	f := r.URL.Query().Get("format")
	p := r.URL.Path
	return f == "csv" || f == "xlsx" || strings.HasSuffix(p, ".pdf") || strings.HasSuffix(p, "/report") ||
		strings.HasSuffix(p, "/errors") || strings.HasPrefix(p, "/api/v1/files/")
}

// Handler admits a request when its class has a free slot, waiting up to
// Limits.Wait (or until the client goes away); a class that stays full
// answers 503 with Retry-After, never an endless wait.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := RequestClass(r)
		if class == "" {
			next.ServeHTTP(w, r)
			return
		}
		sem := l.sem[class]
		select {
		case sem <- struct{}{}:
		default:
			if l.metrics != nil {
				l.metrics.LimitWaits.WithLabelValues(class).Inc()
			}
			t := time.NewTimer(l.lim.Wait)
			defer t.Stop()
			select {
			case sem <- struct{}{}:
			case <-t.C:
				l.refuse(w, class)
				return
			case <-r.Context().Done():
				l.refuse(w, class)
				return
			}
		}
		if l.metrics != nil {
			l.metrics.LimitInUse.WithLabelValues(class).Inc()
		}
		defer func() {
			<-sem
			if l.metrics != nil {
				l.metrics.LimitInUse.WithLabelValues(class).Dec()
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (l *Limiter) refuse(w http.ResponseWriter, class string) {
	if l.metrics != nil {
		l.metrics.LimitRefusals.WithLabelValues(class).Inc()
	}
	secs := max(int(l.lim.Wait/time.Second), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: "busy", Message: "服务繁忙，请稍后再试", RetryAfter: secs}})
}
