package httpapi

import "net/http"

type eraseRequest struct {
	Reason string `json:"reason"`
}

// eraseTeacher: POST /teachers/{id}/erasure (province admin): erases the
// teacher's personal data with the legal reason (docs/INTEGRITY.md section 6).
func (a *TeacherArea) eraseTeacher(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req eraseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.EraseTeacher(r.Context(), ActorOf(r), id, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
