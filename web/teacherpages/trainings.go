package teacherpages

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// trainingsData is the personal space's three lists, as the platform's
// manual has them: not started (name, time, the pipeline's steps), in
// progress (8 columns) and finished (9 columns).
type trainingsData struct {
	Query      url.Values
	Searched   bool
	NotStarted []notStarted
	InProgress []projections.EnrollmentView
	Finished   []finished
	// Imported are the trainings finished before the platform, loaded from
	// the earlier systems: part of the one list of what the teacher finished.
	Imported []projections.CreditEntry
}

type finished struct {
	projections.EnrollmentView
	Graded, Pass bool
}

type notStarted struct {
	projections.EnrollmentView
	Notice bool // the class notice is out: it can be printed
}

// trainingFilter reads the search: project name (q), a year, and a time
// window (from, to) the training overlaps.
func trainingFilter(q url.Values) (projections.TrainingFilter, error) {
	f := projections.TrainingFilter{Name: strings.TrimSpace(q.Get("q"))}
	v := &domain.ValidationError{}
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			v.Add("year", "年度应为四位年份，如 2024")
		} else {
			f.From = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC)
			f.To = time.Date(n, 12, 31, 0, 0, 0, 0, time.UTC)
		}
	}
	for _, x := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		raw := strings.TrimSpace(q.Get(x.name))
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			v.Add(x.name, "日期格式应为 2024-03-01")
			continue
		}
		// A window narrows the year, never widens it.
		if x.name == "from" && t.After(*x.dst) || x.name == "to" && (x.dst.IsZero() || t.Before(*x.dst)) {
			*x.dst = t
		}
	}
	return f, v.Err()
}

// trainings renders the three lists with one query.
func (s *Section) trainings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := trainingsData{Query: q, Searched: q.Get("q") != "" || q.Get("year") != "" || q.Get("from") != "" || q.Get("to") != ""}
	page := web.Page{Title: "继续教育", Form: q}
	f, err := trainingFilter(q)
	if err != nil {
		page.Data = d
		s.views.Form(w, r, "trainings", page, err)
		return
	}
	list, err := s.Enrollments.Trainings(r.Context(), me(r), f)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	for _, e := range list {
		switch enrollment.Status(e.Status) {
		case enrollment.StatusNotStarted:
			d.NotStarted = append(d.NotStarted, notStarted{EnrollmentView: e, Notice: e.Stage == string(enrollment.StageNoticePublished)})
		case enrollment.StatusInProgress:
			d.InProgress = append(d.InProgress, e)
		case enrollment.StatusFinished:
			d.Finished = append(d.Finished, finished{EnrollmentView: e, Graded: e.Passed != nil, Pass: e.Passed != nil && *e.Passed})
		}
	}
	h, err := s.Credits.CreditHistory(r.Context(), me(r), FirstCreditYear, nil)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d.Imported = importedFinished(h.Entries, f)
	page.Data = d
	s.views.Render(w, r, http.StatusOK, "trainings", page)
}

// importedFinished are the counting imported entries the search matches:
// the name as a substring (as for projects), the completion day inside the
// window. Newest first, like the projects.
func importedFinished(entries []projections.CreditEntry, f projections.TrainingFilter) []projections.CreditEntry {
	var out []projections.CreditEntry
	name := strings.ToLower(f.Name)
	for _, e := range entries {
		if !e.Imported || e.Revoked || e.Held || e.Duplicate {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(e.Title), name) {
			continue
		}
		day, err := time.Parse(time.DateOnly, e.CompletedOn)
		if err != nil || !f.From.IsZero() && day.Before(f.From) || !f.To.IsZero() && day.After(f.To) {
			continue
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out
}
