package registration

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// PolicyStreamName is the stream of the policies of one scope; the national
// scope ("") is "registration-policy-national".
func PolicyStreamName(scope string) string {
	if scope == "" {
		return "registration-policy-national"
	}
	return "registration-policy-" + scope
}

// PolicyPublished adds a policy version. Published policies are never
// edited: a change is a new version with its own effective date.
type PolicyPublished struct {
	Policy      Policy    `json:"policy"`
	PublishedBy uuid.UUID `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

func (*PolicyPublished) EventType() string { return TypePolicyPublished }

// PolicyHistory is every policy published for one scope.
type PolicyHistory struct {
	event.Root
	scope    string
	policies []Policy
}

// NewPolicyHistory returns an empty history of scope; load history into it.
func NewPolicyHistory(scope string) *PolicyHistory { return &PolicyHistory{scope: scope} }

// Policies returns the published versions in publication order.
func (h *PolicyHistory) Policies() []Policy { return slices.Clone(h.policies) }

// Apply changes the state from an event; it never fails.
func (h *PolicyHistory) Apply(e event.Event) {
	if e, ok := e.(*PolicyPublished); ok {
		h.policies = append(h.policies, e.Policy)
	}
}

// Publish adds a version. Province admins publish for their province and
// anything inside it; the national scope belongs to the system (it changes
// with national law, i.e. with a release).
func (h *PolicyHistory) Publish(actor access.Actor, p Policy, at time.Time) error {
	if p.Scope != h.scope {
		return domain.Invalid("scope", "适用地区与政策序列不符")
	}
	allowed := actor.Role == access.RoleSystem ||
		actor.Role == access.RoleProvinceAdmin && p.Scope != "" && actor.Covers(p.Scope)
	if !allowed {
		return fmt.Errorf("registration: only the province admin publishes policies for its region: %w", access.ErrForbidden)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if bad := checkPublishable(p); len(bad) > 0 {
		v := &domain.ValidationError{}
		for _, f := range []string{"scope", "effective_from"} {
			if r, ok := bad[f]; ok {
				v.Add(f, r)
			}
		}
		return v
	}
	if at.IsZero() {
		return domain.Invalid("at", "缺少发布时间")
	}
	if p.Version == NationalVersion {
		return fmt.Errorf("registration: version %q is reserved: %w", p.Version, domain.ErrDuplicate)
	}
	for _, old := range h.policies {
		if old.Version == p.Version {
			return fmt.Errorf("registration: policy version %q exists: %w", p.Version, domain.ErrDuplicate)
		}
	}
	p.EffectiveFrom = dateOf(p.EffectiveFrom)
	p.Exemptions = slices.Clone(p.Exemptions)
	h.Record(h, &PolicyPublished{Policy: p, PublishedBy: actor.UserID, PublishedAt: at})
	return nil
}
