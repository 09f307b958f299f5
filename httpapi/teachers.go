package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// TeacherArea is the teacher record: registration, edits, key-field
// corrections, correction requests, transfers and password resets.
type TeacherArea struct {
	Cmd *commands.Handlers
	s   *Server
}

func (a *TeacherArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Post("/teachers", s.H(a.register))
	r.Patch("/teachers/{id}", s.H(a.edit))
	r.Post("/teachers/{id}/key-field-corrections", s.H(a.correctKeyFields))
	r.Post("/teachers/{id}/corrections", s.H(a.requestCorrection))
	r.Post("/teachers/{id}/corrections/{cid}/approve", s.H(a.decideCorrection("approve")))
	r.Post("/teachers/{id}/corrections/{cid}/reject", s.H(a.decideCorrection("reject")))
	r.Post("/teachers/{id}/corrections/{cid}/withdraw", s.H(a.decideCorrection("withdraw")))
	r.Post("/teachers/{id}/transfers", s.H(a.startTransfer))
	r.Post("/teachers/{id}/transfers/{tid}/accept", s.H(a.acceptTransfer))
	r.Post("/teachers/{id}/transfers/{tid}/reject", s.H(a.closeTransfer("reject")))
	r.Post("/teachers/{id}/transfers/{tid}/cancel", s.H(a.closeTransfer("cancel")))
	r.Post("/teachers/{id}/transfers/{tid}/confirm-out", s.H(a.closeTransfer("confirm-out")))
	r.Post("/teachers/{id}/password-reset", s.H(a.resetPassword))
	r.Post("/teachers/{id}/erasure", s.H(a.eraseTeacher))
	r.Post("/teachers/{id}/unit-change", s.H(a.changeUnit))
	r.Post("/me/contact-codes", s.H(a.contactCode))
}

type contactCodeRequest struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// contactCode sends a confirmation code to a teacher's new mobile or e-mail.
func (a *TeacherArea) contactCode(w http.ResponseWriter, r *http.Request) error {
	var req contactCodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, _ := Principal(r.Context())
	if err := a.Cmd.RequestContactCode(r.Context(), p, req.Field, req.Value); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "sent", "expires_in_seconds": 600})
	return nil
}

type registerTeacherRequest struct {
	teacher.Profile
	CertificateOverride string `json:"certificate_override"`
}

type registerTeacherResponse struct {
	CommandResponse
	Login    string          `json:"login"`
	Warnings []ident.Warning `json:"warnings,omitempty"`
}

func (a *TeacherArea) register(w http.ResponseWriter, r *http.Request) error {
	var req registerTeacherRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	unitID, err := uuid.Parse(req.UnitID)
	if err != nil {
		return badRequest("bad_unit", "请选择单位（unit_id）")
	}
	out, err := a.Cmd.RegisterTeacher(r.Context(), ActorOf(r), commands.RegisterTeacher{
		Profile: req.Profile, UnitID: unitID, CertificateOverride: req.CertificateOverride,
	})
	if err != nil {
		return err
	}
	WritePosition(w, out.Position)
	w.Header().Set("Location", "/api/v1/teachers/"+out.ID.String())
	writeJSON(w, http.StatusCreated, registerTeacherResponse{
		CommandResponse: CommandResponse{ID: out.ID, Revision: out.Revision, Position: out.Position.String()},
		Login:           maskedLogin(out.Login), Warnings: out.Warnings,
	})
	return nil
}

// maskedLogin: the login is the ID number, personal data.
func maskedLogin(l string) string {
	if len(l) == 18 {
		return l[:6] + "********" + l[14:]
	}
	return l
}

type editRequest struct {
	Changes map[string]string `json:"changes"`
	Reason  string            `json:"reason"`
	// Codes confirm a teacher's own new mobile or e-mail: field -> code.
	Codes map[string]string `json:"codes"`
}

func (a *TeacherArea) edit(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if err := RequireIfMatch(r); err != nil {
		return err
	}
	var req editRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Changes) == 0 {
		return badRequest("no_changes", "没有要修改的字段（changes）")
	}
	res, err := a.Cmd.EditTeacher(r.Context(), ActorOf(r), id, req.Changes, req.Reason, req.Codes)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type keyCorrectionRequest struct {
	Changes             map[string]string `json:"changes"`
	Reason              string            `json:"reason"`
	CertificateOverride string            `json:"certificate_override"`
}

func (a *TeacherArea) correctKeyFields(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if err := RequireIfMatch(r); err != nil {
		return err
	}
	var req keyCorrectionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Changes) == 0 {
		return badRequest("no_changes", "没有要更正的字段（changes）")
	}
	res, err := a.Cmd.CorrectKeyFields(r.Context(), ActorOf(r), id, req.Changes, req.Reason, req.CertificateOverride)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type correctionRequest struct {
	Field    string   `json:"field"`
	Proposed string   `json:"proposed_value"`
	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence"`
}

func (a *TeacherArea) requestCorrection(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req correctionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, cid, err := a.Cmd.RequestCorrection(r.Context(), ActorOf(r), id, req.Field, req.Proposed, req.Reason, req.Evidence)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	writeJSON(w, http.StatusCreated, map[string]any{"id": cid, "teacher_id": id, "revision": res.Revision, "position": res.Position.String()})
	return nil
}

type decisionRequest struct {
	Reason  string `json:"reason"`
	Comment string `json:"comment"`
}

// decodeOptional reads a decision body, which may be empty.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(w, r, v)
}

func (a *TeacherArea) decideCorrection(verb string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		cid, err := PathID(r, "cid")
		if err != nil {
			return err
		}
		var req decisionRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		var res commands.Result
		switch verb {
		case "approve":
			res, err = a.Cmd.ApproveCorrection(r.Context(), ActorOf(r), id, cid, req.Comment)
		case "reject":
			res, err = a.Cmd.RejectCorrection(r.Context(), ActorOf(r), id, cid, req.Reason)
		default:
			res, err = a.Cmd.WithdrawCorrection(r.Context(), ActorOf(r), id, cid)
		}
		if err != nil {
			return err
		}
		Done(w, http.StatusOK, res)
		return nil
	}
}

type startTransferRequest struct {
	ToCounty string `json:"to_county"`
	ToUnitID string `json:"to_unit_id"`
	Reason   string `json:"reason"`
}

func (a *TeacherArea) startTransfer(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req startTransferRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var unitID uuid.UUID
	if req.ToUnitID != "" {
		if unitID, err = uuid.Parse(req.ToUnitID); err != nil {
			return badRequest("bad_unit", "to_unit_id 应为单位标识")
		}
	}
	res, tid, err := a.Cmd.StartTransfer(r.Context(), ActorOf(r), id, req.ToCounty, unitID, req.Reason)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	writeJSON(w, http.StatusCreated, map[string]any{"id": tid, "teacher_id": id, "revision": res.Revision, "position": res.Position.String()})
	return nil
}

type acceptTransferRequest struct {
	UnitID string `json:"unit_id"`
}

func (a *TeacherArea) acceptTransfer(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	tid, err := PathID(r, "tid")
	if err != nil {
		return err
	}
	var req acceptTransferRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	var unitID uuid.UUID
	if req.UnitID != "" {
		if unitID, err = uuid.Parse(req.UnitID); err != nil {
			return badRequest("bad_unit", "unit_id 应为单位标识")
		}
	}
	res, err := a.Cmd.AcceptTransfer(r.Context(), ActorOf(r), id, tid, unitID)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *TeacherArea) closeTransfer(verb string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		tid, err := PathID(r, "tid")
		if err != nil {
			return err
		}
		var req decisionRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		var res commands.Result
		switch verb {
		case "reject":
			res, err = a.Cmd.RejectTransfer(r.Context(), ActorOf(r), id, tid, req.Reason)
		case "confirm-out": // the province admin confirms a transfer out of the province
			res, err = a.Cmd.ConfirmTransferOut(r.Context(), ActorOf(r), id, tid)
		default:
			res, err = a.Cmd.CancelTransfer(r.Context(), ActorOf(r), id, tid, req.Reason)
		}
		if err != nil {
			return err
		}
		Done(w, http.StatusOK, res)
		return nil
	}
}

func (a *TeacherArea) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.Cmd.ResetTeacherPassword(r.Context(), ActorOf(r), id)
	p, _ := Principal(r.Context())
	a.s.audit(r, commands.SecurityEntry{AccountID: p.AccountID, Login: p.Login, Role: string(p.Role),
		Action: commands.ActionPasswordReset, Success: err == nil, Subject: "teacher:" + id.String(), IP: clientIP(r), Detail: errDetail(err)})
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type unitChangeTeacherRequest struct {
	UnitID string `json:"unit_id"`
	Reason string `json:"reason"`
}

// changeUnit moves a teacher to another school of the same county (county
// admin); a move to another county is a transfer.
func (a *TeacherArea) changeUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if err := RequireIfMatch(r); err != nil {
		return err
	}
	var req unitChangeTeacherRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	unitID, err := uuid.Parse(req.UnitID)
	if err != nil {
		return badRequest("bad_unit", "unit_id 应为单位标识")
	}
	res, err := a.Cmd.ChangeTeacherUnit(r.Context(), ActorOf(r), id, unitID, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
