package teacherpages

import (
	"net/http"
	"slices"

	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// historyFilters are the tabs of the history: every event, or one kind of
// change of the record, or one area (by the category of the stream).
var historyFilters = []struct {
	Key, Label string
	Types      []string
	Category   string
}{
	{"", "全部", nil, ""},
	{"edits", "信息修改", []string{teacher.TypeOrdinaryFieldEdited}, ""},
	{"corrections", "关键字段更正", []string{teacher.TypeKeyFieldCorrected, teacher.TypeCorrectionRequested,
		teacher.TypeCorrectionApproved, teacher.TypeCorrectionRejected, teacher.TypeCorrectionWithdrawn}, ""},
	{"transfers", "异动", []string{teacher.TypeTransferStarted, teacher.TypeTransferAccepted,
		teacher.TypeTransferRejected, teacher.TypeTransferCancelled}, ""},
	{"training", "培训", nil, "enrollment"},
	{"credits", "学时学分", nil, "credits"},
	{"appraisal", "考核", nil, "appraisal"},
	{"registration", "注册", nil, "registration"},
	{"growth", "成长轨迹", nil, "growth"},
	{"studios", "名师工作室", nil, "studio"},
}

type historyData struct {
	Entries []projections.HistoryEntry
	Total   int
	Tabs    []historyTab
}

type historyTab struct {
	Label, Href string
	Current     bool
}

// history is everything that concerns the teacher, from every stream,
// newest first: who (under which role), when, where, what and why.
func (s *Section) history(w http.ResponseWriter, r *http.Request) {
	all, err := s.Teachers.History(r.Context(), me(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	tab := r.URL.Query().Get("tab")
	d := historyData{Total: len(all)}
	var types []string
	category := ""
	for _, f := range historyFilters {
		href := "/me/history"
		if f.Key != "" {
			href += "?tab=" + f.Key
		}
		d.Tabs = append(d.Tabs, historyTab{Label: f.Label, Href: href, Current: f.Key == tab})
		if f.Key == tab {
			types, category = f.Types, f.Category
		}
	}
	for _, e := range slices.Backward(all) {
		if (types == nil || slices.Contains(types, e.Type)) && (category == "" || e.Category == category) {
			d.Entries = append(d.Entries, e)
		}
	}
	s.views.Render(w, r, http.StatusOK, "history", web.Page{Title: "档案记录", Data: d})
}
