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
)

// gradeSchema is the grade upload: who (ID number and name, both required
// so a mistyped ID number cannot grade someone else) and the two scores.
var gradeSchema = tabular.Schema{Fields: []tabular.Field{
	{Key: "id_number", Label: "身份证号", Aliases: []string{"身份证件号码", "证件号码", "身份证号码", "id_number"}, Required: true},
	{Key: "name", Label: "姓名", Aliases: []string{"教师姓名", "name"}, Required: true},
	{Key: "offline", Label: "集中学习成绩", Aliases: []string{"线下成绩", "集中学习", "offline_score", "offline"}},
	{Key: "online", Label: "网络学习成绩", Aliases: []string{"线上成绩", "网络学习", "online_score", "online"}},
}}

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

// uploadFile reads the file of a multipart form (field "file") or a raw
// body named by ?filename=.
func uploadFile(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
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
	if actor.Role != access.RoleInstitution {
		return fmt.Errorf("%w: grades are uploaded by the training institution", access.ErrForbidden)
	}
	name, data, err := uploadFile(w, r)
	if err != nil {
		return err
	}
	table, err := tabular.Read(bytes.NewReader(data), name, gradeSchema, tabular.Limits{MaxBytes: maxUpload})
	if err != nil {
		return err
	}
	out := GradeUploadResponse{Rows: len(table.Rows), Errors: append([]tabular.RowError{}, table.Errors...), UnknownColumns: table.Unknown}
	bad := map[int]bool{}
	for _, e := range table.Errors {
		bad[e.Row] = true
	}
	seen := map[string]int{}
	var last eventstore.Position
	for _, row := range table.Rows {
		if bad[row.Line] {
			continue
		}
		errs := a.gradeRow(r, actor, projectID, row, seen, &out, &last)
		if len(errs) > 0 {
			out.Errors = append(out.Errors, errs...)
			bad[row.Line] = true
		}
	}
	out.Failed = len(bad)
	if out.Failed > 0 {
		id, err := a.storeReport(r, name, table, out.Errors)
		if err != nil {
			return err
		}
		out.ErrorReport = "/api/v1/uploads/" + id.String() + "/report"
	}
	WritePosition(w, last)
	if !last.IsZero() {
		out.Position = last.String()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// gradeRow posts one row; it returns the row's errors.
func (a *ProjectArea) gradeRow(r *http.Request, actor access.Actor, projectID uuid.UUID, row tabular.Row, seen map[string]int, out *GradeUploadResponse, last *eventstore.Position) []tabular.RowError {
	ctx := r.Context()
	idNumber := strings.ToUpper(strings.TrimSpace(row.Get("id_number")))
	if first, dup := seen[idNumber]; dup {
		return []tabular.RowError{{Row: row.Line, Field: "id_number", Reason: fmt.Sprintf("与第%d行重复", first)}}
	}
	seen[idNumber] = row.Line
	offline, e1 := parseScore(row, "offline")
	online, e2 := parseScore(row, "online")
	var errs []tabular.RowError
	for _, e := range []*tabular.RowError{e1, e2} {
		if e != nil {
			errs = append(errs, *e)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	teacherID, err := a.Cmd.TeacherByIDNumber(ctx, idNumber)
	if err != nil {
		return []tabular.RowError{{Row: row.Line, Field: "id_number", Reason: "查无此身份证号的教师"}}
	}
	t, err := a.Cmd.LoadTeacher(ctx, teacherID)
	if err != nil {
		return a.rowError(row.Line, err)
	}
	if t.Profile().Name != strings.TrimSpace(row.Get("name")) {
		return []tabular.RowError{{Row: row.Line, Field: "name", Reason: "姓名与身份证号不符"}}
	}
	res, outcome, err := a.Cmd.PostGrade(commands.WithRequest(ctx, rowRequest(ctx)), actor, enrollment.ID(projectID, teacherID), offline, online)
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
func (a *ProjectArea) rowError(line int, err error) []tabular.RowError {
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
func (a *ProjectArea) storeReport(r *http.Request, name string, t *tabular.Table, errs []tabular.RowError) (uuid.UUID, error) {
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
	p, _ := Principal(r.Context())
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	if _, err := a.s.Pool.Exec(r.Context(), `INSERT INTO upload_reports (report_id, account_id, filename, content_type, body)
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
