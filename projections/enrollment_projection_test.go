package projections

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/institution"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/migrations/pgtest"
)

func envelopes(stream string, from int, evs []event.Event, at time.Time) []event.Envelope {
	out := make([]event.Envelope, len(evs))
	for i, e := range evs {
		out[i] = event.Envelope{ID: uuid.New(), Stream: stream, Revision: uint64(from + i), Type: e.EventType(), Event: e,
			Metadata: event.Metadata{OccurredAt: at}}
	}
	return out
}

func applyAll(t *testing.T, pool *pgxpool.Pool, envs []event.Envelope) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, env := range envs {
		if err := (EnrollmentsProjection{}).Apply(ctx, tx, env); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func dumpEnrollments(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT to_jsonb(e) FROM enrollments e ORDER BY enrollment_id`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[map[string]any])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(all)
	return string(raw)
}

// TestEnrollmentsProjectionFollowsTheAggregate: the read model shows what
// the aggregate decided (stage, steps, scores, certificate); a repeated
// feed is a no-op and a rebuild gives the same rows.
func TestEnrollmentsProjectionFollowsTheAggregate(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC)
	sys := access.System("test")
	sys.Name = "省级项目管理员"
	instID, classID, teacherID := uuid.New(), uuid.New(), uuid.New()

	var feed []event.Envelope
	inst := institution.New(instID)
	if err := inst.Register(sys, institution.Registration{Name: "河北师范大学", Code: "HEBTU", Contact: "王老师"}, at); err != nil {
		t.Fatal(err)
	}
	feed = append(feed, envelopes(institution.StreamName(instID), 0, inst.Changes(), at)...)
	feed = append(feed, envelopes(teacher.StreamName(teacherID), 0, []event.Event{&teacher.Registered{TeacherID: teacherID,
		Profile: teacher.Profile{Name: "张伟", IDNumber: "130102198501101011", County: "130102"}, UnitName: "第二十五中学"}}, at)...)

	p, err := project.Create(sys, project.NewProject{ID: uuid.New(), Kind: project.KindProvincial, Category: project.CategoryProvincial,
		Owner: "13", Institutions: []project.Institution{{ID: instID, Name: "河北师范大学"}}, Policy: project.DefaultPolicy(),
		Details: project.Details{Name: "2026年省培计划", Year: 2026, Mode: 2, Start: at, End: at.AddDate(0, 0, 9), Hours: 24, Credits: 2}}, at)
	if err != nil {
		t.Fatal(err)
	}
	eid := enrollment.ID(p.ID(), teacherID)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.AddClass(sys, project.Class{ID: classID, InstitutionID: instID, Name: "一班"}, at))
	must(p.SetQuota(sys, "130102", 5, at))
	must(p.OpenNomination(sys, at))
	must(p.ReserveSeat("130102", eid, at))
	feed = append(feed, envelopes(project.StreamName(p.ID()), 0, p.Changes(), at)...)

	e := &enrollment.Enrollment{}
	score := func(x float64) *float64 { return &x }
	must(e.Nominate(sys, p, teacherID, "130102", at))
	must(e.CityReject(sys, "材料不全", at))
	must(e.Nominate(sys, p, teacherID, "130102", at.Add(time.Hour)))
	must(e.CityApprove(sys, at))
	must(e.Approve(sys, p, instID, classID, at))
	must(e.PublishNotice(sys, enrollment.Notice{ReportDate: at, ReportPlace: "报告厅", Contact: "王老师"}, at))
	must(e.Report(sys, at))
	must(e.RecordProgress(sys, enrollment.Progress{OnlinePercent: 80, SessionsAttended: 5, SessionsTotal: 6}, at))
	must(p.Start(sys, at)) // in the project's stream only; the read models here need none of it
	must(e.PostGrade(sys, p, score(90), score(80), at))
	number, _ := enrollment.CertificateNumber(2026, project.CategoryProvincial, 1)
	code, _ := enrollment.VerificationCode([]byte{1, 2, 3, 4, 5})
	must(e.IssueCertificate(sys, p, number, code, at.AddDate(0, 0, 9)))
	feed = append(feed, envelopes(enrollment.StreamName(eid), 0, e.Changes(), at)...)

	applyAll(t, pool, feed)
	first := dumpEnrollments(t, pool)

	q := NewEnrollmentQueries(pool)
	teacherActor := access.Actor{Role: access.RoleTeacher, TeacherID: teacherID}
	v, err := q.Enrollment(ctx, teacherActor, eid)
	if err != nil {
		t.Fatal(err)
	}
	if v.Stage != string(enrollment.StageGraded) || v.Attempt != 2 || len(v.Steps) != len(e.Steps()) ||
		*v.Total != 85 || v.CertNumber == nil || *v.CertNumber != number || v.TeacherName != "张伟" ||
		v.IDNumber != "130102********1011" || v.HoursGranted != 24 || v.OnlinePercent != 80 || v.Institution != "河北师范大学" {
		t.Fatalf("read model: %+v", v)
	}
	if v.Steps[1].Reason != "材料不全" {
		t.Fatalf("the rejection's reason is lost: %+v", v.Steps)
	}
	if _, err := q.Enrollment(ctx, access.Actor{Role: access.RoleInstitution, InstitutionID: uuid.New()}, eid); err == nil {
		t.Fatal("another institution reads the enrollment")
	}
	stats, err := q.Statistics(ctx, access.Actor{Role: access.RoleCityAdmin, Jurisdiction: "1301"}, p.ID())
	if err != nil || len(stats) != 1 || stats[0].Nominated != 1 || stats[0].Approved != 1 || stats[0].Passed != 1 {
		t.Fatalf("statistics: %+v %v", stats, err)
	}
	holder, err := q.CertificateByNumber(ctx, number)
	if err != nil || holder.EnrollmentID != eid || holder.Code != code {
		t.Fatalf("certificate lookup: %+v %v", holder, err)
	}

	// The same feed again changes nothing.
	applyAll(t, pool, feed)
	if again := dumpEnrollments(t, pool); again != first {
		t.Fatalf("repeated feed changed the read model:\n%s\n%s", first, again)
	}
	// A rebuild from empty tables gives the same rows.
	if _, err := pool.Exec(ctx, `TRUNCATE projects, enrollments, enrollment_teachers, institutions`); err != nil {
		t.Fatal(err)
	}
	applyAll(t, pool, feed)
	if rebuilt := dumpEnrollments(t, pool); rebuilt != first {
		t.Fatalf("rebuild differs:\n%s\n%s", first, rebuilt)
	}
}
