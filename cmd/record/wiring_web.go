package main

import (
	"net/http"
	"strings"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
	"github.com/hbte/record/web/adminpages"
	"github.com/hbte/record/web/auditpages"
	"github.com/hbte/record/web/countypages"
	"github.com/hbte/record/web/institutionpages"
	"github.com/hbte/record/web/registrarpages"
	"github.com/hbte/record/web/teacherpages"
)

// wireWeb builds the pages on the same handlers and queries as the API and
// the one handler that serves both: /api/v1, the health checks and the
// published keys go to the API, everything else to the pages.
func (s *Service) wireWeb() {
	d := web.Deps{
		Cmd: s.Handlers, Teachers: s.Teachers,
		Enrollments: projections.NewEnrollmentQueries(s.Pool),
		Credits:     projections.NewCreditQueries(s.Pool),
		Audits:      projections.NewCreditAuditQueries(s.Pool),
		Files:       commands.NewFileStore(s.Pool, s.Now),
		Security:    s.Security, Runner: s.Runner,
	}
	s.Web = web.New(web.Config{
		Log: s.Log, API: s.HTTP, Creds: s.Creds, Waiter: s.Runner,
		Sections: []web.Section{
			teacherpages.New(d), countypages.New(d), adminpages.New(d),
			institutionpages.New(d), auditpages.New(d), registrarpages.New(d),
		},
	})
	// The API also takes the session cookie (so a page's download link
	// works): refuse cross-site non-GET requests there too.
	api, pages := http.NewCrossOriginProtection().Handler(s.HTTP), s.Web
	// Open has refused a bad TRUSTED_PROXIES already; tests pass none.
	trusted, err := httpapi.ParseTrustedProxies(s.Cfg.TrustedProxies)
	if err != nil {
		panic(err)
	}
	s.Handler = httpapi.ClientAddr(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	}))
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/.well-known/")
}
