package enrollment

import (
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/project"
)

// The pipeline in order: a grade says the teacher took part in a training,
// and a certificate says they completed it, so neither may come before the
// fact. Classes have no dates of their own; a class runs over its
// project's dates (Details.Start to Details.End, both inclusive China
// dates).
//
//   - A grade (and with a pass the credits) needs the project to be in
//     training or finished (the owner started it: nomination is closed) and
//     the class to have started: the China date of the grade is on or after
//     the project's first day.
//   - A certificate needs the class to have ended: the China date of the
//     issue is on or after the project's last day (certificates are handed
//     out on the last day). A pass posted earlier keeps its credits and gets
//     its certificate once the class has ended (see commands).

var (
	// ErrTrainingNotStarted: the project has not started (still a draft or
	// open for nomination).
	ErrTrainingNotStarted = domain.Refusal("project not started", "项目尚未开班（当前仍在遴选阶段），不能发布成绩")
)

func chinaDate(t time.Time) time.Time {
	y, m, d := t.In(ident.ChinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TrainingStarted reports, as a refusal naming the reason, whether a grade
// may be posted in project p at the instant at.
func TrainingStarted(p *project.Project, at time.Time) error {
	switch p.Status() {
	case project.StatusInProgress, project.StatusFinished:
	case project.StatusCancelled:
		return p.StatusRefusal("post a grade")
	default:
		return ErrTrainingNotStarted
	}
	if start := p.Details().Start; !start.IsZero() && chinaDate(at).Before(start) {
		return domain.Refusal("class not started", "培训班尚未开始（开班日期 "+start.Format(time.DateOnly)+"），不能发布成绩")
	}
	return nil
}

// ClassEnded reports, as a refusal naming the reason, whether the
// certificate of project p may be issued at the instant at.
func ClassEnded(p *project.Project, at time.Time) error {
	if end := p.Details().End; !end.IsZero() && chinaDate(at).Before(end) {
		return domain.Refusal("class not ended", "培训班尚未结束（结束日期 "+end.Format(time.DateOnly)+"），不能颁发结业证书")
	}
	return nil
}
