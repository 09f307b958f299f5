package teacherpages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/domain/growth"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// option is a choice of a select.
type option = ident.Entry

var levelOptions = func() []option {
	var out []option
	for _, l := range []credit.Level{credit.LevelNational, credit.LevelProvincial, credit.LevelCity, credit.LevelCounty, credit.LevelSchool, credit.LevelOther} {
		out = append(out, option{Code: string(l), Label: l.Label()})
	}
	return out
}()

var categoryOptions = func() []option {
	var out []option
	for _, c := range []growth.Category{growth.CategoryPaper, growth.CategoryBook, growth.CategoryResearch, growth.CategoryLesson, growth.CategoryAward, growth.CategoryOther} {
		out = append(out, option{Code: string(c), Label: c.Label()})
	}
	return out
}()

type growthData struct {
	Honors       []growth.Honor
	Achievements []growth.Achievement
	Appraisals   []projections.AppraisalYear
	Levels       []option
	Categories   []option
	// Form is which add form a refused submission belongs to.
	Form string
	// The page shows only the edit form of one honor or achievement.
	EditHonor       *growth.Honor
	EditAchievement *growth.Achievement
	EditFile        string
}

// growth is the growth track (honors, teaching achievements, entered by
// the teacher) and the ethics and annual appraisals the county uploads.
func (s *Section) growth(w http.ResponseWriter, r *http.Request) {
	d, err := s.growthData(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "growth", web.Page{Title: "成长轨迹与师德", Data: d})
}

func (s *Section) growthData(r *http.Request) (growthData, error) {
	t, err := s.Cmd.LoadGrowth(r.Context(), me(r))
	if err != nil {
		return growthData{}, err
	}
	ap, err := s.Credits.Appraisals(r.Context(), projections.AppraisalFilter{TeacherID: me(r)})
	if err != nil {
		return growthData{}, err
	}
	return growthData{Honors: t.Honors(), Achievements: t.Achievements(), Appraisals: ap,
		Levels: levelOptions, Categories: categoryOptions}, nil
}

// formYear reads a year input; a non-number is the domain's "wrong year".
func formYear(r *http.Request, v *domain.ValidationError) int {
	raw := strings.TrimSpace(r.PostFormValue("year"))
	y, err := strconv.Atoi(raw)
	if err != nil {
		v.Add("year", "年度应为四位年份，如 2021")
	}
	return y
}

func honorOf(r *http.Request, id uuid.UUID) (growth.Honor, error) {
	v := &domain.ValidationError{}
	h := growth.Honor{ID: id, Year: formYear(r, v), Level: credit.Level(r.PostFormValue("level")), Title: r.PostFormValue("title")}
	return h, v.Err()
}

// growthRefused shows the growth page again with the refused add form
// filled in.
func (s *Section) growthRefused(w http.ResponseWriter, r *http.Request, form string, err error) {
	d, lerr := s.growthData(r)
	if lerr != nil {
		s.k.Fail(w, r, lerr)
		return
	}
	d.Form = form
	s.views.Form(w, r, "growth", web.Page{Title: "成长轨迹与师德", Data: d}, err)
}

func (s *Section) addHonor(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	h, err := honorOf(r, uuid.Nil)
	if err == nil {
		var res commands.Result
		res, _, err = s.Cmd.AddHonor(r.Context(), web.Actor(r), me(r), h)
		if err == nil {
			s.k.Done(w, r, res.Position, "/me/growth", "荣誉已添加。")
			return
		}
	}
	s.growthRefused(w, r, "honor", err)
}

func (s *Section) honor(r *http.Request) (growth.Honor, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return growth.Honor{}, err
	}
	t, err := s.Cmd.LoadGrowth(r.Context(), me(r))
	if err != nil {
		return growth.Honor{}, err
	}
	for _, h := range t.Honors() {
		if h.ID == id {
			return h, nil
		}
	}
	return growth.Honor{}, domain.ErrNotFound
}

func (s *Section) honorPage(w http.ResponseWriter, r *http.Request) {
	h, err := s.honor(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	form := url.Values{"year": {strconv.Itoa(h.Year)}, "level": {string(h.Level)}, "title": {h.Title}}
	s.views.Render(w, r, http.StatusOK, "growth", web.Page{Title: "修改荣誉", Form: form, Data: growthData{EditHonor: &h, Levels: levelOptions}})
}

func (s *Section) editHonor(w http.ResponseWriter, r *http.Request) {
	old, err := s.honor(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	h, err := honorOf(r, old.ID)
	if err == nil {
		var res commands.Result
		res, err = s.Cmd.EditHonor(r.Context(), web.Actor(r), me(r), h)
		if err == nil {
			s.k.Done(w, r, res.Position, "/me/growth", "荣誉已修改。")
			return
		}
	}
	s.views.Form(w, r, "growth", web.Page{Title: "修改荣誉", Data: growthData{EditHonor: &old, Levels: levelOptions}}, err)
}

func (s *Section) removeHonor(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.Cmd.RemoveHonor(r.Context(), web.Actor(r), me(r), id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me/growth", "荣誉已删除。")
}

// achievementOf reads the achievement form; a chosen file is stored first
// and replaces the old one, else the old one (keep) stays.
func (s *Section) achievementOf(w http.ResponseWriter, r *http.Request, id uuid.UUID, keep *file.FileRef) (growth.Achievement, error) {
	up, err := parseUpload(w, r, "file")
	if err != nil {
		return growth.Achievement{}, err
	}
	v := &domain.ValidationError{}
	a := growth.Achievement{ID: id, Year: formYear(r, v), Category: growth.Category(r.PostFormValue("category")),
		Level: credit.Level(r.PostFormValue("level")), Grade: r.PostFormValue("grade"), Title: r.PostFormValue("title"),
		Author: r.PostFormValue("author"), Unit: r.PostFormValue("unit"), BookNumber: r.PostFormValue("book_number"), File: keep}
	if err := v.Err(); err != nil {
		return a, err
	}
	if up != nil {
		ref, err := s.store(r, "file", up)
		if err != nil {
			return a, err
		}
		a.File = &ref
	}
	return a, nil
}

func (s *Section) addAchievement(w http.ResponseWriter, r *http.Request) {
	a, err := s.achievementOf(w, r, uuid.Nil, nil)
	if err == nil {
		var res commands.Result
		res, _, err = s.Cmd.AddAchievement(r.Context(), web.Actor(r), me(r), a)
		if err == nil {
			s.k.Done(w, r, res.Position, "/me/growth", "教学成果已添加。")
			return
		}
	}
	s.growthRefused(w, r, "achievement", fileErrors(err))
}

// fileErrors moves the domain's reasons on the parts of a file reference
// ("file.size") onto the form's file input.
func fileErrors(err error) error {
	return renameField(err, "file", "file.sha256", "file.name", "file.size", "file.content_type")
}

func achievementEdit(a growth.Achievement) growthData {
	d := growthData{EditAchievement: &a, Levels: levelOptions, Categories: categoryOptions}
	if a.File != nil {
		d.EditFile = a.File.Name
	}
	return d
}

func (s *Section) achievement(r *http.Request) (growth.Achievement, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return growth.Achievement{}, err
	}
	t, err := s.Cmd.LoadGrowth(r.Context(), me(r))
	if err != nil {
		return growth.Achievement{}, err
	}
	for _, a := range t.Achievements() {
		if a.ID == id {
			return a, nil
		}
	}
	return growth.Achievement{}, domain.ErrNotFound
}

func (s *Section) achievementPage(w http.ResponseWriter, r *http.Request) {
	a, err := s.achievement(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	form := url.Values{"year": {strconv.Itoa(a.Year)}, "category": {string(a.Category)}, "level": {string(a.Level)},
		"grade": {a.Grade}, "title": {a.Title}, "author": {a.Author}, "unit": {a.Unit}, "book_number": {a.BookNumber}}
	s.views.Render(w, r, http.StatusOK, "growth", web.Page{Title: "修改教学成果", Form: form, Data: achievementEdit(a)})
}

func (s *Section) editAchievement(w http.ResponseWriter, r *http.Request) {
	old, err := s.achievement(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	a, err := s.achievementOf(w, r, old.ID, old.File)
	if err == nil {
		var res commands.Result
		res, err = s.Cmd.EditAchievement(r.Context(), web.Actor(r), me(r), a)
		if err == nil {
			s.k.Done(w, r, res.Position, "/me/growth", "教学成果已修改。")
			return
		}
	}
	s.views.Form(w, r, "growth", web.Page{Title: "修改教学成果", Data: achievementEdit(old)}, fileErrors(err))
}

func (s *Section) removeAchievement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.Cmd.RemoveAchievement(r.Context(), web.Actor(r), me(r), id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me/growth", "教学成果已删除。")
}
