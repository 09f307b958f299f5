package file_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hbte/record/domain/file"
)

func pdf() file.FileRef {
	return file.FileRef{SHA256: strings.Repeat("0f", 32), Name: "获奖证书.PDF", Size: 2 << 20, ContentType: "application/pdf"}
}

func TestValidateFile(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*file.FileRef)
		want   []string
	}{
		{"pdf", func(*file.FileRef) {}, nil},
		{"jpeg as .jpg", func(f *file.FileRef) { f.Name, f.ContentType = "a.jpg", "image/jpeg" }, nil},
		{"jpeg as .jpeg", func(f *file.FileRef) { f.Name, f.ContentType = "a.jpeg", "image/jpeg" }, nil},
		{"png", func(f *file.FileRef) { f.Name, f.ContentType = "a.png", "image/png" }, nil},
		{"docx", func(f *file.FileRef) {
			f.Name, f.ContentType = "论文.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		}, nil},
		{"exactly 10 MiB", func(f *file.FileRef) { f.Size = 10 << 20 }, nil},
		{"over 10 MiB", func(f *file.FileRef) { f.Size = 10<<20 + 1 }, []string{"file.size"}},
		{"empty", func(f *file.FileRef) { f.Size = 0 }, []string{"file.size"}},
		{"old .doc", func(f *file.FileRef) { f.Name, f.ContentType = "a.doc", "application/msword" }, []string{"file.content_type"}},
		{"extension disagrees with type", func(f *file.FileRef) { f.Name = "a.exe" }, []string{"file.name"}},
		{"path in the name", func(f *file.FileRef) { f.Name = "../../etc/a.pdf" }, []string{"file.name"}},
		{"no name", func(f *file.FileRef) { f.Name = " " }, []string{"file.name"}},
		{"uppercase digest", func(f *file.FileRef) { f.SHA256 = strings.ToUpper(f.SHA256) }, []string{"file.sha256"}},
		{"short digest", func(f *file.FileRef) { f.SHA256 = "abc" }, []string{"file.sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pdf()
			tt.mutate(&f)
			var got []string
			for _, e := range file.ValidateFile("file", f) {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v", got, tt.want)
			}
		})
	}
}
