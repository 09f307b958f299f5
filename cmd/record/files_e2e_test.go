package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"testing"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Uploaded files are what their bytes are, not what their names say; a
// record points only at files its actor uploaded, and a photo only at an
// image.
func TestUploadedFilesAreJudgedByTheirBytesAndOwner(t *testing.T) {
	a := demoApp(t)
	wangID, zhangID := demoID("13010219800515011"), demoID("13010419920107035")
	wang := a.login(wangID, wangID[12:], "Jianguo#2026")
	zhang := a.login(zhangID, zhangID[12:], "Zhangwei#2026")
	upload := func(c *client, name, ctype string, data []byte) resp {
		body, ct := cwMultipart(t, name, ctype, data)
		return c.do("POST", "/api/v1/files", body, "Content-Type", ct)
	}
	for _, tc := range []struct {
		name, ctype string
		data        []byte
	}{
		{"证明.pdf", "application/pdf", []byte("MZ\x90\x00\x03\x00\x00\x00 an executable")},
		{"证明.pdf", "application/pdf", []byte("<!doctype html><script>alert(1)</script>")},
		{"照片.png", "image/png", []byte("just some text")},
		{"照片.png", "application/pdf", tinyPNG(t)}, // the declared type lies
		{"照片.pdf", "image/png", tinyPNG(t)},       // the name lies
	} {
		if r := upload(wang, tc.name, tc.ctype, tc.data); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s (%s, %.10q): %d %s", tc.name, tc.ctype, tc.data, r.Status, r.Body)
		}
	}
	var mine, theirs, pdf struct {
		SHA256      string `json:"sha256"`
		ContentType string `json:"content_type"`
	}
	upload(wang, "头像.png", "application/octet-stream", tinyPNG(t)).json(t, &mine)
	if mine.ContentType != "image/png" {
		t.Fatalf("the stored type is not the sniffed one: %+v", mine)
	}
	other := append(tinyPNG(t), 0) // another file: a trailing byte
	upload(zhang, "头像.png", "image/png", other).json(t, &theirs)
	upload(wang, "证书.pdf", "application/pdf", []byte("%PDF-1.4\n%一份证书\n")).json(t, &pdf)

	tid, err := a.svc.Handlers.TeacherByIDNumber(context.Background(), wangID)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(sha string) int {
		r := wang.must(200, "GET", "/api/v1/teachers/"+tid.String(), nil)
		return wang.do("PATCH", "/api/v1/teachers/"+tid.String(), map[string]any{"changes": map[string]string{"avatar": sha}},
			"If-Match", r.Header.Get("ETag")).Status
	}
	for what, sha := range map[string]string{"a hash never uploaded": "ab" + mine.SHA256[2:], "another teacher's image": theirs.SHA256, "a PDF": pdf.SHA256} {
		if s := edit(sha); s != http.StatusUnprocessableEntity {
			t.Errorf("avatar set to %s: %d", what, s)
		}
	}
	if s := edit(mine.SHA256); s != http.StatusOK {
		t.Fatalf("avatar set to one's own image: %d", s)
	}
	// Credit-bank evidence must be the requester's own file.
	if r := wang.do("POST", "/api/v1/credit-bank", map[string]any{"kind": "school_based", "title": "校本研修", "organiser": "本校",
		"level": "60", "start_on": "2025-03-01", "end_on": "2025-04-01", "claimed_hours": 10,
		"evidence": []map[string]any{{"sha256": theirs.SHA256, "name": "头像.png", "size": len(other), "content_type": "image/png"}}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("evidence uploaded by another teacher: %d %s", r.Status, r.Body)
	}
}
