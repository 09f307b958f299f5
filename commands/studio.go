package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/studio"
)

// LoadStudio returns a studio.
func (h *Handlers) LoadStudio(ctx context.Context, id uuid.UUID) (*studio.Studio, error) {
	s := studio.New(id)
	if err := h.Repo.Load(ctx, studio.StreamName(id), s); err != nil {
		return nil, err
	}
	return s, nil
}

func (h *Handlers) updateStudio(ctx context.Context, actor access.Actor, id uuid.UUID, create bool, decide func(*studio.Studio) error) (Result, error) {
	s, res, err := Update(ctx, h.Repo, studio.StreamName(id), func() *studio.Studio { return studio.New(id) }, create, h.write(ctx, actor), decide)
	if err != nil {
		return Result{}, err
	}
	return result(id, res, s), nil
}

// CreateStudio designates a famous-teacher studio (an admin of its region).
func (h *Handlers) CreateStudio(ctx context.Context, actor access.Actor, c studio.Creation) (Result, error) {
	id := h.newID(ctx, actor, "studio")
	return h.updateStudio(ctx, actor, id, true, func(s *studio.Studio) error { return s.Create(actor, c, h.Now().UTC()) })
}

// CloseStudio ends a studio, with a reason.
func (h *Handlers) CloseStudio(ctx context.Context, actor access.Actor, id uuid.UUID, reason string) (Result, error) {
	return h.updateStudio(ctx, actor, id, false, func(s *studio.Studio) error { return s.Close(actor, reason, h.Now().UTC()) })
}

// JoinStudio, LeaveStudio, FollowStudio and UnfollowStudio are the acting
// teacher's own choices.
func (h *Handlers) JoinStudio(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	return h.updateStudio(ctx, actor, id, false, func(s *studio.Studio) error { return s.Join(actor, h.Now().UTC()) })
}

func (h *Handlers) LeaveStudio(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	return h.updateStudio(ctx, actor, id, false, func(s *studio.Studio) error { return s.Leave(actor, h.Now().UTC()) })
}

func (h *Handlers) FollowStudio(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	return h.updateStudio(ctx, actor, id, false, func(s *studio.Studio) error { return s.Follow(actor, h.Now().UTC()) })
}

func (h *Handlers) UnfollowStudio(ctx context.Context, actor access.Actor, id uuid.UUID) (Result, error) {
	return h.updateStudio(ctx, actor, id, false, func(s *studio.Studio) error { return s.Unfollow(actor, h.Now().UTC()) })
}

// LoadLinks returns a managed link list (reading or live broadcasts).
func (h *Handlers) LoadLinks(ctx context.Context, kind studio.ListKind) (*studio.LinkList, error) {
	l := studio.NewLinkList(kind)
	hist, err := h.Repo.History(ctx, studio.LinksStreamName(kind))
	if err != nil {
		return nil, err
	}
	l.Load(l, hist)
	return l, nil
}

// PublishLink adds a link to a list (province admin); it returns its id.
func (h *Handlers) PublishLink(ctx context.Context, actor access.Actor, link studio.Link) (Result, error) {
	link.ID = h.newID(ctx, actor, "link")
	l, res, err := Update(ctx, h.Repo, studio.LinksStreamName(link.Kind), func() *studio.LinkList { return studio.NewLinkList(link.Kind) }, true,
		h.write(ctx, actor), func(l *studio.LinkList) error { return l.Publish(actor, link, h.Now().UTC()) })
	if err != nil {
		return Result{}, err
	}
	return result(link.ID, res, l), nil
}

// WithdrawLink removes a link from a list (province admin).
func (h *Handlers) WithdrawLink(ctx context.Context, actor access.Actor, kind studio.ListKind, id uuid.UUID) (Result, error) {
	l, res, err := Update(ctx, h.Repo, studio.LinksStreamName(kind), func() *studio.LinkList { return studio.NewLinkList(kind) }, false,
		h.write(ctx, actor), func(l *studio.LinkList) error { return l.Withdraw(actor, id, h.Now().UTC()) })
	if err != nil {
		return Result{}, err
	}
	return result(id, res, l), nil
}
