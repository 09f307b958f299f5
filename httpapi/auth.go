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
)

var idNumberLike = regexp.MustCompile(`^[0-9]{17}[0-9xX]$`)

type ctxKey int

const (
	principalKey ctxKey = iota
	tokenKey
)

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
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
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
	login := strings.TrimSpace(req.Login)
	if idNumberLike.MatchString(login) {
		login = strings.ToUpper(login) // teachers log in with their ID number; accept a lowercase x
	}
	if login == "" || req.Password == "" {
		return badRequest("missing_credentials", "请输入用户名和密码")
	}
	ip := clientIP(r)
	p, lockedNow, err := s.Creds.Authenticate(r.Context(), login, req.Password)
	entry := commands.SecurityEntry{AccountID: p.AccountID, Login: login, Role: string(p.Role), Action: commands.ActionLogin, Success: err == nil, IP: ip}
	if err != nil {
		entry.Detail = err.Error()
		if lockedNow {
			s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: login, Role: string(p.Role), Action: commands.ActionAccountLocked, Success: true, IP: ip, Detail: err.Error()})
		}
		s.audit(r, entry)
		return err
	}
	tok, exp, err := s.Creds.NewSession(r.Context(), p.AccountID, ip, r.UserAgent())
	if err != nil {
		return err
	}
	s.audit(r, entry)
	resp := loginResponse{Token: tok, ExpiresAt: exp, AccountID: p.AccountID.String(), Role: string(p.Role), RoleLabel: p.Role.Label(),
		DisplayName: p.DisplayName, Jurisdiction: p.Jurisdiction, MustChangePassword: p.MustChangePassword}
	if p.TeacherID != [16]byte{} {
		resp.TeacherID = p.TeacherID.String()
	}
	http.SetCookie(w, &http.Cookie{Name: "session", Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Expires: exp, Secure: r.TLS != nil})
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	tok, _ := r.Context().Value(tokenKey).(string)
	if err := s.Creds.EndSession(r.Context(), tok); err != nil {
		return err
	}
	p, _ := Principal(r.Context())
	s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role), Action: commands.ActionLogout, Success: true, IP: clientIP(r)})
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
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
	res, err := s.Accounts.ChangePassword(r.Context(), p, req.OldPassword, req.NewPassword, tok)
	s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role), Action: commands.ActionPasswordChange, Success: err == nil, IP: clientIP(r), Detail: errDetail(err)})
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	writeJSON(w, http.StatusOK, map[string]any{"status": "changed", "position": res.Position.String()})
	return nil
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
