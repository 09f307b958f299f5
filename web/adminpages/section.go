// Package adminpages is the web section of one role (see package web).
package adminpages

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Section is the role's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the header's links for the role.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	if p.Role != access.RoleCityAdmin {
		return nil
	}
	return []web.NavItem{{Label: "工作台", Href: "/admin"}}
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	sub, err := fs.Sub(views, "views")
	if err != nil {
		panic(err)
	}
	s.k, s.views = k, k.MustParse(sub)
	r.Get("/admin", s.home)
}

func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	if web.Principal(r).Role != access.RoleCityAdmin {
		s.k.Fail(w, r, access.ErrForbidden)
		return
	}
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "工作台"})
}
