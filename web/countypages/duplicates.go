package countypages

import (
	"net/http"

	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// The queue of entries held as suspected duplicates across sources
// (domain/credit duplicate.go): each beside the entry it looks like, with
// the two decisions, each with a reason.

type duplicatesData struct {
	Items  []projections.HeldDuplicate
	Limit  int
	Offset int
	More   bool
	Failed string
	F      formState
	Msg    string
}

func (s *Section) duplicates(w http.ResponseWriter, r *http.Request) {
	s.renderDuplicates(w, r, http.StatusOK, &duplicatesData{})
}

func (s *Section) renderDuplicates(w http.ResponseWriter, r *http.Request, status int, d *duplicatesData) {
	d.Limit, d.Offset = paging(r, bankPageSize)
	list, err := s.Credits.HeldDuplicates(r.Context(), county(r), d.Limit+1, d.Offset)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if len(list) > d.Limit {
		d.More, list = true, list[:d.Limit]
	}
	d.Items = list
	s.views.Render(w, r, status, "duplicates", web.Page{Title: "疑似重复学时", Data: d, Error: d.Msg})
}

// decideDuplicate records "duplicate" or "distinct" (the button pressed)
// with the reason typed; a refusal is shown again in its row.
func (s *Section) decideDuplicate(w http.ResponseWriter, r *http.Request) {
	teacherID, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	entryID, err := pathID(r, "eid")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	duplicate := r.PostFormValue("decision") == "duplicate"
	res, err := s.Cmd.DecideDuplicate(r.Context(), web.Actor(r), teacherID, entryID, duplicate, r.PostFormValue("reason"))
	if err != nil {
		f, m, status, ok := refused(r, "decide", err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderDuplicates(w, r, status, &duplicatesData{Failed: entryID.String(), F: f, Msg: m})
		return
	}
	msg := "已确认为不同的学习，学时已计入。"
	if duplicate {
		msg = "已确认为重复记录，该记录不计学时。"
	}
	s.k.Done(w, r, res.Position, "/county/credits/duplicates", msg)
}
