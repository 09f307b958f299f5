package httpapi

import (
	"context"
	"errors"
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
	Names() []string
	// StartRebuild starts a blue/green rebuild in the background
	// (projections.Runner.StartRebuild).
	StartRebuild(ctx context.Context, names []string) error
}

// OpsArea shows the read models' health: each projection's checkpoint, lag
// and whether it is live, and every event a projection could not apply and
// parked, so that a person sees it rather than only a log line.
type OpsArea struct {
	Runner ProjectionOps
}

func (a *OpsArea) Routes(s *Server, r chi.Router) {
	r.Get("/ops/projections", s.H(a.projections))
	r.Post("/ops/projections/{name}/rebuild", s.H(a.rebuild))
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
	// Rebuild is the projection's rebuild: running (in any instance) or
	// the latest this instance ran.
	Rebuild *rebuildView `json:"rebuild,omitempty"`
}

type rebuildView struct {
	Running bool   `json:"running"`
	Holder  string `json:"holder,omitempty"`
	// Of the latest rebuild in the instance that answers: events replayed
	// into the shadow so far, swapping (building indexes, catching up,
	// swapping in), finished and its error.
	StartedAt  *time.Time `json:"started_at,omitempty"`
	Events     int        `json:"events"`
	Swapping   bool       `json:"swapping,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
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
		if rb := s.Rebuild; rb != nil {
			v.Rebuild = &rebuildView{Running: rb.Running, Holder: rb.Holder, Events: rb.Events, Swapping: rb.Swapping, Error: rb.Error,
				StartedAt: timeOrNil(rb.Started), FinishedAt: timeOrNil(rb.Finished)}
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

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// rebuild starts a blue/green rebuild of one projection, or of all
// ("all"), in the background: 202 at once, progress in GET
// /ops/projections (rebuild), the live read models answering meanwhile.
// A rebuild of it already running, in any instance, is a 409 naming the
// session that holds it. Province admins only: auditors watch.
func (a *OpsArea) rebuild(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleProvinceAdmin {
		return fmt.Errorf("%w: rebuilding read models is for province admins", access.ErrForbidden)
	}
	name := chi.URLParam(r, "name")
	names := []string{name}
	if name == "all" {
		names = a.Runner.Names()
	}
	err := a.Runner.StartRebuild(r.Context(), names)
	var running *projections.RebuildRunningError
	switch {
	case errors.Is(err, projections.ErrUnknownProjection):
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "没有名为 " + name + " 的读模型"}
	case errors.As(err, &running):
		return &requestError{status: http.StatusConflict, code: "rebuild_running",
			message: "读模型 " + running.Projection + " 正在重建，请等它结束（" + running.Holder + "）"}
	case err != nil:
		return err
	}
	w.Header().Set("Location", "/api/v1/ops/projections")
	writeJSON(w, http.StatusAccepted, struct {
		Rebuilding []string `json:"rebuilding"`
		Status     string   `json:"status"`
	}{names, "/api/v1/ops/projections"})
	return nil
}
