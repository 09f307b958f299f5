package commands_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/migrations/pgtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	creds := commands.NewCredentials(pool, bcrypt.MinCost, clk.now)
	p := commands.Principal{AccountID: uuid.New(), Login: "13010219900101123X", Role: access.RoleTeacher, TeacherID: uuid.New()}
	if err := creds.CreateAccount(ctx, p, "01123X", true); err != nil {
		t.Fatal(err)
	}
	if err := creds.CreateAccount(ctx, p, "other", true); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("second account with one login: got %v, want ErrDuplicate", err)
	}
	for i := 1; i < commands.MaxFailedLogins; i++ {
		if _, locked, err := creds.Authenticate(ctx, p.Login, "wrong"); !errors.Is(err, commands.ErrBadCredentials) || locked {
			t.Fatalf("failure %d: got %v locked=%v", i, err, locked)
		}
	}
	_, locked, err := creds.Authenticate(ctx, p.Login, "wrong")
	var le *commands.LockedError
	if !errors.As(err, &le) || !locked {
		t.Fatalf("failure %d: got %v, want a fresh lock", commands.MaxFailedLogins, err)
	}
	// Even the right password is refused while locked.
	if _, _, err := creds.Authenticate(ctx, p.Login, "01123X"); !errors.As(err, &le) {
		t.Fatalf("right password while locked: got %v", err)
	}
	clk.add(commands.LockDuration + time.Second)
	got, _, err := creds.Authenticate(ctx, p.Login, "01123X")
	if err != nil {
		t.Fatalf("after the lock expired: %v", err)
	}
	if !got.MustChangePassword || got.TeacherID != p.TeacherID || got.Role != access.RoleTeacher {
		t.Fatalf("principal %+v", got)
	}
	if _, _, err := creds.Authenticate(ctx, "no-such-login", "x"); !errors.Is(err, commands.ErrBadCredentials) {
		t.Fatalf("unknown login: got %v", err)
	}
}

func TestSessionsEndOnLogoutAndPasswordChange(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	creds := commands.NewCredentials(pool, bcrypt.MinCost, clk.now)
	p := commands.Principal{AccountID: uuid.New(), Login: "admin1", Role: access.RoleCountyAdmin, Jurisdiction: "130102"}
	if err := creds.CreateAccount(ctx, p, "Initial-Pass1", false); err != nil {
		t.Fatal(err)
	}
	a, _, err := creds.NewSession(ctx, p.AccountID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := creds.NewSession(ctx, p.AccountID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := creds.Session(ctx, a); err != nil || got.Jurisdiction != "130102" {
		t.Fatalf("session a: %+v %v", got, err)
	}
	if err := creds.SetPassword(ctx, p.AccountID, "Changed-Pass2", false, a); err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Session(ctx, a); err != nil {
		t.Fatalf("the session that changed the password should survive: %v", err)
	}
	if _, err := creds.Session(ctx, b); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("other session after password change: got %v", err)
	}
	if err := creds.EndSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Session(ctx, a); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("after logout: got %v", err)
	}
	c, _, _ := creds.NewSession(ctx, p.AccountID, "", "")
	clk.add(commands.SessionTTL + time.Minute)
	if _, err := creds.Session(ctx, c); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("expired session: got %v", err)
	}
}

func TestSecurityAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	log := commands.NewSecurityLog(pool, time.Now)
	if err := log.Record(ctx, commands.SecurityEntry{Login: "x", Action: commands.ActionLogin, Success: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE security_audit SET success = true`); err == nil {
		t.Fatal("an audit row was updated")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM security_audit`); err == nil {
		t.Fatal("an audit row was deleted")
	}
	got, err := log.List(ctx, commands.SecurityFilter{Action: commands.ActionLogin})
	if err != nil || len(got) != 1 || got[0].Success {
		t.Fatalf("list: %+v %v", got, err)
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"short1A", false},
		{"alllowercase", false},
		{"lower123456", false},
		{"Lower123456", true},
		{"中文密码abc123", true},
		{"01123X", false},
	}
	for _, tc := range tests {
		err := commands.ValidateNewPassword(tc.pw, "13010219900101123X")
		if (err == nil) != tc.ok {
			t.Errorf("%q: got %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
}

// The creating request replaces a placeholder the account process inserts
// at the same moment (still uncommitted when the request writes): the
// request's password is the one that logs in, never the placeholder's.
func TestCreateAccountReplacesAConcurrentPlaceholder(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	creds := commands.NewCredentials(pool, bcrypt.MinCost, time.Now)
	for i := 0; i < 20; i++ {
		id := uuid.New()
		login := fmt.Sprintf("race_admin_%d", i)
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth_accounts (account_id, login, role, password_hash, placeholder)
			VALUES ($1, $2, 'county_admin', 'x', true) ON CONFLICT DO NOTHING`, id, login); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- creds.CreateAccount(ctx, commands.Principal{AccountID: id, Login: login, Role: access.RoleCountyAdmin}, "Right#Pass1", true)
		}()
		time.Sleep(time.Duration(i%4) * 5 * time.Millisecond) // the request's insert waits on the placeholder, or not yet
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if _, _, err := creds.Authenticate(ctx, login, "Right#Pass1"); err != nil {
			t.Fatalf("attempt %d: the request's password does not log in: %v", i, err)
		}
	}
}
