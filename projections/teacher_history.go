package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// TeacherHistoryProjection keeps teacher_history: every event of every
// teacher stream as a readable Chinese sentence (teacher.Describe), with
// who did it, under which jurisdiction and when.
type TeacherHistoryProjection struct{}

func (TeacherHistoryProjection) Name() string     { return "teacher_history" }
func (TeacherHistoryProjection) Tables() []string { return []string{"teacher_history"} }

func (TeacherHistoryProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	id, ok := streamID(env.Stream, "teacher")
	if !ok {
		return nil
	}
	pid, prole := payloadActor(env.Event)
	actorID, role := actorOf(env, pid, prole)
	_, err := tx.Exec(ctx, `
		INSERT INTO teacher_history (teacher_id, revision, event_id, event_type, description,
		                             actor_id, actor_name, actor_role, jurisdiction, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (teacher_id, revision) DO NOTHING`,
		id, int64(env.Revision), env.ID, env.Type, teacher.Describe(env),
		actorID, env.Metadata.ActorName, role, env.Metadata.Jurisdiction, occurredAt(env))
	if err != nil {
		return fmt.Errorf("teacher history %s@%d: %w", id, env.Revision, err)
	}
	return nil
}

// payloadActor reads the actor that teacher events carry in their payload,
// for events stored without metadata.
func payloadActor(ev event.Event) (uuid.UUID, string) {
	var id uuid.UUID
	var role access.Role
	switch e := ev.(type) {
	case *teacher.Registered:
		id, role = e.ActorID, e.ActorRole
	case *teacher.OrdinaryFieldEdited:
		id, role = e.ActorID, e.ActorRole
	case *teacher.KeyFieldCorrected:
		id, role = e.ActorID, e.ActorRole
	case *teacher.CorrectionRequested:
		id, role = e.ActorID, e.ActorRole
	case *teacher.CorrectionApproved:
		id, role = e.ActorID, e.ActorRole
	case *teacher.CorrectionRejected:
		id, role = e.ActorID, e.ActorRole
	case *teacher.CorrectionWithdrawn:
		id, role = e.ActorID, e.ActorRole
	case *teacher.TransferStarted:
		id, role = e.ActorID, e.ActorRole
	case *teacher.TransferAccepted:
		id, role = e.ActorID, e.ActorRole
	case *teacher.TransferRejected:
		id, role = e.ActorID, e.ActorRole
	case *teacher.TransferCancelled:
		id, role = e.ActorID, e.ActorRole
	}
	return id, string(role)
}

// HistoryEntry is one event of a teacher's record.
type HistoryEntry struct {
	Revision     uint64    `json:"revision"`
	EventID      uuid.UUID `json:"event_id"`
	Type         string    `json:"type"`
	Description  string    `json:"description"`
	ActorID      uuid.UUID `json:"actor_id"`
	ActorName    string    `json:"actor_name"`
	ActorRole    string    `json:"actor_role"`
	ActorLabel   string    `json:"actor_role_label"`
	Jurisdiction string    `json:"jurisdiction"`
	OccurredAt   time.Time `json:"occurred_at"`
}

// History lists every event of a teacher's stream in revision order; an
// unknown teacher has an empty history (not an error: the caller asks
// Profile for existence).
func (q *TeacherQueries) History(ctx context.Context, teacherID uuid.UUID) ([]HistoryEntry, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT revision, event_id, event_type, description, actor_id, actor_name, actor_role, jurisdiction, occurred_at
		FROM teacher_history WHERE teacher_id = $1 ORDER BY revision`, teacherID)
	if err != nil {
		return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var rev int64
		if err := rows.Scan(&rev, &h.EventID, &h.Type, &h.Description, &h.ActorID, &h.ActorName,
			&h.ActorRole, &h.Jurisdiction, &h.OccurredAt); err != nil {
			return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
		}
		h.Revision = uint64(rev)
		h.OccurredAt = h.OccurredAt.UTC()
		h.ActorLabel = access.Role(h.ActorRole).Label()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
	}
	return out, nil
}
