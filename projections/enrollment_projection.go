package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/teacher"
)

// EnrollmentsProjection keeps the read models of the training pipeline:
// projects, enrollments (stage, assignment, progress, grade, certificate and
// the pipeline steps), the register of institutions, and the few teacher
// facts rosters show (name, masked ID number, county, school). Every write
// is guarded by the stream revision, so a repeated event is a no-op.
type EnrollmentsProjection struct{}

func (EnrollmentsProjection) Name() string { return "enrollments" }
func (EnrollmentsProjection) Tables() []string {
	return []string{"projects", "enrollments", "enrollment_teachers", "institutions", "certificate_revocations"}
}

func (p EnrollmentsProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	if id, ok := streamID(env.Stream, "project"); ok {
		err = applyProject(ctx, tx, id, env)
	} else if id, ok := streamID(env.Stream, "enrollment"); ok {
		err = applyEnrollment(ctx, tx, id, env)
	} else if id, ok := streamID(env.Stream, "teacher"); ok {
		err = applyEnrollmentTeacher(ctx, tx, id, env)
	} else if id, ok := streamID(env.Stream, "institution"); ok {
		err = applyInstitution(ctx, tx, id, env)
	}
	if err != nil {
		return fmt.Errorf("enrollments: %s@%d %s: %w", env.Stream, env.Revision, env.Type, err)
	}
	return nil
}

func jsonb(v any) ([]byte, error) { return json.Marshal(v) }

func applyProject(ctx context.Context, tx pgx.Tx, id uuid.UUID, env event.Envelope) error {
	rev, at := int64(env.Revision), occurredAt(env)
	upd := func(set string, args ...any) error {
		sets := "revision = $2, updated_at = $3"
		if set != "" {
			sets += ", " + set
		}
		_, err := tx.Exec(ctx, `UPDATE projects SET `+sets+` WHERE project_id = $1 AND revision < $2`, append([]any{id, rev, at}, args...)...)
		return err
	}
	switch e := env.Event.(type) {
	case *project.Created:
		insts, err := jsonb(e.Institutions)
		if err != nil {
			return err
		}
		pol, err := jsonb(e.Policy)
		if err != nil {
			return err
		}
		d := e.Details
		_, err = tx.Exec(ctx, `
			INSERT INTO projects (project_id, revision, name, year, kind, category, mode, owner, status,
				start_date, end_date, hours, credits, remote_url, policy, institutions, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
			ON CONFLICT (project_id) DO NOTHING`,
			id, rev, d.Name, d.Year, string(e.Kind), int(e.Category), int(d.Mode), e.Owner, string(project.StatusDraft),
			d.Start, d.End, d.Hours, d.Credits, d.RemoteURL, pol, insts, at)
		return err
	case *project.DetailsChanged:
		d := e.Details
		return upd("name = $4, year = $5, mode = $6, start_date = $7, end_date = $8, hours = $9, credits = $10, remote_url = $11",
			d.Name, d.Year, int(d.Mode), d.Start, d.End, d.Hours, d.Credits, d.RemoteURL)
	case *project.InstitutionAdded:
		v, err := jsonb([]project.Institution{e.Institution})
		if err != nil {
			return err
		}
		return upd("institutions = institutions || $4::jsonb", v)
	case *project.ClassAdded:
		v, err := jsonb([]project.Class{e.Class})
		if err != nil {
			return err
		}
		return upd("classes = classes || $4::jsonb", v)
	case *project.QuotaSet:
		if e.Count == 0 {
			return upd("quotas = quotas - $4::text", e.Region)
		}
		return upd("quotas = quotas || jsonb_build_object($4::text, $5::int)", e.Region, e.Count)
	case *project.PolicySet:
		v, err := jsonb(e.Policy)
		if err != nil {
			return err
		}
		return upd("policy = $4", v)
	case *project.NominationOpened:
		return upd("status = $4", string(project.StatusNominating))
	case *project.Started:
		return upd("status = $4", string(project.StatusInProgress))
	case *project.Finished:
		return upd("status = $4", string(project.StatusFinished))
	case *project.Cancelled:
		return upd("status = $4, cancel_reason = $5", string(project.StatusCancelled), e.Reason)
	}
	return upd("")
}

func applyEnrollment(ctx context.Context, tx pgx.Tx, id uuid.UUID, env event.Envelope) error {
	rev, at := int64(env.Revision), occurredAt(env)
	// The aggregate's own Apply labels the step of an event, so the
	// personal space shows exactly what the domain calls it.
	var probe enrollment.Enrollment
	probe.Apply(env.Event)
	// Events that are not steps (progress) add an empty array, not a null.
	steps := []byte("[]")
	if st := probe.Steps(); len(st) > 0 {
		var err error
		if steps, err = jsonb(st); err != nil {
			return err
		}
	}
	upd := func(set string, args ...any) error {
		sets := "revision = $2, updated_at = $3, steps = steps || $4::jsonb"
		if set != "" {
			sets += ", " + set
		}
		_, err := tx.Exec(ctx, `UPDATE enrollments SET `+sets+` WHERE enrollment_id = $1 AND revision < $2`, append([]any{id, rev, at, steps}, args...)...)
		return err
	}
	stage := func(s enrollment.Stage, extra string, args ...any) error {
		st := statusOf(s)
		set := "stage = $5, status = $6"
		if extra != "" {
			set += ", " + extra
		}
		return upd(set, append([]any{string(s), string(st)}, args...)...)
	}
	switch e := env.Event.(type) {
	case *enrollment.Nominated:
		// A re-nomination restarts the pipeline on the same row; the steps
		// of earlier attempts stay, with their reasons.
		_, err := tx.Exec(ctx, `
			INSERT INTO enrollments (enrollment_id, revision, project_id, teacher_id, county, owner, city_review,
				attempt, stage, status, steps, nominated_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
			ON CONFLICT (enrollment_id) DO UPDATE SET
				revision = EXCLUDED.revision, county = EXCLUDED.county, city_review = EXCLUDED.city_review,
				attempt = EXCLUDED.attempt, stage = EXCLUDED.stage, status = EXCLUDED.status, reason = '',
				institution_id = NULL, institution_name = '', class_id = NULL, class_name = '', notice = NULL,
				approved = false, steps = enrollments.steps || EXCLUDED.steps,
				nominated_at = EXCLUDED.nominated_at, updated_at = EXCLUDED.updated_at
			WHERE enrollments.revision < EXCLUDED.revision`,
			id, rev, e.ProjectID, e.TeacherID, e.County, e.ProjectOwner, e.CityReview, e.Attempt,
			string(enrollment.StageNominated), string(enrollment.StatusNotStarted), steps, at)
		return err
	case *enrollment.CityApproved:
		return stage(enrollment.StageCityApproved, "")
	case *enrollment.CityRejected:
		return stage(enrollment.StageCityRejected, "reason = $7", e.Reason)
	case *enrollment.ProvinceApproved:
		return stage(enrollment.StageApproved, "approved = true")
	case *enrollment.ProvinceRejected:
		return stage(enrollment.StageProvinceRejected, "reason = $7", e.Reason)
	case *enrollment.Withdrawn:
		return stage(enrollment.StageWithdrawn, "reason = $7", e.Reason)
	case *enrollment.Assigned:
		// A reassignment voids a published notice (the domain does the same).
		return upd(`institution_id = $5, institution_name = $6, class_id = $7, class_name = $8, notice = NULL,
			stage = CASE WHEN stage = 'notice_published' THEN 'approved' ELSE stage END`,
			e.InstitutionID, e.InstitutionName, e.ClassID, e.ClassName)
	case *enrollment.ClassNoticePublished:
		v, err := jsonb(e.Notice)
		if err != nil {
			return err
		}
		return stage(enrollment.StageNoticePublished, "notice = $7", v)
	case *enrollment.Reported:
		return stage(enrollment.StageReported, "")
	case *enrollment.ProgressRecorded:
		return upd("online_percent = $5, sessions_attended = $6, sessions_total = $7",
			e.Progress.OnlinePercent, e.Progress.SessionsAttended, e.Progress.SessionsTotal)
	case *enrollment.GradePosted:
		return stage(enrollment.StageGraded, "offline_score = $7, online_score = $8, total_score = $9, passed = $10",
			e.Scores.Offline, e.Scores.Online, e.Scores.Total, e.Scores.Passed)
	case *enrollment.GradeCorrected:
		return upd("offline_score = $5, online_score = $6, total_score = $7, passed = $8",
			e.Scores.Offline, e.Scores.Online, e.Scores.Total, e.Scores.Passed)
	case *enrollment.CreditsGranted:
		return upd("hours_granted = $5, credits_granted = $6", e.Hours, e.Credits)
	case *enrollment.CreditsRevoked:
		return upd("hours_granted = 0, credits_granted = 0")
	case *enrollment.CertificateIssued:
		return upd("cert_number = $5, cert_code = $6, cert_issued_at = $7", e.Number, e.VerificationCode, e.At)
	case *enrollment.CertificateRevoked:
		if _, err := tx.Exec(ctx, `INSERT INTO certificate_revocations (cert_number, enrollment_id) VALUES ($1, $2)
			ON CONFLICT (cert_number) DO NOTHING`, e.Number, id); err != nil {
			return fmt.Errorf("certificate revocation: %w", err)
		}
		return upd("cert_number = NULL, cert_code = NULL, cert_issued_at = NULL")
	}
	return upd("")
}

func statusOf(s enrollment.Stage) enrollment.Status {
	switch s {
	case enrollment.StageReported:
		return enrollment.StatusInProgress
	case enrollment.StageGraded:
		return enrollment.StatusFinished
	}
	return enrollment.StatusNotStarted
}

func applyEnrollmentTeacher(ctx context.Context, tx pgx.Tx, id uuid.UUID, env event.Envelope) error {
	rev := int64(env.Revision)
	upd := func(set string, args ...any) error {
		sets := "revision = $2"
		if set != "" {
			sets += ", " + set
		}
		_, err := tx.Exec(ctx, `UPDATE enrollment_teachers SET `+sets+` WHERE teacher_id = $1 AND revision < $2`, append([]any{id, rev}, args...)...)
		return err
	}
	switch e := env.Event.(type) {
	case *teacher.Registered:
		_, err := tx.Exec(ctx, `
			INSERT INTO enrollment_teachers (teacher_id, revision, name, id_masked, county, unit_name)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (teacher_id) DO NOTHING`,
			id, rev, e.Profile.Name, ident.MaskID(e.Profile.IDNumber), e.Profile.County, e.UnitName)
		return err
	case *teacher.KeyFieldCorrected:
		switch e.Field {
		case teacher.FieldName:
			return upd("name = $3", e.New)
		case teacher.FieldIDNumber:
			return upd("id_masked = $3", ident.MaskID(e.New))
		case teacher.FieldCounty:
			return upd("county = $3", e.New)
		case "unit_id":
			return upd("unit_name = $3", e.NewLabel)
		}
	case *teacher.TransferAccepted:
		// Jurisdiction over the enrollments follows the teacher
		// (commands.FollowTeacher): lists and queues move with her.
		if _, err := tx.Exec(ctx, `UPDATE enrollments SET county = $2 WHERE teacher_id = $1`, id, e.ToCounty); err != nil {
			return err
		}
		return upd("county = $3, unit_name = $4", e.ToCounty, e.ToUnitName)
	}
	return upd("")
}

func applyInstitution(ctx context.Context, tx pgx.Tx, id uuid.UUID, env event.Envelope) error {
	rev := int64(env.Revision)
	switch e := env.Event.(type) {
	case *institution.Registered:
		_, err := tx.Exec(ctx, `
			INSERT INTO institutions (institution_id, revision, name, code, contact, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (institution_id) DO NOTHING`,
			id, rev, e.Name, e.Code, e.Contact, occurredAt(env))
		return err
	case *institution.ContactChanged:
		_, err := tx.Exec(ctx, `UPDATE institutions SET revision = $2, contact = $3 WHERE institution_id = $1 AND revision < $2`, id, rev, e.New)
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE institutions SET revision = $2 WHERE institution_id = $1 AND revision < $2`, id, rev)
	return err
}
