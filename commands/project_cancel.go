package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore"
)

// freezeEnrollments withdraws every open enrollment of the cancelled
// project p with the project's reason (enrollment.CancelWithProject) and
// gives their seats back, so they leave every queue. Each step is
// idempotent: cancelling again (which the domain refuses) first repeats
// this, so a cancellation interrupted half-way heals.
//
// It returns the global position of its last withdrawal, so the caller can
// offer read-your-writes over all of them.
func (h *Handlers) freezeEnrollments(ctx context.Context, actor access.Actor, p *project.Project) (eventstore.Position, error) {
	var last eventstore.Position
	if p.Status() != project.StatusCancelled {
		return last, nil
	}
	ctx = secondary(ctx)
	ids := p.SeatHolders()
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	var errs []error
	for _, id := range ids {
		e, res, err := Update(ctx, h.Repo, enrollment.StreamName(id), freshEnrollment, false, h.plainWrite(ctx, actor),
			func(e *enrollment.Enrollment) error { return e.CancelWithProject(actor, p, h.Now()) })
		if err != nil {
			errs = append(errs, fmt.Errorf("enrollment %s: %w", id, err))
			continue
		}
		if last.Less(res.Position) {
			last = res.Position
		}
		if err := h.afterLeaving(ctx, actor, e, "项目已取消"); err != nil {
			errs = append(errs, fmt.Errorf("enrollment %s: %w", id, err))
		}
	}
	return last, errors.Join(errs...)
}

// cancelProject cancels the project and freezes its enrollments.
func (h *Handlers) cancelProject(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (*project.Project, eventstore.AppendResult, error) {
	cur, err := h.LoadProject(ctx, id)
	if err != nil {
		return nil, eventstore.AppendResult{}, err
	}
	if cur.Status() == project.StatusCancelled && cur.CanManage(actor) {
		if _, err := h.freezeEnrollments(ctx, actor, cur); err != nil {
			return nil, eventstore.AppendResult{}, err
		}
		return nil, eventstore.AppendResult{}, cur.StatusRefusal("cancel")
	}
	p, res, err := Update(ctx, h.Repo, project.StreamName(id), func() *project.Project { return &project.Project{} }, false, h.write(ctx, actor),
		func(p *project.Project) error { return p.Cancel(actor, reason, h.Now()) })
	if err != nil {
		return nil, eventstore.AppendResult{}, err
	}
	last, err := h.freezeEnrollments(ctx, actor, p)
	if err != nil {
		return nil, eventstore.AppendResult{}, fmt.Errorf("project cancelled, enrollments not all withdrawn (cancel again to finish): %w", err)
	}
	if res.Position.Less(last) {
		res.Position = last // read-your-writes covers the withdrawals
	}
	return p, res, nil
}

// completeAll runs the completion of every graded enrollment of p (see
// complete): certificates of passes posted before the class ended are
// issued once it has.
func (h *Handlers) completeAll(ctx context.Context, actor access.Actor, p *project.Project) error {
	ids := p.SeatHolders()
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	var errs []error
	for _, id := range ids {
		e, err := h.LoadEnrollment(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if e.Stage() != enrollment.StageGraded {
			continue
		}
		if _, err := h.complete(ctx, actor, e); err != nil {
			errs = append(errs, fmt.Errorf("enrollment %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
