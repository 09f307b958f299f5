package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/eventstore"
)

// Waiter blocks until the read models have applied a position
// (read-your-writes); the projection runner implements it.
type Waiter interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// AccountCommands are the account commands the session routes need.
type AccountCommands interface {
	ChangePassword(ctx context.Context, p commands.Principal, oldPassword, newPassword, keepSession string) (eventstore.AppendResult, error)
}

// Config is everything the API needs, built once in wiring.
type Config struct {
	Log      *slog.Logger
	Pool     *pgxpool.Pool
	Creds    *commands.Credentials
	Security *commands.SecurityLog
	Waiter   Waiter
	Accounts AccountCommands
	// Ready reports whether dependencies are up (for /readyz).
	Ready func(ctx context.Context) error
	// LoginRate is the login attempts allowed per IP per minute (0: 20).
	LoginRate int
	// MaxWait bounds a read-your-writes wait (0: 5 s).
	MaxWait time.Duration
	// Areas add their routes under /api/v1 (teachers, projects, credits, ...).
	Areas []Area
	// Metrics, if set, count login failures and lockouts (metrics.go).
	Metrics *Metrics
}

// Area is a group of routes; it receives the server for shared helpers.
type Area interface {
	Routes(s *Server, r chi.Router)
}

// PublicArea is an area with routes that need no session (certificate
// verification, published keys), mounted under /api/v1.
type PublicArea interface {
	PublicRoutes(s *Server, r chi.Router)
}

// WellKnownJWKS serves the published signing keys at /.well-known/jwks.json.
type WellKnownJWKS interface {
	JWKSHandler(s *Server) http.HandlerFunc
}

// Server is the HTTP API.
type Server struct {
	Config
	log    *slog.Logger
	router chi.Router
}

// New builds the handler tree. It panics on missing wiring.
func New(cfg Config) *Server {
	if cfg.Log == nil || cfg.Pool == nil || cfg.Creds == nil || cfg.Security == nil {
		panic("httpapi: Config needs Log, Pool, Creds and Security")
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 5 * time.Second
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 20
	}
	s := &Server{Config: cfg, log: cfg.Log}
	r := chi.NewRouter()
	// Client addresses come from ClientAddr (trusted proxies only), applied
	// by the wiring in front of the API and the pages alike.
	r.Use(middleware.RequestID, s.logRequests, s.recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	r.Get("/readyz", s.readyz)
	for _, a := range cfg.Areas {
		if k, ok := a.(WellKnownJWKS); ok {
			r.Get("/.well-known/jwks.json", k.JWKSHandler(s))
			break
		}
	}
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.checkQuery, exportDeadline)
		r.Get("/openapi.yaml", serveOpenAPI)
		r.Group(s.sessionRoutes)
		for _, a := range cfg.Areas {
			if p, ok := a.(PublicArea); ok {
				r.Group(func(r chi.Router) { p.PublicRoutes(s, r) })
			}
		}
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate, s.requirePasswordChanged, s.consistentAfter, s.idempotent, s.commandContext)
			for _, a := range cfg.Areas {
				a.Routes(s, r)
			}
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: "not_found", Message: "接口不存在"}})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: "不支持的请求方法"}})
	})
	s.router = r
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Routes exposes the route tree (to check it against the OpenAPI document).
func (s *Server) Routes() chi.Routes { return s.router }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Pool.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "postgres": err.Error()})
		return
	}
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", ww.Status()), slog.Duration("took", time.Since(start)),
			slog.String("request_id", middleware.GetReqID(r.Context())))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "value", v, "path", r.URL.Path)
				s.writeError(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// handler adapts a function that returns an error to the one mapping.
type handler func(w http.ResponseWriter, r *http.Request) error

// H wraps an area's handler so its error goes through the one mapping.
func (s *Server) H(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// WriteJSON is for areas.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// Decode is for areas: strict JSON decoding with field-level errors.
func Decode(w http.ResponseWriter, r *http.Request, v any) error { return decode(w, r, v) }

// BadRequest is for areas.
func BadRequest(code, message string) error { return badRequest(code, message) }
