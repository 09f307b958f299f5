package main

import (
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/httpapi/certpdf"
	"github.com/hbte/record/projections"
)

// enrollmentEvents registers the enrollment area's event types.
func enrollmentEvents(r *event.Registry) {
	project.RegisterEvents(r)
	enrollment.RegisterEvents(r)
	institution.RegisterEvents(r)
}

// enrollmentProjections are the enrollment area's read models.
func enrollmentProjections(s *Service) []projections.Projection {
	return []projections.Projection{projections.EnrollmentsProjection{}}
}

// enrollmentAreas are the enrollment area's routes.
func enrollmentAreas(s *Service) []httpapi.Area {
	return []httpapi.Area{projectArea(s)}
}

// projectArea serves the authenticated routes and, through its
// PublicRoutes, the public ones (certificate verification, JWKS): the server
// mounts those for every area that has them.
func projectArea(s *Service) *httpapi.ProjectArea {
	// A missing CJK font must not stop the service: everything but the
	// PDFs works, and the PDF endpoints say why they cannot.
	pdf, err := certpdf.NewRenderer(certpdf.Fonts{CJK: s.Cfg.FontPath})
	if err != nil {
		s.Log.Warn("certificate PDFs disabled", "err", err)
		pdf = nil
	}
	return &httpapi.ProjectArea{
		Cmd: s.Handlers, Q: projections.NewEnrollmentQueries(s.Pool), PDF: pdf,
		SSO:       &httpapi.SSOKeys{Pool: s.Pool, Issuer: s.Cfg.PublicURL, Now: s.Now},
		PublicURL: s.Cfg.PublicURL,
	}
}
