package main

import (
	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/growth"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/studio"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// creditEvents registers the credit area's event types: the ledger and
// credit bank, appraisals and uploads, registration policies and
// decisions, the registration facts (absences, fitness, revocation), the
// growth track, studios and link lists.
func creditEvents(r *event.Registry) {
	credit.RegisterEvents(r)
	creditaudit.RegisterEvents(r)
	appraisal.RegisterEvents(r)
	registration.RegisterEvents(r) // with the registration facts
	growth.RegisterEvents(r)
	studio.RegisterEvents(r)
}

// creditProjections are the credit area's read models.
func creditProjections(s *Service) []projections.Projection {
	return append(projections.CreditProjections(), projections.CreditAuditProjection{})
}

// creditAreas are the credit area's routes.
func creditAreas(s *Service) []httpapi.Area {
	q := projections.NewCreditQueries(s.Pool)
	files := commands.NewFileStore(s.Pool, s.Now)
	return []httpapi.Area{
		&httpapi.CreditArea{Cmd: s.Handlers, Q: q, Files: files},
		&httpapi.AppraisalArea{Cmd: s.Handlers, Q: q, Files: files},
		&httpapi.RegistrationArea{Cmd: s.Handlers, Q: q},
		&httpapi.GrowthArea{Cmd: s.Handlers},
		&httpapi.StudioArea{Cmd: s.Handlers, Q: q},
		&httpapi.CreditAuditArea{Cmd: s.Handlers, Q: projections.NewCreditAuditQueries(s.Pool)},
	}
}
