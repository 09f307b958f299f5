package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/projections"
)

// AppraisalArea is the yearly ethics (师德) and annual appraisal (年度考核)
// results: the county admin's uploads with their row reports and
// downloadable error reports, corrections, and the results per teacher and
// per year.
type AppraisalArea struct {
	Cmd   *commands.Handlers
	Q     *projections.CreditQueries
	Files *commands.FileStore
	s     *Server
}

func (a *AppraisalArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Post("/appraisal-uploads", s.H(a.upload))
	r.Get("/appraisal-uploads", s.H(a.uploads))
	r.Get("/appraisal-uploads/{id}", s.H(a.batch))
	r.Get("/appraisal-uploads/{id}/errors", s.H(a.errorReport))
	r.Get("/appraisals", s.H(a.byYear))
	r.Get("/teachers/{id}/appraisals", s.H(a.ofTeacher))
	r.Post("/teachers/{id}/appraisals/{year}/ethics-correction", s.H(a.correctEthics))
	r.Post("/teachers/{id}/appraisals/{year}/annual-correction", s.H(a.correctAnnual))
}

// appraisalSchema is the upload layout: year, name, ID number, gender,
// unit, result, honors (and, for ethics, an optional serious-breach cell).
var appraisalSchema = tabular.Schema{Fields: []tabular.Field{
	{Key: "year", Label: "年度", Aliases: []string{"考核年度"}, Required: true},
	{Key: "name", Label: "姓名", Required: true},
	{Key: "id_number", Label: "身份证件号码", Aliases: []string{"身份证号", "身份证号码", "证件号码"}, Required: true},
	{Key: "gender", Label: "性别", Required: true},
	{Key: "unit", Label: "单位", Aliases: []string{"工作单位", "所在单位"}, Required: true},
	{Key: "result", Label: "结果", Aliases: []string{"考核结果", "师德考核结果", "年度考核结果", "是否达标"}, Required: true},
	{Key: "serious_breach", Label: "严重违反师德", Aliases: []string{"是否严重违反师德"}},
	{Key: "honors", Label: "荣誉", Aliases: []string{"所获荣誉"}},
}}

// UploadResponse is the answer to an upload: the batch and whether it was
// the same file again.
type UploadResponse struct {
	appraisal.UploadRecorded
	KindLabel   string `json:"kind_label"`
	Repeated    bool   `json:"repeated"`
	ErrorReport string `json:"error_report,omitempty"`
}

func (a *AppraisalArea) upload(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleCountyAdmin {
		return fmt.Errorf("appraisal upload: %w", access.ErrForbidden)
	}
	name, ct, data, form, err := creditReadUpload(w, r)
	if err != nil {
		return err
	}
	out, err := UploadAppraisalFile(r.Context(), a.Cmd, a.Files, actor, appraisal.Kind(form.Get("kind")), name, ct, data)
	if err != nil {
		return err
	}
	resp := UploadResponse{UploadRecorded: out.Batch, KindLabel: out.Batch.Kind.Label(), Repeated: out.Repeated}
	if out.Batch.Rejected > 0 {
		resp.ErrorReport = AppraisalErrorReportPath(out.Batch.BatchID)
	}
	status := http.StatusCreated
	if out.Repeated {
		status = http.StatusOK
	}
	WritePosition(w, out.Position)
	w.Header().Set("Location", "/api/v1/appraisal-uploads/"+out.Batch.BatchID.String())
	writeJSON(w, status, resp)
	return nil
}

// UploadAppraisalFile reads an uploaded ethics or annual appraisal sheet
// (CSV or XLSX), keeps the file by its hash (the batch event names it, and
// the error report is rebuilt from it) and applies it as the county admin
// actor: the API's upload and the county admin's web page both call it.
func UploadAppraisalFile(ctx context.Context, cmd *commands.Handlers, files *commands.FileStore, actor access.Actor,
	kind appraisal.Kind, name, contentType string, data []byte) (commands.UploadOutcome, error) {
	if !kind.Valid() {
		return commands.UploadOutcome{}, domain.Invalid("kind", "上传类型应为 ethics（师德考核）或 annual（年度考核）")
	}
	t, err := tabular.Read(bytes.NewReader(data), name, appraisalSchema, tabular.Limits{})
	if err != nil {
		return commands.UploadOutcome{}, err
	}
	ref, err := files.Put(ctx, actor, commands.FileSheet, name, contentType, data)
	if err != nil {
		return commands.UploadOutcome{}, err
	}
	in := commands.AppraisalUpload{Kind: kind, FileName: name, FileSHA256: ref.SHA256}
	for _, row := range t.Rows {
		in.Rows = append(in.Rows, appraisal.Row{Year: row.Get("year"), Name: row.Get("name"), IDNumber: row.Get("id_number"),
			Gender: row.Get("gender"), Unit: row.Get("unit"), Result: row.Get("result"), SeriousBreach: row.Get("serious_breach"),
			Honors: row.Get("honors")})
		in.Lines = append(in.Lines, row.Line)
	}
	for _, e := range t.Errors {
		in.ReadErrors = append(in.ReadErrors, domain.FieldError{Row: e.Row, Field: e.Field, Reason: e.Reason})
	}
	return cmd.UploadAppraisals(ctx, actor, in)
}

// AppraisalErrorReportPath is the download of a batch's per-row error
// report (XLSX).
func AppraisalErrorReportPath(batchID uuid.UUID) string {
	return "/api/v1/appraisal-uploads/" + batchID.String() + "/errors?format=xlsx"
}

func (a *AppraisalArea) uploads(w http.ResponseWriter, r *http.Request) error {
	j, err := creditJurisdiction(r, ActorOf(r))
	if err != nil {
		return err
	}
	limit, err := creditQueryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	offset, err := creditQueryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	items, err := a.Q.Uploads(r.Context(), j, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// loadBatch reads a batch from its stream (no read-model lag) and checks
// that the actor's jurisdiction covers its county.
func (a *AppraisalArea) loadBatch(r *http.Request) (*appraisal.UploadRecorded, error) {
	id, err := PathID(r, "id")
	if err != nil {
		return nil, err
	}
	u, err := a.Cmd.LoadUpload(r.Context(), id)
	if err != nil {
		return nil, err
	}
	b := u.Summary()
	actor := ActorOf(r)
	if actor.Role == access.RoleTeacher || actor.Role == access.RoleInstitution || !actor.Covers(b.County) {
		return nil, fmt.Errorf("upload %s: %w", id, access.ErrForbidden)
	}
	if err := a.Cmd.UploadErrors(r.Context(), b); err != nil {
		return nil, err
	}
	return b, nil
}

func (a *AppraisalArea) batch(w http.ResponseWriter, r *http.Request) error {
	b, err := a.loadBatch(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UploadResponse{UploadRecorded: *b, KindLabel: b.Kind.Label()})
	return nil
}

// errorReport sends the rows with errors as uploaded, with 行号 and 错误原因
// in front, so the uploader fixes them and uploads the report again.
func (a *AppraisalArea) errorReport(w http.ResponseWriter, r *http.Request) error {
	b, err := a.loadBatch(r)
	if err != nil {
		return err
	}
	f, err := a.Files.Get(r.Context(), b.FileSHA256)
	if err != nil {
		return err
	}
	t, err := tabular.Read(bytes.NewReader(f.Data), b.FileName, appraisalSchema, tabular.Limits{})
	if err != nil {
		return err
	}
	errs := make([]tabular.RowError, len(b.Errors))
	for i, e := range b.Errors {
		errs[i] = tabular.RowError{Row: e.Row, Field: e.Field, Reason: e.Reason}
	}
	header, rows := tabular.ErrorReport(t, errs)
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "xlsx"
	}
	return creditWriteSheet(w, format, "错误报告-"+b.BatchID.String()[:8], header, rows)
}

func (a *AppraisalArea) byYear(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	j, err := creditJurisdiction(r, actor)
	if err != nil {
		return err
	}
	year, err := creditQueryInt(r, "year", 0)
	if err != nil {
		return err
	}
	limit, err := creditQueryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	offset, err := creditQueryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	items, err := a.Q.Appraisals(r.Context(), projections.AppraisalFilter{Jurisdiction: j, Year: year, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	reveal := commands.RevealsPersonalData(actor) && r.URL.Query().Get("reveal") == "true"
	for i := range items {
		if !reveal {
			items[i].IDNumber = ident.MaskID(items[i].IDNumber)
		}
	}
	if reveal {
		a.s.Audit(r, commands.ActionRevealPersonal, "appraisals:"+j, "id_number")
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *AppraisalArea) ofTeacher(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.Cmd.CanReadTeacher(r.Context(), ActorOf(r), id); err != nil {
		return err
	}
	items, err := a.Q.Appraisals(r.Context(), projections.AppraisalFilter{TeacherID: id, Limit: projections.MaxPageSize})
	if err != nil {
		return err
	}
	for i := range items {
		items[i].IDNumber = ident.MaskID(items[i].IDNumber)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type ethicsCorrectionRequest struct {
	Passed        bool   `json:"passed"`
	SeriousBreach bool   `json:"serious_breach"`
	Honors        string `json:"honors"`
	Reason        string `json:"reason"`
}

func appraisalPathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(chi.URLParam(r, "year"))
	if err != nil {
		return 0, badRequest("bad_year", "年度应为四位数字")
	}
	return y, nil
}

func (a *AppraisalArea) correctEthics(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	year, err := appraisalPathYear(r)
	if err != nil {
		return err
	}
	var req ethicsCorrectionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.CorrectEthics(r.Context(), ActorOf(r), id,
		appraisal.Ethics{Year: year, Passed: req.Passed, SeriousBreach: req.SeriousBreach, Honors: req.Honors}, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type annualCorrectionRequest struct {
	Grade  string `json:"grade"`
	Reason string `json:"reason"`
}

func (a *AppraisalArea) correctAnnual(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	year, err := appraisalPathYear(r)
	if err != nil {
		return err
	}
	var req annualCorrectionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	g, ok := appraisal.ParseGrade(req.Grade)
	if !ok {
		return domain.Invalid("grade", "考核结果应为优秀、合格、基本合格、不合格或代码1-4")
	}
	res, err := a.Cmd.CorrectAnnual(r.Context(), ActorOf(r), id, year, g, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
