package main

import (
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// enrollmentEvents registers the enrollment area's event types.
func enrollmentEvents(r *event.Registry) {}

// enrollmentProjections are the enrollment area's read models.
func enrollmentProjections(s *Service) []projections.Projection { return nil }

// enrollmentAreas are the enrollment area's routes.
func enrollmentAreas(s *Service) []httpapi.Area { return nil }
