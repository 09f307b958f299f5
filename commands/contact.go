package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// Confirmation codes for a new mobile or e-mail.
const (
	contactCodeTTL      = 10 * time.Minute
	contactCodeAttempts = 5
	contactCodeResend   = time.Minute
)

// Notifier delivers a confirmation code to a mobile (SMS) or an e-mail
// address. Production plugs in the province's SMS and mail gateways.
type Notifier interface {
	SendCode(ctx context.Context, field, to, code string) error
}

// LogNotifier writes codes to the log: for development and the demo, where
// no gateway exists.
type LogNotifier struct{ Log *slog.Logger }

func (n LogNotifier) SendCode(ctx context.Context, field, to, code string) error {
	n.Log.InfoContext(ctx, "confirmation code (no gateway configured)", "field", field, "to", to, "code", code)
	return nil
}

// RequestContactCode sends a code to a new mobile or e-mail of the teacher
// behind the account.
func (h *Handlers) RequestContactCode(ctx context.Context, p Principal, field, value string) error {
	if p.TeacherID == uuid.Nil {
		return domain.Invalid("field", "只有教师需要验证手机号码或电子邮箱")
	}
	var norm string
	var err error
	switch field {
	case teacher.FieldMobile:
		norm, err = ident.NormalizeMobile(value)
	case teacher.FieldEmail:
		norm, err = ident.NormalizeEmail(value)
	default:
		return domain.Invalid("field", "只能验证 mobile 或 email")
	}
	if err != nil {
		return err
	}
	now := h.Now()
	var last time.Time
	err = h.Creds.pool.QueryRow(ctx, `SELECT created_at FROM contact_codes WHERE account_id = $1 AND field = $2`, p.AccountID, field).Scan(&last)
	if err == nil && now.Sub(last) < contactCodeResend {
		return domain.Invalid("field", "验证码发送过于频繁，请一分钟后再试")
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("contact code: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	sum := sha256.Sum256([]byte(p.AccountID.String() + "\x00" + field + "\x00" + norm + "\x00" + code))
	if _, err := h.Creds.pool.Exec(ctx, `INSERT INTO contact_codes (account_id, field, value, code_hash, expires_at, attempts, created_at)
		VALUES ($1,$2,$3,$4,$5,0,$6)
		ON CONFLICT (account_id, field) DO UPDATE SET value = $3, code_hash = $4, expires_at = $5, attempts = 0, created_at = $6`,
		p.AccountID, field, norm, sum[:], now.Add(contactCodeTTL), now); err != nil {
		return fmt.Errorf("contact code: %w", err)
	}
	return h.Notifier.SendCode(ctx, field, norm, code)
}

// confirmContact checks and consumes the code for a new value.
func (h *Handlers) confirmContact(ctx context.Context, accountID uuid.UUID, field, value, code string) error {
	label := teacher.FieldLabel(field)
	if code == "" {
		return domain.Invalid("codes."+field, "修改"+label+"须填写发送到新"+label+"的验证码")
	}
	var stored string
	var hash []byte
	var expires time.Time
	var attempts int
	err := h.Creds.pool.QueryRow(ctx, `SELECT value, code_hash, expires_at, attempts FROM contact_codes
		WHERE account_id = $1 AND field = $2`, accountID, field).Scan(&stored, &hash, &expires, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Invalid("codes."+field, "请先获取验证码")
	}
	if err != nil {
		return fmt.Errorf("contact code: %w", err)
	}
	switch {
	case stored != value:
		return domain.Invalid("codes."+field, "验证码不是发给这个"+label+"的")
	case h.Now().After(expires):
		return domain.Invalid("codes."+field, "验证码已过期，请重新获取")
	case attempts >= contactCodeAttempts:
		return domain.Invalid("codes."+field, "验证码错误次数过多，请重新获取")
	}
	sum := sha256.Sum256([]byte(accountID.String() + "\x00" + field + "\x00" + value + "\x00" + code))
	if subtle.ConstantTimeCompare(sum[:], hash) != 1 {
		_, _ = h.Creds.pool.Exec(ctx, `UPDATE contact_codes SET attempts = attempts + 1 WHERE account_id = $1 AND field = $2`, accountID, field)
		return domain.Invalid("codes."+field, "验证码错误")
	}
	_, err = h.Creds.pool.Exec(ctx, `DELETE FROM contact_codes WHERE account_id = $1 AND field = $2`, accountID, field)
	return err
}
