package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/projections"
)

// CreditArea is the credit ledger and the credit bank: a teacher's credit
// history since 2018 with totals per year and per registration cycle,
// revocations, imports of training records from earlier systems, credit
// bank requests and their queue, and the file store the evidence lives in.
type CreditArea struct {
	Cmd   *commands.Handlers
	Q     *projections.CreditQueries
	Files *commands.FileStore
	s     *Server
}

func (a *CreditArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Get("/teachers/{id}/credits", s.H(a.history))
	r.Post("/teachers/{id}/credits/revocations", s.H(a.revoke))
	r.Post("/credit-imports", s.H(a.importRecords))
	r.Post("/credit-bank", s.H(a.submit))
	r.Get("/credit-bank", s.H(a.bankList))
	r.Get("/credit-bank/{id}", s.H(a.bankOne))
	r.Post("/credit-bank/{id}/recognise", s.H(a.recognise))
	r.Post("/credit-bank/{id}/reject", s.H(a.reject))
	r.Post("/credit-bank/{id}/withdraw", s.H(a.withdraw))
	r.Post("/files", s.H(a.upload))
	r.Get("/files/{sha}", s.H(a.download))
}

// MaxCreditUpload bounds one uploaded file (attachments are 10 MB at most; a
// results sheet of a county fits easily).
const MaxCreditUpload = 12 << 20

// creditReadUpload reads the multipart part "file" of a form: its name, content
// type and content. Other form values are returned too.
func creditReadUpload(w http.ResponseWriter, r *http.Request) (name, contentType string, data []byte, form url.Values, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxCreditUpload+64<<10)
	if err := r.ParseMultipartForm(MaxCreditUpload); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", "", nil, nil, err
		}
		return "", "", nil, nil, badRequest("bad_upload", "请以 multipart/form-data 上传文件（字段名 file）")
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return "", "", nil, nil, badRequest("bad_upload", "缺少上传文件（字段名 file）")
	}
	defer f.Close()
	data, err = io.ReadAll(f)
	if err != nil {
		return "", "", nil, nil, badRequest("bad_upload", "无法读取上传文件")
	}
	contentType = hdr.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		contentType = mt
	}
	return filepath.Base(hdr.Filename), contentType, data, r.MultipartForm.Value, nil
}

func creditQueryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("bad_query", name+" 应为整数")
	}
	return n, nil
}

// creditParseDate reads a date-only request value.
func creditParseDate(field, v string) (time.Time, error) {
	return ident.ParseDate(field, "日期", strings.TrimSpace(v))
}

// creditJurisdiction is the region an admin-type actor lists: their own, or a
// region inside it named by ?county= (or ?region=).
func creditJurisdiction(r *http.Request, actor access.Actor) (string, error) {
	if actor.Role == access.RoleTeacher || actor.Role == access.RoleInstitution || actor.Jurisdiction == "" {
		return "", fmt.Errorf("listing by region: %w", access.ErrForbidden)
	}
	// One rule with /teachers and /accounts: whichever name the region is
	// asked under, a region outside the caller's jurisdiction is a 403,
	// never quietly the caller's own.
	want := ""
	for _, name := range []string{"jurisdiction", "county", "region"} {
		v := r.URL.Query().Get(name)
		if v == "" {
			continue
		}
		if want != "" && v != want {
			return "", badRequest("conflicting_region", "jurisdiction、county、region 只能指定同一个区域")
		}
		want = v
	}
	if want == "" {
		return actor.Jurisdiction, nil
	}
	if !strings.HasPrefix(want, actor.Jurisdiction) {
		return "", fmt.Errorf("region %s is outside %s: %w", want, actor.Jurisdiction, access.ErrForbidden)
	}
	return want, nil
}

// creditWriteSheet sends rows as CSV or XLSX by ?format=.
func creditWriteSheet(w http.ResponseWriter, format, filename string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := tabular.WriteCSV(&buf, header, tabular.Rows(rows)); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "xlsx":
		if err := tabular.WriteXLSX(&buf, "Sheet1", header, tabular.Rows(rows)); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	default:
		return badRequest("bad_format", "format 应为 csv 或 xlsx")
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename + "." + format}))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

// cyclesOf are the registration cycles of a teacher for the per-cycle
// totals: one from each registration (first, or a passing periodic
// decision), with the length of the policy in force on its first day.
func (a *CreditArea) cyclesOf(r *http.Request, teacherID uuid.UUID, county string) ([]registration.Cycle, error) {
	reg, err := a.Cmd.LoadRegistration(r.Context(), teacherID)
	if err != nil {
		return nil, err
	}
	pols, err := a.Cmd.Policies(r.Context(), county)
	if err != nil {
		return nil, err
	}
	ps := make([]registration.Policy, 0, len(pols))
	for _, p := range pols[1:] {
		ps = append(ps, p.Policy)
	}
	cat := registration.NewCatalog(ps...)
	var out []registration.Cycle
	for _, d := range reg.Decisions() {
		if d.Outcome == registration.OutcomePass {
			out = append(out, registration.NewCycle(d.DecidedOn, cat.InForce(county, d.DecidedOn).CycleYears))
		}
	}
	return out, nil
}

func (a *CreditArea) history(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	// A county the teacher left reads the entries granted while the teacher
	// was its own (commands.ReachTeacher).
	reach, err := a.Cmd.ReachTeacher(r.Context(), ActorOf(r), id)
	if err != nil {
		return err
	}
	var before time.Time
	if reach.Former != nil {
		before = reach.Former.Until
	}
	since, err := creditQueryInt(r, "since", 2018)
	if err != nil {
		return err
	}
	cycles, err := a.cyclesOf(r, id, reach.County)
	if err != nil {
		return err
	}
	h, err := a.Q.CreditHistoryBefore(r.Context(), id, since, cycles, before)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

type creditRevokeRequest struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

func (a *CreditArea) revoke(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req creditRevokeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.RevokeCredits(r.Context(), ActorOf(r), id, req.Key, req.Reason, uuid.Nil)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

// creditImportSchema is the layout of a training-record import.
var creditImportSchema = tabular.Schema{Fields: []tabular.Field{
	{Key: "id_number", Label: "身份证件号码", Aliases: []string{"身份证号", "证件号码"}, Required: true},
	{Key: "name", Label: "姓名", Required: true},
	{Key: "year", Label: "年度", Required: true},
	{Key: "completed_on", Label: "完成日期", Aliases: []string{"结业日期"}},
	{Key: "level", Label: "级别", Aliases: []string{"培训级别"}, Required: true},
	{Key: "category", Label: "类别", Aliases: []string{"学习类别"}},
	{Key: "hours", Label: "学时"},
	{Key: "credits", Label: "学分"},
	{Key: "title", Label: "培训名称", Aliases: []string{"项目名称", "名称"}, Required: true},
	{Key: "external_id", Label: "原系统记录编号", Aliases: []string{"记录编号", "编号"}, Required: true},
}}

func (a *CreditArea) importRecords(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleCountyAdmin && actor.Role != access.RoleProvinceAdmin {
		return fmt.Errorf("credit import: %w", access.ErrForbidden)
	}
	name, _, data, form, err := creditReadUpload(w, r)
	if err != nil {
		return err
	}
	rep, err := ImportCreditFile(r.Context(), a.Cmd, actor, form.Get("system"), name, data)
	if err != nil {
		return err
	}
	WritePosition(w, rep.Position)
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// ImportCreditFile reads an uploaded sheet of training records from an
// earlier system (CSV or XLSX) and imports it as actor: the API's import
// and the county admin's web page both call it. Rows the reader refuses
// count as rejected rows of the file; errors are in row order.
func ImportCreditFile(ctx context.Context, cmd *commands.Handlers, actor access.Actor, system, name string, data []byte) (commands.CreditImportReport, error) {
	t, err := tabular.Read(bytes.NewReader(data), name, creditImportSchema, tabular.Limits{})
	if err != nil {
		return commands.CreditImportReport{}, err
	}
	rows := make([]commands.CreditImportRow, len(t.Rows))
	for i, row := range t.Rows {
		rows[i] = commands.CreditImportRow{Line: row.Line, IDNumber: row.Get("id_number"), Name: row.Get("name"), Year: row.Get("year"),
			CompletedOn: row.Get("completed_on"), Level: row.Get("level"), Category: row.Get("category"), Hours: row.Get("hours"),
			Credits: row.Get("credits"), Title: row.Get("title"), ExternalID: row.Get("external_id")}
	}
	ok := creditReadFailed(rows, t.Errors)
	unread := len(rows) - len(ok)
	rep, err := cmd.ImportCredits(ctx, actor, system, ok)
	if err != nil {
		return rep, err
	}
	rep.Rows += unread
	rep.Rejected += unread
	for _, e := range t.Errors {
		rep.Errors = append(rep.Errors, domain.FieldError{Row: e.Row, Field: e.Field, Reason: e.Reason})
	}
	slices.SortStableFunc(rep.Errors, func(a, b domain.FieldError) int { return a.Row - b.Row })
	return rep, nil
}

// creditReadFailed keeps the rows the reader found nothing wrong with; the
// others are reported with the reader's reasons and counted as rejected.
func creditReadFailed(rows []commands.CreditImportRow, errs []tabular.RowError) []commands.CreditImportRow {
	if len(errs) == 0 {
		return rows
	}
	bad := map[int]bool{}
	for _, e := range errs {
		bad[e.Row] = true
	}
	out := rows[:0]
	for _, r := range rows {
		if !bad[r.Line] {
			out = append(out, r)
		}
	}
	return out
}

type bankSubmitRequest struct {
	Kind         credit.BankKind `json:"kind"`
	Title        string          `json:"title"`
	Organiser    string          `json:"organiser"`
	Level        credit.Level    `json:"level"`
	StartOn      string          `json:"start_on"`
	EndOn        string          `json:"end_on"`
	ClaimedHours credit.Quantity `json:"claimed_hours"`
	Evidence     []file.FileRef  `json:"evidence"`
}

func (a *CreditArea) submit(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleTeacher {
		return fmt.Errorf("credit bank: only a teacher submits: %w", access.ErrForbidden)
	}
	var req bankSubmitRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	start, err1 := time.Parse(time.DateOnly, req.StartOn)
	end, err2 := time.Parse(time.DateOnly, req.EndOn)
	if err1 != nil {
		v.Add("start_on", "日期格式应为2006-01-02")
	}
	if err2 != nil {
		v.Add("end_on", "日期格式应为2006-01-02")
	}
	if err := v.Err(); err != nil {
		return err
	}
	res, err := a.Cmd.SubmitBankRequest(r.Context(), actor, credit.Submission{TeacherID: actor.TeacherID, Kind: req.Kind,
		Title: req.Title, Organiser: req.Organiser, Level: req.Level, StartOn: start, EndOn: end,
		ClaimedHours: req.ClaimedHours, Evidence: req.Evidence})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/credit-bank/"+res.ID.String())
	Done(w, http.StatusCreated, res)
	return nil
}

// bankList: a teacher sees their own requests; a county admin (or anyone
// with a jurisdiction) the queue of their region, pending by default.
func (a *CreditArea) bankList(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	limit, err := creditQueryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	offset, err := creditQueryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	f := projections.BankFilter{Status: r.URL.Query().Get("status"), Limit: limit, Offset: offset}
	if actor.Role == access.RoleTeacher {
		f.TeacherID = actor.TeacherID
	} else {
		j, err := creditJurisdiction(r, actor)
		if err != nil {
			return err
		}
		f.Jurisdiction = j
		if f.Status == "" {
			f.Status = string(credit.StatusPending)
		}
	}
	if f.Status == "all" {
		f.Status = ""
	}
	items, err := a.Q.BankRequests(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// BankRequestView is one request as its stream has it.
type BankRequestView struct {
	credit.BankSubmitted
	Revision    int64                  `json:"revision"`
	Status      credit.BankStatus      `json:"status"`
	StatusLabel string                 `json:"status_label"`
	Recognition *credit.BankRecognised `json:"recognition,omitempty"`
	Reason      string                 `json:"reject_reason,omitempty"`
}

func (a *CreditArea) bankOne(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	req, err := a.Cmd.LoadBankRequest(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.Cmd.CanReadBankRequest(r.Context(), ActorOf(r), req); err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(req.Version(), 10)))
	writeJSON(w, http.StatusOK, BankRequestView{BankSubmitted: req.Submitted(), Revision: req.Version(), Status: req.Status(),
		StatusLabel: req.Status().Label(), Recognition: req.Recognition(), Reason: req.RejectReason()})
	return nil
}

type creditRecogniseRequest struct {
	Hours   credit.Quantity `json:"hours"`
	Credits credit.Quantity `json:"credits"`
	Level   credit.Level    `json:"level"`
	Note    string          `json:"note"`
}

func (a *CreditArea) recognise(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req creditRecogniseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.RecogniseBankRequest(r.Context(), ActorOf(r), id, credit.Recognition{Hours: req.Hours, Credits: req.Credits, Level: req.Level, Note: req.Note})
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

type creditReasonRequest struct {
	Reason string `json:"reason"`
}

func (a *CreditArea) reject(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req creditReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.RejectBankRequest(r.Context(), ActorOf(r), id, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *CreditArea) withdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.Cmd.WithdrawBankRequest(r.Context(), ActorOf(r), id)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

// upload stores an attachment (evidence, an achievement's scan) and returns
// its reference, to be named in a later command.
func (a *CreditArea) upload(w http.ResponseWriter, r *http.Request) error {
	name, ct, data, _, err := creditReadUpload(w, r)
	if err != nil {
		return err
	}
	ref, err := a.Files.Put(r.Context(), ActorOf(r), commands.FileAttachment, name, ct, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ref)
	return nil
}

// download: the uploader, or whoever may read a teacher who uploaded it.
func (a *CreditArea) download(w http.ResponseWriter, r *http.Request) error {
	sha := chi.URLParam(r, "sha")
	f, err := a.Files.Get(r.Context(), sha)
	if err != nil {
		return err
	}
	if err := a.canReadFile(r, f); err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(f.Data)
	return err
}

func (a *CreditArea) canReadFile(r *http.Request, f commands.StoredFile) error {
	actor := ActorOf(r)
	for _, u := range f.Uploaders {
		if u == actor.UserID {
			return nil
		}
	}
	for _, t := range f.Teachers {
		if _, err := a.Cmd.CanReadTeacher(r.Context(), actor, t); err == nil {
			return nil
		}
	}
	return fmt.Errorf("file %s: %w", f.SHA256, access.ErrForbidden)
}
