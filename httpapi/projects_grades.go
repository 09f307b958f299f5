package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/projections"
)

// gradeSchema is the grade upload: who (enrollment number or ID number, and
// the name, which must match so a mistyped number cannot grade someone
// else) and the two scores.
var gradeSchema = tabular.Schema{Fields: []tabular.Field{
	// A row names its trainee by the enrollment number of the template
	// (institutions see ID numbers only masked) or by the full ID number.
	{Key: "enrollment_id", Label: "报名编号", Aliases: []string{"enrollment_id"}},
	{Key: "id_number", Label: "身份证号", Aliases: []string{"身份证件号码", "证件号码", "身份证号码", "id_number"}},
	{Key: "name", Label: "姓名", Aliases: []string{"教师姓名", "name"}, Required: true},
	{Key: "offline", Label: "集中学习成绩", Aliases: []string{"线下成绩", "集中学习", "offline_score", "offline"}},
	{Key: "online", Label: "网络学习成绩", Aliases: []string{"线上成绩", "网络学习", "online_score", "online"}},
}}

// GradeFieldLabel is the column title of a grade file's field key (for
// showing a row error's field), the key itself when unknown.
func GradeFieldLabel(key string) string {
	for _, f := range gradeSchema.Fields {
		if f.Key == key {
			return f.Label
		}
	}
	return key
}

// maxUpload bounds a grade file.
const maxUpload = 10 << 20

// GradeUploadResponse summarises an upload. Rows are applied one by one,
// each whole or not at all: good rows are posted, bad rows are listed and
// returned as a downloadable report (the uploaded file with 行号 and 错误原因
// columns) to fix and upload again. Rows already posted with the same
// scores count as unchanged, so uploading the same file twice changes
// nothing.
type GradeUploadResponse struct {
	Rows           int                `json:"rows"`
	Posted         int                `json:"posted"`
	Unchanged      int                `json:"unchanged"`
	Failed         int                `json:"failed"`
	Errors         []tabular.RowError `json:"errors"`
	UnknownColumns []string           `json:"unknown_columns,omitempty"`
	ErrorReport    string             `json:"error_report,omitempty"`
	Position       string             `json:"position,omitempty"`
}

// UploadFile reads the file of a multipart form (field "file") or a raw
// body named by ?filename=: the API's grade upload and the pages' upload
// form read it the same way.
func UploadFile(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<16)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, hdr, err := r.FormFile("file")
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return "", nil, err
			}
			return "", nil, badRequest("missing_file", "请在 file 字段上传 .xlsx 或 .csv 文件")
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		return hdr.Filename, data, err
	}
	name := r.URL.Query().Get("filename")
	if name == "" {
		return "", nil, badRequest("missing_filename", "直接上传文件内容时须用 ?filename= 说明文件名（.xlsx 或 .csv）")
	}
	data, err := io.ReadAll(r.Body)
	return name, data, err
}

func parseScore(row tabular.Row, key string) (*float64, *tabular.RowError) {
	raw := strings.TrimSpace(row.Get(key))
	if raw == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return nil, &tabular.RowError{Row: row.Line, Field: key, Reason: "成绩应为0到100之间的数字"}
	}
	return &v, nil
}

// uploadGrades posts the grades of a file for one project (institutions).
func (a *ProjectArea) uploadGrades(w http.ResponseWriter, r *http.Request) error {
	projectID, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	if err := institutionServes(r.Context(), a.Q, actor, projectID, uuid.Nil); err != nil {
		return err
	}
	name, data, err := UploadFile(w, r)
	if err != nil {
		return err
	}
	out, last, err := a.s.ImportGrades(r.Context(), a.Cmd, a.Q, actor, projectID, name, data)
	if err != nil {
		return err
	}
	WritePosition(w, last)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ImportGrades posts the grades of an uploaded file (name, data) for one
// project, as the institution actor: the API's upload and the
// institution's page both call it. Rows with errors are kept as a
// downloadable report (ErrorReport) for the principal of ctx. last is the
// position of the newest event written (zero when none).
func (s *Server) ImportGrades(ctx context.Context, cmd *commands.Handlers, q *projections.EnrollmentQueries, actor access.Actor, projectID uuid.UUID, name string, data []byte) (GradeUploadResponse, eventstore.Position, error) {
	var last eventstore.Position
	// An institution that does not run the project learns nothing from a
	// file's row errors (which enrollment numbers exist).
	if err := institutionServes(ctx, q, actor, projectID, uuid.Nil); err != nil {
		return GradeUploadResponse{}, last, err
	}
	table, err := tabular.Read(bytes.NewReader(data), name, gradeSchema, tabular.Limits{MaxBytes: maxUpload})
	if err != nil {
		return GradeUploadResponse{}, last, err
	}
	g := gradeImport{s: s, cmd: cmd}
	out := GradeUploadResponse{Rows: len(table.Rows), Errors: append([]tabular.RowError{}, table.Errors...), UnknownColumns: table.Unknown}
	bad := map[int]bool{}
	for _, e := range table.Errors {
		bad[e.Row] = true
	}
	seen := map[string]int{}
	for _, row := range table.Rows {
		if bad[row.Line] {
			continue
		}
		errs := g.gradeRow(ctx, actor, projectID, row, seen, &out, &last)
		if len(errs) > 0 {
			out.Errors = append(out.Errors, errs...)
			bad[row.Line] = true
		}
	}
	out.Failed = len(bad)
	if out.Failed > 0 {
		id, err := g.storeReport(ctx, name, table, out.Errors)
		if err != nil {
			return GradeUploadResponse{}, last, err
		}
		out.ErrorReport = "/api/v1/uploads/" + id.String() + "/report"
	}
	if !last.IsZero() {
		out.Position = last.String()
	}
	return out, last, nil
}

// gradeImport is one grade upload's dependencies.
type gradeImport struct {
	s   *Server
	cmd *commands.Handlers
}

// gradeRow posts one row; it returns the row's errors, all of them the
// row shows (a bad score and an unknown trainee are reported together).
func (a gradeImport) gradeRow(ctx context.Context, actor access.Actor, projectID uuid.UUID, row tabular.Row, seen map[string]int, out *GradeUploadResponse, last *eventstore.Position) []tabular.RowError {
	var errs []tabular.RowError
	offline, e1 := parseScore(row, "offline")
	online, e2 := parseScore(row, "online")
	for _, e := range []*tabular.RowError{e1, e2} {
		if e != nil {
			errs = append(errs, *e)
		}
	}
	eid, field, rerr := a.rowEnrollment(ctx, projectID, row)
	if rerr != nil {
		return append(errs, *rerr)
	}
	e, err := a.cmd.LoadEnrollment(ctx, eid)
	if err != nil {
		return append(errs, a.rowError(row.Line, err)...)
	}
	// Only the assigned institution learns anything about the trainee.
	if !e.IsInstitution(actor) {
		return append(errs, tabular.RowError{Row: row.Line, Reason: "该学员不在本机构的班级中"})
	}
	t, err := a.cmd.LoadTeacher(ctx, e.TeacherID())
	if err != nil {
		return append(errs, a.rowError(row.Line, err)...)
	}
	if t.Profile().Name != strings.TrimSpace(row.Get("name")) {
		label := map[string]string{"id_number": "身份证号", "enrollment_id": "报名编号"}[field]
		return append(errs, tabular.RowError{Row: row.Line, Field: "name", Reason: "姓名与" + label + "不符"})
	}
	if first, dup := seen[eid.String()]; dup {
		return append(errs, tabular.RowError{Row: row.Line, Field: field, Reason: fmt.Sprintf("与第%d行重复", first)})
	}
	seen[eid.String()] = row.Line
	if len(errs) > 0 {
		return errs
	}
	res, outcome, err := a.cmd.PostGrade(commands.WithRequest(ctx, rowRequest(ctx)), actor, eid, offline, online)
	if err != nil {
		return a.rowError(row.Line, err)
	}
	if outcome == commands.GradeUnchanged {
		out.Unchanged++
	} else {
		out.Posted++
	}
	if last.Less(res.Position) {
		*last = res.Position
	}
	return nil
}

// rowEnrollment resolves the enrollment a row names: the enrollment number
// when given (it must belong to this project), else the ID number. It
// returns the field that named it.
func (a gradeImport) rowEnrollment(ctx context.Context, projectID uuid.UUID, row tabular.Row) (uuid.UUID, string, *tabular.RowError) {
	if raw := strings.TrimSpace(row.Get("enrollment_id")); raw != "" {
		eid, err := uuid.Parse(raw)
		if err != nil {
			return uuid.Nil, "", &tabular.RowError{Row: row.Line, Field: "enrollment_id", Reason: "报名编号格式错误"}
		}
		e, err := a.cmd.LoadEnrollment(ctx, eid)
		if err != nil || e.ProjectID() != projectID {
			return uuid.Nil, "", &tabular.RowError{Row: row.Line, Field: "enrollment_id", Reason: "报名编号不属于本项目"}
		}
		return eid, "enrollment_id", nil
	}
	idNumber := strings.ToUpper(strings.TrimSpace(row.Get("id_number")))
	if idNumber == "" {
		return uuid.Nil, "", &tabular.RowError{Row: row.Line, Field: "id_number", Reason: "报名编号和身份证号至少填写一项"}
	}
	teacherID, err := a.cmd.TeacherByIDNumber(ctx, idNumber)
	if err != nil {
		return uuid.Nil, "", &tabular.RowError{Row: row.Line, Field: "id_number", Reason: "查无此身份证号的教师"}
	}
	return enrollment.ID(projectID, teacherID), "id_number", nil
}

// gradeTemplate is the file an institution fills in: its trainees of the
// project (optionally one class) with enrollment number, name, masked ID
// number and school, and the scores already posted.
func (a *ProjectArea) gradeTemplate(w http.ResponseWriter, r *http.Request) error {
	projectID, err := PathID(r, "id")
	if err != nil {
		return err
	}
	classID, err := optionalID(r, "class_id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	if err := institutionServes(r.Context(), a.Q, actor, projectID, classID); err != nil {
		return err
	}
	roster, err := a.Q.Roster(r.Context(), actor, projectID, classID, "")
	if err != nil {
		return err
	}
	num := func(x *float64) string {
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	}
	header := []string{"报名编号", "姓名", "身份证号", "单位", "班级", "集中学习成绩", "网络学习成绩"}
	var rows [][]string
	for _, e := range roster {
		if e.Stage != string(enrollment.StageReported) && e.Stage != string(enrollment.StageGraded) {
			continue
		}
		rows = append(rows, []string{e.ID.String(), e.TeacherName, e.IDNumber, e.Unit, e.ClassName, num(e.Offline), num(e.Online)})
	}
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", "attachment; filename=\"grades.csv\"; filename*=UTF-8''"+url.PathEscape("成绩导入模板.csv"))
		return tabular.WriteCSV(w, header, tabular.Rows(rows))
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename=\"grades.xlsx\"; filename*=UTF-8''"+url.PathEscape("成绩导入模板.xlsx"))
	return tabular.WriteXLSX(w, "成绩", header, tabular.Rows(rows))
}

// rowRequest is the request facts for one row's command: an If-Match of
// the upload names no enrollment's revision, so it must not reach the rows.
// The idempotency key stays: event ids include the stream, so rows differ.
func rowRequest(ctx context.Context) commands.Request {
	rq := commands.RequestFrom(ctx)
	rq.ExpectedRevision = nil
	return rq
}

// rowError turns a command error into the row's reasons: the domain's
// field reasons for invalid input, the user message otherwise.
func (a gradeImport) rowError(line int, err error) []tabular.RowError {
	var v *domain.ValidationError
	switch {
	case errors.As(err, &v):
		return tabular.RowErrors(line, err)
	case errors.Is(err, commands.ErrGradeFinal):
		return []tabular.RowError{{Row: line, Reason: "该学员已发布不同的成绩；成绩一经发布不能覆盖，如需更正请提交成绩更正并说明原因"}}
	case errors.Is(err, domain.ErrNotFound):
		return []tabular.RowError{{Row: line, Field: "id_number", Reason: "该教师未参加本项目"}}
	case errors.Is(err, access.ErrForbidden):
		return []tabular.RowError{{Row: line, Reason: "该学员不在本机构的班级中"}}
	}
	status, body := a.s.classify(err)
	if status >= 500 {
		a.s.log.Error("grade upload row failed", "row", line, "err", err)
	}
	return []tabular.RowError{{Row: line, Reason: body.Error.Message}}
}

// storeReport keeps the error report for the uploader to download, in the
// format of the uploaded file.
func (a gradeImport) storeReport(ctx context.Context, name string, t *tabular.Table, errs []tabular.RowError) (uuid.UUID, error) {
	header, rows := tabular.ErrorReport(t, errs)
	var buf bytes.Buffer
	ext := strings.ToLower(filepath.Ext(name))
	ctype := "text/csv; charset=utf-8"
	if ext == ".xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := tabular.WriteXLSX(&buf, "错误报告", header, tabular.Rows(rows)); err != nil {
			return uuid.Nil, err
		}
	} else {
		ext = ".csv"
		if err := tabular.WriteCSV(&buf, header, tabular.Rows(rows)); err != nil {
			return uuid.Nil, err
		}
	}
	id := uuid.New()
	p, _ := Principal(ctx)
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	if _, err := a.s.Pool.Exec(ctx, `INSERT INTO upload_reports (report_id, account_id, filename, content_type, body)
		VALUES ($1, $2, $3, $4, $5)`, id, p.AccountID, base+"-错误报告"+ext, ctype, buf.Bytes()); err != nil {
		return uuid.Nil, fmt.Errorf("store error report: %w", err)
	}
	return id, nil
}

// uploadReport downloads an error report; only its uploader may.
func (a *ProjectArea) uploadReport(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	p, _ := Principal(r.Context())
	var name, ctype string
	var body []byte
	err = a.s.Pool.QueryRow(r.Context(), `SELECT filename, content_type, body FROM upload_reports
		WHERE report_id = $1 AND account_id = $2`, id, p.AccountID).Scan(&name, &ctype, &body)
	if err != nil {
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "错误报告不存在"}
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", "attachment; filename=\"report"+filepath.Ext(name)+"\"; filename*=UTF-8''"+url.PathEscape(name))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// institutionServes refuses an institution that does not run the project
// (or, when classID is given, that class) before anything about the
// project's trainees is read or written: another institution gets the same
// answer as for a project that does not exist.
func institutionServes(ctx context.Context, q *projections.EnrollmentQueries, actor access.Actor, projectID, classID uuid.UUID) error {
	if actor.Role != access.RoleInstitution {
		return fmt.Errorf("%w: for the project's institutions", access.ErrForbidden)
	}
	p, err := q.Project(ctx, actor, projectID)
	if err != nil {
		return err
	}
	for _, c := range p.Classes {
		if c.InstitutionID == actor.InstitutionID && (classID == uuid.Nil || c.ID == classID) {
			return nil
		}
	}
	if classID == uuid.Nil {
		for _, in := range p.Institutions {
			if in.ID == actor.InstitutionID {
				return nil
			}
		}
	}
	return fmt.Errorf("project %s: %w", projectID, domain.ErrNotFound)
}
