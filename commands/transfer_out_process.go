package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// TransferOutProcess withdraws the open enrollments of a teacher whose
// transfer out of the province was confirmed (teacher.transferred_out), with
// the reason 已调出本省, and gives their seats back: the record is
// read-only afterwards, so no one could withdraw them by hand.
//
// It runs in the projection runner with its own checkpoint and keeps its
// own index in feed order (transfer_out_enrollments: the teacher's
// enrollments; transfer_out_teachers: who left), so it needs no read model
// that could lag behind it. A nomination that raced the confirmation and
// was stored after it is withdrawn when the process reaches it. Every step
// is idempotent: a closed enrollment records nothing, a released seat is
// not released again, so a replay (a rebuild, a redelivery) changes nothing.
type TransferOutProcess struct {
	h *Handlers
}

// NewTransferOutProcess wires the process to the command handlers.
func NewTransferOutProcess(h *Handlers) *TransferOutProcess { return &TransferOutProcess{h: h} }

// Name keys the process's checkpoint.
func (p *TransferOutProcess) Name() string { return "transfer_out_process" }

// Tables are the process's index, rebuilt from the feed like a read model.
func (p *TransferOutProcess) Tables() []string {
	return []string{"transfer_out_enrollments", "transfer_out_teachers"}
}

// Apply handles enrollment.nominated and teacher.transferred_out.
func (p *TransferOutProcess) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	switch e := env.Event.(type) {
	case *enrollment.Nominated:
		if _, err := tx.Exec(ctx, `INSERT INTO transfer_out_enrollments (teacher_id, enrollment_id, project_id)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, e.TeacherID, e.EnrollmentID, e.ProjectID); err != nil {
			return fmt.Errorf("transfer-out process: %w", err)
		}
		var gone bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM transfer_out_teachers WHERE teacher_id = $1)`, e.TeacherID).Scan(&gone); err != nil {
			return fmt.Errorf("transfer-out process: %w", err)
		}
		if !gone {
			return nil
		}
		return p.withdraw(ctx, env, e.EnrollmentID, e.ProjectID)
	case *teacher.TransferredOut:
		if _, err := tx.Exec(ctx, `INSERT INTO transfer_out_teachers (teacher_id) VALUES ($1) ON CONFLICT DO NOTHING`, e.TeacherID); err != nil {
			return fmt.Errorf("transfer-out process: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT enrollment_id, project_id FROM transfer_out_enrollments
			WHERE teacher_id = $1 ORDER BY enrollment_id`, e.TeacherID)
		if err != nil {
			return fmt.Errorf("transfer-out process: %w", err)
		}
		type pair struct{ enrollment, project uuid.UUID }
		var ps []pair
		for rows.Next() {
			var x pair
			if err := rows.Scan(&x.enrollment, &x.project); err != nil {
				rows.Close()
				return fmt.Errorf("transfer-out process: %w", err)
			}
			ps = append(ps, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("transfer-out process: %w", err)
		}
		var errs []error
		for _, x := range ps {
			errs = append(errs, p.withdraw(ctx, env, x.enrollment, x.project))
		}
		return errors.Join(errs...)
	}
	return nil
}

// withdraw withdraws one enrollment if it is still open and releases its
// seat, on behalf of the cause's actor.
func (p *TransferOutProcess) withdraw(ctx context.Context, cause event.Envelope, id, projectID uuid.UUID) error {
	m := cause.Metadata
	actor := access.Actor{UserID: m.ActorID, Role: access.Role(m.ActorRole), Name: m.ActorName, Jurisdiction: m.Jurisdiction}
	w := p.h.processWrite(cause)
	e, _, err := Update(ctx, p.h.Repo, enrollment.StreamName(id), freshEnrollment, false, w,
		func(e *enrollment.Enrollment) error { return e.WithdrawTransferredOut(actor, p.h.Now()) })
	if err != nil {
		return fmt.Errorf("transfer-out process: withdraw enrollment %s: %w", id, err)
	}
	if e.NeedsSeat() {
		return nil // graded: it keeps its place in the project's history
	}
	if err := p.h.releaseSeatIfIdle(ctx, actor, projectID, id, enrollment.TransferredOutReason); err != nil {
		return fmt.Errorf("transfer-out process: enrollment %s: %w", id, err)
	}
	return nil
}
