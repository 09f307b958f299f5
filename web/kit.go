package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi"
)

//go:embed templates static
var assets embed.FS

// Waiter blocks until the read models have applied a position, so the page
// a user is sent to after a command shows what they just did.
type Waiter interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Section is one role's pages. Routes are mounted behind the session and
// the first-password gate; Nav lists the header links the principal sees.
type Section interface {
	Nav(p commands.Principal) []NavItem
	Routes(k *Kit, r chi.Router)
}

// NavItem is a link of the header.
type NavItem struct {
	Label string
	Href  string
	Count int // a badge (waiting items); 0 shows none
}

// Config is what the pages need, built once in wiring.
type Config struct {
	Log     *slog.Logger
	API     *httpapi.Server // the shared login, logout and password change
	Creds   *commands.Credentials
	Waiter  Waiter
	Regions *region.Tree
	// LoginRate is the login attempts allowed per IP per minute (0: 20).
	LoginRate int
	// MaxWait bounds the wait for read models after a command (0: 5 s).
	MaxWait  time.Duration
	Sections []Section
}

// Kit is the core of the pages: sections get it to render, report errors
// and finish commands.
type Kit struct {
	Config
	core    *Views
	handler http.Handler
}

// New builds the pages. It panics on missing wiring or a broken template,
// so a bad template fails the start, not a request.
func New(cfg Config) *Kit {
	if cfg.Log == nil || cfg.API == nil || cfg.Creds == nil {
		panic("web: Config needs Log, API and Creds")
	}
	if cfg.Regions == nil {
		cfg.Regions = region.Default()
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 20
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 5 * time.Second
	}
	k := &Kit{Config: cfg}
	views, err := fs.Sub(assets, "templates/views")
	if err != nil {
		panic(err)
	}
	k.core = k.MustParse(views)
	k.handler = k.routes()
	return k
}

func (k *Kit) ServeHTTP(w http.ResponseWriter, r *http.Request) { k.handler.ServeHTTP(w, r) }

// ContentSecurityPolicy allows only this origin's scripts, styles and
// images, no inline script, no framing, forms only to this origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (k *Kit) routes() http.Handler {
	r := chi.NewRouter()
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.renderError(w, r, http.StatusForbidden, "请求被拒绝", "该表单不是从本站页面提交的（跨站请求），已拒绝。请回到本站页面重新操作。")
	}))
	r.Use(middleware.RequestID, securityHeaders, csrf.Handler, k.checkText, k.loadSession)
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
	r.Get("/login", k.loginPage)
	r.With(httprate.Limit(k.LoginRate, time.Minute, httprate.WithKeyFuncs(httprate.KeyByIP),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			k.renderLogin(w, r, http.StatusTooManyRequests, r.PostFormValue("login"), "登录尝试过于频繁，请一分钟后再试")
		}))).Post("/login", k.login)
	r.Group(func(r chi.Router) {
		r.Use(k.requireSession)
		r.Post("/logout", k.logout)
		r.Get("/password", k.passwordPage)
		r.Post("/password", k.changePassword)
		r.Group(func(r chi.Router) {
			r.Use(k.requirePasswordChanged)
			r.Get("/", k.home)
			for _, s := range k.Sections {
				s.Routes(k, r)
			}
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		k.renderError(w, r, http.StatusNotFound, "页面不存在", "您访问的页面不存在，可能是地址输错了，或该页面已经移动。")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		k.renderError(w, r, http.StatusMethodNotAllowed, "不支持的操作", "该页面不支持这种请求方式。")
	})
	return r
}

type sessionKey struct{}

type session struct {
	p     commands.Principal
	token string
	// expired: a cookie was sent but names no live session.
	expired bool
}

// SessionCookie is the cookie that carries the session token, shared with
// the API so downloads (PDF, XLSX, CSV) work from a page's link.
const SessionCookie = "session"

func (k *Kit) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		s := session{token: c.Value}
		p, err := k.Creds.Session(r.Context(), c.Value)
		switch {
		case err == nil:
			s.p = p
		case errors.Is(err, access.ErrUnauthenticated):
			s.expired = true
		default:
			k.Fail(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), sessionKey{}, s)
		if err == nil {
			ctx = httpapi.WithPrincipal(ctx, p, c.Value)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func sessionOf(r *http.Request) (session, bool) {
	s, ok := r.Context().Value(sessionKey{}).(session)
	return s, ok && !s.expired
}

// Principal is the logged-in user of a request behind requireSession.
func Principal(r *http.Request) commands.Principal {
	s, _ := sessionOf(r)
	return s.p
}

// Actor is the logged-in user as the domain sees it.
func Actor(r *http.Request) access.Actor { return Principal(r).Actor() }

func (k *Kit) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := sessionOf(r); ok {
			next.ServeHTTP(w, r)
			return
		}
		q := url.Values{}
		if s, had := r.Context().Value(sessionKey{}).(session); had && s.expired {
			q.Set("expired", "1")
			clearCookie(w, SessionCookie)
		}
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			q.Set("next", r.URL.RequestURI())
		}
		target := "/login"
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

func (k *Kit) requirePasswordChanged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Principal(r).MustChangePassword {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Home is the first page of each role.
func Home(role access.Role) string {
	switch role {
	case access.RoleTeacher:
		return "/me"
	case access.RoleCountyAdmin:
		return "/county"
	case access.RoleCityAdmin, access.RoleProvinceAdmin:
		return "/admin"
	case access.RoleInstitution:
		return "/institution"
	case access.RoleAuditor:
		return "/audit"
	case access.RoleRegistrar:
		return "/registrar"
	}
	return "/password"
}

func (k *Kit) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Home(Principal(r).Role), http.StatusSeeOther)
}

// Done finishes a command started from a form: it waits until the read
// models show the command's effect (so the next page is up to date), puts
// a message for the next page and redirects there (post/redirect/get).
func (k *Kit) Done(w http.ResponseWriter, r *http.Request, pos eventstore.Position, to, message string) {
	k.Wait(r, pos)
	if message != "" {
		setFlash(w, message)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// Wait blocks until the read models have applied pos, at most MaxWait; a
// page rendered after a timeout is at worst a moment behind, never wrong.
func (k *Kit) Wait(r *http.Request, pos eventstore.Position) {
	if k.Waiter == nil || pos.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), k.MaxWait)
	defer cancel()
	if err := k.Waiter.WaitFor(ctx, pos); err != nil && r.Context().Err() == nil {
		k.Log.WarnContext(r.Context(), "web: read models behind after a command", "pos", pos.String(), "err", err)
	}
}

const flashCookie = "flash"

func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	clearCookie(w, flashCookie)
	msg, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return msg
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// RegionName is the full Chinese name of a region code ("河北省石家庄市长安区").
func (k *Kit) RegionName(code string) string {
	if code == "" {
		return ""
	}
	if n := k.Regions.FullName(code); n != "" {
		return n
	}
	return code
}

// Jurisdiction describes whose data a principal sees, for the header.
func (k *Kit) Jurisdiction(p commands.Principal) string {
	switch {
	case p.Role == access.RoleTeacher:
		return "本人档案"
	case p.Role == access.RoleInstitution:
		return "本机构承担的项目与班级"
	case p.Jurisdiction != "":
		return k.RegionName(p.Jurisdiction)
	}
	return ""
}

func (k *Kit) nav(r *http.Request) []NavItem {
	p := Principal(r)
	if p.AccountID == [16]byte{} || p.MustChangePassword {
		return nil
	}
	var out []NavItem
	for _, s := range k.Sections {
		out = append(out, s.Nav(p)...)
	}
	return out
}

func active(path, href string) bool {
	if href == "/" {
		return path == "/"
	}
	return path == href || strings.HasPrefix(path, href+"/")
}

// ParseViews parses a section's embedded "views" folder with the layout
// (see MustParse); it panics at start on a broken template.
func (k *Kit) ParseViews(sectionFS fs.FS) *Views {
	sub, err := fs.Sub(sectionFS, "views")
	if err != nil {
		panic(err)
	}
	return k.MustParse(sub)
}

// Only admits the principals allow accepts; anyone else gets the 403 page
// before a handler reads anything.
func (k *Kit) Only(allow func(commands.Principal) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !allow(Principal(r)) {
				k.Fail(w, r, access.ErrForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Roles is an Only predicate: the principal has one of roles.
func Roles(roles ...access.Role) func(commands.Principal) bool {
	return func(p commands.Principal) bool {
		for _, r := range roles {
			if p.Role == r {
				return true
			}
		}
		return false
	}
}
