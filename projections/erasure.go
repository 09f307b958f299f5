package projections

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// Erasure of a teacher's personal data (docs/INTEGRITY.md section 6). The
// erasure process destroys the teacher's data key, so every event applied
// afterwards (a rebuild) opens the personal fields as "已删除". What the
// read models already hold is scrubbed by each projection itself when it
// applies teacher.erased: it has then applied every earlier event of the
// teacher, so nothing it writes later can bring a value back.
//
// erasing wraps a projection with the scrub of its own tables.
type erasing struct {
	Projection
	scrub func(ctx context.Context, tx pgx.Tx, teacherID uuid.UUID) error
}

func (p erasing) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	if err := p.Projection.Apply(ctx, tx, env); err != nil {
		return err
	}
	e, ok := env.Event.(*teacher.Erased)
	if !ok {
		return nil
	}
	if err := p.scrub(ctx, tx, e.TeacherID); err != nil {
		return fmt.Errorf("%s: erase teacher %s: %w", p.Name(), e.TeacherID, err)
	}
	return nil
}

// withErasure adds the scrub of its tables to each teacher read model
// that holds personal fields.
func withErasure(p Projection) Projection { return WithErasure(p) }

// WithErasure is withErasure for any projection of the service (the
// wiring wraps them all; those without personal fields stay as they are).
func WithErasure(p Projection) Projection {
	if _, ok := p.(erasing); ok {
		return p
	}
	var scrub func(ctx context.Context, tx pgx.Tx, id uuid.UUID) error
	switch p.Name() {
	case "credit_teachers":
		scrub = execScrub(`UPDATE credit_teachers SET name = $2, id_number = $2 WHERE teacher_id = $1`)
	case "enrollments":
		scrub = execScrub(`UPDATE enrollment_teachers SET name = $2, id_masked = $2 WHERE teacher_id = $1`)
	case "registration_inputs":
		scrub = execScrub(`UPDATE regcheck_teachers SET name = CASE WHEN name = '' THEN '' ELSE $2 END,
			id_number = CASE WHEN id_number = '' THEN '' ELSE $2 END WHERE teacher_id = $1`)
	case "teacher_profile":
		scrub = execScrub(`UPDATE teacher_profiles SET name = $2, id_number = $2,
			birth_date = CASE WHEN birth_date = '' THEN '' ELSE $2 END,
			certificate_number = CASE WHEN certificate_number = '' THEN '' ELSE $2 END,
			former_name = CASE WHEN former_name = '' THEN '' ELSE $2 END,
			mobile = CASE WHEN mobile = '' THEN '' ELSE $2 END,
			email = CASE WHEN email = '' THEN '' ELSE $2 END,
			certificate_photo = CASE WHEN certificate_photo = '' THEN '' ELSE $2 END,
			avatar = CASE WHEN avatar = '' THEN '' ELSE $2 END
			WHERE teacher_id = $1`)
	case "teacher_history":
		scrub = scrubHistory
	case "key_field_audit":
		scrub = execScrub(
			`UPDATE key_field_audit SET teacher_name = $2,
				old_value = CASE WHEN field = ANY($3) AND old_value <> '' THEN $2 ELSE old_value END,
				new_value = CASE WHEN field = ANY($3) AND new_value <> '' THEN $2 ELSE new_value END,
				old_label = CASE WHEN field = ANY($3) AND old_label <> '' THEN $2 ELSE old_label END,
				new_label = CASE WHEN field = ANY($3) AND new_label <> '' THEN $2 ELSE new_label END,
				reason = CASE WHEN reason = '' THEN '' ELSE $2 END
			WHERE teacher_id = $1`,
			`UPDATE key_field_audit_teachers SET name = $2,
				transfer_reason = CASE WHEN transfer_reason = '' THEN '' ELSE $2 END WHERE teacher_id = $1`)
	case "teacher_queues":
		scrub = execScrub(
			`UPDATE pending_corrections SET teacher_name = $2, reason = CASE WHEN reason = '' THEN '' ELSE $2 END,
				current_value = CASE WHEN field = ANY($3) AND current_value <> '' THEN $2 ELSE current_value END,
				proposed_value = CASE WHEN field = ANY($3) AND proposed_value <> '' THEN $2 ELSE proposed_value END,
				evidence = array_fill($2::text, ARRAY[cardinality(evidence)])
			WHERE teacher_id = $1`,
			`UPDATE pending_transfers SET teacher_name = $2, reason = CASE WHEN reason = '' THEN '' ELSE $2 END WHERE teacher_id = $1`,
			`UPDATE queue_teachers SET name = $2 WHERE teacher_id = $1`)
	case "accounts":
		scrub = execScrub(`UPDATE accounts SET login = $2, display_name = $2, disabled = true,
			disable_reason = CASE WHEN disabled THEN disable_reason ELSE '个人信息已删除' END WHERE teacher_id = $1`)
	default:
		return p
	}
	return erasing{Projection: p, scrub: scrub}
}

// ErasedPersonalFields are the teacher's fields whose values are sealed;
// the scrubs replace them where a row names its field.
var ErasedPersonalFields = teacher.PersonalFields

func execScrub(stmts ...string) func(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	return func(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
		for _, s := range stmts {
			args := []any{id, teacher.ErasedValue}
			if containsArg3(s) {
				args = append(args, ErasedPersonalFields)
			}
			if _, err := tx.Exec(ctx, s, args...); err != nil {
				return err
			}
		}
		return nil
	}
}

func containsArg3(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '3' {
			return true
		}
	}
	return false
}

// scrubHistory: the sentences of the teacher's own events quote personal
// values and reasons; live they are replaced by a note (a rebuild renders
// each event again, with "已删除" in place of each personal value), and
// the teacher's own name as actor goes.
func scrubHistory(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE teacher_history SET description = '（个人信息已删除）'
		WHERE teacher_id = $1 AND event_type LIKE 'teacher.%' AND event_type <> $2`, id, teacher.TypeErased)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE teacher_history SET actor_name = $2 WHERE teacher_id = $1 AND actor_role = 'teacher' AND actor_name <> ''`,
		id, teacher.ErasedValue)
	if err != nil {
		return err
	}
	var hasReason bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'teacher_history' AND column_name = 'reason')`).Scan(&hasReason); err != nil {
		return err
	}
	if hasReason {
		_, err = tx.Exec(ctx, `UPDATE teacher_history SET reason = $2 WHERE teacher_id = $1 AND reason <> ''
			AND event_type LIKE 'teacher.%' AND event_type <> $3`, id, teacher.ErasedValue, teacher.TypeErased)
	}
	return err
}
