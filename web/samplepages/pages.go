// Package samplepages are the pages of sampled audits of credit claims
// (domain/creditaudit), shared by the county's section and the city and
// province admins' one: draw a seeded sample of imports and credit-bank
// recognitions, list the samples inside the admin's jurisdiction with their
// progress, and review each sampled entry (维持 or 撤销, with a reason).
// Each section mounts them under its own path; a county draws in its
// county, a city or the province chooses the scope within its own. The
// commands and queries are the JSON API's, called directly.
package samplepages

import (
	"embed"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Pages are the audit pages of one section.
type Pages struct {
	web.Deps
	// Base is the list's path ("/county/credits/audits"); a sample is
	// Base/{id}, a review posts to Base/{id}/{entry}.
	Base string
	// Back and BackLabel are the link above the list.
	Back, BackLabel string
	// TeacherHref is the path of a teacher's record, the ID appended.
	TeacherHref string

	k     *web.Kit
	views *web.Views
}

// Mount parses the views and adds the routes to r (behind the section's
// role check); r is mounted at under ("" for the root), which Base starts
// with.
func (p *Pages) Mount(k *web.Kit, r chi.Router, under string) {
	p.k, p.views = k, k.ParseViews(views)
	base := strings.TrimPrefix(p.Base, under)
	r.Get(base, p.list)
	r.Post(base, p.draw)
	r.Get(base+"/{id}", p.sample)
	r.Post(base+"/{id}/{eid}", p.review)
}

// scopeOption is a region an admin may draw in.
type scopeOption struct {
	Code, Label string
	Group       string // the city of a county, for an optgroup
}

type listData struct {
	*Pages
	Items  []projections.CreditAuditSample
	Scopes []scopeOption // empty: the admin's own county, no choice
	F      web.FormState
}

func (p *Pages) list(w http.ResponseWriter, r *http.Request) {
	p.renderList(w, r, http.StatusOK, web.FormState{}, "")
}

func (p *Pages) renderList(w http.ResponseWriter, r *http.Request, status int, f web.FormState, msg string) {
	actor := web.Actor(r)
	items, err := p.Audits.Samples(r.Context(), actor.Jurisdiction, 100, 0)
	if err != nil {
		p.k.Fail(w, r, err)
		return
	}
	d := &listData{Pages: p, Items: items, Scopes: p.scopes(actor.Jurisdiction), F: f}
	p.views.Render(w, r, status, "audits", web.Page{Title: "学分抽查复核", Data: d, Error: msg})
}

// scopes are the regions inside jurisdiction an admin may draw in: itself
// and, above a county, its cities and counties.
func (p *Pages) scopes(jurisdiction string) []scopeOption {
	if access.JurisdictionLevel(jurisdiction) == "county" || jurisdiction == "" {
		return nil
	}
	tree := p.k.Regions
	out := []scopeOption{{Code: jurisdiction, Label: p.k.RegionName(jurisdiction) + "（全部）"}}
	cities := []string{jurisdiction}
	if access.JurisdictionLevel(jurisdiction) == "province" {
		cities = tree.Children(jurisdiction)
		for _, c := range cities {
			out = append(out, scopeOption{Code: c, Label: tree.Name(c) + "（全市）", Group: "市"})
		}
	}
	for _, c := range cities {
		for _, county := range tree.CountiesOf(c) {
			out = append(out, scopeOption{Code: county, Label: tree.Name(c) + tree.Name(county), Group: tree.Name(c)})
		}
	}
	return out
}

// draw draws a sample from the form: a county admin's own county, or the
// scope chosen by a city or province admin.
func (p *Pages) draw(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.k.Fail(w, r, err)
		return
	}
	scope := web.Principal(r).Jurisdiction
	if v := strings.TrimSpace(r.PostFormValue("scope")); v != "" && len(p.scopes(scope)) > 0 {
		scope = v
	}
	req := httpapi.DrawRequest{Scope: scope, From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		Seed: r.PostFormValue("seed"), Note: r.PostFormValue("note")}
	for _, k := range r.PostForm["kinds"] {
		req.Kinds = append(req.Kinds, credit.SourceKind(k))
	}
	d, err := req.Draw()
	if err == nil {
		d, err = parseSize(d, r.PostFormValue("share_percent"), r.PostFormValue("count"))
	}
	if err == nil {
		res, derr := p.Cmd.DrawCreditAudit(r.Context(), web.Actor(r), p.Audits, d)
		if derr == nil {
			p.k.Done(w, r, res.Position, p.Base+"/"+res.ID.String(), "已抽取样本，请逐条复核。")
			return
		}
		err = derr
	}
	f, m, status, ok := web.RefusedForm(r, "draw", err)
	if !ok {
		p.k.Fail(w, r, err)
		return
	}
	p.renderList(w, r, status, f, m)
}

type sampleData struct {
	*Pages
	Sample  projections.CreditAuditSample
	Entries []projections.SampledEntry
	Failed  string
	F       web.FormState
}

// sample shows one sample and its entries with the review forms; another
// jurisdiction's sample is a missing page.
func (p *Pages) sample(w http.ResponseWriter, r *http.Request) {
	p.renderSample(w, r, http.StatusOK, &sampleData{}, "")
}

func (p *Pages) renderSample(w http.ResponseWriter, r *http.Request, status int, d *sampleData, msg string) {
	id, err := web.PathID(r, "id")
	if err != nil {
		p.k.Fail(w, r, err)
		return
	}
	if _, err := p.Cmd.LoadCreditAudit(r.Context(), web.Actor(r), id); err != nil {
		p.k.Fail(w, r, err)
		return
	}
	d.Pages = p
	if d.Sample, err = p.Audits.Sample(r.Context(), id); err != nil {
		p.k.Fail(w, r, err)
		return
	}
	if d.Entries, err = p.Audits.Entries(r.Context(), id, false); err != nil {
		p.k.Fail(w, r, err)
		return
	}
	p.views.Render(w, r, status, "audit", web.Page{Title: "抽查样本", Data: d, Error: msg})
}

// review records 维持 or 撤销 (the button pressed) with the reason.
func (p *Pages) review(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		p.k.Fail(w, r, err)
		return
	}
	entryID, err := web.PathID(r, "eid")
	if err != nil {
		p.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		p.k.Fail(w, r, err)
		return
	}
	revoke := r.PostFormValue("outcome") == string(creditaudit.OutcomeRevoked)
	res, err := p.Cmd.ReviewCreditAudit(r.Context(), web.Actor(r), id, entryID, revoke, r.PostFormValue("reason"))
	if err != nil {
		f, m, status, ok := web.RefusedForm(r, "review", err)
		if !ok {
			p.k.Fail(w, r, err)
			return
		}
		p.renderSample(w, r, status, &sampleData{Failed: entryID.String(), F: f}, m)
		return
	}
	msg := "已维持该条学时。"
	if revoke {
		msg = "已撤销该条学时，教师的学时合计已相应减少。"
	}
	p.k.Done(w, r, res.Position, p.Base+"/"+id.String(), msg)
}

// parseSize reads the share (percent) or the count typed.
func parseSize(d creditaudit.Draw, share, count string) (creditaudit.Draw, error) {
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
