package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/creditaudit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// TeacherHistoryProjection keeps teacher_history: every event that
// concerns a teacher, from every stream (the record, enrollments, the
// credit ledger and credit bank, appraisals, registration, growth,
// studios), as a readable Chinese sentence with who did it, under which
// role and jurisdiction, when and why. A row is keyed by its stream and
// revision. teacher_history_subjects is its own memory of what later
// events of another stream need (whose an enrollment is, a project's
// name), so it can be rebuilt alone.
type TeacherHistoryProjection struct{}

func (TeacherHistoryProjection) Name() string { return "teacher_history" }
func (TeacherHistoryProjection) Tables() []string {
	return []string{"teacher_history", "teacher_history_subjects"}
}

func (TeacherHistoryProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var lines []historyLine
	if id, isTeacher := streamID(env.Stream, "teacher"); isTeacher {
		pid, prole := payloadActor(env.Event)
		actorID, role := actorOf(env, pid, prole)
		lines = []historyLine{{teacherID: id, description: teacher.Describe(env), reason: teacherReason(env.Event),
			actorID: actorID, role: role, name: env.Metadata.ActorName, jurisdiction: env.Metadata.Jurisdiction}}
	} else if d, isDraw := env.Event.(*creditaudit.Drawn); isDraw {
		// One draw concerns every teacher whose entry it sampled.
		var err error
		if lines, err = describeDraw(ctx, subjectMemory{tx}, env, d); err != nil {
			return fmt.Errorf("teacher history %s@%d: %w", env.Stream, env.Revision, err)
		}
	} else {
		line, ok, err := describeOther(ctx, subjectMemory{tx}, env)
		if err != nil {
			return fmt.Errorf("teacher history %s@%d: %w", env.Stream, env.Revision, err)
		}
		if ok {
			lines = []historyLine{line}
		}
	}
	for _, entry := range lines {
		if entry.teacherID == uuid.Nil {
			continue
		}
		err := insertRow(ctx, tx, insertHistory,
			entry.teacherID, env.Stream, int64(env.Revision), env.ID, env.Type, entry.description, entry.reason,
			entry.actorID, entry.name, entry.role, entry.jurisdiction, occurredAt(env))
		if err != nil {
			return fmt.Errorf("teacher history %s@%d: %w", env.Stream, env.Revision, err)
		}
	}
	return nil
}

var insertHistory = newBulkInsert("teacher_history",
	[]string{"teacher_id", "stream", "revision", "event_id", "event_type", "description", "reason",
		"actor_id", "actor_name", "actor_role", "jurisdiction", "occurred_at"},
	"ON CONFLICT (teacher_id, stream, revision) DO NOTHING")

// historyLine is one row of a teacher's history before it is stored.
type historyLine struct {
	teacherID    uuid.UUID
	description  string
	reason       string
	actorID      uuid.UUID
	role         string
	name         string
	jurisdiction string
}

// subjectMemory reads and writes teacher_history_subjects.
type subjectMemory struct{ tx pgx.Tx }

func (m subjectMemory) remember(ctx context.Context, subject string, teacherID uuid.UUID, label string) error {
	_, err := m.tx.Exec(ctx, `INSERT INTO teacher_history_subjects (subject, teacher_id, label) VALUES ($1, $2, $3)
		ON CONFLICT (subject) DO UPDATE SET teacher_id = COALESCE(EXCLUDED.teacher_id, teacher_history_subjects.teacher_id),
			label = CASE WHEN EXCLUDED.label = '' THEN teacher_history_subjects.label ELSE EXCLUDED.label END`,
		subject, nullUUID(teacherID), label)
	if err != nil {
		return fmt.Errorf("remember %s: %w", subject, err)
	}
	return nil
}

// recall is the teacher and label remembered of subject (zero values if
// nothing is).
func (m subjectMemory) recall(ctx context.Context, subject string) (uuid.UUID, string, error) {
	var id *uuid.UUID
	var label string
	err := m.tx.QueryRow(ctx, `SELECT teacher_id, label FROM teacher_history_subjects WHERE subject = $1`, subject).Scan(&id, &label)
	if err == pgx.ErrNoRows {
		return uuid.Nil, "", nil
	}
	if err != nil {
		return uuid.Nil, "", fmt.Errorf("recall %s: %w", subject, err)
	}
	if id == nil {
		return uuid.Nil, label, nil
	}
	return *id, label, nil
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

// teacherReason is the reason a teacher event gives, "" if none.
func teacherReason(ev event.Event) string {
	switch e := ev.(type) {
	case *teacher.OrdinaryFieldEdited:
		return e.Reason
	case *teacher.KeyFieldCorrected:
		return e.Reason
	case *teacher.CorrectionRequested:
		return e.Reason
	case *teacher.CorrectionApproved:
		return e.Comment
	case *teacher.CorrectionRejected:
		return e.Reason
	case *teacher.TransferStarted:
		return e.Reason
	case *teacher.TransferRejected:
		return e.Reason
	case *teacher.TransferCancelled:
		return e.Reason
	}
	return ""
}

// HistoryEntry is one event that concerns a teacher. Stream and Revision
// name the event in its stream (the teacher's record, an enrollment, the
// credit ledger, ...); Category groups the streams for the pages' tabs.
type HistoryEntry struct {
	Stream        string    `json:"stream"`
	Revision      uint64    `json:"revision"`
	Category      string    `json:"category"`
	CategoryLabel string    `json:"category_label"`
	EventID       uuid.UUID `json:"event_id"`
	Type          string    `json:"type"`
	Description   string    `json:"description"`
	Reason        string    `json:"reason,omitempty"`
	ActorID       uuid.UUID `json:"actor_id"`
	ActorName     string    `json:"actor_name"`
	ActorRole     string    `json:"actor_role"`
	ActorLabel    string    `json:"actor_role_label"`
	Jurisdiction  string    `json:"jurisdiction"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// History lists every event that concerns a teacher, oldest first; an
// unknown teacher has an empty history (not an error: the caller asks
// Profile for existence).
func (q *TeacherQueries) History(ctx context.Context, teacherID uuid.UUID) ([]HistoryEntry, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT stream, revision, event_id, event_type, description, reason, actor_id, actor_name, actor_role, jurisdiction, occurred_at
		FROM teacher_history WHERE teacher_id = $1 ORDER BY occurred_at, stream, revision`, teacherID)
	if err != nil {
		return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var rev int64
		if err := rows.Scan(&h.Stream, &rev, &h.EventID, &h.Type, &h.Description, &h.Reason, &h.ActorID, &h.ActorName,
			&h.ActorRole, &h.Jurisdiction, &h.OccurredAt); err != nil {
			return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
		}
		h.Revision = uint64(rev)
		h.OccurredAt = h.OccurredAt.UTC()
		h.ActorLabel = access.Role(h.ActorRole).Label()
		h.Category, h.CategoryLabel = historyCategory(h.Stream)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("teacher history %s: %w", teacherID, err)
	}
	return out, nil
}
