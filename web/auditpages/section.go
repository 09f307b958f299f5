// Package auditpages is the auditor's workspace: the key-field change trail
// with its filters and CSV export, the security audit and the status of the
// read models. Every page only reads; an auditor sees the jurisdiction of
// the account and nothing outside it.
package auditpages

import (
	"embed"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Section is the auditor's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the header's links for the auditor.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	if p.Role != access.RoleAuditor {
		return nil
	}
	return []web.NavItem{
		{Label: "审计首页", Href: "/audit"},
		{Label: "关键字段变更", Href: "/audit/key-fields"},
		{Label: "安全审计", Href: "/audit/security"},
		{Label: "数据同步状态", Href: "/audit/projections"},
	}
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Group(func(r chi.Router) {
		r.Use(k.Only(web.Roles(access.RoleAuditor)))
		r.Get("/audit", s.home)
		r.Get("/audit/key-fields", s.keyFields)
		r.Get("/audit/security", s.security)
		r.Get("/audit/projections", s.projections)
		r.Get("/audit/teachers/{id}/history", s.history)
	})
}

func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "审计"})
}

// pageSize is the rows per page of the audit lists.
const pageSize = 20

// offsetOf reads ?offset=; a bad one is the first page.
func offsetOf(q url.Values) int {
	n := 0
	for _, c := range q.Get("offset") {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return 0
		}
	}
	return n
}

// period reads the from/to dates of a filter (China dates, both days
// included): from is the start of its day, to the start of the next day.
// A bad date is a field error.
func period(q url.Values) (from, to time.Time, err error) {
	var errs []domain.FieldError
	parse := func(name string) time.Time {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}
		}
		t, perr := time.ParseInLocation(time.DateOnly, v, ident.ChinaTime)
		if perr != nil {
			errs = append(errs, domain.FieldError{Field: name, Reason: "日期格式应为 2026-01-31"})
		}
		return t
	}
	from, to = parse("from"), parse("to")
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	if len(errs) == 0 && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		errs = append(errs, domain.FieldError{Field: "to", Reason: "结束日期不能早于开始日期"})
	}
	if len(errs) > 0 {
		return time.Time{}, time.Time{}, web.ValidationErrors(errs...)
	}
	return from, to, nil
}
