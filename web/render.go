package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/httpapi"
)

// Page is what every view receives. Sections fill Title, Data and, for a
// refused form, Form, Fields and Error; the kit fills the rest.
type Page struct {
	Title string
	// Data is the view's own content.
	Data any
	// Form is what the user typed, shown again when the server refuses it.
	Form url.Values
	// Fields are the reasons per form field (the API's field errors).
	Fields map[string]string
	// Error is the message of a refused form or action.
	Error string
	// Filled by the kit.
	User         *User
	Nav          []NavItem
	ActiveNav    string
	Flash        string
	Path         string
	Status       int
	Jurisdiction string
}

// User is the header's "who am I".
type User struct {
	Name      string
	RoleLabel string
	Login     string
}

// Value is what the user typed into a form field (for refilling it).
func (p Page) Value(name string) string { return p.Form.Get(name) }

// FieldError is the reason next to a form field.
func (p Page) FieldError(name string) string { return p.Fields[name] }

// Views are one section's parsed pages, each with the shared layout.
type Views struct {
	k     *Kit
	pages map[string]*template.Template
}

// Funcs are the template helpers every view can use.
func (k *Kit) Funcs() template.FuncMap {
	return template.FuncMap{
		"region":     k.RegionName,
		"regionName": func(code string) string { return k.Regions.Name(code) },
		"maskID":     ident.MaskID,
		"maskMobile": ident.MaskMobile,
		"date":       func(t time.Time) string { return fmtTime(t, "2006-01-02") },
		"datetime":   func(t time.Time) string { return fmtTime(t, "2006-01-02 15:04") },
		"ptrDate": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return fmtTime(*t, "2006-01-02")
		},
		"roleLabel": func(r string) string { return access.Role(r).Label() },
		"add":       func(a, b int) int { return a + b },
		"sub":       func(a, b int) int { return a - b },
		"num": func(f float64) string {
			return strconv.FormatFloat(f, 'f', -1, 64)
		},
		"ptrNum": func(f *float64) string {
			if f == nil {
				return "—"
			}
			return strconv.FormatFloat(*f, 'f', -1, 64)
		},
		// query builds a query string; template.URL so html/template does
		// not percent-encode its & and = after the "?" of an href.
		"query": func(base url.Values, kv ...string) template.URL {
			q := url.Values{}
			for k, v := range base {
				q[k] = append([]string(nil), v...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					q.Del(kv[i])
				} else {
					q.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(q.Encode())
		},
		"dict": func(pairs ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(pairs); i += 2 {
				m[fmt.Sprint(pairs[i])] = pairs[i+1]
			}
			return m
		},
	}
}

// ChinaTime is the zone every date on a page is shown in.
var ChinaTime = time.FixedZone("CST", 8*3600)

func fmtTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ChinaTime).Format(layout)
}

// MustParse parses every *.html of views, each together with the shared
// layout and partials (templates/common). A view defines "content" (and
// may define "head"). It panics on a broken template.
func (k *Kit) MustParse(views fs.FS) *Views {
	v, err := k.Parse(views)
	if err != nil {
		panic(err)
	}
	return v
}

// Parse is MustParse with an error.
func (k *Kit) Parse(views fs.FS) (*Views, error) {
	common, err := template.New("layout").Funcs(k.Funcs()).ParseFS(assets, "templates/common/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: common templates: %w", err)
	}
	names, err := fs.Glob(views, "*.html")
	if err != nil {
		return nil, err
	}
	v := &Views{k: k, pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := common.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(views, n); err != nil {
			return nil, fmt.Errorf("web: view %s: %w", n, err)
		}
		v.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return v, nil
}

// Render writes a page with the layout. The page is rendered into a buffer
// first, so a template error becomes a clean 500, not half a page.
func (v *Views) Render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	t, ok := v.pages[name]
	if !ok {
		v.k.Log.ErrorContext(r.Context(), "web: no such view", "view", name)
		http.Error(w, "页面模板缺失", http.StatusInternalServerError)
		return
	}
	v.k.fill(w, r, &p, status)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		v.k.Log.ErrorContext(r.Context(), "web: render", "view", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (k *Kit) fill(w http.ResponseWriter, r *http.Request, p *Page, status int) {
	p.Status = status
	p.Path = r.URL.Path
	if s, ok := sessionOf(r); ok {
		p.User = &User{Name: s.p.DisplayName, RoleLabel: s.p.Role.Label(), Login: s.p.Login}
		if s.p.Role == access.RoleTeacher {
			p.User.Login = ident.MaskID(s.p.Login)
		}
		p.Jurisdiction = k.Jurisdiction(s.p)
		p.Nav = k.nav(r)
		best := ""
		for _, n := range p.Nav {
			if active(r.URL.Path, n.Href) && len(n.Href) > len(best) {
				best = n.Href
			}
		}
		p.ActiveNav = best
	}
	if p.Flash == "" {
		p.Flash = takeFlash(w, r)
	}
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
}

// Fail shows the page for an error that ends the request: 403 and 404 say
// why, a lost session goes to the login, anything unexpected is logged and
// shown as a 500 without details.
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := httpapi.Classify(err)
	switch {
	case status == http.StatusUnauthorized:
		http.Redirect(w, r, "/login?expired=1", http.StatusSeeOther)
		return
	case errors.Is(err, commands.ErrPasswordChangeRequired):
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return
	case status >= 500:
		k.Log.ErrorContext(r.Context(), "web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		k.renderError(w, r, status, "服务暂时出错", "服务器处理请求时出错，已记录。请稍后重试；如果一直出现，请联系管理员。")
		return
	case body.Error.Code == "forbidden" && httpapi.NamesARecord(r):
		// Outside the caller's reach a record is answered as missing,
		// whether it exists or not (permission before state).
		k.renderError(w, r, http.StatusNotFound, "记录不存在", "要找的记录不存在，或不在您的管辖范围内。")
		return
	case status == http.StatusForbidden:
		k.renderError(w, r, status, "无权访问", "您的账号（"+Principal(r).Role.Label()+"）无权查看或办理此事项：它不在您的管辖范围内，或需要其他角色办理。")
		return
	case status == http.StatusNotFound:
		k.renderError(w, r, status, "记录不存在", "要找的记录不存在，或不在您的管辖范围内。")
		return
	}
	msg := body.Error.Message
	for _, d := range body.Error.Details {
		msg += "；" + d.Reason
	}
	k.renderError(w, r, status, "无法办理", msg)
}

type errorData struct {
	Heading, Message string
}

func (k *Kit) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	k.core.Render(w, r, status, "error", Page{Title: heading, Data: errorData{Heading: heading, Message: message}})
}

// Refused turns an error of a submitted form into what the form shows: the
// message and the reason per field. ok is false for errors that are not the
// user's to fix (a 5xx, a lost session), which the caller passes to Fail.
func Refused(err error) (status int, message string, fields map[string]string, ok bool) {
	status, body := httpapi.Classify(err)
	if status >= 500 || status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound {
		return status, "", nil, false
	}
	fields = map[string]string{}
	for _, d := range body.Error.Details {
		if d.Field == "" {
			continue
		}
		if prev, dup := fields[d.Field]; dup {
			fields[d.Field] = prev + "；" + d.Reason
		} else {
			fields[d.Field] = d.Reason
		}
	}
	msg := body.Error.Message
	var conflict *commands.ConflictError
	if errors.As(err, &conflict) {
		msg = "有人刚刚修改了这条记录，您看到的已不是最新内容。请刷新页面，核对后再提交。"
	}
	if len(fields) == 0 {
		for _, d := range body.Error.Details {
			msg += "；" + d.Reason
		}
	}
	return status, msg, fields, true
}

// Form renders a form page again after the server refused it: what the
// user typed stays, each field shows its reason. Errors that are not the
// user's go to Fail.
func (v *Views) Form(w http.ResponseWriter, r *http.Request, name string, p Page, err error) {
	status, msg, fields, ok := Refused(err)
	if !ok {
		v.k.Fail(w, r, err)
		return
	}
	if p.Form == nil {
		_ = r.ParseForm()
		p.Form = r.PostForm
	}
	p.Error, p.Fields = msg, fields
	v.Render(w, r, status, name, p)
}

// ValidationErrors is a convenience for sections that check a form before
// calling a command (a number that does not parse, a missing file).
func ValidationErrors(fields ...domain.FieldError) error {
	return &domain.ValidationError{Fields: fields}
}
