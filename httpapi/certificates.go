package httpapi

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/httpapi/certpdf"
	"github.com/hbte/record/httpapi/sso"
)

// DefaultIssuingBody is printed on certificates unless configured.
const DefaultIssuingBody = "河北省中小学教师继续教育中心"

var errNoPDF = &requestError{status: http.StatusServiceUnavailable, code: "pdf_unavailable", message: "证书字体未安装，暂时无法生成PDF"}

func writePDF(w http.ResponseWriter, name string, buf *bytes.Buffer) error {
	w.Header().Set("Content-Type", "application/pdf")
	// RFC 5987: the Chinese file name survives in every browser.
	w.Header().Set("Content-Disposition", "inline; filename=\"document.pdf\"; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err := buf.WriteTo(w)
	return err
}

// noticePDF is the printable class notice: the teacher (to ask the school
// for leave), the institution and admins who may see the enrollment.
func (a *ProjectArea) noticePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	e, err := a.Cmd.ViewEnrollment(r.Context(), ActorOf(r), id)
	if err != nil {
		return err
	}
	n, ok := e.Notice()
	if !ok {
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "尚未发布开班通知"}
	}
	if a.PDF == nil {
		return errNoPDF
	}
	p, err := a.Cmd.LoadProject(r.Context(), e.ProjectID())
	if err != nil {
		return err
	}
	t, err := a.Cmd.LoadTeacher(r.Context(), e.TeacherID())
	if err != nil {
		return err
	}
	d, asg := p.Details(), e.Assignment()
	var buf bytes.Buffer
	if err := a.PDF.ClassNotice(&buf, certpdf.ClassNotice{TeacherName: t.Profile().Name, Unit: t.UnitName(), ProjectName: d.Name,
		Institution: asg.InstitutionName, ClassName: asg.ClassName, Start: d.Start, End: d.End, Hours: d.Hours,
		ReportDate: n.ReportDate.In(ident.ChinaTime), ReportPlace: n.ReportPlace, Contact: n.Contact, Notes: n.Notes, IssuedOn: noticeDate(e).In(ident.ChinaTime)}); err != nil {
		return err
	}
	return writePDF(w, "开班通知-"+d.Name+".pdf", &buf)
}

// noticeDate is when the current notice was published, so a reprint is
// byte-identical.
func noticeDate(e *enrollment.Enrollment) time.Time {
	steps := e.Steps()
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Type == (&enrollment.ClassNoticePublished{}).EventType() {
			return steps[i].At
		}
	}
	return time.Time{}
}

// certificatePDF prints the completion certificate.
func (a *ProjectArea) certificatePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	e, err := a.Cmd.ViewEnrollment(r.Context(), ActorOf(r), id)
	if err != nil {
		return err
	}
	c, ok := e.Certificate()
	if !ok {
		return &requestError{status: http.StatusNotFound, code: "not_found", message: "没有有效的结业证书"}
	}
	if a.PDF == nil {
		return errNoPDF
	}
	p, err := a.Cmd.LoadProject(r.Context(), e.ProjectID())
	if err != nil {
		return err
	}
	t, err := a.Cmd.LoadTeacher(r.Context(), e.TeacherID())
	if err != nil {
		return err
	}
	d := p.Details()
	g, _ := e.Credits()
	body := a.IssuingBody
	if body == "" {
		body = DefaultIssuingBody
	}
	verify := strings.TrimRight(a.PublicURL, "/") + "/api/v1/public/certificates/verify?number=" + url.QueryEscape(c.Number)
	qr := verify + "&code=" + url.QueryEscape(c.VerificationCode)
	var buf bytes.Buffer
	if err := a.PDF.Certificate(&buf, certpdf.Certificate{TeacherName: t.Profile().Name, IDNumber: t.Profile().IDNumber, ProjectName: d.Name,
		Institution: e.Assignment().InstitutionName, Start: d.Start, End: d.End, Hours: g.Hours, Credits: g.Credits,
		Number: c.Number, VerificationCode: c.VerificationCode, VerificationURL: verify, QRURL: qr, IssuingBody: body, IssuedOn: c.IssuedAt.In(ident.ChinaTime)}); err != nil {
		return err
	}
	return writePDF(w, "结业证书-"+c.Number+".pdf", &buf)
}

// CertificateVerification is what the public page shows: enough to
// confirm the paper, with personal data masked.
type CertificateVerification struct {
	Valid       bool    `json:"valid"`
	Number      string  `json:"number"`
	TeacherName string  `json:"teacher_name"` // masked
	IDNumber    string  `json:"id_number"`    // masked
	ProjectName string  `json:"project_name"`
	Institution string  `json:"institution"`
	Start       string  `json:"start"`
	End         string  `json:"end"`
	Hours       int     `json:"hours"`
	Credits     float64 `json:"credits"`
	IssuedOn    string  `json:"issued_on"`
	// A revoked certificate verified with its right code: valid is false.
	RevokedOn     string `json:"revoked_on,omitempty"`
	RevokedReason string `json:"revoked_reason,omitempty"`
}

var errNoCertificate = &requestError{status: http.StatusNotFound, code: "certificate_not_found", message: "证书编号或验证码不正确，或证书已撤销"}

// verifyCertificate confirms a certificate by number and code. A wrong
// number, a wrong code and a revoked certificate get the same answer, so
// the endpoint tells a guesser nothing.
//
// A browser (Accept: text/html, as when the certificate's QR code is
// scanned) gets a page instead of JSON: the form with what is known filled
// in, or the answer (verificationPage). A revoked certificate verified
// with its right number and code says when and why it was revoked; with a
// wrong code it is the same answer as any wrong code.
func (a *ProjectArea) verifyCertificate(w http.ResponseWriter, r *http.Request) error {
	if wantsHTML(r) {
		return a.verificationPage(w, r)
	}
	v, err := a.verify(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *ProjectArea) verify(r *http.Request) (CertificateVerification, error) {
	q := r.URL.Query()
	number := strings.ToUpper(strings.TrimSpace(q.Get("number")))
	code := enrollment.NormalizeVerificationCode(q.Get("code"))
	if number == "" || code == "" {
		return CertificateVerification{}, &requestError{status: http.StatusBadRequest, code: "missing_parameters", message: "请输入证书编号和验证码",
			details: []domain.FieldError{{Field: "number", Reason: "必填"}, {Field: "code", Reason: "必填"}}}
	}
	if !enrollment.ValidCertificateNumber(number) {
		return CertificateVerification{}, &requestError{status: http.StatusUnprocessableEntity, code: "validation_failed", message: "证书编号格式错误",
			details: []domain.FieldError{{Field: "number", Reason: "证书编号格式错误或校验位不符"}}}
	}
	none := CertificateVerification{}
	var revoked *enrollment.RevokedCertificate
	holder, err := a.Q.CertificateByNumber(r.Context(), number)
	if errors.Is(err, domain.ErrNotFound) {
		// Perhaps a revoked one.
		eid, rerr := a.Q.RevokedCertificateByNumber(r.Context(), number)
		if errors.Is(rerr, domain.ErrNotFound) {
			return none, errNoCertificate
		}
		if rerr != nil {
			return none, rerr
		}
		holder.EnrollmentID, err = eid, nil
	}
	if err != nil {
		return none, err
	}
	// Confirm against the event stream, not only the read model: the
	// answer is an authority's statement.
	e, err := a.Cmd.LoadEnrollment(r.Context(), holder.EnrollmentID)
	if err != nil {
		return none, err
	}
	c, ok := e.Certificate()
	if !ok || c.Number != number {
		rc, found := e.Revoked(number)
		if !found {
			return none, errNoCertificate
		}
		c, revoked = rc.Certificate, &rc
	}
	if subtle.ConstantTimeCompare([]byte(c.VerificationCode), []byte(code)) != 1 {
		return none, errNoCertificate
	}
	p, err := a.Cmd.LoadProject(r.Context(), e.ProjectID())
	if err != nil {
		return none, err
	}
	t, err := a.Cmd.LoadTeacher(r.Context(), e.TeacherID())
	if err != nil {
		return none, err
	}
	d := p.Details()
	v := CertificateVerification{Valid: true, Number: c.Number, TeacherName: sso.MaskName(t.Profile().Name),
		IDNumber: ident.MaskID(t.Profile().IDNumber), ProjectName: d.Name, Institution: e.Assignment().InstitutionName,
		Start: d.Start.Format(time.DateOnly), End: d.End.Format(time.DateOnly), Hours: d.Hours, Credits: d.Credits,
		IssuedOn: c.IssuedAt.In(ident.ChinaTime).Format(time.DateOnly)}
	if g, ok := e.Credits(); ok {
		v.Hours, v.Credits = g.Hours, g.Credits
	}
	if revoked != nil {
		v.Valid, v.RevokedOn, v.RevokedReason = false, revoked.RevokedAt.In(ident.ChinaTime).Format(time.DateOnly), revoked.Reason
	}
	return v, nil
}
