// Package teacherpages is the teacher's personal space (教师个人空间): basic
// information, the three training lists, credits since 2018, certificate
// re-registration, the growth track, studios, the credit bank and the full
// history of the record. Every page shows the logged-in teacher's own
// record only: the teacher is web.Principal(r).TeacherID, never a value
// from the URL.
package teacherpages

import (
	"embed"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/web"
)

//go:embed views
var views embed.FS

// Section is the teacher's pages.
type Section struct {
	web.Deps
	k     *web.Kit
	views *web.Views
}

// New builds the section on the shared command handlers and queries.
func New(d web.Deps) *Section { return &Section{Deps: d} }

// Nav is the personal space's menu. It is static: it runs on every page of
// a million users and must not query anything.
func (s *Section) Nav(p commands.Principal) []web.NavItem {
	if p.Role != access.RoleTeacher {
		return nil
	}
	return []web.NavItem{
		{Label: "基本信息", Href: "/me"},
		{Label: "继续教育", Href: "/me/trainings"},
		{Label: "学分", Href: "/me/credits"},
		{Label: "资格注册", Href: "/me/registration"},
		{Label: "成长轨迹与师德", Href: "/me/growth"},
		{Label: "名师工作室", Href: "/me/studios"},
		{Label: "学分银行", Href: "/me/credit-bank"},
		{Label: "档案记录", Href: "/me/history"},
	}
}

// Routes mounts the pages; the kit parses the views once, at start. The
// paths are stable: benchmarks call /me/trainings and /me/credits.
func (s *Section) Routes(k *web.Kit, r chi.Router) {
	s.k, s.views = k, k.ParseViews(views)
	r.Group(func(r chi.Router) {
		r.Use(k.Only(func(p commands.Principal) bool { return p.Role == access.RoleTeacher && p.TeacherID != uuid.Nil }))
		r.Get("/me", s.basic)
		r.Get("/me/edit", s.editPage)
		r.Post("/me/edit", s.edit)
		r.Get("/me/corrections/new", s.correctionPage)
		r.Post("/me/corrections", s.requestCorrection)
		r.Post("/me/corrections/{cid}/withdraw", s.withdrawCorrection)
		r.Get("/me/contact", s.contactPage)
		r.Post("/me/contact/code", s.contactCode)
		r.Post("/me/contact", s.confirmContact)
		r.Get("/me/photo", s.photoPage)
		r.Post("/me/photo", s.uploadPhoto)

		r.Get("/me/trainings", s.trainings)
		r.Get("/me/credits", s.credits)
		r.Get("/me/registration", s.registration)

		r.Get("/me/growth", s.growth)
		r.Post("/me/growth/honors", s.addHonor)
		r.Get("/me/growth/honors/{id}/edit", s.honorPage)
		r.Post("/me/growth/honors/{id}", s.editHonor)
		r.Post("/me/growth/honors/{id}/remove", s.removeHonor)
		r.Post("/me/growth/achievements", s.addAchievement)
		r.Get("/me/growth/achievements/{id}/edit", s.achievementPage)
		r.Post("/me/growth/achievements/{id}", s.editAchievement)
		r.Post("/me/growth/achievements/{id}/remove", s.removeAchievement)

		r.Get("/me/studios", s.studios)
		r.Post("/me/studios/{id}/{action:join|leave|follow|unfollow}", s.studioMembership)

		r.Get("/me/credit-bank", s.creditBank)
		r.Post("/me/credit-bank", s.submitBank)
		r.Post("/me/credit-bank/{id}/withdraw", s.withdrawBank)

		r.Get("/me/history", s.history)
	})
}

// me is the logged-in teacher's record.
func me(r *http.Request) uuid.UUID { return web.Principal(r).TeacherID }

// pathID reads a UUID path parameter; a malformed one is a missing thing.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, domain.ErrNotFound
	}
	return id, nil
}

// maxUpload bounds a form with one attachment (file.MaxFileSize and the
// form's text fields).
const maxUpload = file.MaxFileSize + 256<<10

// upload is a file a form carried.
type upload struct {
	Name, ContentType string
	Data              []byte
}

// parseUpload parses a multipart form and returns its file part field, nil
// when none was chosen. A body too large is a field error on field.
func parseUpload(w http.ResponseWriter, r *http.Request, field string) (*upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, web.ValidationErrors(domain.FieldError{Field: field, Reason: "文件不能超过10MB"})
		}
		if errors.Is(err, http.ErrNotMultipart) {
			_ = r.ParseForm()
			return nil, nil
		}
		return nil, web.ValidationErrors(domain.FieldError{Field: field, Reason: "无法读取上传的文件，请重新选择"})
	}
	f, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, web.ValidationErrors(domain.FieldError{Field: field, Reason: "无法读取上传的文件，请重新选择"})
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, web.ValidationErrors(domain.FieldError{Field: field, Reason: "无法读取上传的文件，请重新选择"})
	}
	if len(data) == 0 && hdr.Filename == "" {
		return nil, nil
	}
	ct := hdr.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	return &upload{Name: filepath.Base(hdr.Filename), ContentType: ct, Data: data}, nil
}

// store puts an uploaded attachment in the file store; its field errors
// ("file.size", "file.name"...) are reported on the form's field.
func (s *Section) store(r *http.Request, field string, u *upload) (file.FileRef, error) {
	ref, err := s.Files.Put(r.Context(), web.Actor(r), commands.FileAttachment, u.Name, u.ContentType, u.Data)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		out := &domain.ValidationError{}
		for _, f := range ve.Fields {
			out.Add(field, f.Reason)
		}
		return ref, out
	}
	return ref, err
}
