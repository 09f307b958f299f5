package teacherpages

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/studio"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type studiosData struct {
	Joined, Followed, Others []projections.Studio
	Reading, Live            []studio.Link
}

// studios: the studios I joined and follow, the others of my county, city
// and province to join or follow, and the managed reading and
// live-broadcast links.
func (s *Section) studios(w http.ResponseWriter, r *http.Request) {
	p, err := s.Teachers.Profile(r.Context(), me(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	all, err := s.Credits.Studios(r.Context(), p.Profile.County, me(r), false)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	mine, err := s.Credits.Studios(r.Context(), "", me(r), true)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	var d studiosData
	seen := map[uuid.UUID]bool{}
	for _, st := range mine {
		seen[st.StudioID] = true
		if st.Member {
			d.Joined = append(d.Joined, st)
		}
		if st.Follower {
			d.Followed = append(d.Followed, st)
		}
	}
	for _, st := range all {
		if !seen[st.StudioID] && !st.Closed {
			d.Others = append(d.Others, st)
		}
	}
	for _, k := range []studio.ListKind{studio.ListReading, studio.ListLive} {
		l, err := s.Cmd.LoadLinks(r.Context(), k)
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		if k == studio.ListReading {
			d.Reading = l.Links()
		} else {
			d.Live = l.Links()
		}
	}
	s.views.Render(w, r, http.StatusOK, "studios", web.Page{Title: "名师工作室", Data: d})
}

func (s *Section) studioMembership(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	actor := web.Actor(r)
	var res commands.Result
	var msg string
	switch chi.URLParam(r, "action") {
	case "join":
		res, err = s.Cmd.JoinStudio(r.Context(), actor, id)
		msg = "已加入工作室。"
	case "leave":
		res, err = s.Cmd.LeaveStudio(r.Context(), actor, id)
		msg = "已退出工作室。"
	case "follow":
		res, err = s.Cmd.FollowStudio(r.Context(), actor, id)
		msg = "已关注工作室。"
	default:
		res, err = s.Cmd.UnfollowStudio(r.Context(), actor, id)
		msg = "已取消关注。"
	}
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me/studios", msg)
}
