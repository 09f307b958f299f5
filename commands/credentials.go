package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// Login failures before an account is locked, and for how long.
const (
	MaxFailedLogins = 5
	LockDuration    = 15 * time.Minute
	SessionTTL      = 12 * time.Hour
)

var (
	// ErrBadCredentials covers unknown login and wrong password alike, so a
	// caller cannot probe which ID numbers are registered.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrAccountDisabled: the account may not log in.
	ErrAccountDisabled = errors.New("account disabled")
	// ErrPasswordChangeRequired: the user still has an initial or reset
	// password and must change it before anything else.
	ErrPasswordChangeRequired = errors.New("password change required")
)

// LockedError: too many failures; try again after Until.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return "account locked until " + e.Until.Format(time.RFC3339) }

// Principal is an authenticated account as the auth tables know it.
type Principal struct {
	AccountID          uuid.UUID
	Login              string
	Role               access.Role
	Jurisdiction       string
	TeacherID          uuid.UUID
	InstitutionID      uuid.UUID
	DisplayName        string
	MustChangePassword bool
}

// Actor is the principal as the domain sees it.
func (p Principal) Actor() access.Actor {
	return access.Actor{UserID: p.AccountID, Role: p.Role, Name: p.DisplayName,
		Jurisdiction: p.Jurisdiction, TeacherID: p.TeacherID, InstitutionID: p.InstitutionID}
}

// Credentials stores password hashes and sessions in PostgreSQL.
type Credentials struct {
	pool *pgxpool.Pool
	cost int
	now  func() time.Time
}

// NewCredentials: cost is the bcrypt cost (bcrypt.DefaultCost in production;
// tests may pass bcrypt.MinCost).
func NewCredentials(pool *pgxpool.Pool, cost int, now func() time.Time) *Credentials {
	if pool == nil || now == nil {
		panic("commands: NewCredentials needs a pool and a clock")
	}
	if cost < bcrypt.MinCost {
		cost = bcrypt.DefaultCost
	}
	return &Credentials{pool: pool, cost: cost, now: now}
}

// ValidateNewPassword applies the password policy (等保: length and variety).
func ValidateNewPassword(pw, login string) error {
	if len([]rune(pw)) < 8 {
		return domain.Invalid("new_password", "密码至少8位")
	}
	if len(pw) > 72 {
		return domain.Invalid("new_password", "密码过长（最多72个字符）")
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
	}
	kinds := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			kinds++
		}
	}
	if kinds < 3 {
		return domain.Invalid("new_password", "密码须包含大写字母、小写字母、数字、符号中的至少三类")
	}
	if login != "" && len(login) >= 6 && (pw == login || pw == login[len(login)-6:]) {
		return domain.Invalid("new_password", "密码不能与登录名或初始密码相同")
	}
	return nil
}

// CreateAccount stores a new login with its hashed password.
func (c *Credentials) CreateAccount(ctx context.Context, p Principal, password string, mustChange bool) error {
	hash, err := c.HashPassword(password)
	if err != nil {
		return err
	}
	return c.CreateAccountHashed(ctx, p, hash, mustChange)
}

// HashPassword hashes a password at the configured cost.
func (c *Credentials) HashPassword(password string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), c.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// CreateAccountHashed is CreateAccount with the password already hashed
// by HashPassword (the generator hashes each distinct initial password
// once).
func (c *Credentials) CreateAccountHashed(ctx context.Context, p Principal, hash []byte, mustChange bool) error {
	if _, err := bcrypt.Cost(hash); err != nil {
		return fmt.Errorf("create account: not a bcrypt hash: %w", err)
	}
	// A placeholder row (made by the AccountProcess for a request that was
	// cut off) is replaced by the creating request's own password.
	upsert := func() (pgconn.CommandTag, error) {
		return c.pool.Exec(ctx, `INSERT INTO auth_accounts
		(account_id, login, role, jurisdiction, teacher_id, institution_id, display_name, password_hash, must_change_password, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
		ON CONFLICT (account_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
			must_change_password = EXCLUDED.must_change_password, placeholder = false
		WHERE auth_accounts.placeholder`,
			p.AccountID, p.Login, string(p.Role), p.Jurisdiction, nullUUID(p.TeacherID), nullUUID(p.InstitutionID),
			p.DisplayName, string(hash), mustChange, c.now())
	}
	tag, err := upsert()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName != "auth_accounts_pkey" {
		// The account process may have inserted this account's placeholder
		// at the same moment: the login index saw it before the account_id
		// arbiter did, so the upsert failed instead of replacing it. Now
		// that row is committed, and a second try takes the upsert path; a
		// login of another account still fails.
		tag, err = upsert()
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("login %q: %w", p.Login, domain.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", p.AccountID, domain.ErrDuplicate)
	}
	return nil
}

// LoginTaken reports whether a login name is in use.
func (c *Credentials) LoginTaken(ctx context.Context, login string) (bool, error) {
	var n int
	err := c.pool.QueryRow(ctx, `SELECT count(*) FROM auth_accounts WHERE login = $1`, login).Scan(&n)
	return n > 0, err
}

const principalCols = `account_id, login, role, jurisdiction, coalesce(teacher_id, '00000000-0000-0000-0000-000000000000'),
	coalesce(institution_id, '00000000-0000-0000-0000-000000000000'), display_name, must_change_password`

func scanPrincipal(row pgx.Row, extra ...any) (Principal, error) {
	var p Principal
	var role string
	dest := append([]any{&p.AccountID, &p.Login, &role, &p.Jurisdiction, &p.TeacherID, &p.InstitutionID, &p.DisplayName, &p.MustChangePassword}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Principal{}, err
	}
	p.Role = access.Role(role)
	return p, nil
}

// Authenticate checks a login and password, counting failures and locking
// the account after MaxFailedLogins. It returns whether this call locked it.
func (c *Credentials) Authenticate(ctx context.Context, login, password string) (Principal, bool, error) {
	var hash string
	var failed int
	var lockedUntil *time.Time
	var disabled bool
	p, err := scanPrincipal(c.pool.QueryRow(ctx, `SELECT `+principalCols+`, password_hash, failed_attempts, locked_until, disabled
		FROM auth_accounts WHERE login = $1`, login), &hash, &failed, &lockedUntil, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as a real check so timing does not reveal which logins exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return Principal{}, false, ErrBadCredentials
	}
	if err != nil {
		return Principal{}, false, fmt.Errorf("authenticate: %w", err)
	}
	now := c.now()
	if lockedUntil != nil && now.Before(*lockedUntil) {
		return p, false, &LockedError{Until: *lockedUntil}
	}
	if disabled {
		return p, false, ErrAccountDisabled
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		var until *time.Time
		err := c.pool.QueryRow(ctx, `UPDATE auth_accounts
			SET failed_attempts = failed_attempts + 1,
			    locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
			WHERE account_id = $1 RETURNING CASE WHEN failed_attempts >= $2 THEN locked_until END`,
			p.AccountID, MaxFailedLogins, now.Add(LockDuration)).Scan(&until)
		if err != nil {
			return p, false, fmt.Errorf("count failure: %w", err)
		}
		if until != nil {
			_, _ = c.pool.Exec(ctx, `UPDATE auth_accounts SET failed_attempts = 0 WHERE account_id = $1`, p.AccountID)
			return p, true, &LockedError{Until: *until}
		}
		return p, false, ErrBadCredentials
	}
	if _, err := c.pool.Exec(ctx, `UPDATE auth_accounts SET failed_attempts = 0, locked_until = NULL WHERE account_id = $1`, p.AccountID); err != nil {
		return p, false, fmt.Errorf("reset failures: %w", err)
	}
	return p, false, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("timing-equaliser"), bcrypt.MinCost)

// CheckPassword verifies the current password of an account (for a change).
func (c *Credentials) CheckPassword(ctx context.Context, accountID uuid.UUID, password string) error {
	var hash string
	if err := c.pool.QueryRow(ctx, `SELECT password_hash FROM auth_accounts WHERE account_id = $1`, accountID).Scan(&hash); err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return domain.Invalid("old_password", "原密码不正确")
	}
	return nil
}

// SetPassword replaces the hash. A reset (mustChange) also ends every
// session of the account; a change ends all but keepSession.
func (c *Credentials) SetPassword(ctx context.Context, accountID uuid.UUID, password string, mustChange bool, keepSession string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), c.cost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE auth_accounts SET password_hash = $2, must_change_password = $3,
		failed_attempts = 0, locked_until = NULL, placeholder = false WHERE account_id = $1`, accountID, string(hash), mustChange)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", accountID, domain.ErrNotFound)
	}
	if _, err := tx.Exec(ctx, `UPDATE auth_sessions SET revoked_at = $2
		WHERE account_id = $1 AND revoked_at IS NULL AND token_hash <> $3`, accountID, c.now(), hashToken(keepSession)); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return tx.Commit(ctx)
}

// Unlock clears a lock (an admin's action).
func (c *Credentials) Unlock(ctx context.Context, accountID uuid.UUID) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_accounts SET failed_attempts = 0, locked_until = NULL WHERE account_id = $1`, accountID)
	return err
}

// ChangeLogin follows a corrected ID number.
func (c *Credentials) ChangeLogin(ctx context.Context, accountID uuid.UUID, login string) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_accounts SET login = $2 WHERE account_id = $1`, accountID, login)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("login %q: %w", login, domain.ErrDuplicate)
	}
	return err
}

// SetDisplayName follows a corrected name.
func (c *Credentials) SetDisplayName(ctx context.Context, accountID uuid.UUID, name string) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_accounts SET display_name = $2 WHERE account_id = $1`, accountID, name)
	return err
}

// SetJurisdiction follows a change of the account's scope.
func (c *Credentials) SetJurisdiction(ctx context.Context, accountID uuid.UUID, jurisdiction string) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_accounts SET jurisdiction = $2 WHERE account_id = $1`, accountID, jurisdiction)
	return err
}

// AccountForTeacher returns the account of a teacher record.
func (c *Credentials) AccountForTeacher(ctx context.Context, teacherID uuid.UUID) (Principal, error) {
	p, err := scanPrincipal(c.pool.QueryRow(ctx, `SELECT `+principalCols+` FROM auth_accounts WHERE teacher_id = $1`, teacherID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("account of teacher %s: %w", teacherID, domain.ErrNotFound)
	}
	return p, err
}

// Account returns one account.
func (c *Credentials) Account(ctx context.Context, accountID uuid.UUID) (Principal, error) {
	p, err := scanPrincipal(c.pool.QueryRow(ctx, `SELECT `+principalCols+` FROM auth_accounts WHERE account_id = $1`, accountID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("account %s: %w", accountID, domain.ErrNotFound)
	}
	return p, err
}

// NewSession issues an opaque bearer token; only its SHA-256 is stored.
func (c *Credentials) NewSession(ctx context.Context, accountID uuid.UUID, ip, userAgent string) (string, time.Time, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := c.now()
	exp := now.Add(SessionTTL)
	_, err := c.pool.Exec(ctx, `INSERT INTO auth_sessions (token_hash, account_id, created_at, expires_at, ip, user_agent)
		VALUES ($1,$2,$3,$4,$5,$6)`, hashToken(token), accountID, now, exp, ip, truncate(userAgent, 256))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("new session: %w", err)
	}
	return token, exp, nil
}

// Session resolves a bearer token to its principal.
func (c *Credentials) Session(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, access.ErrUnauthenticated
	}
	p, err := scanPrincipal(c.pool.QueryRow(ctx, `SELECT `+principalCols+`
		FROM auth_sessions s JOIN auth_accounts a USING (account_id)
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND NOT a.disabled`,
		hashToken(token), c.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, access.ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("session: %w", err)
	}
	return p, nil
}

// EndSession revokes one token (logout).
func (c *Credentials) EndSession(ctx context.Context, token string) error {
	_, err := c.pool.Exec(ctx, `UPDATE auth_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token), c.now())
	return err
}

func hashToken(t string) []byte { s := sha256.Sum256([]byte(t)); return s[:] }

func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
