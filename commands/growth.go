package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/growth"
)

// LoadGrowth returns a teacher's growth track (empty when nothing was
// entered).
func (h *Handlers) LoadGrowth(ctx context.Context, teacherID uuid.UUID) (*growth.Track, error) {
	t := growth.NewTrack(teacherID)
	hist, err := h.Repo.History(ctx, growth.StreamName(teacherID))
	if err != nil {
		return nil, err
	}
	t.Load(t, hist)
	return t, nil
}

func (h *Handlers) updateGrowth(ctx context.Context, actor access.Actor, teacherID uuid.UUID, decide func(*growth.Track) error) (Result, error) {
	t, res, err := Update(ctx, h.Repo, growth.StreamName(teacherID), func() *growth.Track { return growth.NewTrack(teacherID) }, true,
		h.write(ctx, actor), decide)
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, t), nil
}

// AddHonor records an honor on the teacher's own growth track; it returns
// the honor's id.
func (h *Handlers) AddHonor(ctx context.Context, actor access.Actor, teacherID uuid.UUID, hn growth.Honor) (Result, uuid.UUID, error) {
	hn.ID = h.newID(ctx, actor, "honor")
	res, err := h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error { return t.AddHonor(actor, hn, h.Now().UTC()) })
	return res, hn.ID, err
}

// EditHonor replaces an honor.
func (h *Handlers) EditHonor(ctx context.Context, actor access.Actor, teacherID uuid.UUID, hn growth.Honor) (Result, error) {
	return h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error { return t.EditHonor(actor, hn, h.Now().UTC()) })
}

// RemoveHonor removes an honor.
func (h *Handlers) RemoveHonor(ctx context.Context, actor access.Actor, teacherID, id uuid.UUID) (Result, error) {
	return h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error { return t.RemoveHonor(actor, id, h.Now().UTC()) })
}

// AddAchievement records a teaching achievement; the file it names must
// already be in the file store (the HTTP layer checks).
func (h *Handlers) AddAchievement(ctx context.Context, actor access.Actor, teacherID uuid.UUID, a growth.Achievement) (Result, uuid.UUID, error) {
	a.ID = h.newID(ctx, actor, "achievement")
	res, err := h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error {
		if err := t.AddAchievement(actor, a, h.Now().UTC()); err != nil {
			return err
		}
		return h.achievementFile(ctx, actor, a)
	})
	return res, a.ID, err
}

// EditAchievement replaces an achievement.
func (h *Handlers) EditAchievement(ctx context.Context, actor access.Actor, teacherID uuid.UUID, a growth.Achievement) (Result, error) {
	return h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error {
		if err := t.EditAchievement(actor, a, h.Now().UTC()); err != nil {
			return err
		}
		return h.achievementFile(ctx, actor, a)
	})
}

// RemoveAchievement removes an achievement.
func (h *Handlers) RemoveAchievement(ctx context.Context, actor access.Actor, teacherID, id uuid.UUID) (Result, error) {
	return h.updateGrowth(ctx, actor, teacherID, func(t *growth.Track) error { return t.RemoveAchievement(actor, id, h.Now().UTC()) })
}

// achievementFile: an achievement's file must be one the teacher uploaded.
func (h *Handlers) achievementFile(ctx context.Context, actor access.Actor, a growth.Achievement) error {
	if a.File == nil {
		return nil
	}
	return h.ownFiles(ctx, actor, false, "file", *a.File)
}
