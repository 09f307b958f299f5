package countypages

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// correctionRow is a request with its values as people read them (codes
// as labels, ID numbers and mobiles masked: it is a list).
type correctionRow struct {
	projections.PendingCorrection
	CurrentLabel, ProposedLabel string
}

type queueData struct {
	Corrections []correctionRow
	Incoming    []projections.PendingTransfer
	Outgoing    []projections.PendingTransfer
	Units       []projections.Unit
	// Failed is the row whose form was refused, F its state.
	Failed string
	F      formState
}

func (s *Section) corrections(w http.ResponseWriter, r *http.Request) {
	s.renderCorrections(w, r, http.StatusOK, "", formState{}, "")
}

func (s *Section) renderCorrections(w http.ResponseWriter, r *http.Request, status int, failed string, f formState, msg string) {
	items, err := s.Teachers.PendingCorrections(r.Context(), county(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &queueData{Failed: failed, F: f}
	for _, c := range items {
		d.Corrections = append(d.Corrections, correctionRow{PendingCorrection: c,
			CurrentLabel: teacher.ValueLabel(c.Field, c.Current), ProposedLabel: teacher.ValueLabel(c.Field, c.Proposed)})
	}
	s.views.Render(w, r, status, "corrections", web.Page{Title: "更正审核", Data: d, Error: msg})
}

// queueForm runs a decision on a row of a queue page; a refused one shows
// the page again with the row's form as typed.
func (s *Section) queueForm(w http.ResponseWriter, r *http.Request, idParam string,
	render func(w http.ResponseWriter, r *http.Request, status int, failed string, f formState, msg string),
	run func(teacherID, itemID uuid.UUID) (commands.Result, string, string, error)) {
	tid, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	itemID, err := pathID(r, idParam)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, next, msg, err := run(tid, itemID)
	if err != nil {
		which := r.PostFormValue("action")
		f, m, status, ok := refused(r, which, err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		render(w, r, status, itemID.String(), f, m)
		return
	}
	s.k.Done(w, r, res.Position, next, msg)
}

func (s *Section) approveCorrection(w http.ResponseWriter, r *http.Request) {
	s.queueForm(w, r, "cid", s.renderCorrections, func(tid, cid uuid.UUID) (commands.Result, string, string, error) {
		res, err := s.Cmd.ApproveCorrection(r.Context(), web.Actor(r), tid, cid, r.PostFormValue("comment"))
		return res, "/county/corrections", "已批准更正，档案已更新。", err
	})
}

func (s *Section) rejectCorrection(w http.ResponseWriter, r *http.Request) {
	s.queueForm(w, r, "cid", s.renderCorrections, func(tid, cid uuid.UUID) (commands.Result, string, string, error) {
		res, err := s.Cmd.RejectCorrection(r.Context(), web.Actor(r), tid, cid, r.PostFormValue("reason"))
		return res, "/county/corrections", "已驳回更正申请，教师将看到驳回理由。", err
	})
}

func (s *Section) transfers(w http.ResponseWriter, r *http.Request) {
	s.renderTransfers(w, r, http.StatusOK, "", formState{}, "")
}

func (s *Section) renderTransfers(w http.ResponseWriter, r *http.Request, status int, failed string, f formState, msg string) {
	items, err := s.Teachers.PendingTransfers(r.Context(), county(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := &queueData{Failed: failed, F: f}
	for _, t := range items {
		if t.Incoming {
			d.Incoming = append(d.Incoming, t)
		}
		if t.Outgoing {
			d.Outgoing = append(d.Outgoing, t)
		}
	}
	if len(d.Incoming) > 0 {
		if d.Units, err = s.units(r.Context(), county(r)); err != nil {
			s.k.Fail(w, r, err)
			return
		}
	}
	s.views.Render(w, r, status, "transfers", web.Page{Title: "异动管理", Data: d, Error: msg})
}

// acceptTransfer takes the teacher into a school of this county (the one
// the sending county proposed unless another is chosen).
func (s *Section) acceptTransfer(w http.ResponseWriter, r *http.Request) {
	s.queueForm(w, r, "tid", s.renderTransfers, func(id, tid uuid.UUID) (commands.Result, string, string, error) {
		var unitID uuid.UUID
		if v := r.PostFormValue("unit_id"); v != "" {
			var err error
			if unitID, err = uuid.Parse(v); err != nil {
				return commands.Result{}, "", "", web.ValidationErrors(domain.FieldError{Field: "unit_id", Reason: "请选择接收单位"})
			}
		}
		res, err := s.Cmd.AcceptTransfer(r.Context(), web.Actor(r), id, tid, unitID)
		return res, "/county/teachers/" + id.String(), "已接收调入，教师档案已转入本区县。", err
	})
}

func (s *Section) rejectTransfer(w http.ResponseWriter, r *http.Request) {
	s.queueForm(w, r, "tid", s.renderTransfers, func(id, tid uuid.UUID) (commands.Result, string, string, error) {
		res, err := s.Cmd.RejectTransfer(r.Context(), web.Actor(r), id, tid, r.PostFormValue("reason"))
		return res, "/county/transfers", "已拒绝调入。", err
	})
}

func (s *Section) cancelTransfer(w http.ResponseWriter, r *http.Request) {
	s.queueForm(w, r, "tid", s.renderTransfers, func(id, tid uuid.UUID) (commands.Result, string, string, error) {
		res, err := s.Cmd.CancelTransfer(r.Context(), web.Actor(r), id, tid, r.PostFormValue("reason"))
		return res, "/county/transfers", "已撤销调出。", err
	})
}
