package main

import (
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
)

// creditEvents registers the credit area's event types.
func creditEvents(r *event.Registry) {}

// creditProjections are the credit area's read models.
func creditProjections(s *Service) []projections.Projection { return nil }

// creditAreas are the credit area's routes.
func creditAreas(s *Service) []httpapi.Area { return nil }
