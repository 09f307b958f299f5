package registration_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
)

// TestFactEventsKeepTheirStoredShape: the facts moved here from the
// commands layer; what is stored (type names, JSON field names) must read
// back exactly as it was written before the move.
func TestFactEventsKeepTheirStoredShape(t *testing.T) {
	r := event.NewRegistry()
	registration.RegisterEvents(r)
	teacher := uuid.MustParse("11111111-2222-3333-4444-555555555555")
	absence := uuid.MustParse("66666666-7777-8888-9999-000000000000")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	on := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		e      event.Event
		name   string
		stored string
	}{
		{&registration.AbsenceRecorded{AbsenceID: absence, TeacherID: teacher, From: on, Approved: true, Note: "产假", At: at},
			"registration.absence_recorded",
			`{"absence_id":"66666666-7777-8888-9999-000000000000","teacher_id":"11111111-2222-3333-4444-555555555555","from":"2026-02-01T00:00:00Z","approved":true,"note":"产假","at":"2026-03-01T09:00:00Z"}`},
		{&registration.AbsenceWithdrawn{AbsenceID: absence, TeacherID: teacher, Reason: "误录", At: at},
			"registration.absence_withdrawn",
			`{"absence_id":"66666666-7777-8888-9999-000000000000","teacher_id":"11111111-2222-3333-4444-555555555555","reason":"误录","at":"2026-03-01T09:00:00Z"}`},
		{&registration.FitnessConfirmed{TeacherID: teacher, On: on, At: at},
			"registration.fitness_confirmed",
			`{"teacher_id":"11111111-2222-3333-4444-555555555555","on":"2026-02-01T00:00:00Z","at":"2026-03-01T09:00:00Z"}`},
		{&registration.CertificateRevoked{TeacherID: teacher, On: on, Reason: "依法撤销", At: at},
			"registration.certificate_revoked",
			`{"teacher_id":"11111111-2222-3333-4444-555555555555","on":"2026-02-01T00:00:00Z","reason":"依法撤销","at":"2026-03-01T09:00:00Z"}`},
	}
	for _, tt := range tests {
		name, data, err := r.Encode(tt.e)
		if err != nil {
			t.Fatal(err)
		}
		if name != tt.name || string(data) != tt.stored {
			t.Errorf("encode %T = %s %s\nwant %s %s", tt.e, name, data, tt.name, tt.stored)
		}
		if _, err := r.Decode(tt.name, []byte(tt.stored)); err != nil {
			t.Errorf("decode %s: %v", tt.name, err)
		}
	}
}

// TestFactsTodayIsTheDateOfAtInItsZone: the caller passes the decision
// instant in the users' zone; its civil date there is "today", and the
// instant is stored in UTC.
func TestFactsTodayIsTheDateOfAtInItsZone(t *testing.T) {
	china := time.FixedZone("CST", 8*3600)
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: county}
	// 00:30 on 2 March in China, 16:30 on 1 March in UTC.
	at := time.Date(2026, 3, 2, 0, 30, 0, 0, china)
	march2 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

	f := registration.NewFacts(uuid.New())
	if err := f.RecordAbsence(admin, county, uuid.New(), registration.Absence{From: march2}, at); err != nil {
		t.Fatalf("absence from today (China): %v", err)
	}
	if err := f.RecordAbsence(admin, county, uuid.New(), registration.Absence{From: march2}, at.UTC()); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("the same absence judged in UTC (still 1 March): %v, want a validation error", err)
	}
	if err := f.ConfirmFitness(registrar, county, march2, "", at); err != nil {
		t.Fatalf("fitness confirmed today (China): %v", err)
	}
	changes := f.Changes()
	if len(changes) != 2 {
		t.Fatalf("recorded %d events, want 2", len(changes))
	}
	if got := changes[0].(*registration.AbsenceRecorded).At; got.Location() != time.UTC || !got.Equal(at) {
		t.Errorf("At stored as %v, want %v in UTC", got, at.UTC())
	}
	cycle := registration.NewCycle(time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), 5)
	if !f.FitIn(cycle, march2) || f.FitIn(cycle, march2.AddDate(0, 0, -1)) {
		t.Error("fitness confirmed on 2 March: FitIn should hold from that day on only")
	}
}

func TestFactsAuthority(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	other := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"}
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: county}
	f := registration.NewFacts(uuid.New())
	if err := f.RecordAbsence(other, county, uuid.New(), registration.Absence{From: day}, at); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("another county records an absence: %v", err)
	}
	if err := f.RevokeCertificate(admin, county, day, "x", at); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("a county admin revokes: %v", err)
	}
	id := uuid.New()
	if err := f.RecordAbsence(admin, county, id, registration.Absence{From: day, Until: day.AddDate(0, 1, 0)}, at); err != nil {
		t.Fatal(err)
	}
	if err := f.WithdrawAbsence(admin, county, id, "误录", at); err != nil {
		t.Fatal(err)
	}
	if err := f.RevokeCertificate(registrar, county, day, "依法撤销", at); err != nil {
		t.Fatal(err)
	}
	if err := f.RevokeCertificate(registrar, county, day, "依法撤销", at); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("revoked twice: %v", err)
	}
	replayed := registration.NewFacts(f.TeacherID())
	for _, e := range f.Changes() {
		replayed.Apply(e)
	}
	if len(replayed.Absences()) != 0 || replayed.Revoked() == nil || !slices.Equal(replayed.Absences(), f.Absences()) {
		t.Errorf("replayed: %d absences, revoked %v", len(replayed.Absences()), replayed.Revoked())
	}
}
