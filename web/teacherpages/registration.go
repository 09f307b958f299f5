package teacherpages

import (
	"net/http"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type registrationData struct {
	Status projections.RegistrationStatus
	Check  commands.RegistrationCheck
	// Badge is the class of the outcome's badge.
	Badge string
	// CycleLast is the cycle's last day (its End is the day after).
	CycleLast string
	Percent   int
}

func outcomeBadge(o registration.Outcome) string {
	switch o {
	case registration.OutcomePass, registration.OutcomeExempt:
		return "ok"
	case registration.OutcomeDeferred, registration.OutcomeNotDue:
		return "warn"
	case registration.OutcomeFail:
		return "bad"
	}
	return ""
}

// registration is the re-registration status as the decisions have it and
// today's check: the outcome, every reason (what is missing) and the
// policy version it used.
func (s *Section) registration(w http.ResponseWriter, r *http.Request) {
	st, err := s.Credits.RegistrationStatus(r.Context(), me(r))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	c, err := s.Cmd.CheckRegistration(r.Context(), web.Actor(r), me(r), commands.CheckAt{})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := registrationData{Status: st, Check: c, Badge: outcomeBadge(c.Outcome)}
	if !c.Cycle.IsZero() {
		d.CycleLast = c.Cycle.End.AddDate(0, 0, -1).Format("2006-01-02")
	}
	if p := c.Progress; p.Required.Sign() > 0 {
		d.Percent = min(100, int(p.Hours.Float()*100/p.Required.Float()))
	}
	s.views.Render(w, r, http.StatusOK, "registration", web.Page{Title: "资格注册", Data: d})
}
