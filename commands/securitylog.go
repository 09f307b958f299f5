package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SecurityEntry is one line of the security audit (等保 2.0): logins,
// failures, lockouts, password changes, reveals of personal data.
type SecurityEntry struct {
	At        time.Time `json:"at"`
	AccountID uuid.UUID `json:"account_id"`
	Login     string    `json:"login"`
	Role      string    `json:"role"`
	Action    string    `json:"action"`
	Success   bool      `json:"success"`
	Subject   string    `json:"subject,omitempty"`
	IP        string    `json:"ip,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	// Region is the account's jurisdiction or the teacher's county; Record
	// fills it from the account when it is empty.
	Region string `json:"region,omitempty"`
}

// Security audit actions.
const (
	ActionLogin          = "login"
	ActionLogout         = "logout"
	ActionAccountLocked  = "account_locked"
	ActionPasswordChange = "password_change"
	ActionPasswordReset  = "password_reset"
	ActionRevealPersonal = "reveal_personal_data"
	ActionAccessDenied   = "access_denied"
)

// SecurityLog appends to the security_audit table, which a trigger keeps
// append-only.
type SecurityLog struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

func NewSecurityLog(pool *pgxpool.Pool, now func() time.Time) *SecurityLog {
	if pool == nil || now == nil {
		panic("commands: NewSecurityLog needs a pool and a clock")
	}
	return &SecurityLog{pool: pool, now: now}
}

// Record appends an entry; At defaults to now.
func (l *SecurityLog) Record(ctx context.Context, e SecurityEntry) error {
	if e.At.IsZero() {
		e.At = l.now()
	}
	// The region comes from the account as the read model knows it: an
	// admin's jurisdiction, a teacher's county.
	_, err := l.pool.Exec(ctx, `INSERT INTO security_audit (at, account_id, login, role, action, success, subject, ip, detail, region)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, coalesce(nullif($10, ''),
			(SELECT coalesce(nullif(jurisdiction, ''), teacher_county) FROM accounts WHERE account_id = $2), ''))`,
		e.At, nullUUID(e.AccountID), e.Login, e.Role, e.Action, e.Success, e.Subject, e.IP, e.Detail, e.Region)
	if err != nil {
		return fmt.Errorf("security audit: %w", err)
	}
	return nil
}

// SecurityFilter selects entries; zero fields do not filter.
type SecurityFilter struct {
	AccountID uuid.UUID
	Action    string
	Subject   string
	// Login matches the login exactly, in either case.
	Login string
	// Region limits the entries to a region (an auditor's jurisdiction);
	// entries of no known region are seen by the province's auditors only.
	Region   string
	From, To time.Time
	Limit    int
	Offset   int
}

// List returns entries newest first.
func (l *SecurityLog) List(ctx context.Context, f SecurityFilter) ([]SecurityEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	rows, err := l.pool.Query(ctx, `SELECT at, coalesce(account_id, '00000000-0000-0000-0000-000000000000'), login, role, action, success, subject, ip, detail, region
		FROM security_audit
		WHERE ($1::uuid IS NULL OR account_id = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR subject = $3)
		  AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
		  AND ($7 = '' OR lower(login) = lower($7))
		  AND ($9 = '' OR region LIKE $9 || '%' OR (length($9) = 2 AND region = ''))
		ORDER BY at DESC, id DESC LIMIT $6 OFFSET $8`,
		nullUUID(f.AccountID), f.Action, f.Subject, nullTime(f.From), nullTime(f.To), f.Limit, f.Login, max(f.Offset, 0), f.Region)
	if err != nil {
		return nil, fmt.Errorf("security audit list: %w", err)
	}
	defer rows.Close()
	var out []SecurityEntry
	for rows.Next() {
		var e SecurityEntry
		if err := rows.Scan(&e.At, &e.AccountID, &e.Login, &e.Role, &e.Action, &e.Success, &e.Subject, &e.IP, &e.Detail, &e.Region); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
