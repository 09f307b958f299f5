package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// AccountsProjection keeps accounts: every user's login, role, reach,
// status and password dates, from account events. A teacher account's
// county follows the teacher's accepted transfers, so the new county's
// admin finds the account.
type AccountsProjection struct{}

func (AccountsProjection) Name() string     { return "accounts" }
func (AccountsProjection) Tables() []string { return []string{"accounts"} }

func (AccountsProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	if e, ok := env.Event.(*teacher.TransferAccepted); ok {
		_, err := tx.Exec(ctx, `
			UPDATE accounts SET teacher_county = $2,
				region = CASE WHEN jurisdiction = '' THEN $2 ELSE region END
			WHERE teacher_id = $1`, e.TeacherID, e.ToCounty)
		if err != nil {
			return fmt.Errorf("accounts: transfer of teacher %s: %w", e.TeacherID, err)
		}
		return nil
	}
	id, ok := streamID(env.Stream, "account")
	if !ok {
		return nil
	}
	at, rev := occurredAt(env), int64(env.Revision)
	var set string
	var args []any
	switch e := env.Event.(type) {
	case *account.Created:
		region := e.Jurisdiction
		if region == "" {
			region = e.TeacherCounty
		}
		actorID, _ := actorOf(env, e.ActorID, "")
		_, err := tx.Exec(ctx, `
			INSERT INTO accounts (account_id, revision, login, role, jurisdiction, teacher_county, region,
				teacher_id, institution_id, display_name, must_change_password, created_at, created_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12)
			ON CONFLICT (account_id) DO NOTHING`,
			id, rev, e.Login, string(e.Role), e.Jurisdiction, e.TeacherCounty, region,
			nullUUID(e.TeacherID), nullUUID(e.InstitutionID), e.DisplayName, e.MustChangePassword, at, actorID)
		if err != nil {
			return fmt.Errorf("accounts: create %s: %w", id, err)
		}
		return nil
	case *account.PasswordChanged:
		set = "must_change_password = false, password_changed_at = $3"
	case *account.PasswordReset:
		set, args = "must_change_password = $4, password_reset_at = $3", []any{e.MustChangePassword}
		if e.Unlocked {
			set += ", locked = false, lock_reason = '', locked_at = NULL"
		}
	case *account.Locked:
		set, args = "locked = true, lock_reason = $4, locked_at = $3", []any{e.Reason}
	case *account.Unlocked:
		set = "locked = false, lock_reason = '', locked_at = NULL"
	case *account.Disabled:
		set, args = "disabled = true, disable_reason = $4, disabled_at = $3", []any{e.Reason}
	case *account.LoginChanged:
		set, args = "login = $4", []any{e.New}
	case *account.DisplayNameChanged:
		set, args = "display_name = $4", []any{e.New}
	}
	sets := "revision = $2, updated_at = $3"
	if set != "" {
		sets += ", " + set
	}
	// The revision guard makes a repeated event a no-op.
	if _, err := tx.Exec(ctx, `UPDATE accounts SET `+sets+` WHERE account_id = $1 AND revision < $2`,
		append([]any{id, rev, at}, args...)...); err != nil {
		return fmt.Errorf("accounts: %s %s: %w", env.Type, id, err)
	}
	return nil
}

// Account is a user account as admins list it. Login is in full; a
// teacher's login is the ID number, so lists show MaskedCopy.
type Account struct {
	AccountID          uuid.UUID      `json:"account_id"`
	Revision           uint64         `json:"revision"`
	Login              string         `json:"login"`
	Role               access.Role    `json:"role"`
	RoleLabel          string         `json:"role_label"`
	Jurisdiction       string         `json:"jurisdiction"`
	TeacherCounty      string         `json:"teacher_county,omitempty"`
	Region             string         `json:"region"`
	RegionName         string         `json:"region_name"`
	TeacherID          *uuid.UUID     `json:"teacher_id,omitempty"`
	InstitutionID      *uuid.UUID     `json:"institution_id,omitempty"`
	DisplayName        string         `json:"display_name"`
	Status             account.Status `json:"status"`
	StatusLabel        string         `json:"status_label"`
	MustChangePassword bool           `json:"must_change_password"`
	LockReason         string         `json:"lock_reason,omitempty"`
	LockedAt           *time.Time     `json:"locked_at,omitempty"`
	DisableReason      string         `json:"disable_reason,omitempty"`
	DisabledAt         *time.Time     `json:"disabled_at,omitempty"`
	PasswordChangedAt  *time.Time     `json:"password_changed_at,omitempty"`
	PasswordResetAt    *time.Time     `json:"password_reset_at,omitempty"`
	CreatedAt          time.Time      `json:"created_at"`
	CreatedBy          uuid.UUID      `json:"created_by"`
	UpdatedAt          time.Time      `json:"updated_at"`
}

// MaskedCopy hides a teacher's login, which is the ID number.
func (a Account) MaskedCopy() Account {
	if a.Role == access.RoleTeacher {
		a.Login = ident.MaskID(a.Login)
	}
	return a
}

// AccountFilter selects accounts. Every set field narrows.
type AccountFilter struct {
	// Jurisdiction is a region prefix of the account's region: the admin's
	// jurisdiction, or a teacher's current county. "" is every account.
	Jurisdiction string
	Role         access.Role
	TeacherID    uuid.UUID
	// Login is matched exactly, in either case.
	Login string
	// Name matches any part of the display name.
	Name   string
	Status account.Status
	Limit  int
	Offset int
}

// AccountPage is one page of accounts and the number of all matches.
type AccountPage struct {
	Total    int       `json:"total"`
	Accounts []Account `json:"accounts"`
}

const accountColumns = `account_id, revision, login, role, jurisdiction, teacher_county, region, teacher_id,
	institution_id, display_name, must_change_password, locked, lock_reason, locked_at, disabled,
	disable_reason, disabled_at, password_changed_at, password_reset_at, created_at, created_by, updated_at`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	var rev int64
	var role string
	var locked, disabled bool
	if err := row.Scan(&a.AccountID, &rev, &a.Login, &role, &a.Jurisdiction, &a.TeacherCounty, &a.Region,
		&a.TeacherID, &a.InstitutionID, &a.DisplayName, &a.MustChangePassword, &locked, &a.LockReason,
		&a.LockedAt, &disabled, &a.DisableReason, &a.DisabledAt, &a.PasswordChangedAt, &a.PasswordResetAt,
		&a.CreatedAt, &a.CreatedBy, &a.UpdatedAt); err != nil {
		return Account{}, err
	}
	a.Revision = uint64(rev)
	a.Role = access.Role(role)
	a.RoleLabel = a.Role.Label()
	a.RegionName = regionName(a.Region)
	switch {
	case disabled:
		a.Status = account.StatusDisabled
	case locked:
		a.Status = account.StatusLocked
	default:
		a.Status = account.StatusActive
	}
	a.StatusLabel = a.Status.Label()
	for _, t := range []*time.Time{a.LockedAt, a.DisabledAt, a.PasswordChangedAt, a.PasswordResetAt, &a.CreatedAt, &a.UpdatedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return a, nil
}

// Account returns one account; an unknown id matches domain.ErrNotFound.
func (q *TeacherQueries) Account(ctx context.Context, id uuid.UUID) (Account, error) {
	a, err := scanAccount(q.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE account_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, fmt.Errorf("account %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// Accounts lists accounts matching f, ordered by region, role, display
// name and id.
func (q *TeacherQueries) Accounts(ctx context.Context, f AccountFilter) (AccountPage, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return AccountPage{}, err
	}
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return AccountPage{}, err
	}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	conds := []string{"TRUE"}
	if f.Jurisdiction != "" {
		conds = append(conds, "region >= "+arg(lo), "region < "+arg(hi))
	}
	if f.Role != "" {
		if !f.Role.Valid() {
			return AccountPage{}, domain.Invalid("role", "未知角色")
		}
		conds = append(conds, "role = "+arg(string(f.Role)))
	}
	if f.TeacherID != uuid.Nil {
		conds = append(conds, "teacher_id = "+arg(f.TeacherID))
	}
	if l := strings.TrimSpace(f.Login); l != "" {
		conds = append(conds, fmt.Sprintf("login IN (%s, %s)", arg(strings.ToUpper(l)), arg(strings.ToLower(l))))
	}
	if n := strings.TrimSpace(f.Name); n != "" {
		if utf8.RuneCountInString(n) > 50 {
			return AccountPage{}, domain.Invalid("name", "姓名不能超过50个字")
		}
		conds = append(conds, "display_name LIKE "+arg("%"+likeEscape(n)+"%"))
	}
	switch f.Status {
	case "":
	case account.StatusActive:
		conds = append(conds, "NOT disabled AND NOT locked")
	case account.StatusLocked:
		conds = append(conds, "NOT disabled AND locked")
	case account.StatusDisabled:
		conds = append(conds, "disabled")
	default:
		return AccountPage{}, domain.Invalid("status", "未知账号状态")
	}
	where := strings.Join(conds, " AND ")

	tx, err := q.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return AccountPage{}, fmt.Errorf("accounts: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var page AccountPage
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE `+where, args...).Scan(&page.Total); err != nil {
		return AccountPage{}, fmt.Errorf("accounts: count: %w", err)
	}
	n := len(args)
	rows, err := tx.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE `+where+
		fmt.Sprintf(` ORDER BY region, role, display_name, account_id LIMIT $%d OFFSET $%d`, n+1, n+2),
		append(args, limit, offset)...)
	if err != nil {
		return AccountPage{}, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	page.Accounts = []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return AccountPage{}, fmt.Errorf("accounts: %w", err)
		}
		page.Accounts = append(page.Accounts, a)
	}
	if err := rows.Err(); err != nil {
		return AccountPage{}, fmt.Errorf("accounts: %w", err)
	}
	return page, nil
}
