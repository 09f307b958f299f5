// Package countypages is the county admin's workspace: the roster and the
// teacher record (registration, key-field corrections, password resets,
// unit changes, transfers), the queues (correction requests, transfers in
// and out, the credit bank), nominations to training projects, ethics and
// annual appraisal uploads and imports of earlier credit records. Every
// page works on the admin's own county (web.Principal(r).Jurisdiction); the
// commands and queries are the JSON API's (package httpapi), called
// directly.
package countypages

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
	"github.com/hbte/record/web/samplepages"
)

//go:embed views
var views embed.FS

// Section is the county admin's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// queueCounts are the county's waiting work, for the header and the home
// page.
type queueCounts struct {
	Corrections  int
	TransfersIn  int
	TransfersOut int
	Bank         int
	UnderReview  int // nominations still under review above the county
	Nominating   int // projects open for nomination
}

// counts reads the queues; a query that fails leaves its count at zero
// (the header must not fail a page) and is logged.
func (s *Section) counts(ctx context.Context, actor access.Actor, full bool) queueCounts {
	var c queueCounts
	county := actor.Jurisdiction
	logErr := func(what string, err error) {
		if err != nil && s.k != nil {
			s.k.Log.WarnContext(ctx, "county: queue count", "queue", what, "err", err)
		}
	}
	pc, err := s.Teachers.PendingCorrections(ctx, county)
	logErr("corrections", err)
	c.Corrections = len(pc)
	pt, err := s.Teachers.PendingTransfers(ctx, county)
	logErr("transfers", err)
	for _, t := range pt {
		if t.Incoming {
			c.TransfersIn++
		}
		if t.Outgoing {
			c.TransfersOut++
		}
	}
	bank, err := s.Credits.BankRequests(ctx, projections.BankFilter{Jurisdiction: county, Status: string(credit.StatusPending), Limit: projections.MaxPageSize})
	logErr("credit bank", err)
	c.Bank = len(bank)
	if !full {
		return c
	}
	q, err := s.Enrollments.Queue(ctx, actor, uuid.Nil)
	logErr("nominations", err)
	for _, e := range q {
		if strings.HasPrefix(e.County, county) {
			c.UnderReview++
		}
	}
	ps, err := s.Enrollments.Projects(ctx, actor, projections.ProjectFilter{Status: "nominating"})
	logErr("projects", err)
	c.Nominating = len(ps)
	return c
}

// Nav is the header's links for the county admin, with the waiting items
// of each queue.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	if p.Role != access.RoleCountyAdmin {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := s.counts(ctx, p.Actor(), false)
	return []web.NavItem{
		{Label: "工作台", Href: "/county"},
		{Label: "教师名册", Href: "/county/teachers"},
		{Label: "更正审核", Href: "/county/corrections", Count: c.Corrections},
		{Label: "异动管理", Href: "/county/transfers", Count: c.TransfersIn},
		{Label: "项目推荐", Href: "/county/projects"},
		{Label: "师德与考核", Href: "/county/appraisals"},
		{Label: "学分", Href: "/county/credits", Count: c.Bank},
	}
}

// Routes mounts the pages; the kit parses the views once, at start.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Group(func(r chi.Router) {
		r.Use(k.Only(func(p commands.Principal) bool {
			return p.Role == access.RoleCountyAdmin && access.JurisdictionLevel(p.Jurisdiction) == "county"
		}))
		r.Get("/county", s.home)
		r.Get("/county/teachers", s.roster)
		r.Get("/county/teachers/new", s.registerPage)
		r.Post("/county/teachers/new", s.register)
		r.Get("/county/teachers/{id}", s.teacher)
		r.Post("/county/teachers/{id}/key-fields", s.correctKeyFields)
		r.Post("/county/teachers/{id}/password-reset", s.resetPassword)
		r.Post("/county/teachers/{id}/unit", s.changeUnit)
		r.Post("/county/teachers/{id}/transfer", s.startTransfer)
		r.Get("/county/corrections", s.corrections)
		r.Post("/county/corrections/{id}/{cid}/approve", s.approveCorrection)
		r.Post("/county/corrections/{id}/{cid}/reject", s.rejectCorrection)
		r.Get("/county/transfers", s.transfers)
		r.Post("/county/transfers/{id}/{tid}/accept", s.acceptTransfer)
		r.Post("/county/transfers/{id}/{tid}/reject", s.rejectTransfer)
		r.Post("/county/transfers/{id}/{tid}/cancel", s.cancelTransfer)
		r.Get("/county/projects", s.projects)
		r.Get("/county/projects/{id}", s.project)
		r.Post("/county/projects/{id}/nominations", s.nominate)
		r.Post("/county/projects/{id}/withdrawals/{eid}", s.withdraw)
		r.Get("/county/appraisals", s.appraisals)
		r.Post("/county/appraisals", s.uploadAppraisals)
		r.Get("/county/appraisals/{id}", s.appraisalBatch)
		r.Get("/county/credits", s.credits)
		r.Post("/county/credits/imports", s.importCredits)
		r.Post("/county/credits/bank/{id}/recognise", s.recognise)
		r.Post("/county/credits/bank/{id}/reject", s.rejectBank)
		r.Get("/county/credits/duplicates", s.duplicates)
		r.Post("/county/credits/duplicates/{id}/{eid}", s.decideDuplicate)
		audits := &samplepages.Pages{Deps: s.Deps, Base: "/county/credits/audits", Back: "/county/credits",
			BackLabel: "返回学分", TeacherHref: "/county/teachers/"}
		audits.Mount(k, r, "")
	})
}

// county is the logged-in admin's county code.
func county(r *http.Request) string { return web.Principal(r).Jurisdiction }

// pathID and withRevision are the kit's.
var (
	pathID       = web.PathID
	withRevision = web.WithRevision
)

// units are the schools of the county, for the unit selects.
func (s *Section) units(ctx context.Context, county string) ([]projections.Unit, error) {
	p, err := s.Teachers.Units(ctx, projections.UnitFilter{Jurisdiction: county, Limit: projections.MaxPageSize})
	if err != nil {
		return nil, err
	}
	return p.Units, nil
}

// paging reads limit and offset of a list page: limit 1..200 (default
// def), offset >= 0.
func paging(r *http.Request, def int) (limit, offset int) {
	limit, offset = def, 0
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 && v <= 200 {
		limit = v
	}
	if v, err := strconv.Atoi(r.URL.Query().Get("offset")); err == nil && v > 0 {
		offset = v
	}
	return limit, offset
}

// upload is a file sent with a multipart form.
type upload struct {
	Name        string
	ContentType string
	Data        []byte
}

// readUpload reads the file of input field and the form's other values
// (r.PostForm afterwards). A missing file is a field error of field.
func readUpload(w http.ResponseWriter, r *http.Request, field string) (upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, httpapi.MaxCreditUpload+64<<10)
	if err := r.ParseMultipartForm(httpapi.MaxCreditUpload); err != nil {
		return upload{}, web.ValidationErrors(domain.FieldError{Field: field, Reason: fmt.Sprintf("文件过大或无法读取（上限 %d MB）", httpapi.MaxCreditUpload>>20)})
	}
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return upload{}, web.ValidationErrors(domain.FieldError{Field: field, Reason: "请选择要上传的文件"})
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return upload{}, web.ValidationErrors(domain.FieldError{Field: field, Reason: "无法读取上传的文件"})
	}
	ct := hdr.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	return upload{Name: filepath.Base(hdr.Filename), ContentType: ct, Data: data}, nil
}

// formState is the kit's: which form was refused, what was typed, why.
type formState = web.FormState

// refused turns a command's error into the state of the refused form, or
// ok=false for an error that ends the request.
func refused(r *http.Request, which string, err error) (formState, string, int, bool) {
	return web.RefusedForm(r, which, err)
}

func itoa(n int) string { return strconv.Itoa(n) }

// fieldErrors are the field reasons of a validation error (nil for nil).
func fieldErrors(err error) []domain.FieldError {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		return append([]domain.FieldError(nil), ve.Fields...)
	}
	return nil
}
