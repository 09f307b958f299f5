package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/projections"
)

// MeArea is the entry to the personal space: who I am and what waits for me.
// The continuing-education lists and the credit history have their own
// routes under /me (projects, credits), served by their areas.
type MeArea struct {
	Q *projections.TeacherQueries
}

func (a *MeArea) Routes(s *Server, r chi.Router) {
	r.Get("/me", s.H(a.me))
}

type meResponse struct {
	AccountID    string                          `json:"account_id"`
	Role         string                          `json:"role"`
	RoleLabel    string                          `json:"role_label"`
	DisplayName  string                          `json:"display_name"`
	Jurisdiction string                          `json:"jurisdiction,omitempty"`
	Teacher      *projections.TeacherProfile     `json:"teacher,omitempty"`
	Pending      *pendingWork                    `json:"pending,omitempty"`
	Sections     []string                        `json:"sections"`
	History      []projections.HistoryEntry      `json:"recent_history,omitempty"`
	Corrections  []projections.PendingCorrection `json:"my_pending_corrections,omitempty"`
}

type pendingWork struct {
	Corrections int `json:"corrections"`
	Transfers   int `json:"transfers"`
}

func (a *MeArea) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := Principal(r.Context())
	out := meResponse{AccountID: p.AccountID.String(), Role: string(p.Role), RoleLabel: p.Role.Label(),
		DisplayName: p.DisplayName, Jurisdiction: p.Jurisdiction}
	switch {
	case p.Role == access.RoleTeacher:
		// The six sections of the personal space, as the platform's manual lists them.
		out.Sections = []string{"基本信息", "继续教育", "名师工作室", "读书推荐", "成长轨迹", "师德"}
		prof, err := a.Q.Profile(r.Context(), p.TeacherID)
		if err != nil {
			return err
		}
		out.Teacher = &prof
		h, err := a.Q.History(r.Context(), p.TeacherID)
		if err != nil {
			return err
		}
		if len(h) > 10 {
			h = h[len(h)-10:]
		}
		out.History = h
		if prof.OpenCorrections > 0 {
			all, err := a.Q.PendingCorrections(r.Context(), prof.Profile.County)
			if err != nil {
				return err
			}
			for _, c := range all {
				if c.TeacherID == p.TeacherID {
					out.Corrections = append(out.Corrections, c)
				}
			}
		}
	case p.Role.IsAdmin():
		out.Sections = []string{"教师信息", "更正审核", "异动管理", "项目管理", "师德与考核"}
		cs, err := a.Q.PendingCorrections(r.Context(), p.Jurisdiction)
		if err != nil {
			return err
		}
		ts, err := a.Q.PendingTransfers(r.Context(), p.Jurisdiction)
		if err != nil {
			return err
		}
		out.Pending = &pendingWork{Corrections: len(cs), Transfers: len(ts)}
	default:
		out.Sections = []string{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
