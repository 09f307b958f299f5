package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/studio"
)

// StudioProjection keeps the studios and who joined or follows each, for
// "my studios" and the studio lists of a region.
type StudioProjection struct{}

func (StudioProjection) Name() string     { return "studios" }
func (StudioProjection) Tables() []string { return []string{"studios", "studio_memberships"} }

func (StudioProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	at := occurredAt(env)
	member := func(m studio.Membership, column string, on bool) error {
		_, err := tx.Exec(ctx, `INSERT INTO studio_memberships (studio_id, teacher_id, `+column+`, since)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (studio_id, teacher_id) DO UPDATE SET `+column+` = $3`, m.StudioID, m.TeacherID, on, at)
		return err
	}
	switch e := env.Event.(type) {
	case *studio.Created:
		_, err = tx.Exec(ctx, `INSERT INTO studios (studio_id, name, host_teacher_id, host_name, region, subject, description, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (studio_id) DO NOTHING`,
			e.StudioID, e.Name, e.HostTeacherID, e.HostName, e.Region, e.Subject, e.Description, e.At)
		if err == nil {
			// The host is a member from the start, as the aggregate has it.
			err = member(studio.Membership{StudioID: e.StudioID, TeacherID: e.HostTeacherID}, "member", true)
		}
	case *studio.Closed:
		_, err = tx.Exec(ctx, `UPDATE studios SET closed = true WHERE studio_id = $1`, e.StudioID)
	case *studio.Joined:
		err = member(e.Membership, "member", true)
	case *studio.Left:
		err = member(e.Membership, "member", false)
	case *studio.Followed:
		err = member(e.Membership, "follower", true)
	case *studio.Unfollowed:
		err = member(e.Membership, "follower", false)
	}
	if err != nil {
		return fmt.Errorf("studios: %s: %w", env.Type, err)
	}
	return nil
}
