package countypages

import (
	"net/http"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type appraisalsData struct {
	Uploads []projections.UploadBatch
	Limit   int
	Offset  int
	More    bool
	Kinds   []option
}

var appraisalKinds = []option{{string(appraisal.KindEthics), appraisal.KindEthics.Label()}, {string(appraisal.KindAnnual), appraisal.KindAnnual.Label()}}

const uploadsPageSize = 20

// appraisals is the upload form and the county's past uploads.
func (s *Section) appraisals(w http.ResponseWriter, r *http.Request) {
	s.renderAppraisals(w, r, http.StatusOK, nil)
}

func (s *Section) renderAppraisals(w http.ResponseWriter, r *http.Request, status int, err error) {
	limit, offset := paging(r, uploadsPageSize)
	list, lerr := s.Credits.Uploads(r.Context(), county(r), limit+1, offset)
	if lerr != nil {
		s.k.Fail(w, r, lerr)
		return
	}
	d := &appraisalsData{Limit: limit, Offset: offset, Kinds: appraisalKinds}
	if len(list) > limit {
		d.More, list = true, list[:limit]
	}
	d.Uploads = list
	page := web.Page{Title: "师德与考核", Data: d}
	if err != nil {
		s.views.Form(w, r, "appraisals", page, err)
		return
	}
	s.views.Render(w, r, status, "appraisals", page)
}

// uploadAppraisals applies an uploaded ethics or annual appraisal sheet
// (httpapi.UploadAppraisalFile, as POST /api/v1/appraisal-uploads) and
// shows the batch: applied rows, refused rows with the reasons, the error
// report to download.
func (s *Section) uploadAppraisals(w http.ResponseWriter, r *http.Request) {
	up, err := readUpload(w, r, "file")
	kind := appraisal.Kind(r.PostFormValue("kind"))
	if bad := fieldErrors(err); !kind.Valid() || len(bad) > 0 {
		if !kind.Valid() {
			bad = append([]domain.FieldError{{Field: "kind", Reason: "请选择上传类型"}}, bad...)
		}
		s.renderAppraisals(w, r, http.StatusUnprocessableEntity, web.ValidationErrors(bad...))
		return
	}
	out, err := httpapi.UploadAppraisalFile(r.Context(), s.Cmd, s.Files, web.Actor(r), kind, up.Name, up.ContentType, up.Data)
	if err != nil {
		if _, _, fields, ok := web.Refused(err); ok && len(fields) == 0 {
			// A problem of the file as a whole (format, header): show it
			// next to the file input.
			_, msg, _, _ := web.Refused(err)
			err = web.ValidationErrors(domain.FieldError{Field: "file", Reason: msg})
		}
		s.renderAppraisals(w, r, http.StatusUnprocessableEntity, err)
		return
	}
	msg := "已上传：" + itoa(out.Batch.Accepted) + "行已导入，" + itoa(out.Batch.Rejected) + "行有错误。"
	if out.Repeated {
		msg = "这个文件之前已经上传过，未重复导入；以下是当时的处理结果。"
	}
	s.k.Done(w, r, out.Position, "/county/appraisals/"+out.Batch.BatchID.String(), msg)
}

type batchData struct {
	B           projections.UploadBatch
	Errors      []rowError
	ErrorReport string
}

// rowError is a refused row's reason with the column as the sheet names it.
type rowError struct {
	Row        int
	Field      string
	FieldLabel string
	Reason     string
}

// sheetLabels are the columns of the appraisal and credit-import sheets.
var sheetLabels = map[string]string{
	"year": "年度", "name": "姓名", "id_number": "身份证件号码", "gender": "性别", "unit": "单位", "result": "结果",
	"serious_breach": "严重违反师德", "honors": "荣誉", "completed_on": "完成日期", "level": "级别", "category": "类别",
	"hours": "学时", "credits": "学分", "title": "培训名称", "external_id": "原系统记录编号",
}

func rowErrors(errs []domain.FieldError) []rowError {
	out := make([]rowError, 0, len(errs))
	for _, e := range errs {
		l := sheetLabels[e.Field]
		if l == "" {
			l = e.Field
		}
		out = append(out, rowError{Row: e.Row, Field: e.Field, FieldLabel: l, Reason: e.Reason})
	}
	return out
}

// appraisalBatch shows one upload of the county; another county's is
// answered like a missing one.
func (s *Section) appraisalBatch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	b, err := s.Credits.Upload(r.Context(), id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if b.County != county(r) {
		s.k.Fail(w, r, domain.ErrNotFound)
		return
	}
	d := &batchData{B: b, Errors: rowErrors(b.Errors)}
	if b.Rejected > 0 {
		d.ErrorReport = httpapi.AppraisalErrorReportPath(b.BatchID)
	}
	s.views.Render(w, r, http.StatusOK, "appraisal", web.Page{Title: b.KindLabel + "上传结果", Data: d})
}
