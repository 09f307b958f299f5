package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/growth"
)

// GrowthArea is the teacher's growth track: honors and teaching
// achievements, entered by the teacher, with files from the file store.
type GrowthArea struct {
	Cmd *commands.Handlers
}

func (a *GrowthArea) Routes(s *Server, r chi.Router) {
	r.Get("/teachers/{id}/growth", s.H(a.track))
	r.Post("/teachers/{id}/honors", s.H(a.addHonor))
	r.Put("/teachers/{id}/honors/{hid}", s.H(a.editHonor))
	r.Delete("/teachers/{id}/honors/{hid}", s.H(a.removeHonor))
	r.Post("/teachers/{id}/achievements", s.H(a.addAchievement))
	r.Put("/teachers/{id}/achievements/{aid}", s.H(a.editAchievement))
	r.Delete("/teachers/{id}/achievements/{aid}", s.H(a.removeAchievement))
}

// GrowthView is a growth track with labels.
type GrowthView struct {
	TeacherID    uuid.UUID            `json:"teacher_id"`
	Revision     int64                `json:"revision"`
	Honors       []growth.Honor       `json:"honors"`
	Achievements []growth.Achievement `json:"achievements"`
}

func (a *GrowthArea) track(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.Cmd.CanReadTeacher(r.Context(), ActorOf(r), id); err != nil {
		return err
	}
	t, err := a.Cmd.LoadGrowth(r.Context(), id)
	if err != nil {
		return err
	}
	v := GrowthView{TeacherID: id, Revision: t.Version(), Honors: t.Honors(), Achievements: t.Achievements()}
	if v.Honors == nil {
		v.Honors = []growth.Honor{}
	}
	if v.Achievements == nil {
		v.Achievements = []growth.Achievement{}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *GrowthArea) addHonor(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var h growth.Honor
	if err := decode(w, r, &h); err != nil {
		return err
	}
	res, hid, err := a.Cmd.AddHonor(r.Context(), ActorOf(r), id, h)
	if err != nil {
		return err
	}
	res.ID = hid
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *GrowthArea) editHonor(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	hid, err := PathID(r, "hid")
	if err != nil {
		return err
	}
	var h growth.Honor
	if err := decode(w, r, &h); err != nil {
		return err
	}
	h.ID = hid
	res, err := a.Cmd.EditHonor(r.Context(), ActorOf(r), id, h)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *GrowthArea) removeHonor(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	hid, err := PathID(r, "hid")
	if err != nil {
		return err
	}
	res, err := a.Cmd.RemoveHonor(r.Context(), ActorOf(r), id, hid)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *GrowthArea) addAchievement(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var ach growth.Achievement
	if err := decode(w, r, &ach); err != nil {
		return err
	}
	res, aid, err := a.Cmd.AddAchievement(r.Context(), ActorOf(r), id, ach)
	if err != nil {
		return err
	}
	res.ID = aid
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *GrowthArea) editAchievement(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := PathID(r, "aid")
	if err != nil {
		return err
	}
	var ach growth.Achievement
	if err := decode(w, r, &ach); err != nil {
		return err
	}
	ach.ID = aid
	res, err := a.Cmd.EditAchievement(r.Context(), ActorOf(r), id, ach)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *GrowthArea) removeAchievement(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := PathID(r, "aid")
	if err != nil {
		return err
	}
	res, err := a.Cmd.RemoveAchievement(r.Context(), ActorOf(r), id, aid)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
