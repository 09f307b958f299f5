// Package registrarpages is the registration authority's workspace: the
// re-registration check of one teacher as of a date with every reason and
// the evidence, decisions and first registrations, batch checks of a county
// or an uploaded list with export, and the policies in force. County admins
// get the batch check of their own county here too.
package registrarpages

import (
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Section is the registration authority's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the header's links: the registrar's workspace, and the batch
// check for a county admin.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	switch p.Role {
	case access.RoleRegistrar:
		return []web.NavItem{
			{Label: "资格注册", Href: "/registrar"},
			{Label: "单人核查", Href: "/registrar/check"},
			{Label: "批量核查", Href: "/registrar/batch"},
			{Label: "注册政策", Href: "/registrar/policies"},
		}
	case access.RoleCountyAdmin:
		return []web.NavItem{{Label: "资格注册核查", Href: "/registrar/batch"}}
	}
	return nil
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Group(func(r chi.Router) {
		r.Use(k.Only(inJurisdiction(access.RoleRegistrar)))
		r.Get("/registrar", s.home)
		r.Get("/registrar/policies", s.policies)
		r.Get("/registrar/check", s.find)
		r.Get("/registrar/check/{id}", s.check)
		r.Post("/registrar/check/{id}/decision", s.decide)
		r.Post("/registrar/check/{id}/first", s.first)
	})
	r.Group(func(r chi.Router) {
		r.Use(k.Only(inJurisdiction(access.RoleRegistrar, access.RoleCountyAdmin)))
		r.Get("/registrar/batch", s.batch)
		r.Post("/registrar/batch", s.uploadList)
		r.Get("/registrar/batch/export", s.exportList)
	})
}

// inJurisdiction admits one of roles acting for a region.
func inJurisdiction(roles ...access.Role) func(commands.Principal) bool {
	has := web.Roles(roles...)
	return func(p commands.Principal) bool { return has(p) && p.Jurisdiction != "" }
}

// pageSize is the rows per page of the lists.
const pageSize = 20

// offsetOf reads ?offset=; a bad one is the first page.
func offsetOf(q url.Values) int {
	n, err := strconv.Atoi(q.Get("offset"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// today is the users' date (China).
func today() string { return time.Now().In(web.ChinaTime).Format(time.DateOnly) }

// outcomeClass is the badge colour of an outcome.
func outcomeClass(o registration.Outcome) string {
	switch o {
	case registration.OutcomePass, registration.OutcomeExempt:
		return "ok"
	case registration.OutcomeDeferred:
		return "warn"
	case registration.OutcomeFail:
		return "bad"
	}
	return ""
}

// statusFilters are the tabs of the registration status list.
var statusFilters = []struct{ Value, Label string }{
	{"", "全部"},
	{string(registration.OutcomePass), "合格"},
	{string(registration.OutcomeDeferred), "暂缓注册"},
	{string(registration.OutcomeFail), "不合格"},
	{"none", "无注册记录"},
}

type homeData struct {
	Filters []struct{ Value, Label string }
	Outcome string
	Rows    []statusRow
	Offset  int
	Limit   int
	More    bool
	Query   url.Values
}

type statusRow struct {
	projections.RegistrationStatus
	Class string
}

// home lists the registration status of the jurisdiction's teachers (the
// API's /registration/status), by the last decision's outcome, paged.
func (s *Section) home(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := homeData{Filters: statusFilters, Outcome: q.Get("outcome"), Offset: offsetOf(q), Limit: pageSize, Query: url.Values{}}
	known := false
	for _, f := range statusFilters {
		known = known || f.Value == d.Outcome
	}
	if !known {
		d.Outcome = ""
	}
	if d.Outcome != "" {
		d.Query.Set("outcome", d.Outcome)
	}
	items, err := s.Credits.RegistrationStatuses(r.Context(), projections.RegistrationFilter{
		Jurisdiction: web.Principal(r).Jurisdiction, Outcome: d.Outcome, Limit: pageSize + 1, Offset: d.Offset})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if len(items) > pageSize {
		items, d.More = items[:pageSize], true
	}
	for _, it := range items {
		it.IDNumber = maskID(it.IDNumber) // lists always mask
		d.Rows = append(d.Rows, statusRow{RegistrationStatus: it, Class: outcomeClass(registration.Outcome(it.LastOutcome))})
	}
	s.views.Render(w, r, http.StatusOK, "home", web.Page{Title: "资格注册", Data: d})
}

type policyRow struct {
	commands.PublishedPolicy
	ScopeName string
	InForce   bool
}

// policies lists the registration policies that can apply in the
// registrar's jurisdiction, read-only (the province admin publishes them).
func (s *Section) policies(w http.ResponseWriter, r *http.Request) {
	juris := web.Principal(r).Jurisdiction
	ps, err := s.Cmd.Policies(r.Context(), juris)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	pols := make([]registration.Policy, 0, len(ps))
	for _, p := range ps[1:] { // ps[0] is the national default, which the catalog adds
		pols = append(pols, p.Policy)
	}
	cur := registration.NewCatalog(pols...).InForce(juris, commands.ChinaDate(time.Now()))
	rows := make([]policyRow, 0, len(ps))
	for _, p := range ps {
		name := "全国默认"
		if p.Scope != "" {
			name = s.k.RegionName(p.Scope)
		}
		rows = append(rows, policyRow{PublishedPolicy: p, ScopeName: name, InForce: p.Scope == cur.Scope && p.Version == cur.Version})
	}
	s.views.Render(w, r, http.StatusOK, "policies", web.Page{Title: "注册政策", Data: rows})
}
