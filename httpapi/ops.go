package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/projections"
)

// ProjectionOps is what the operations view reads from the projection runner.
type ProjectionOps interface {
	Status(ctx context.Context) ([]projections.Status, error)
	Parked(ctx context.Context) ([]projections.ParkedEvent, error)
	Horizon(ctx context.Context) (eventstore.Horizon, bool, error)
}

// OpsArea shows the read models' health: each projection's checkpoint, lag
// and whether it is live, and every event a projection could not apply and
// parked, so that a person sees it rather than only a log line.
type OpsArea struct {
	Runner ProjectionOps
}

func (a *OpsArea) Routes(s *Server, r chi.Router) {
	r.Get("/ops/projections", s.H(a.projections))
}

type projectionView struct {
	Name       string     `json:"name"`
	Checkpoint string     `json:"checkpoint"`
	Updated    *time.Time `json:"updated_at,omitempty"`
	Lag        int        `json:"lag"`
	LagCapped  bool       `json:"lag_capped"`
	Live       bool       `json:"live"`
	Parked     int        `json:"parked"`
	HeldBack   int        `json:"held_back"`
}

type horizonView struct {
	HeldBack int          `json:"held_back"`
	Blocker  *blockerView `json:"blocker,omitempty"`
	// Stalled names the stall when events have been held back longer than
	// projections.StallThreshold.
	Stalled string `json:"stalled,omitempty"`
}

type blockerView struct {
	PID         int     `json:"pid"`
	Database    string  `json:"database"`
	Application string  `json:"application"`
	State       string  `json:"state"`
	AgeSeconds  float64 `json:"age_seconds"`
}

type parkedView struct {
	Projection string    `json:"projection"`
	EventID    string    `json:"event_id"`
	Position   string    `json:"position"`
	Type       string    `json:"type"`
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Error      string    `json:"error"`
	ParkedAt   time.Time `json:"parked_at"`
}

func (a *OpsArea) projections(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleProvinceAdmin && actor.Role != access.RoleAuditor {
		return fmt.Errorf("%w: the operations view is for province admins and auditors", access.ErrForbidden)
	}
	st, err := a.Runner.Status(r.Context())
	if err != nil {
		return err
	}
	parked, err := a.Runner.Parked(r.Context())
	if err != nil {
		return err
	}
	h, _, err := a.Runner.Horizon(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Horizon     horizonView      `json:"horizon"`
		Projections []projectionView `json:"projections"`
		Parked      []parkedView     `json:"parked"`
	}{Projections: []projectionView{}, Parked: []parkedView{},
		Horizon: horizonView{HeldBack: h.HeldBack, Stalled: projections.Stalled(h, projections.StallThreshold)}}
	if b := h.Blocker; b != nil {
		out.Horizon.Blocker = &blockerView{PID: b.PID, Database: b.Database, Application: b.Application, State: b.State, AgeSeconds: b.Age.Seconds()}
	}
	for _, s := range st {
		v := projectionView{Name: s.Name, Checkpoint: s.Checkpoint.String(), Lag: s.Lag, LagCapped: s.LagCapped, Live: s.Live, Parked: s.Parked, HeldBack: s.HeldBack}
		if !s.Updated.IsZero() {
			u := s.Updated
			v.Updated = &u
		}
		out.Projections = append(out.Projections, v)
	}
	for _, p := range parked {
		out.Parked = append(out.Parked, parkedView{Projection: p.Projection, EventID: p.EventID.String(), Position: p.Position.String(),
			Type: p.Type, Stream: p.Stream, Revision: p.Revision, Error: p.Error, ParkedAt: p.ParkedAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
