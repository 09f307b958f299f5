package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/httpapi/certpdf"
	"github.com/hbte/record/projections"
)

// ProjectArea serves training projects, the institution register, the
// enrollment pipeline, the personal space's training lists, certificates
// and remote learning. Authorization is the domain's (commands) for writes
// and the read models' reach filters for reads.
type ProjectArea struct {
	Cmd *commands.Handlers
	Q   *projections.EnrollmentQueries
	// PDF renders certificates and class notices; nil when the fonts are
	// missing (PDF endpoints then answer 503, everything else works).
	PDF *certpdf.Renderer
	SSO *SSOKeys
	// PublicURL is the base of the verification link printed on certificates.
	PublicURL string
	// IssuingBody is printed on certificates.
	IssuingBody string
	// VerifyRate bounds public verification lookups per IP per minute (0: 30).
	VerifyRate int

	s *Server
}

func (a *ProjectArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Post("/institutions", s.H(a.registerInstitution))
	r.Get("/institutions", s.H(a.institutions))
	r.Post("/institutions/{id}/accounts", s.H(a.institutionAccount))

	r.Post("/projects", s.H(a.createProject))
	r.Get("/projects", s.H(a.projects))
	r.Get("/projects/{id}", s.H(a.project))
	r.Post("/projects/{id}/changes", s.H(a.changeProject))
	r.Post("/projects/{id}/classes", s.H(a.addClass))
	r.Get("/projects/{id}/roster", s.H(a.roster))
	r.Get("/projects/{id}/statistics", s.H(a.statistics))
	r.Post("/projects/{id}/nominations", s.H(a.nominate))
	r.Post("/projects/{id}/classes/{class_id}/notice", s.H(a.publishClassNotice))
	r.Post("/projects/{id}/grades", s.H(a.uploadGrades))
	r.Get("/projects/{id}/grades/template", s.H(a.gradeTemplate))
	r.Get("/uploads/{id}/report", s.H(a.uploadReport))

	r.Get("/enrollments/queue", s.H(a.queue))
	r.Post("/enrollments/decisions", s.H(a.decideMany))
	r.Get("/enrollments/{id}", s.H(a.enrollment))
	r.Post("/enrollments/{id}/city-approval", s.H(a.cityApprove))
	r.Post("/enrollments/{id}/city-rejection", s.H(a.cityReject))
	r.Post("/enrollments/{id}/approval", s.H(a.approve))
	r.Post("/enrollments/{id}/rejection", s.H(a.reject))
	r.Post("/enrollments/{id}/reassignment", s.H(a.reassign))
	r.Post("/enrollments/{id}/withdrawal", s.H(a.withdraw))
	r.Post("/enrollments/{id}/notice", s.H(a.publishNotice))
	r.Post("/enrollments/{id}/report", s.H(a.report))
	r.Post("/enrollments/{id}/progress", s.H(a.progress))
	r.Post("/enrollments/{id}/grade", s.H(a.postGrade))
	r.Post("/enrollments/{id}/grade-corrections", s.H(a.correctGrade))
	r.Get("/enrollments/{id}/notice.pdf", s.H(a.noticePDF))
	r.Get("/enrollments/{id}/certificate.pdf", s.H(a.certificatePDF))
	r.Post("/enrollments/{id}/remote-learning", s.H(a.enterRemoteLearning))

	r.Get("/me/trainings", s.H(a.trainings))
}

// PublicRoutes are reachable without a session: certificate verification
// (rate limited per IP, since the code is the only secret) and the JWKS
// institutions verify assertions with. Mount inside /api/v1, outside the
// authenticated group.
func (a *ProjectArea) PublicRoutes(s *Server, r chi.Router) {
	a.s = s
	rate := a.VerifyRate
	if rate == 0 {
		rate = 30
	}
	r.With(httprate.Limit(rate, time.Minute, httprate.WithKeyFuncs(httprate.KeyByIP),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: ErrorDetail{Code: "rate_limited", Message: "查询过于频繁，请稍后再试", RetryAfter: 60}})
		}))).Get("/public/certificates/verify", s.H(a.verifyCertificate))
	r.Get("/public/sso/jwks.json", s.H(a.jwks))
}

// JWKSHandler serves the JWKS; docs/SSO.md promises it at the root path
// /.well-known/jwks.json as well.
func (a *ProjectArea) JWKSHandler(s *Server) http.HandlerFunc {
	a.s = s
	return s.H(a.jwks)
}

// --- institutions -----------------------------------------------------------

type institutionRequest struct {
	Name    string `json:"name"`
	Code    string `json:"code"`
	Contact string `json:"contact"`
}

func (a *ProjectArea) registerInstitution(w http.ResponseWriter, r *http.Request) error {
	var req institutionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.RegisterInstitution(r.Context(), ActorOf(r), institution.Registration{Name: req.Name, Code: req.Code, Contact: req.Contact})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/institutions/"+res.ID.String())
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *ProjectArea) institutions(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if !actor.Role.IsAdmin() && actor.Role != access.RoleAuditor {
		return access.ErrForbidden
	}
	list, err := a.Q.Institutions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

type institutionAccountRequest struct {
	Login       string `json:"login"`
	DisplayName string `json:"display_name"`
}

func (a *ProjectArea) institutionAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req institutionAccountRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, pw, err := a.Cmd.CreateInstitutionAccount(r.Context(), ActorOf(r), id, req.Login, req.DisplayName)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	w.Header().Set("Cache-Control", "no-store") // carries the initial password
	writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID, "login": strings.TrimSpace(req.Login), "initial_password": pw,
		"position": res.Position.String()})
	return nil
}

// --- projects -----------------------------------------------------------------

// detailsRequest carries dates as "2026-05-01".
type detailsRequest struct {
	Name      string  `json:"name"`
	Year      int     `json:"year"`
	Mode      int     `json:"mode"`
	Start     string  `json:"start"`
	End       string  `json:"end"`
	Hours     int     `json:"hours"`
	Credits   float64 `json:"credits"`
	RemoteURL string  `json:"remote_url"`
}

func (d detailsRequest) details() (project.Details, error) {
	v := &domain.ValidationError{}
	parse := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			v.Add(field, "日期格式应为 YYYY-MM-DD")
		}
		return t
	}
	out := project.Details{Name: d.Name, Year: d.Year, Mode: project.Mode(d.Mode), Start: parse("start", d.Start),
		End: parse("end", d.End), Hours: d.Hours, Credits: d.Credits, RemoteURL: strings.TrimSpace(d.RemoteURL)}
	return out, v.Err()
}

type createProjectRequest struct {
	detailsRequest
	Kind         string          `json:"kind"`
	Category     int             `json:"category"`
	Owner        string          `json:"owner"`
	Institutions []uuid.UUID     `json:"institutions"`
	Policy       *project.Policy `json:"policy"`
}

func (a *ProjectArea) createProject(w http.ResponseWriter, r *http.Request) error {
	var req createProjectRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := req.details()
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	owner := req.Owner
	if owner == "" {
		owner = actor.Jurisdiction // an admin's own level is the usual owner
	}
	res, err := a.Cmd.CreateProject(r.Context(), actor, commands.NewProjectInput{Kind: project.Kind(req.Kind),
		Category: project.Category(req.Category), Owner: owner, Details: d, Institutions: req.Institutions, Policy: req.Policy})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/projects/"+res.ID.String())
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *ProjectArea) projects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := projections.ProjectFilter{Status: q.Get("status"), Name: strings.TrimSpace(q.Get("name"))}
	var err error
	if y := q.Get("year"); y != "" {
		if f.Year, err = strconv.Atoi(y); err != nil {
			return badRequest("bad_query", "year 应为年份")
		}
	}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	list, err := a.Q.Projects(r.Context(), ActorOf(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (a *ProjectArea) project(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Q.Project(r.Context(), ActorOf(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Revision, 10)))
	writeJSON(w, http.StatusOK, v)
	return nil
}

type projectChangeRequest struct {
	Action        string          `json:"action"`
	Details       *detailsRequest `json:"details,omitempty"`
	InstitutionID uuid.UUID       `json:"institution_id,omitzero"`
	Region        string          `json:"region,omitempty"`
	Count         int             `json:"count,omitempty"`
	Policy        *project.Policy `json:"policy,omitempty"`
	Reason        string          `json:"reason,omitempty"`
}

// changeProject applies one setup or lifecycle change: details,
// add_institution, quota, policy, open_nomination, start, finish, cancel.
func (a *ProjectArea) changeProject(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req projectChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c := commands.ProjectChange{Action: req.Action, InstitutionID: req.InstitutionID, Region: req.Region, Count: req.Count,
		Policy: req.Policy, Reason: req.Reason}
	if req.Action == "add_class" {
		return domain.Invalid("action", "新增班级请使用 POST /projects/{id}/classes")
	}
	if req.Details != nil {
		d, err := req.Details.details()
		if err != nil {
			return err
		}
		c.Details = &d
	}
	res, err := a.Cmd.ChangeProject(r.Context(), ActorOf(r), id, c)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type classRequest struct {
	InstitutionID uuid.UUID `json:"institution_id"`
	Name          string    `json:"name"`
}

func (a *ProjectArea) addClass(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req classRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.ChangeProject(r.Context(), ActorOf(r), id, commands.ProjectChange{Action: "add_class", InstitutionID: req.InstitutionID, ClassName: req.Name})
	if err != nil {
		return err
	}
	// res.ID is the new class; the revision is the project's.
	Done(w, http.StatusCreated, res)
	return nil
}

func optionalID(r *http.Request, name string) (uuid.UUID, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, &requestError{status: http.StatusBadRequest, code: "bad_id", message: "标识格式错误",
			details: []domain.FieldError{{Field: name, Reason: "应为 UUID"}}}
	}
	return id, nil
}

func (a *ProjectArea) roster(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	classID, err := optionalID(r, "class_id")
	if err != nil {
		return err
	}
	list, err := a.Q.Roster(r.Context(), ActorOf(r), id, classID, r.URL.Query().Get("stage"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (a *ProjectArea) statistics(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	if !actor.Role.IsAdmin() && actor.Role != access.RoleAuditor && actor.Role != access.RoleInstitution {
		return access.ErrForbidden
	}
	if _, err := a.Q.Project(r.Context(), actor, id); err != nil {
		return err
	}
	stats, err := a.Q.Statistics(r.Context(), actor, id)
	if err != nil {
		return err
	}
	var total projections.CountyStats
	for _, s := range stats {
		total.Nominated += s.Nominated
		total.Approved += s.Approved
		total.Rejected += s.Rejected
		total.Withdrawn += s.Withdrawn
		total.Graded += s.Graded
		total.Passed += s.Passed
	}
	writeJSON(w, http.StatusOK, map[string]any{"project_id": id, "counties": stats, "total": total})
	return nil
}
