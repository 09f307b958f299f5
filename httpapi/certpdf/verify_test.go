package certpdf

import (
	"bytes"
	"strings"
	"testing"
)

// The sentence names the training once: "参加“…培训”", not "参加“…培训”培训".
func TestCertificateDoesNotDoubleTraining(t *testing.T) {
	if got := TrainingPhrase("2026年省培计划初中骨干教师培训"); got != "“2026年省培计划初中骨干教师培训”" {
		t.Errorf("name ending in 培训: %s", got)
	}
	if got := TrainingPhrase("2026年暑期教研活动"); got != "“2026年暑期教研活动”培训" {
		t.Errorf("other name: %s", got)
	}
	r := mustRenderer(t)
	var buf bytes.Buffer
	if err := r.Certificate(&buf, cert()); err != nil {
		t.Fatal(err)
	}
	if got := text(t, buf.Bytes()); strings.Contains(got, "培训”培训") {
		t.Errorf("the certificate doubles 培训: %s", got)
	}
}

// With a QR URL the certificate carries an image (the QR code), and it
// still renders byte-identically.
func TestCertificateQRCode(t *testing.T) {
	r := mustRenderer(t)
	c := cert()
	var plain, a, b bytes.Buffer
	if err := r.Certificate(&plain, c); err != nil {
		t.Fatal(err)
	}
	c.QRURL = "https://jxjy.example.gov.cn/api/v1/public/certificates/verify?number=HB20261000000426&code=7KQ2M9XD"
	if err := r.Certificate(&a, c); err != nil {
		t.Fatal(err)
	}
	if err := r.Certificate(&b, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(a.Bytes(), []byte("/Subtype /Image")) || bytes.Contains(plain.Bytes(), []byte("/Subtype /Image")) {
		t.Error("the QR code image is missing (or drawn without a URL)")
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings with a QR code differ")
	}
}
