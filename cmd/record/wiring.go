package main

import (
	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// newRegistry lists every event type the service reads or writes. Each
// area's events are registered by its wiring file (wiring_*.go).
func newRegistry() *event.Registry {
	r := event.NewRegistry()
	teacher.RegisterEvents(r)
	unit.RegisterEvents(r)
	account.RegisterEvents(r)
	claim.RegisterEvents(r)
	enrollmentEvents(r)
	creditEvents(r)
	integrityEvents(r)
	return r
}

// allProjections are the read models and the processes that run in the
// projection runner (each with its own checkpoint).
func allProjections(s *Service) []projections.Projection {
	ps := []projections.Projection{commands.NewAccountProcess(s.Handlers)}
	ps = append(ps, teacherProjections(s)...)
	ps = append(ps, enrollmentProjections(s)...)
	ps = append(ps, creditProjections(s)...)
	ps = append(ps, integrityProjections(s)...)
	ps = append(ps, erasureProjections(s)...)
	for i := range ps {
		ps[i] = projections.WithErasure(ps[i]) // read models scrub on teacher.erased
	}
	return ps
}

func areas(s *Service) []httpapi.Area {
	as := []httpapi.Area{
		&httpapi.TeacherArea{Cmd: s.Handlers},
		&httpapi.TeacherReadArea{Cmd: s.Handlers, Q: s.Teachers},
		&httpapi.MeArea{Q: s.Teachers},
		&httpapi.OpsArea{Runner: s.Runner},
		&httpapi.UnitArea{Cmd: s.Handlers, Regions: region.Default()},
	}
	as = append(as, enrollmentAreas(s)...)
	as = append(as, creditAreas(s)...)
	as = append(as, integrityAreas(s)...)
	return as
}

// teacherProjections are the read models of the teacher record.
func teacherProjections(s *Service) []projections.Projection {
	return projections.TeacherProjections()
}
