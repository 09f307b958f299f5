package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/projections"
)

// CreditAuditArea is the sampled audit of credit claims
// (domain/creditaudit): admins draw a seeded sample of credit-bank
// recognitions and imports in their jurisdiction and re-review each entry.
// Outside the caller's jurisdiction a sample answers 404.
type CreditAuditArea struct {
	Cmd *commands.Handlers
	Q   *projections.CreditAuditQueries
}

func (a *CreditAuditArea) Routes(s *Server, r chi.Router) {
	r.Get("/credit-audits", s.H(a.list))
	r.Post("/credit-audits", s.H(a.draw))
	r.Get("/credit-audits/{id}", s.H(a.get))
	r.Post("/credit-audits/{id}/entries/{eid}/review", s.H(a.review))
}

func auditAdmin(actor access.Actor) error {
	if !actor.Role.IsAdmin() || actor.Jurisdiction == "" {
		return fmt.Errorf("credit audits: %w", access.ErrForbidden)
	}
	return nil
}

// list: the samples inside the caller's jurisdiction, newest first, with
// their progress.
func (a *CreditAuditArea) list(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if err := auditAdmin(actor); err != nil {
		return err
	}
	limit, offset, err := page(r)
	if err != nil {
		return err
	}
	items, err := a.Q.Samples(r.Context(), actor.Jurisdiction, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// DrawRequest is the body of POST /credit-audits; the pages use it too.
type DrawRequest struct {
	Scope        string              `json:"scope"`
	Kinds        []credit.SourceKind `json:"kinds"`
	From         string              `json:"from"`
	To           string              `json:"to"`
	SharePercent credit.Quantity     `json:"share_percent"`
	Count        int                 `json:"count"`
	Seed         string              `json:"seed"`
	Note         string              `json:"note"`
}

// Draw turns the request into the domain's input (dates checked here).
func (req DrawRequest) Draw() (creditaudit.Draw, error) {
	d := creditaudit.Draw{Scope: strings.TrimSpace(req.Scope), Kinds: req.Kinds, SharePercent: req.SharePercent,
		Count: req.Count, Seed: strings.TrimSpace(req.Seed), Note: req.Note}
	v := &domain.ValidationError{}
	for _, f := range []struct {
		name, s string
		t       *time.Time
	}{{"from", req.From, &d.From}, {"to", req.To, &d.To}} {
		if strings.TrimSpace(f.s) == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(f.s))
		if err != nil {
			v.Add(f.name, "日期格式应为YYYY-MM-DD")
			continue
		}
		*f.t = t
	}
	return d, v.Err()
}

func (a *CreditAuditArea) draw(w http.ResponseWriter, r *http.Request) error {
	var req DrawRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	actor := ActorOf(r)
	if err := auditAdmin(actor); err != nil {
		return err
	}
	d, err := req.Draw()
	if err != nil {
		return err
	}
	res, err := a.Cmd.DrawCreditAudit(r.Context(), actor, a.Q, d)
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

// get: one sample, its parameters, progress and entries in draw order
// (?pending=true: only those not yet reviewed, the admin's queue).
func (a *CreditAuditArea) get(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	// Permission before state: the event stream says whose it is.
	if _, err := a.Cmd.LoadCreditAudit(r.Context(), actor, id); err != nil {
		return err
	}
	s, err := a.Q.Sample(r.Context(), id)
	if err != nil {
		return err
	}
	entries, err := a.Q.Entries(r.Context(), id, r.URL.Query().Get("pending") == "true")
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, s.Revision))
	writeJSON(w, http.StatusOK, map[string]any{"sample": s, "entries": entries})
	return nil
}

type auditReviewRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func (a *CreditAuditArea) review(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	entryID, err := PathID(r, "eid")
	if err != nil {
		return err
	}
	var req auditReviewRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	actor := ActorOf(r)
	// Permission before state: outside the jurisdiction, 404 before any
	// check of the body.
	if _, err := a.Cmd.LoadCreditAudit(r.Context(), actor, id); err != nil {
		return err
	}
	var revoke bool
	switch req.Outcome {
	case string(creditaudit.OutcomeUpheld):
	case string(creditaudit.OutcomeRevoked):
		revoke = true
	default:
		return domain.Invalid("outcome", "复核结论应为 upheld（维持）或 revoked（撤销）")
	}
	res, err := a.Cmd.ReviewCreditAudit(r.Context(), actor, id, entryID, revoke, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
