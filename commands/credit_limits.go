package commands

import (
	"context"
	"time"

	"github.com/hbte/record/domain/credit"
)

// creditLimits are the plausibility limits of the registration policy in
// force for county on the day on (policy data, registration.Policy.Limits).
func (h *Handlers) creditLimits(ctx context.Context, county string, on time.Time) (credit.Limits, error) {
	cat, err := asOf{repo: h.Repo}.catalog(ctx, county)
	if err != nil {
		return credit.Limits{}, err
	}
	if on.IsZero() {
		on = ChinaDate(h.Now())
	}
	return cat.InForce(county, on).Limits(), nil
}
