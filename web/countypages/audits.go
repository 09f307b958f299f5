package countypages

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// Sampled audits of the county's credit claims (domain/creditaudit): draw
// a seeded sample of imports and credit-bank recognitions, list the
// samples of the county with their progress, and review each sampled
// entry (upheld or revoked, with a reason). A city's or the province's
// samples are theirs: the county does not see them.

type auditsData struct {
	Items []projections.CreditAuditSample
	F     formState
	Msg   string
}

func (s *Section) audits(w http.ResponseWriter, r *http.Request) {
	s.renderAudits(w, r, http.StatusOK, &auditsData{})
}

func (s *Section) renderAudits(w http.ResponseWriter, r *http.Request, status int, d *auditsData) {
	list, err := s.Audits.Samples(r.Context(), county(r), 100, 0)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d.Items = list
	s.views.Render(w, r, status, "audits", web.Page{Title: "学分抽查复核", Data: d, Error: d.Msg})
}

// drawAudit draws a sample of the admin's county from the form.
func (s *Section) drawAudit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	req := httpapi.DrawRequest{Scope: county(r), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		Seed: r.PostFormValue("seed"), Note: r.PostFormValue("note")}
	for _, k := range r.PostForm["kinds"] {
		req.Kinds = append(req.Kinds, credit.SourceKind(k))
	}
	d, err := req.Draw()
	if err == nil {
		d, err = parseAuditSize(d, r.PostFormValue("share_percent"), r.PostFormValue("count"))
	}
	if err == nil {
		res, derr := s.Cmd.DrawCreditAudit(r.Context(), web.Actor(r), s.Audits, d)
		if derr == nil {
			s.k.Done(w, r, res.Position, "/county/credits/audits/"+res.ID.String(), "已抽取样本，请逐条复核。")
			return
		}
		err = derr
	}
	f, m, status, ok := refused(r, "draw", err)
	if !ok {
		s.k.Fail(w, r, err)
		return
	}
	s.renderAudits(w, r, status, &auditsData{F: f, Msg: m})
}

type auditData struct {
	Sample  projections.CreditAuditSample
	Entries []projections.SampledEntry
	Failed  string
	F       formState
	Msg     string
}

// audit shows one sample and its entries with the review forms; another
// jurisdiction's sample is a missing page.
func (s *Section) audit(w http.ResponseWriter, r *http.Request) {
	s.renderAudit(w, r, http.StatusOK, &auditData{})
}

func (s *Section) renderAudit(w http.ResponseWriter, r *http.Request, status int, d *auditData) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if _, err := s.Cmd.LoadCreditAudit(r.Context(), web.Actor(r), id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if d.Sample, err = s.Audits.Sample(r.Context(), id); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if d.Entries, err = s.Audits.Entries(r.Context(), id, false); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, status, "audit", web.Page{Title: "抽查样本", Data: d, Error: d.Msg})
}

// reviewAudit records 维持 or 撤销 (the button pressed) with the reason.
func (s *Section) reviewAudit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
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
	revoke := r.PostFormValue("outcome") == string(creditaudit.OutcomeRevoked)
	res, err := s.Cmd.ReviewCreditAudit(r.Context(), web.Actor(r), id, entryID, revoke, r.PostFormValue("reason"))
	if err != nil {
		f, m, status, ok := refused(r, "review", err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderAudit(w, r, status, &auditData{Failed: entryID.String(), F: f, Msg: m})
		return
	}
	msg := "已维持该条学时。"
	if revoke {
		msg = "已撤销该条学时，教师的学时合计已相应减少。"
	}
	s.k.Done(w, r, res.Position, "/county/credits/audits/"+id.String(), msg)
}

// parseAuditSize reads the share (percent) or the count typed.
func parseAuditSize(d creditaudit.Draw, share, count string) (creditaudit.Draw, error) {
	v := &domain.ValidationError{}
	if strings.TrimSpace(share) != "" {
		q, err := credit.ParseQuantity(share)
		if err != nil {
			v.Add("share_percent", "抽查比例应为数字，最多保留一位小数")
		}
		d.SharePercent = q
	}
	if strings.TrimSpace(count) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(count))
		if err != nil {
			v.Add("count", "抽查数量应为整数")
		}
		d.Count = n
	}
	return d, v.Err()
}
