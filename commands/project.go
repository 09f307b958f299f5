package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
)

// LoadProject reads a project from its stream.
func (h *Handlers) LoadProject(ctx context.Context, id uuid.UUID) (*project.Project, error) {
	h2, err := h.Repo.History(ctx, project.StreamName(id))
	if err != nil {
		return nil, err
	}
	if len(h2) == 0 {
		return nil, fmt.Errorf("project %s: %w", id, domain.ErrNotFound)
	}
	return project.Load(h2), nil
}

// NewProjectInput is the input of CreateProject: institutions are named by
// id only and looked up in the register, so a project never carries a
// misspelled institution name.
type NewProjectInput struct {
	Kind         project.Kind
	Category     project.Category
	Owner        string
	Details      project.Details
	Institutions []uuid.UUID
	Policy       *project.Policy // nil: the default 50/50 with 60 to pass
}

// CreateProject creates a draft project.
func (h *Handlers) CreateProject(ctx context.Context, actor access.Actor, in NewProjectInput) (Result, error) {
	insts := make([]project.Institution, 0, len(in.Institutions))
	for _, id := range in.Institutions {
		inst, err := h.institutionRef(ctx, id)
		if err != nil {
			return Result{}, err
		}
		insts = append(insts, inst)
	}
	policy := project.DefaultPolicy()
	if in.Policy != nil {
		policy = *in.Policy
	}
	id := h.newID(ctx, actor, "project")
	stream := project.StreamName(id)
	p, res, err := Update(ctx, h.Repo, stream, func() *project.Project { return &project.Project{} }, true, h.write(ctx, actor),
		func(p *project.Project) error {
			if p.Exists() {
				return fmt.Errorf("%w: project %s", domain.ErrDuplicate, id)
			}
			created, err := project.Create(actor, project.NewProject{ID: id, Kind: in.Kind, Category: in.Category, Owner: in.Owner,
				Details: in.Details, Institutions: insts, Policy: policy}, h.Now())
			if err != nil {
				return err
			}
			// Create returns a fresh aggregate; move its recorded events
			// onto the loaded (empty) one so Save appends them.
			for _, e := range created.Changes() {
				p.Record(p, e)
			}
			return nil
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, p), nil
}

// institutionRef looks an institution up in the register.
func (h *Handlers) institutionRef(ctx context.Context, id uuid.UUID) (project.Institution, error) {
	inst := institution.New(id)
	if err := h.Repo.Load(ctx, institution.StreamName(id), inst); err != nil {
		return project.Institution{}, fmt.Errorf("institution %s: %w", id, domain.Invalid("institutions", "承培机构不在机构名录中"))
	}
	return project.Institution{ID: id, Name: inst.Name()}, nil
}

// ProjectChange is one change of a project's setup or lifecycle.
type ProjectChange struct {
	// Action: details, add_institution, add_class, quota, policy,
	// open_nomination, start, finish, cancel.
	Action        string
	Details       *project.Details
	InstitutionID uuid.UUID
	ClassName     string
	Region        string
	Count         int
	Policy        *project.Policy
	Reason        string
}

var knownProjectActions = map[string]bool{"details": true, "add_institution": true, "add_class": true, "quota": true,
	"policy": true, "open_nomination": true, "start": true, "finish": true, "cancel": true}

// ChangeProject applies one change; the class id of add_class is derived
// from the idempotency key, so a retried request adds one class.
func (h *Handlers) ChangeProject(ctx context.Context, actor access.Actor, id uuid.UUID, c ProjectChange) (Result, error) {
	// The shape of the request is checked before the project is read, so
	// the answer to a malformed change does not tell whether it exists.
	switch {
	case !knownProjectActions[c.Action]:
		return Result{}, domain.Invalid("action", "未知的操作")
	case c.Action == "details" && c.Details == nil:
		return Result{}, domain.Invalid("details", "缺少项目信息")
	case c.Action == "policy" && c.Policy == nil:
		return Result{}, domain.Invalid("policy", "缺少成绩规则")
	}
	var inst project.Institution
	if c.Action == "add_institution" {
		var err error
		if inst, err = h.institutionRef(ctx, c.InstitutionID); err != nil {
			return Result{}, err
		}
	}
	if c.Action == "cancel" {
		p, res, err := h.cancelProject(ctx, actor, id, c.Reason)
		if err != nil {
			return Result{}, err
		}
		return result(id, res, p), nil
	}
	classID := h.newID(ctx, actor, "class")
	p, res, err := Update(ctx, h.Repo, project.StreamName(id), func() *project.Project { return &project.Project{} }, false, h.write(ctx, actor),
		func(p *project.Project) error {
			now := h.Now()
			switch c.Action {
			case "details":
				if c.Details == nil {
					return domain.Invalid("details", "缺少项目信息")
				}
				return p.ChangeDetails(actor, *c.Details, now)
			case "add_institution":
				return p.AddInstitution(actor, inst, now)
			case "add_class":
				return p.AddClass(actor, project.Class{ID: classID, InstitutionID: c.InstitutionID, Name: c.ClassName}, now)
			case "quota":
				return p.SetQuota(actor, c.Region, c.Count, now)
			case "policy":
				if c.Policy == nil {
					return domain.Invalid("policy", "缺少成绩规则")
				}
				return p.SetPolicy(actor, *c.Policy, now)
			case "open_nomination":
				return p.OpenNomination(actor, now)
			case "start":
				return p.Start(actor, now)
			case "finish":
				return p.Finish(actor, now)
			case "cancel":
				return p.Cancel(actor, c.Reason, now)
			}
			return domain.Invalid("action", "未知的操作")
		})
	if err != nil {
		return Result{}, err
	}
	if c.Action == "finish" {
		if err := h.completeAll(ctx, actor, p); err != nil {
			return Result{}, fmt.Errorf("project finished, certificates not all issued (finish is done; post the grades again to retry): %w", err)
		}
	}
	r := result(id, res, p)
	if c.Action == "add_class" {
		// The caller needs the new class's id to assign trainees to it.
		r.ID = classID
	}
	return r, nil
}

// RegisterInstitution enters a training institution in the register; its
// code is unique (a claim), so a retried or repeated registration cannot
// create a twin.
func (h *Handlers) RegisterInstitution(ctx context.Context, actor access.Actor, in institution.Registration) (Result, error) {
	id := h.newID(ctx, actor, "institution")
	w := h.write(ctx, actor)
	var code string
	w.BeforeSave = func(ctx context.Context) error { return h.claim(ctx, actor, ClaimInstitutionCode, code, id) }
	i, res, err := Update(ctx, h.Repo, institution.StreamName(id), func() *institution.Institution { return institution.New(id) }, true, w,
		func(i *institution.Institution) error {
			err := i.Register(actor, in, h.Now())
			code = i.Code()
			return err
		})
	if err != nil {
		return Result{}, err
	}
	return result(id, res, i), nil
}

// ClaimInstitutionCode keeps institution codes unique.
const ClaimInstitutionCode = "institution_code"

// CreateInstitutionAccount opens a login for an institution's staff: the
// account carries the institution's id, which is all its reach.
func (h *Handlers) CreateInstitutionAccount(ctx context.Context, actor access.Actor, institutionID uuid.UUID, login, displayName string) (Result, string, error) {
	if !institution.CanRegister(actor) {
		return Result{}, "", institution.ErrNotProvinceAdmin
	}
	inst := institution.New(institutionID)
	if err := h.Repo.Load(ctx, institution.StreamName(institutionID), inst); err != nil {
		return Result{}, "", err
	}
	if displayName == "" {
		displayName = inst.Name()
	}
	return h.CreateAccount(ctx, actor, NewAccount{Login: login, Role: access.RoleInstitution, InstitutionID: institutionID, DisplayName: displayName})
}
