package registration_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
)

const county = "130102"

var registrar = access.Actor{UserID: uuid.New(), Role: access.RoleRegistrar, Name: "石家庄市教育局", Jurisdiction: "1301"}

func registered(t *testing.T) (*registration.Registration, uuid.UUID) {
	t.Helper()
	teacher := uuid.New()
	r := registration.NewRegistration(teacher)
	if err := r.RecordFirst(registrar, county, uuid.New(), regDate, registration.NationalDefault(), "", regDate); err != nil {
		t.Fatal(err)
	}
	return r, teacher
}

func check(t *testing.T, r *registration.Registration, mutate func(*registration.Input)) registration.Result {
	t.Helper()
	in := baseInput()
	in.TeacherID, in.History = r.TeacherID(), r.History()
	if mutate != nil {
		mutate(&in)
	}
	res, err := registration.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDecisionsDriveTheHistory(t *testing.T) {
	r, _ := registered(t)
	if h := r.History(); !h.FirstRegisteredOn.Equal(regDate) || !h.LastRegisteredOn.Equal(regDate) {
		t.Fatalf("after first registration: %+v", h)
	}
	if err := r.RecordFirst(registrar, county, uuid.New(), regDate, registration.NationalDefault(), "", regDate); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("second first registration: err = %v", err)
	}

	// Deferred for hours: the cycle stays.
	short := check(t, r, func(in *registration.Input) { in.Entries = in.Entries[:4] })
	if err := r.Decide(registrar, county, uuid.New(), short, registration.OutcomeDeferred, "", dueDate, dueDate); err != nil {
		t.Fatal(err)
	}
	if h := r.History(); h.LastOutcome != registration.OutcomeDeferred || !h.LastRegisteredOn.Equal(regDate) {
		t.Fatalf("after deferral: %+v", h)
	}

	// Re-application with the hours made up: a pass starts the next cycle.
	reapply := day(2025, 1, 10)
	ok := check(t, r, func(in *registration.Input) {
		in.Entries = append(in.Entries[:4], training(40, day(2024, 12, 1)))
		in.AsOf = reapply
	})
	if ok.Outcome != registration.OutcomePass {
		t.Fatalf("re-application: %q %+v", ok.Outcome, ok.Reasons)
	}
	if err := r.Decide(registrar, county, uuid.New(), ok, registration.OutcomePass, "", reapply, reapply); err != nil {
		t.Fatal(err)
	}
	h := r.History()
	if !h.LastRegisteredOn.Equal(reapply) || !h.FirstRegisteredOn.Equal(regDate) || h.LastOutcome != registration.OutcomePass {
		t.Fatalf("after pass: %+v", h)
	}
	if c, _ := h.CurrentCycle(5); !c.Start.Equal(reapply) || !c.End.Equal(day(2030, 1, 10)) {
		t.Errorf("next cycle = %+v", c)
	}
	// The old check is for the old cycle now.
	if err := r.Decide(registrar, county, uuid.New(), ok, registration.OutcomePass, "", reapply, reapply); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("deciding an old cycle again: err = %v", err)
	}

	d := r.Decisions()
	if len(d) != 3 || d[2].EvidenceDigest != ok.Digest() || d[2].PolicyVersion != registration.NationalVersion ||
		d[2].DecidedBy != registrar.UserID || d[1].Reasons[0].Code != registration.CodeHoursShort {
		t.Errorf("decisions = %+v", d)
	}

	// Replaying the stored events gives the same history.
	reg := event.NewRegistry()
	registration.RegisterEvents(reg)
	var stored []event.Envelope
	for i, e := range r.Changes() {
		name, data, err := reg.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := reg.Decode(name, data)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, event.Envelope{Revision: uint64(i), Type: name, Event: back})
	}
	replayed := registration.NewRegistration(r.TeacherID())
	replayed.Load(replayed, stored)
	if replayed.History() != h {
		t.Errorf("replayed history = %+v, want %+v", replayed.History(), h)
	}
}

func TestDecideRules(t *testing.T) {
	otherRegistrar := access.Actor{UserID: uuid.New(), Role: access.RoleRegistrar, Jurisdiction: "1302"}
	countyAdmin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: county}
	tests := []struct {
		name      string
		actor     access.Actor
		mutate    func(*registration.Input)
		outcome   registration.Outcome
		note      string
		decidedOn func(registration.Result) registration.Result
		want      error
	}{
		{"pass", registrar, nil, registration.OutcomePass, "", nil, nil},
		{"registrar of another city", otherRegistrar, nil, registration.OutcomePass, "", nil, access.ErrForbidden},
		{"county admin", countyAdmin, nil, registration.OutcomePass, "", nil, access.ErrForbidden},
		{"not due", registrar, func(in *registration.Input) { in.AsOf = day(2023, 1, 1) }, registration.OutcomePass, "因故提前", nil, domain.ErrInvalidState},
		{"departing from the check needs a note", registrar, nil, registration.OutcomeDeferred, "", nil, domain.ErrValidation},
		{"departing from the check with a note", registrar, func(in *registration.Input) { in.FitToTeach = false },
			registration.OutcomePass, "已提交县级医院体检合格证明", nil, nil},
		{"exempt recorded", registrar, func(in *registration.Input) {
			in.Policy.Exemptions = []registration.Exemption{{Code: "retiring", Label: "临近退休"}}
			in.Categories = []string{"retiring"}
		}, registration.OutcomeExempt, "", nil, nil},
		{"unknown outcome", registrar, nil, registration.OutcomeNotDue, "x", nil, domain.ErrValidation},
		{"check of another teacher", registrar, nil, registration.OutcomePass, "", func(r registration.Result) registration.Result {
			r.TeacherID = uuid.New()
			return r
		}, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := registered(t)
			res := check(t, r, tt.mutate)
			if tt.decidedOn != nil {
				res = tt.decidedOn(res)
			}
			err := r.Decide(tt.actor, county, uuid.New(), res, tt.outcome, tt.note, dueDate, dueDate)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil && len(r.Changes()) != 1 {
				t.Errorf("a refused decision recorded an event")
			}
		})
	}
}

func TestFirstRegistrationLoadedBySystem(t *testing.T) {
	r := registration.NewRegistration(uuid.New())
	teacherActor := access.Actor{UserID: uuid.New(), Role: access.RoleTeacher, TeacherID: r.TeacherID()}
	if err := r.RecordFirst(teacherActor, county, uuid.New(), regDate, registration.NationalDefault(), "", regDate); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("teacher: err = %v", err)
	}
	if err := r.RecordFirst(access.System("import"), county, uuid.New(), regDate, registration.NationalDefault(), "国家教师资格管理信息系统导入", regDate); err != nil {
		t.Fatal(err)
	}
	res := check(t, r, nil)
	if err := r.Decide(access.System("import"), county, uuid.New(), res, registration.OutcomePass, "", dueDate, dueDate); !errors.Is(err, access.ErrForbidden) {
		t.Errorf("system deciding a periodic registration: err = %v", err)
	}
}

func TestDecisionNotBeforeItsCheck(t *testing.T) {
	r, _ := registered(t)
	res := check(t, r, nil)
	if err := r.Decide(registrar, county, uuid.New(), res, registration.OutcomePass, "", day(2024, 9, 1), dueDate); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("decision dated before the check: err = %v", err)
	}
}

func TestFailEndsTheRegistration(t *testing.T) {
	r, _ := registered(t)
	res := check(t, r, func(in *registration.Input) { in.CertificateRevoked = true })
	if err := r.Decide(registrar, county, uuid.New(), res, registration.OutcomeFail, "", dueDate, dueDate); err != nil {
		t.Fatal(err)
	}
	if r.History().Registered() {
		t.Error("still registered after a fail")
	}
	if err := r.Decide(registrar, county, uuid.New(), res, registration.OutcomeFail, "", dueDate, dueDate); !errors.Is(err, domain.ErrInvalidState) {
		t.Errorf("decision after a fail: err = %v", err)
	}
	later := day(2026, 3, 1)
	if err := r.RecordFirst(registrar, county, uuid.New(), later, registration.NationalDefault(), "重新取得教师资格", later); err != nil {
		t.Errorf("registering anew after a fail: %v", err)
	}
	if h := r.History(); !h.LastRegisteredOn.Equal(later) || !h.FirstRegisteredOn.Equal(regDate) {
		t.Errorf("history = %+v", h)
	}
}
