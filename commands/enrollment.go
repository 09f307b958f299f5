package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/teacher"
)

// LoadEnrollment reads an enrollment from its stream.
func (h *Handlers) LoadEnrollment(ctx context.Context, id uuid.UUID) (*enrollment.Enrollment, error) {
	hist, err := h.Repo.History(ctx, enrollment.StreamName(id))
	if err != nil {
		return nil, err
	}
	if len(hist) == 0 {
		return nil, fmt.Errorf("enrollment %s: %w", id, domain.ErrNotFound)
	}
	return enrollment.Load(hist), nil
}

// ViewEnrollment loads an enrollment the actor may see.
func (h *Handlers) ViewEnrollment(ctx context.Context, actor access.Actor, id uuid.UUID) (*enrollment.Enrollment, error) {
	e, err := h.LoadEnrollment(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := h.LoadTeacher(ctx, e.TeacherID())
	if err != nil {
		return nil, err
	}
	e.FollowTeacher(t.County()) // jurisdiction follows the teacher
	if !e.CanView(actor) {
		if former, _, ferr := h.FormerEnrollment(ctx, actor, id); ferr == nil {
			return former, nil // the sending county's read-only view
		}
		return nil, fmt.Errorf("%w: enrollment %s", access.ErrForbidden, id)
	}
	return e, nil
}

func freshEnrollment() *enrollment.Enrollment { return &enrollment.Enrollment{} }

// secondary is the context for writes to other streams made by a command:
// the client's If-Match and idempotency key belong to the command's own
// stream, and those writes are idempotent by their own rules.
func secondary(ctx context.Context) context.Context {
	rq := RequestFrom(ctx)
	rq.IdempotencyKey, rq.ExpectedRevision = "", nil
	return WithRequest(ctx, rq)
}

// Nominate puts a teacher into a project: a seat of the county's quota is
// reserved on the project stream (its expected revision serialises
// competing nominations), then the enrollment records the nomination. If
// the second append fails the seat is given back, so a failed nomination
// never eats quota.
func (h *Handlers) Nominate(ctx context.Context, actor access.Actor, projectID, teacherID uuid.UUID) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, fmt.Errorf("teacher: %w", err)
	}
	county := t.County()
	// Authorize before touching the project: a refused nomination must not
	// reserve anything.
	if !enrollment.CanNominate(actor, county) {
		return Result{}, enrollment.ErrNotCountyAdmin
	}
	if err := t.ReadOnly(); err != nil {
		return Result{}, err
	}
	eid := enrollment.ID(projectID, teacherID)
	current, err := h.Repo.History(ctx, enrollment.StreamName(eid))
	if err != nil {
		return Result{}, err
	}
	if len(current) > 0 && enrollment.Load(current).NeedsSeat() {
		return Result{}, enrollment.ErrAlreadyEnrolled
	}
	pw := h.plainWrite(ctx, actor)
	p, _, err := Update(ctx, h.Repo, project.StreamName(projectID), func() *project.Project { return &project.Project{} }, false, pw,
		func(p *project.Project) error { return p.ReserveSeat(county, eid, h.Now()) })
	if err != nil {
		return Result{}, err
	}
	e, res, err := Update(ctx, h.Repo, enrollment.StreamName(eid), freshEnrollment, true, h.write(ctx, actor),
		func(e *enrollment.Enrollment) error { return e.Nominate(actor, p, teacherID, county, h.Now()) })
	if err != nil {
		if rerr := h.releaseSeatIfIdle(ctx, actor, projectID, eid, "推荐未成功"); rerr != nil {
			return Result{}, errors.Join(err, rerr)
		}
		return Result{}, err
	}
	return result(eid, res, e), nil
}

// releaseSeatIfIdle gives back the seat of an enrollment that does not
// need one (rejected, withdrawn, never nominated). Releasing is a no-op for
// a seat not held, so it is safe to repeat.
func (h *Handlers) releaseSeatIfIdle(ctx context.Context, actor access.Actor, projectID, eid uuid.UUID, reason string) error {
	hist, err := h.Repo.History(ctx, enrollment.StreamName(eid))
	if err != nil {
		return err
	}
	if len(hist) > 0 && enrollment.Load(hist).NeedsSeat() {
		return nil
	}
	_, _, err = Update(ctx, h.Repo, project.StreamName(projectID), func() *project.Project { return &project.Project{} }, false, h.plainWrite(ctx, actor),
		func(p *project.Project) error { return p.ReleaseSeat(eid, reason, h.Now()) })
	if err != nil {
		return fmt.Errorf("release seat: %w", err)
	}
	return nil
}

// updateEnrollment runs decide on an existing enrollment with its project.
func (h *Handlers) updateEnrollment(ctx context.Context, actor access.Actor, id uuid.UUID, decide func(*enrollment.Enrollment, *project.Project) error) (*enrollment.Enrollment, Result, error) {
	cur, err := h.LoadEnrollment(ctx, id)
	if err != nil {
		return nil, Result{}, err
	}
	p, err := h.LoadProject(ctx, cur.ProjectID())
	if err != nil {
		return nil, Result{}, err
	}
	t, err := h.LoadTeacher(ctx, cur.TeacherID())
	if err != nil {
		return nil, Result{}, err
	}
	e, res, err := Update(ctx, h.Repo, enrollment.StreamName(id), freshEnrollment, false, h.write(ctx, actor),
		func(e *enrollment.Enrollment) error {
			// Jurisdiction follows the teacher's current county.
			e.FollowTeacher(t.County())
			if err := decide(e, p); err != nil {
				if t.TransferredOut() && !errors.Is(err, access.ErrForbidden) {
					return teacher.ErrTransferredOut
				}
				return err
			}
			if t.TransferredOut() && len(e.Changes()) > 0 {
				return teacher.ErrTransferredOut // permission first
			}
			if p.Status() == project.StatusCancelled && len(e.Changes()) > 0 {
				// Nothing moves in a cancelled project (its open
				// enrollments were withdrawn with its reason); checked
				// after the decision so permission comes first.
				return p.StatusRefusal("act on an enrollment")
			}
			return nil
		})
	if err != nil {
		return nil, Result{}, err
	}
	return e, result(id, res, e), nil
}

// afterLeaving releases the seat once a decision took the enrollment out
// of the pipeline.
func (h *Handlers) afterLeaving(ctx context.Context, actor access.Actor, e *enrollment.Enrollment, reason string) error {
	if e.NeedsSeat() {
		return nil
	}
	return h.releaseSeatIfIdle(ctx, actor, e.ProjectID(), e.ID(), reason)
}

// CityApprove submits a nomination to the province.
func (h *Handlers) CityApprove(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.CityApprove(actor, h.Now())
	})
	return res, err
}

// CityReject sends a nomination back to the county and frees its seat.
func (h *Handlers) CityReject(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	e, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.CityReject(actor, reason, h.Now())
	})
	if err != nil {
		return Result{}, err
	}
	return res, h.afterLeaving(ctx, actor, e, reason)
}

// Approve is the owner's approval with the assignment to a class.
func (h *Handlers) Approve(ctx context.Context, actor access.Actor, id, institutionID, classID uuid.UUID) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, p *project.Project) error {
		return e.Approve(actor, p, institutionID, classID, h.Now())
	})
	return res, err
}

// Reject is the owner's refusal; the seat is freed.
func (h *Handlers) Reject(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	e, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.Reject(actor, reason, h.Now())
	})
	if err != nil {
		return Result{}, err
	}
	return res, h.afterLeaving(ctx, actor, e, reason)
}

// Reassign moves an approved trainee to another class.
func (h *Handlers) Reassign(ctx context.Context, actor access.Actor, id, institutionID, classID uuid.UUID) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, p *project.Project) error {
		return e.Reassign(actor, p, institutionID, classID, h.Now())
	})
	return res, err
}

// Withdraw takes a teacher out before reporting; the seat is freed.
func (h *Handlers) Withdraw(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	e, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.Withdraw(actor, reason, h.Now())
	})
	if err != nil {
		return Result{}, err
	}
	return res, h.afterLeaving(ctx, actor, e, reason)
}

// PublishNotice records the class notice of one trainee.
func (h *Handlers) PublishNotice(ctx context.Context, actor access.Actor, id uuid.UUID, n enrollment.Notice) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.PublishNotice(actor, n, h.Now())
	})
	return res, err
}

// Report records that the teacher reported for training.
func (h *Handlers) Report(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.Report(actor, h.Now())
	})
	return res, err
}

// RecordProgress stores online progress and offline attendance.
func (h *Handlers) RecordProgress(ctx context.Context, actor access.Actor, id uuid.UUID, pr enrollment.Progress) (Result, error) {
	_, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, _ *project.Project) error {
		return e.RecordProgress(actor, pr, h.Now())
	})
	return res, err
}

// GradeOutcome says what PostGrade did.
type GradeOutcome string

const (
	GradePosted    GradeOutcome = "posted"
	GradeUnchanged GradeOutcome = "unchanged" // the same grade was already posted
)

// ErrGradeFinal: a different grade was already posted; only an explicit
// correction with a reason may change it.
var ErrGradeFinal = enrollment.ErrGradeFinal

// PostGrade grades a trainee by the project's policy. Posting the very same
// scores again changes nothing (an uploaded file sent twice); different
// scores are refused, because posted grades are final. On a pass the hours
// and credits go to the teacher's ledger and a certificate is issued.
func (h *Handlers) PostGrade(ctx context.Context, actor access.Actor, id uuid.UUID, offline, online *float64) (Result, GradeOutcome, error) {
	outcome := GradePosted
	e, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, p *project.Project) error {
		outcome = GradePosted
		if cur, ok := e.Scores(); ok && e.Stage() == enrollment.StageGraded {
			if !e.IsInstitution(actor) {
				return enrollment.ErrNotInstitution
			}
			total, passed, err := p.Policy().Grade(offline, online)
			if err != nil {
				return err
			}
			if sameFloat(cur.Offline, offline) && sameFloat(cur.Online, online) && cur.Total == total && cur.Passed == passed {
				outcome = GradeUnchanged
				return nil
			}
			return ErrGradeFinal
		}
		return e.PostGrade(actor, p, offline, online, h.Now())
	})
	if err != nil {
		return Result{}, "", err
	}
	// Completion runs on the unchanged path too, so a command interrupted
	// after the grade was stored heals when the file is uploaded again.
	last, err := h.complete(ctx, actor, e)
	if err != nil {
		return Result{}, "", err
	}
	if res.Position.Less(last) {
		// The certificate moved the enrollment on: report its revision,
		// so the next If-Match is not stale.
		res.Position = last
		if cur, err := h.LoadEnrollment(ctx, id); err == nil {
			res.Revision = cur.Version()
		}
	}
	return res, outcome, nil
}

func sameFloat(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// CorrectGrade replaces a posted grade with a reason. A flip to a fail
// revokes the ledger entry (the enrollment revokes its certificate itself);
// a flip to a pass grants and certifies.
func (h *Handlers) CorrectGrade(ctx context.Context, actor access.Actor, id uuid.UUID, offline, online *float64, reason string) (Result, error) {
	e, res, err := h.updateEnrollment(ctx, actor, id, func(e *enrollment.Enrollment, p *project.Project) error {
		return e.CorrectGrade(actor, p, offline, online, reason, h.Now())
	})
	if err != nil {
		return Result{}, err
	}
	last, err := h.complete(ctx, actor, e)
	if err != nil {
		return Result{}, err
	}
	if res.Position.Less(last) {
		// The certificate moved the enrollment on: report its revision,
		// so the next If-Match is not stale.
		res.Position = last
		if cur, err := h.LoadEnrollment(ctx, id); err == nil {
			res.Revision = cur.Version()
		}
	}
	return res, nil
}

// lastEvent finds the envelope of the last event of type typ in stream.
func (h *Handlers) lastEvent(ctx context.Context, stream, typ string) (event.Envelope, bool, error) {
	hist, err := h.Repo.History(ctx, stream)
	if err != nil {
		return event.Envelope{}, false, err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Type == typ {
			return hist[i], true, nil
		}
	}
	return event.Envelope{}, false, nil
}
