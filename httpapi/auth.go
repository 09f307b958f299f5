package httpapi

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/eventstore"
)

var idNumberLike = regexp.MustCompile(`^[0-9]{17}[0-9xX]$`)

type ctxKey int

const (
	principalKey ctxKey = iota
	tokenKey
)

// WithPrincipal attaches an authenticated principal and its session token
// to ctx (the web pages authenticate by cookie and use the same accessors).
func WithPrincipal(ctx context.Context, p commands.Principal, token string) context.Context {
	ctx = context.WithValue(ctx, principalKey, p)
	return context.WithValue(ctx, tokenKey, token)
}

// ClientIP is the address the security audit and rate limits use.
func ClientIP(r *http.Request) string { return clientIP(r) }

// Principal returns the authenticated principal of a request.
func Principal(ctx context.Context) (commands.Principal, bool) {
	p, ok := ctx.Value(principalKey).(commands.Principal)
	return p, ok
}

// ActorOf returns the actor of an authenticated request.
func ActorOf(r *http.Request) access.Actor {
	p, _ := Principal(r.Context())
	return p.Actor()
}

func bearer(r *http.Request) string {
	// The scheme is case-insensitive (RFC 9110 §11.1).
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c, err := r.Cookie("session"); err == nil {
		return c.Value
	}
	return ""
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		p, err := s.Creds.Session(r.Context(), tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey, p)
		ctx = context.WithValue(ctx, tokenKey, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requirePasswordChanged lets a user with an initial or reset password do
// nothing but change it or log out.
func (s *Server) requirePasswordChanged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := Principal(r.Context())
		if p.MustChangePassword {
			s.writeError(w, r, commands.ErrPasswordChangeRequired)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sessionRoutes are reachable before the password gate.
func (s *Server) sessionRoutes(r chi.Router) {
	r.With(httprate.Limit(s.LoginRate, time.Minute,
		httprate.WithKeyFuncs(httprate.KeyByIP),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: ErrorDetail{Code: "rate_limited", Message: "登录尝试过于频繁，请稍后再试", RetryAfter: 60}})
		}))).Post("/sessions", s.H(s.login))
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.commandContext)
		r.Delete("/sessions/current", s.H(s.logout))
		r.Put("/me/password", s.H(s.changePassword))
	})
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token              string    `json:"token"`
	ExpiresAt          time.Time `json:"expires_at"`
	AccountID          string    `json:"account_id"`
	Role               string    `json:"role"`
	RoleLabel          string    `json:"role_label"`
	DisplayName        string    `json:"display_name"`
	Jurisdiction       string    `json:"jurisdiction,omitempty"`
	TeacherID          string    `json:"teacher_id,omitempty"`
	MustChangePassword bool      `json:"must_change_password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, tok, exp, err := s.Login(r, req.Login, req.Password)
	if err != nil {
		return err
	}
	resp := loginResponse{Token: tok, ExpiresAt: exp, AccountID: p.AccountID.String(), Role: string(p.Role), RoleLabel: p.Role.Label(),
		DisplayName: p.DisplayName, Jurisdiction: p.Jurisdiction, MustChangePassword: p.MustChangePassword}
	if p.TeacherID != [16]byte{} {
		resp.TeacherID = p.TeacherID.String()
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Expires: exp, Secure: r.TLS != nil})
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// Login checks a login and password, records the attempt (and a lockout)
// in the security audit and opens a session. The API and the web pages
// both log in through it. Teachers log in with their ID number; a
// lowercase x is accepted.
func (s *Server) Login(r *http.Request, login, password string) (commands.Principal, string, time.Time, error) {
	login = strings.TrimSpace(login)
	if idNumberLike.MatchString(login) {
		login = strings.ToUpper(login)
		// The initial password is the ID's last six characters: accept a
		// lowercase x there as the login does. A chosen password has at
		// least eight characters, so no chosen password is rewritten.
		if initial := commands.InitialPassword(login); strings.EqualFold(password, initial) {
			password = initial
		}
	}
	if login == "" || password == "" {
		return commands.Principal{}, "", time.Time{}, badRequest("missing_credentials", "请输入用户名和密码")
	}
	ip := clientIP(r)
	p, lockedNow, err := s.Creds.Authenticate(r.Context(), login, password)
	entry := commands.SecurityEntry{AccountID: p.AccountID, Login: login, Role: string(p.Role), Action: commands.ActionLogin, Success: err == nil, IP: ip}
	if err != nil {
		s.Metrics.LoginFailed(lockedNow)
		entry.Detail = err.Error()
		if lockedNow {
			s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: login, Role: string(p.Role), Action: commands.ActionAccountLocked, Success: true, IP: ip, Detail: err.Error()})
		}
		s.audit(r, entry)
		return p, "", time.Time{}, err
	}
	tok, exp, err := s.Creds.NewSession(r.Context(), p.AccountID, ip, r.UserAgent())
	if err != nil {
		return p, "", time.Time{}, err
	}
	s.audit(r, entry)
	return p, tok, exp, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	tok, _ := r.Context().Value(tokenKey).(string)
	p, _ := Principal(r.Context())
	if err := s.Logout(r, p, tok); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Logout ends a session and records it.
func (s *Server) Logout(r *http.Request, p commands.Principal, token string) error {
	if err := s.Creds.EndSession(r.Context(), token); err != nil {
		return err
	}
	s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role), Action: commands.ActionLogout, Success: true, IP: clientIP(r)})
	return nil
}

type changePasswordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, _ := Principal(r.Context())
	tok, _ := r.Context().Value(tokenKey).(string)
	res, err := s.ChangePassword(r, p, tok, req.OldPassword, req.NewPassword)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	writeJSON(w, http.StatusOK, map[string]any{"status": "changed", "position": res.Position.String()})
	return nil
}

// ChangePassword changes the caller's own password, keeps the session it
// was asked from and records the attempt.
func (s *Server) ChangePassword(r *http.Request, p commands.Principal, token, oldPassword, newPassword string) (eventstore.AppendResult, error) {
	res, err := s.Accounts.ChangePassword(r.Context(), p, oldPassword, newPassword, token)
	s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role), Action: commands.ActionPasswordChange, Success: err == nil, IP: clientIP(r), Detail: errDetail(err)})
	return res, err
}

func errDetail(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// audit records a security entry; a failure to record is logged, never
// hidden, but does not fail the user's request.
func (s *Server) audit(r *http.Request, e commands.SecurityEntry) {
	if err := s.Security.Record(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "security audit write failed", "err", err, "action", e.Action)
	}
}

// Audit is for areas (e.g. recording a reveal of personal data).
func (s *Server) Audit(r *http.Request, action, subject, detail string) {
	p, _ := Principal(r.Context())
	s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role), Action: action, Success: true, Subject: subject, IP: clientIP(r), Detail: detail})
}
