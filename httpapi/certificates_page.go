package httpapi

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
)

// verificationView is what the verification page shows.
type verificationView struct {
	Number, Code string
	Asked        bool   // number and code were given
	Problem      string // why nothing could be confirmed
	Result       *CertificateVerification
}

var verificationTmpl = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>培训结业证书查验</title></head>
<body>
<main>
<h1>培训结业证书查验</h1>
{{with .Result}}{{if .Valid}}<p id="result"><strong>证书有效</strong></p>{{else}}<p id="result"><strong>该证书已于 {{.RevokedOn}} 撤销，原因：{{.RevokedReason}}</strong></p>{{end}}
<dl>
<dt>证书编号</dt><dd>{{.Number}}</dd>
<dt>姓名</dt><dd>{{.TeacherName}}</dd>
<dt>身份证件号</dt><dd>{{.IDNumber}}</dd>
<dt>培训项目</dt><dd>{{.ProjectName}}</dd>
<dt>承培机构</dt><dd>{{.Institution}}</dd>
<dt>培训时间</dt><dd>{{.Start}} 至 {{.End}}</dd>
<dt>学时 / 学分</dt><dd>{{.Hours}} 学时 / {{.Credits}} 学分</dd>
<dt>发证日期</dt><dd>{{.IssuedOn}}</dd>
</dl>{{end}}
{{if .Problem}}<p id="problem" role="alert">{{.Problem}}</p>{{end}}
<form method="get" action="">
<p><label for="number">证书编号</label> <input id="number" name="number" value="{{.Number}}" autocomplete="off"></p>
<p><label for="code">验证码</label> <input id="code" name="code" value="{{.Code}}" autocomplete="off"></p>
<p><button type="submit">查验</button></p>
</form>
<p>证书编号与验证码印在证书左下角；扫描证书上的二维码可直接查验。</p>
</main>
</body></html>
`))

// verificationPage is the human-readable verification: the same check as
// the JSON answer (verify), rendered as a page with the form filled in.
// A refusal is shown on the page with the status the JSON would have.
func (a *ProjectArea) verificationPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	view := verificationView{Number: strings.TrimSpace(q.Get("number")), Code: strings.TrimSpace(q.Get("code"))}
	status := http.StatusOK
	if view.Number != "" && view.Code != "" {
		view.Asked = true
		v, err := a.verify(r)
		if err != nil {
			st, body := Classify(err)
			if st >= 500 {
				return err
			}
			status, view.Problem = st, body.Error.Message
		} else {
			view.Result = &v
		}
	} else if view.Number != "" {
		view.Problem = "请输入证书上的验证码"
	}
	var buf bytes.Buffer
	if err := verificationTmpl.Execute(&buf, view); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
