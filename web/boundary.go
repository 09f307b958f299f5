package web

import (
	"net/http"
	"strings"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/text"
	"github.com/hbte/record/httpapi"
)

// MaxUpload bounds a form post with files.
const MaxUpload = 32 << 20

// checkText is the boundary check of every page request: the query string,
// and every field and file name of a posted form, must be valid UTF-8
// without control characters (domain/text); form values are normalised in
// place (NFC, CR LF as LF) before any handler reads them.
func (k *Kit) checkText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := httpapi.QueryProblem(r); err != nil {
			k.refuseText(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			var err error
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
				err = r.ParseMultipartForm(8 << 20)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				k.Fail(w, r, ValidationErrors(domain.FieldError{Field: "form", Reason: "表单无法读取（可能超过大小上限 32MB）"}))
				return
			}
			var f text.Fields
			for name, vs := range r.PostForm {
				for i, v := range vs {
					vs[i] = f.Clean(name, v)
				}
			}
			if r.MultipartForm != nil {
				for name, vs := range r.MultipartForm.Value {
					for i, v := range vs {
						vs[i] = f.Clean(name, v)
					}
				}
				for name, files := range r.MultipartForm.File {
					for _, fh := range files {
						fh.Filename = f.Clean(name, fh.Filename)
					}
				}
			}
			// r.Form merges the query and the body: clean it too.
			for name, vs := range r.Form {
				for i, v := range vs {
					vs[i] = f.Clean(name, v)
				}
			}
			if err := f.Err(); err != nil {
				k.refuseText(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (k *Kit) refuseText(w http.ResponseWriter, r *http.Request, err error) {
	_, msg, fields, _ := Refused(err)
	for f, reason := range fields {
		msg += "（" + f + "：" + reason + "）"
	}
	k.renderError(w, r, http.StatusBadRequest, "提交的内容有误", msg+" 请删去其中的不可见字符后重新填写。")
}
