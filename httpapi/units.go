package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/unit"
)

// UnitArea registers schools and serves the region tree.
type UnitArea struct {
	Cmd     *commands.Handlers
	Regions *region.Tree
}

func (a *UnitArea) Routes(s *Server, r chi.Router) {
	r.Post("/units", s.H(a.register))
	r.Post("/units/{id}/changes", s.H(a.change))
	r.Get("/regions", s.H(a.regions))
	r.Get("/regions/{code}", s.H(a.region))
}

type registerUnitRequest struct {
	Name     string `json:"name"`
	County   string `json:"county"`
	Area     string `json:"area"`
	Category string `json:"category"`
	Stage    string `json:"stage"`
}

func (a *UnitArea) register(w http.ResponseWriter, r *http.Request) error {
	var req registerUnitRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.RegisterUnit(r.Context(), ActorOf(r), unit.Registration{
		Name: req.Name, County: req.County, Area: req.Area, Category: req.Category, Stage: req.Stage,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/units/"+res.ID.String())
	Done(w, http.StatusCreated, res)
	return nil
}

type unitChangeRequest struct {
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (a *UnitArea) change(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if err := RequireIfMatch(r); err != nil {
		return err
	}
	var req unitChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.ChangeUnit(r.Context(), ActorOf(r), id, req.Field, req.Value, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

// RegionView is one region with its children's codes.
type RegionView struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	FullName string   `json:"full_name"`
	Level    string   `json:"level"`
	Parent   string   `json:"parent,omitempty"`
	Children []string `json:"children,omitempty"`
}

func (a *UnitArea) view(code string) RegionView {
	return RegionView{Code: code, Name: a.Regions.Name(code), FullName: a.Regions.FullName(code),
		Level: a.Regions.Kind(code).String(), Parent: a.Regions.Parent(code), Children: a.Regions.Children(code)}
}

// regions lists the children of ?parent= (default: Hebei's cities).
func (a *UnitArea) regions(w http.ResponseWriter, r *http.Request) error {
	parent := r.URL.Query().Get("parent")
	if parent == "" {
		parent = region.HebeiCode
	}
	if !a.Regions.Valid(parent) {
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "行政区划代码不存在"}
	}
	out := []RegionView{}
	for _, c := range a.Regions.Children(parent) {
		out = append(out, a.view(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"parent": a.view(parent), "items": out})
	return nil
}

func (a *UnitArea) region(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	if !a.Regions.Valid(code) {
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "行政区划代码不存在"}
	}
	writeJSON(w, http.StatusOK, a.view(code))
	return nil
}
