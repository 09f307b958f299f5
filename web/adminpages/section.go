// Package adminpages is the workspace of the city admin and the province
// project admin: the approval queue, projects (create, classes, quotas,
// lifecycle), statistics per county, teacher records (read-only), sampled
// credit audits (web/samplepages) and, for the province, the register of
// training institutions, transfers out of the province and the erasure of
// a teacher's personal data. Every write goes through the command handlers,
// which check the jurisdiction; pages that only read check the role first.
package adminpages

import (
	"embed"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/web"
	"github.com/hbte/record/web/samplepages"
)

//go:embed views
var views embed.FS

// Section is the city and province admins' pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the header's links: both roles review and follow projects; the
// province also keeps the institution register.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	switch p.Role {
	case access.RoleCityAdmin:
		return []web.NavItem{{Label: "工作台", Href: "/admin"}, {Label: "审核队列", Href: "/admin/queue"},
			{Label: "培训项目", Href: "/admin/projects"}, {Label: "分区县统计", Href: "/admin/stats"},
			{Label: "教师档案", Href: "/admin/teachers"}, {Label: "学分抽查", Href: "/admin/credits/audits"}}
	case access.RoleProvinceAdmin:
		return []web.NavItem{{Label: "工作台", Href: "/admin"}, {Label: "审核队列", Href: "/admin/queue"},
			{Label: "培训项目", Href: "/admin/projects"}, {Label: "分区县统计", Href: "/admin/stats"},
			{Label: "承培机构", Href: "/admin/institutions"}, {Label: "教师档案", Href: "/admin/teachers"},
			{Label: "调出本省", Href: "/admin/transfers"}, {Label: "学分抽查", Href: "/admin/credits/audits"}}
	}
	return nil
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Route("/admin", func(r chi.Router) {
		r.Use(k.Only(web.Roles(access.RoleCityAdmin, access.RoleProvinceAdmin)))
		r.Get("/", s.home)
		r.Get("/queue", s.queue)
		r.Post("/queue/decide", s.decideOne)
		r.Post("/queue/bulk", s.decideMany)
		r.Get("/projects", s.projects)
		r.Get("/projects/{id}", s.project)
		r.Post("/projects/{id}/classes", s.addClass)
		r.Post("/projects/{id}/institutions", s.addInstitution)
		r.Post("/projects/{id}/quota", s.setQuota)
		r.Post("/projects/{id}/lifecycle", s.lifecycle)
		r.Post("/projects/{id}/cancel", s.cancel)
		r.Get("/stats", s.stats)
		r.Get("/teachers", s.teachers)
		r.Get("/teachers/{id}", s.teacher)
		audits := &samplepages.Pages{Deps: s.Deps, Base: "/admin/credits/audits", Back: "/admin",
			BackLabel: "返回工作台", TeacherHref: "/admin/teachers/"}
		audits.Mount(k, r, "/admin")
		r.Group(func(r chi.Router) {
			r.Use(k.Only(web.Roles(access.RoleProvinceAdmin)))
			r.Post("/teachers/{id}/erasure", s.erase)
			r.Get("/transfers", s.transfers)
			r.Post("/transfers/{id}/{tid}/confirm", s.confirmTransfer)
			r.Post("/transfers/{id}/{tid}/reject", s.rejectTransfer)
			r.Get("/projects/new", s.newProject)
			r.Post("/projects", s.createProject)
			r.Get("/institutions", s.institutions)
			r.Post("/institutions", s.registerInstitution)
			r.Post("/institutions/{id}/accounts", s.institutionAccount)
		})
	})
}

func isProvince(r *http.Request) bool { return web.Principal(r).Role == access.RoleProvinceAdmin }

type homeData struct {
	Province bool
	Queue    int
	Projects []projectRow
}

func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	queue, err := s.Enrollments.Queue(r.Context(), actor, [16]byte{})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	list, _, err := s.listProjects(r, projectQuery{Limit: 5})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "工作台",
		Data: homeData{Province: isProvince(r), Queue: len(queue), Projects: list}})
}
