package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/domain/unit"
)

// ClaimUnitName keeps one official school name per county.
const ClaimUnitName = "unit_name"

// RegisterUnit enters a school in the admin's county.
func (h *Handlers) RegisterUnit(ctx context.Context, actor access.Actor, reg unit.Registration) (Result, error) {
	id := h.newID(ctx, actor, "unit")
	stream := unit.StreamName(id)
	w := h.write(ctx, actor)
	var name string
	w.BeforeSave = func(ctx context.Context) error { return h.claim(ctx, actor, ClaimUnitName, reg.County+"/"+name, id) }
	u, res, err := Update(ctx, h.Repo, stream, func() *unit.Unit { return unit.New(id) }, true, w,
		func(u *unit.Unit) error {
			err := u.Register(reg, actor, h.Now())
			name = u.Name()
			return err
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, u), nil
}

// ChangeUnit changes a school's name, area, category or stage. The area and
// category of a school are its teachers' by construction: teachers refer to
// the unit.
func (h *Handlers) ChangeUnit(ctx context.Context, actor access.Actor, id uuid.UUID, field, value, reason string) (Result, error) {
	stream := unit.StreamName(id)
	var oldName string
	w := h.write(ctx, actor)
	var u *unit.Unit
	w.BeforeSave = func(ctx context.Context) error {
		if u.Name() != oldName {
			return h.claim(ctx, actor, ClaimUnitName, u.County()+"/"+u.Name(), id)
		}
		return nil
	}
	u, res, err := Update(ctx, h.Repo, stream, func() *unit.Unit { return unit.New(id) }, false, w,
		func(agg *unit.Unit) error {
			u, oldName = agg, agg.Name()
			now := h.Now()
			switch field {
			case "name":
				return u.Rename(actor, value, reason, now)
			case "area":
				return u.ChangeArea(actor, value, reason, now)
			case "category":
				return u.ChangeCategory(actor, value, reason, now)
			case "stage":
				return u.ChangeStage(actor, value, reason, now)
			}
			return domain.Invalid("field", "只能修改 name、area、category 或 stage")
		})
	if err != nil {
		return Result{}, err
	}
	if field == "name" && u.Name() != oldName {
		if err := h.release(ctx, actor, ClaimUnitName, u.County()+"/"+oldName, id); err != nil {
			return Result{}, err
		}
	}
	return result(id, res, u), nil
}

// unitRef reads what a teacher needs to know of a unit from its stream.
func (h *Handlers) unitRef(ctx context.Context, id uuid.UUID) (teacher.UnitRef, error) {
	u := unit.New(id)
	if err := h.Repo.Load(ctx, unit.StreamName(id), u); err != nil {
		return teacher.UnitRef{}, fmt.Errorf("unit: %w", err)
	}
	return teacher.UnitRef{ID: id, Name: u.Name(), County: u.County()}, nil
}
