package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
)

// eventually polls cond until it holds or a minute passes: the feed of a
// PostgreSQL store waits for the oldest open transaction on the server,
// which other tests running beside this one may hold for a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A registration cut off right after the teacher's event (a kill, a
// timeout, a database blip) still ends with a teacher who can log in: the
// account process opens the account and its credentials from the event.
func TestRegistrationCutOffAfterTheTeacherEventStillGivesALogin(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			a := startApp(t, backend)
			ctx := context.Background()
			if err := a.svc.LoadDemo(ctx, nilWriter{}); err != nil {
				t.Fatal(err)
			}
			var unitID uuid.UUID
			var unitName, county string
			eventually(t, "demo unit visible", func() bool {
				return a.svc.Pool.QueryRow(ctx, `SELECT unit_id, name, county FROM units WHERE county = '130102' LIMIT 1`).Scan(&unitID, &unitName, &county) == nil
			})
			admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Name: "长安区管理员", Jurisdiction: "130102"}
			id := uuid.New()
			idNumber := demoID("13010219870411031")
			// Only the first write of RegisterTeacher happens: the teacher's
			// own stream. No account event, no credentials row.
			_, _, err := commands.Update(ctx, a.svc.Repo, teacher.StreamName(id), func() *teacher.Teacher { return teacher.New(id) }, true,
				commands.Write{Meta: event.Metadata{ActorID: admin.UserID, ActorRole: string(admin.Role), ActorName: admin.Name,
					Jurisdiction: admin.Jurisdiction, OccurredAt: time.Now().UTC()}},
				func(t *teacher.Teacher) error {
					_, err := t.Register(teacher.Registration{Unit: teacher.UnitRef{ID: unitID, Name: unitName, County: county},
						Profile: teacher.Profile{Name: "周强", IDType: "1", IDNumber: idNumber, WorkStart: "2010-09",
							CertificateType: "3", CertificateNumber: "20101301031000555"}}, admin, time.Now())
					return err
				})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "the teacher can log in", func() bool {
				return a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": idNumber, "password": commands.InitialPassword(idNumber)}).Status == http.StatusCreated
			})
			acc := account.New(commands.TeacherAccountID(id))
			if err := a.svc.Repo.Load(ctx, account.StreamName(acc.ID()), acc); err != nil || !acc.Created() {
				t.Fatalf("no account stream: %v", err)
			}
		})
	}
}

// An admin account whose creating request died after its event gets a
// placeholder credentials row nobody can log in with; a reset by the
// province admin gives it a password.
func TestAccountCutOffBeforeItsCredentialsCanBeReset(t *testing.T) {
	forBackends(t, testAccountCutOffBeforeItsCredentialsCanBeReset)
}

func testAccountCutOffBeforeItsCredentialsCanBeReset(t *testing.T, backend string) {
	a := startApp(t, backend)
	ctx := context.Background()
	id := uuid.New()
	sys := access.System("test")
	_, _, err := commands.Update(ctx, a.svc.Repo, account.StreamName(id), func() *account.Account { return account.New(id) }, true,
		commands.Write{Meta: event.Metadata{ActorRole: string(access.RoleSystem), OccurredAt: time.Now().UTC()}},
		func(acc *account.Account) error {
			return acc.Create(account.Creation{Login: "cutoff_admin", Role: access.RoleCountyAdmin, Jurisdiction: "130102", DisplayName: "长安区管理员二"}, sys, time.Now())
		})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "placeholder credentials", func() bool {
		var placeholder bool
		return a.svc.Pool.QueryRow(ctx, `SELECT placeholder FROM auth_accounts WHERE account_id = $1`, id).Scan(&placeholder) == nil && placeholder
	})
	for _, pw := range []string{"", "cutoff_admin", DemoPassword} {
		if r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": "cutoff_admin", "password": pw}); r.Status == http.StatusCreated {
			t.Fatalf("a placeholder account logged in with %q", pw)
		}
	}
	// The creating request, retried, sets its password over the placeholder.
	if err := a.svc.Creds.CreateAccount(ctx, commands.Principal{AccountID: id, Login: "cutoff_admin", Role: access.RoleCountyAdmin,
		Jurisdiction: "130102", DisplayName: "长安区管理员二"}, "Cutoff#2026a", true); err != nil {
		t.Fatalf("replace placeholder: %v", err)
	}
	if r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": "cutoff_admin", "password": "Cutoff#2026a"}); r.Status != http.StatusCreated {
		t.Fatalf("login after the placeholder was replaced: %d %s", r.Status, r.Body)
	}
	// A real row is never replaced.
	if err := a.svc.Creds.CreateAccount(ctx, commands.Principal{AccountID: id, Login: "cutoff_admin", Role: access.RoleCountyAdmin}, "Other#2026a", true); err == nil {
		t.Fatal("a second CreateAccount replaced a real password")
	}
}

// A county admin's password reset of a teacher whose credentials row is
// missing recreates it instead of answering 404 after recording a reset.
func TestPasswordResetRecreatesMissingCredentials(t *testing.T) {
	forBackends(t, testPasswordResetRecreatesMissingCredentials)
}

func testPasswordResetRecreatesMissingCredentials(t *testing.T, backend string) {
	a := demoAppOn(t, backend)
	ctx := context.Background()
	id := demoID("13010219800515011")
	tid, err := a.svc.Handlers.TeacherByIDNumber(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Pool.Exec(ctx, `DELETE FROM auth_accounts WHERE teacher_id = $1`, tid); err != nil {
		t.Fatal(err)
	}
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	admin.must(200, "POST", "/api/v1/teachers/"+tid.String()+"/password-reset", nil)
	if r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": id, "password": commands.InitialPassword(id)}); r.Status != http.StatusCreated {
		t.Fatalf("login after reset: %d %s", r.Status, r.Body)
	}
}

type nilWriter struct{}

func (nilWriter) Write(p []byte) (int, error) { return len(p), nil }

// An ID-number claim taken by a registration that died before the teacher
// was written blocks the number only for claim.StaleAfter.
func TestStaleIDNumberClaimIsTakenOver(t *testing.T) {
	forBackends(t, testStaleIDNumberClaimIsTakenOver)
}

func testStaleIDNumberClaimIsTakenOver(t *testing.T, backend string) {
	a := demoAppOn(t, backend)
	ctx := context.Background()
	idNumber := demoID("13010219930218041")
	long := time.Now().Add(-time.Hour)
	_, _, err := commands.Update(ctx, a.svc.Repo, claim.StreamName(commands.ClaimIDNumber, idNumber),
		func() *claim.Claim { return claim.New(commands.ClaimIDNumber) }, true,
		commands.Write{Meta: event.Metadata{ActorRole: string(access.RoleSystem), OccurredAt: long}},
		func(c *claim.Claim) error { return c.Take(uuid.New(), long) }) // an owner never written
	if err != nil {
		t.Fatal(err)
	}
	admin := a.login("changan_admin", DemoPassword, "Changan#2026")
	var units struct {
		Units []struct {
			ID string `json:"unit_id"`
		} `json:"units"`
	}
	admin.must(200, "GET", "/api/v1/units", nil).json(t, &units)
	admin.must(201, "POST", "/api/v1/teachers", map[string]any{"name": "吴静", "id_type": "1", "id_number": idNumber,
		"unit_id": units.Units[0].ID, "work_start": "2015-09", "certificate_type": "2", "certificate_number": "20151301022000777"})
	// A claim whose owner exists is never taken over.
	if r := admin.do("POST", "/api/v1/teachers", map[string]any{"name": "吴静", "id_type": "1", "id_number": idNumber,
		"unit_id": units.Units[0].ID, "work_start": "2015-09", "certificate_type": "2", "certificate_number": "20151301022000778"}); r.Status != 409 {
		t.Fatalf("second registration of the number: %d %s", r.Status, r.Body)
	}
}
