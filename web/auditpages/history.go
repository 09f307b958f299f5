package auditpages

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type historyData struct {
	TeacherID uuid.UUID
	Name      string
	County    string
	Entries   []projections.HistoryEntry
}

// history is everything that concerns one teacher, from every stream
// (the record, training, credits, appraisals, registration, growth,
// studios), newest first: who, under which role and office, when, what
// and why. Outside the auditor's jurisdiction the teacher is answered as
// missing (permission before state).
func (s *Section) history(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		s.k.Fail(w, r, fmt.Errorf("teacher %q: %w", chi.URLParam(r, "id"), domain.ErrNotFound))
		return
	}
	if _, err := s.Cmd.CanReadTeacher(ctx, web.Actor(r), id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	p, err := s.Teachers.Profile(ctx, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	all, err := s.Teachers.History(ctx, id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	slices.Reverse(all)
	d := historyData{TeacherID: id, Name: p.Profile.Name, County: p.Profile.County, Entries: all}
	s.views.Render(w, r, http.StatusOK, "history", web.Page{Title: "教师档案记录 · " + p.Profile.Name, Data: d})
}
