package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/studio"
	"github.com/hbte/record/projections"
)

// StudioArea is the famous-teacher studios (designated by admins, joined
// and followed by teachers) and the managed link lists (recommended
// reading, the live-broadcast centre).
type StudioArea struct {
	Cmd *commands.Handlers
	Q   *projections.CreditQueries
}

func (a *StudioArea) Routes(s *Server, r chi.Router) {
	r.Get("/studios", s.H(a.list))
	r.Get("/me/studios", s.H(a.mine))
	r.Post("/studios", s.H(a.create))
	r.Post("/studios/{id}/close", s.H(a.close))
	r.Post("/studios/{id}/{action:join|leave|follow|unfollow}", s.H(a.membership))
	r.Get("/links/{kind}", s.H(a.links))
	r.Post("/links/{kind}", s.H(a.publishLink))
	r.Delete("/links/{kind}/{id}", s.H(a.withdrawLink))
}

// list: a teacher sees the studios of their county, city and province; an
// admin those inside their jurisdiction.
func (a *StudioArea) list(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	var items []projections.Studio
	var err error
	switch {
	case actor.Role == access.RoleTeacher:
		t, lerr := a.Cmd.LoadTeacher(r.Context(), actor.TeacherID)
		if lerr != nil {
			return lerr
		}
		items, err = a.Q.Studios(r.Context(), t.County(), actor.TeacherID, false)
	case actor.Jurisdiction != "":
		items, err = a.Q.Studios(r.Context(), actor.Jurisdiction, uuid.Nil, false)
	default:
		return fmt.Errorf("studios: %w", access.ErrForbidden)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// mine is "the studios I joined, the ones I follow".
func (a *StudioArea) mine(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleTeacher {
		return fmt.Errorf("my studios: %w", access.ErrForbidden)
	}
	items, err := a.Q.Studios(r.Context(), "", actor.TeacherID, true)
	if err != nil {
		return err
	}
	joined, followed := []projections.Studio{}, []projections.Studio{}
	for _, s := range items {
		if s.Member {
			joined = append(joined, s)
		}
		if s.Follower {
			followed = append(followed, s)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"joined": joined, "followed": followed})
	return nil
}

type studioRequest struct {
	Name          string    `json:"name"`
	HostTeacherID uuid.UUID `json:"host_teacher_id"`
	HostName      string    `json:"host_name"`
	Region        string    `json:"region"`
	Subject       string    `json:"subject"`
	Description   string    `json:"description"`
}

func (a *StudioArea) create(w http.ResponseWriter, r *http.Request) error {
	var req studioRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	actor := ActorOf(r)
	if req.HostTeacherID != uuid.Nil {
		// The host must be a teacher the admin can see.
		if _, err := a.Cmd.CanReadTeacher(r.Context(), actor, req.HostTeacherID); err != nil {
			return err
		}
	}
	res, err := a.Cmd.CreateStudio(r.Context(), actor, studio.Creation{Name: req.Name, HostTeacherID: req.HostTeacherID,
		HostName: req.HostName, Region: req.Region, Subject: req.Subject, Description: req.Description})
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *StudioArea) close(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var req creditReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Cmd.CloseStudio(r.Context(), ActorOf(r), id, req.Reason)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func (a *StudioArea) membership(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	var res commands.Result
	switch chi.URLParam(r, "action") {
	case "join":
		res, err = a.Cmd.JoinStudio(r.Context(), actor, id)
	case "leave":
		res, err = a.Cmd.LeaveStudio(r.Context(), actor, id)
	case "follow":
		res, err = a.Cmd.FollowStudio(r.Context(), actor, id)
	default:
		res, err = a.Cmd.UnfollowStudio(r.Context(), actor, id)
	}
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}

func studioLinkKind(r *http.Request) (studio.ListKind, error) {
	k := studio.ListKind(chi.URLParam(r, "kind"))
	if !k.Valid() {
		return "", fmt.Errorf("link list %q: %w", k, domain.ErrNotFound)
	}
	return k, nil
}

func (a *StudioArea) links(w http.ResponseWriter, r *http.Request) error {
	k, err := studioLinkKind(r)
	if err != nil {
		return err
	}
	l, err := a.Cmd.LoadLinks(r.Context(), k)
	if err != nil {
		return err
	}
	items := l.Links()
	if items == nil {
		items = []studio.Link{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": k, "label": k.Label(), "items": items})
	return nil
}

type studioLinkRequest struct {
	Title    string `json:"title"`
	URL      string `json:"url"`
	Summary  string `json:"summary"`
	StartsAt string `json:"starts_at"`
}

func (a *StudioArea) publishLink(w http.ResponseWriter, r *http.Request) error {
	k, err := studioLinkKind(r)
	if err != nil {
		return err
	}
	var req studioLinkRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var starts time.Time
	if req.StartsAt != "" {
		if starts, err = time.Parse(time.RFC3339, req.StartsAt); err != nil {
			return domain.Invalid("starts_at", "直播开始时间格式应为RFC 3339")
		}
	}
	res, err := a.Cmd.PublishLink(r.Context(), ActorOf(r), studio.Link{Kind: k, Title: req.Title, URL: req.URL, Summary: req.Summary, StartsAt: starts})
	if err != nil {
		return err
	}
	Done(w, http.StatusCreated, res)
	return nil
}

func (a *StudioArea) withdrawLink(w http.ResponseWriter, r *http.Request) error {
	k, err := studioLinkKind(r)
	if err != nil {
		return err
	}
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.Cmd.WithdrawLink(r.Context(), ActorOf(r), k, id)
	if err != nil {
		return err
	}
	Done(w, http.StatusOK, res)
	return nil
}
