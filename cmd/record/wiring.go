package main

import (
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// newRegistry lists every event type the service reads or writes.
func newRegistry() *event.Registry {
	r := event.NewRegistry()
	teacher.RegisterEvents(r)
	unit.RegisterEvents(r)
	account.RegisterEvents(r)
	claim.RegisterEvents(r)
	return r
}

func allProjections() []projections.Projection {
	return nil
}

func areas(s *Service) []httpapi.Area {
	return []httpapi.Area{
		&httpapi.TeacherArea{Cmd: s.Handlers},
		&httpapi.UnitArea{Cmd: s.Handlers, Regions: region.Default()},
	}
}
