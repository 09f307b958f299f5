package growth

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/file"
)

// StreamName is the growth stream of a teacher.
func StreamName(teacherID uuid.UUID) string { return "growth-" + teacherID.String() }

// FirstYear is the earliest year accepted: a teacher's career may start
// well before the platform.
const FirstYear = 1950

// Honor is an honor a teacher received (荣誉): year, level, title.
type Honor struct {
	ID    uuid.UUID    `json:"id"`
	Year  int          `json:"year"`
	Level credit.Level `json:"level"`
	Title string       `json:"title"`
}

// Achievement is a teaching achievement (教学成果).
//
// The platform's form lists 级别 twice. We read the first as the level of
// the body that recognised the work (Level: national ... school) and the
// second as the grade of the award within that level (Grade: 一等奖, 二等奖,
// 优秀奖, ...), which is how such forms pair them; Grade is free text
// because each competition names its grades its own way.
type Achievement struct {
	ID       uuid.UUID    `json:"id"`
	Year     int          `json:"year"`
	Category Category     `json:"category"`
	Level    credit.Level `json:"level"`
	Grade    string       `json:"grade,omitempty"`
	Title    string       `json:"title"`
	Author   string       `json:"author"`
	Unit     string       `json:"unit,omitempty"`
	// BookNumber is an ISBN, an ISSN or a CN serial number (刊号).
	BookNumber string        `json:"book_number,omitempty"`
	File       *file.FileRef `json:"file,omitempty"`
}

// Track is the growth track of one teacher.
type Track struct {
	event.Root
	teacherID    uuid.UUID
	honors       []Honor
	achievements []Achievement
}

// NewTrack returns an empty track; load history into it.
func NewTrack(teacherID uuid.UUID) *Track { return &Track{teacherID: teacherID} }

func (t *Track) TeacherID() uuid.UUID        { return t.teacherID }
func (t *Track) Honors() []Honor             { return slices.Clone(t.honors) }
func (t *Track) Achievements() []Achievement { return slices.Clone(t.achievements) }

// Apply changes the state from an event; it never fails.
func (t *Track) Apply(e event.Event) {
	switch e := e.(type) {
	case *HonorAdded:
		t.honors = append(t.honors, e.Honor)
	case *HonorEdited:
		if i := t.honorIndex(e.Honor.ID); i >= 0 {
			t.honors[i] = e.Honor
		}
	case *HonorRemoved:
		if i := t.honorIndex(e.HonorID); i >= 0 {
			t.honors = slices.Delete(t.honors, i, i+1)
		}
	case *AchievementAdded:
		t.achievements = append(t.achievements, e.Achievement)
	case *AchievementEdited:
		if i := t.achievementIndex(e.Achievement.ID); i >= 0 {
			t.achievements[i] = e.Achievement
		}
	case *AchievementRemoved:
		if i := t.achievementIndex(e.AchievementID); i >= 0 {
			t.achievements = slices.Delete(t.achievements, i, i+1)
		}
	}
}

func (t *Track) honorIndex(id uuid.UUID) int {
	return slices.IndexFunc(t.honors, func(h Honor) bool { return h.ID == id })
}

func (t *Track) achievementIndex(id uuid.UUID) int {
	return slices.IndexFunc(t.achievements, func(a Achievement) bool { return a.ID == id })
}

// The growth track is the teacher's own account of themselves.
func (t *Track) authorize(actor access.Actor) error {
	if actor.Role != access.RoleTeacher || actor.TeacherID != t.teacherID || t.teacherID == uuid.Nil {
		return fmt.Errorf("growth: only the teacher edits their growth track: %w", access.ErrForbidden)
	}
	return nil
}

func text(v *domain.ValidationError, field, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, "不能为空")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, fmt.Sprintf("不能超过%d字", max))
	}
	return s
}

func checkYear(v *domain.ValidationError, year int, at time.Time) {
	if year < FirstYear || year > at.Year() {
		v.Add("year", "年度不正确")
	}
}

func (h Honor) normalized(at time.Time) (Honor, error) {
	v := &domain.ValidationError{}
	if h.ID == uuid.Nil {
		v.Add("id", "缺少编号")
	}
	checkYear(v, h.Year, at)
	if !h.Level.Valid() {
		v.Add("level", "级别不正确")
	}
	h.Title = text(v, "title", h.Title, true, 200)
	return h, v.Err()
}

func (a Achievement) normalized(at time.Time) (Achievement, error) {
	v := &domain.ValidationError{}
	if a.ID == uuid.Nil {
		v.Add("id", "缺少编号")
	}
	checkYear(v, a.Year, at)
	if !a.Category.Valid() {
		v.Add("category", "成果类别不正确")
	}
	if !a.Level.Valid() {
		v.Add("level", "级别不正确")
	}
	a.Grade = text(v, "grade", a.Grade, false, 50)
	a.Title = text(v, "title", a.Title, true, 200)
	a.Author = text(v, "author", a.Author, true, 200)
	a.Unit = text(v, "unit", a.Unit, false, 200)
	a.BookNumber = text(v, "book_number", a.BookNumber, false, 64)
	if a.BookNumber != "" && !ValidBookNumber(a.BookNumber) {
		v.Add("book_number", "书号校验位不正确")
	}
	if a.File != nil {
		v.Fields = append(v.Fields, file.ValidateFile("file", *a.File)...)
	}
	return a, v.Err()
}

// AddHonor records a new honor.
func (t *Track) AddHonor(actor access.Actor, h Honor, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	h, err := h.normalized(at)
	if err != nil {
		return err
	}
	if t.honorIndex(h.ID) >= 0 {
		return fmt.Errorf("growth: honor %s exists: %w", h.ID, domain.ErrDuplicate)
	}
	t.Record(t, &HonorAdded{TeacherID: t.teacherID, Honor: h, At: at})
	return nil
}

// EditHonor replaces an honor; an edit that changes nothing records nothing.
func (t *Track) EditHonor(actor access.Actor, h Honor, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	h, err := h.normalized(at)
	if err != nil {
		return err
	}
	i := t.honorIndex(h.ID)
	if i < 0 {
		return fmt.Errorf("growth: honor %s: %w", h.ID, domain.ErrNotFound)
	}
	if t.honors[i] == h {
		return nil
	}
	t.Record(t, &HonorEdited{TeacherID: t.teacherID, Honor: h, At: at})
	return nil
}

// RemoveHonor removes an honor; the event keeps it in the history.
func (t *Track) RemoveHonor(actor access.Actor, id uuid.UUID, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	if t.honorIndex(id) < 0 {
		return fmt.Errorf("growth: honor %s: %w", id, domain.ErrNotFound)
	}
	t.Record(t, &HonorRemoved{TeacherID: t.teacherID, HonorID: id, At: at})
	return nil
}

// AddAchievement records a new achievement.
func (t *Track) AddAchievement(actor access.Actor, a Achievement, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	a, err := a.normalized(at)
	if err != nil {
		return err
	}
	if t.achievementIndex(a.ID) >= 0 {
		return fmt.Errorf("growth: achievement %s exists: %w", a.ID, domain.ErrDuplicate)
	}
	t.Record(t, &AchievementAdded{TeacherID: t.teacherID, Achievement: a, At: at})
	return nil
}

// EditAchievement replaces an achievement; an edit that changes nothing
// records nothing.
func (t *Track) EditAchievement(actor access.Actor, a Achievement, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	a, err := a.normalized(at)
	if err != nil {
		return err
	}
	i := t.achievementIndex(a.ID)
	if i < 0 {
		return fmt.Errorf("growth: achievement %s: %w", a.ID, domain.ErrNotFound)
	}
	if sameAchievement(t.achievements[i], a) {
		return nil
	}
	t.Record(t, &AchievementEdited{TeacherID: t.teacherID, Achievement: a, At: at})
	return nil
}

func sameAchievement(a, b Achievement) bool {
	fa, fb := a.File, b.File
	a.File, b.File = nil, nil
	if a != b {
		return false
	}
	return fa == nil && fb == nil || fa != nil && fb != nil && *fa == *fb
}

// RemoveAchievement removes an achievement; the event keeps it in the history.
func (t *Track) RemoveAchievement(actor access.Actor, id uuid.UUID, at time.Time) error {
	if err := t.authorize(actor); err != nil {
		return err
	}
	if t.achievementIndex(id) < 0 {
		return fmt.Errorf("growth: achievement %s: %w", id, domain.ErrNotFound)
	}
	t.Record(t, &AchievementRemoved{TeacherID: t.teacherID, AchievementID: id, At: at})
	return nil
}

// ValidBookNumber accepts an ISBN-10 or ISBN-13 with a correct check digit,
// an ISSN with a correct check digit, or a CN serial number (CN 13-1234/G4).
// Hyphens, spaces and an "ISBN"/"ISSN" prefix are ignored.
func ValidBookNumber(s string) bool {
	u := strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(u, "CN") {
		return cnSerial(u)
	}
	isISSN := strings.HasPrefix(u, "ISSN")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "ISBN"), "ISSN")
	u = strings.NewReplacer("-", "", " ", "", ":", "", "：", "").Replace(u)
	switch {
	case isISSN || len(u) == 8:
		return checkMod11(u, 8)
	case len(u) == 10:
		return checkMod11(u, 10)
	case len(u) == 13:
		return isbn13(u)
	}
	return false
}

// checkMod11 checks ISBN-10 (n=10) and ISSN (n=8): weights n..1, X is 10 in
// the last place, and the weighted sum is divisible by 11.
func checkMod11(s string, n int) bool {
	if len(s) != n {
		return false
	}
	sum := 0
	for i, c := range s {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c == 'X' && i == n-1:
			d = 10
		default:
			return false
		}
		sum += d * (n - i)
	}
	return sum%11 == 0
}

func isbn13(s string) bool {
	sum := 0
	for i, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return sum%10 == 0
}

// cnSerial checks the shape CN 13-1234/G4: a 2-digit region, a 4-digit
// number, a slash and a classification.
func cnSerial(u string) bool {
	u = strings.TrimSpace(strings.TrimPrefix(u, "CN"))
	region, rest, ok := strings.Cut(u, "-")
	if !ok || len(region) != 2 || !digits(region) {
		return false
	}
	num, class, ok := strings.Cut(rest, "/")
	return ok && len(num) == 4 && digits(num) && class != "" && len(class) <= 4
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
