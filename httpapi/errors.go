package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/eventstore"
)

// ErrorBody is every error response: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the problem for programs (Code) and people (Message, in Chinese).
type ErrorDetail struct {
	Code            string              `json:"code"`
	Message         string              `json:"message"`
	Details         []domain.FieldError `json:"details,omitempty"`
	CurrentRevision *int64              `json:"current_revision,omitempty"`
	RetryAfter      int                 `json:"retry_after_seconds,omitempty"`
}

// requestError is an HTTP-layer problem (bad JSON, too large, ...).
type requestError struct {
	status  int
	code    string
	message string
	details []domain.FieldError
}

func (e *requestError) Error() string { return e.code + ": " + e.message }

func badRequest(code, message string, details ...domain.FieldError) error {
	return &requestError{status: http.StatusBadRequest, code: code, message: message, details: details}
}

// writeError is the one place that maps errors to status codes.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.classify(err)
	if body.Error.Code == "forbidden" && NamesARecord(r) {
		status, body = http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: "not_found", Message: NotFoundOrForbidden}}
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "status", status, "err", err)
	}
	if body.Error.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(body.Error.RetryAfter))
	}
	writeJSON(w, status, body)
}

func (s *Server) classify(err error) (int, ErrorBody) { return Classify(err) }

// Classify is the one mapping from errors to a status and a body; the web
// pages use it too, so a refusal reads the same in JSON and in a page.
func Classify(err error) (int, ErrorBody) {
	var (
		reqErr   *requestError
		valErr   *domain.ValidationError
		conflict *commands.ConflictError
		locked   *commands.LockedError
		tooLarge *http.MaxBytesError
	)
	e := func(code, msg string) ErrorBody { return ErrorBody{Error: ErrorDetail{Code: code, Message: msg}} }
	switch {
	case errors.As(err, &reqErr):
		return reqErr.status, ErrorBody{Error: ErrorDetail{Code: reqErr.code, Message: reqErr.message, Details: reqErr.details}}
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, e("body_too_large", "请求内容过大（上限 "+strconv.FormatInt(tooLarge.Limit, 10)+" 字节）")
	case errors.Is(err, eventstore.ErrAppendTooLarge):
		return http.StatusRequestEntityTooLarge, e("record_too_large", "内容过多，超出一次记录的上限，请分批提交")
	case errors.As(err, &valErr):
		return http.StatusUnprocessableEntity, ErrorBody{Error: ErrorDetail{Code: "validation_failed", Message: "提交的数据有误", Details: valErr.Fields}}
	case errors.As(err, &conflict):
		cur := conflict.Current
		return http.StatusConflict, ErrorBody{Error: ErrorDetail{Code: "conflict", Message: "记录已被他人修改，请刷新后重试", CurrentRevision: &cur}}
	case errors.As(err, &locked):
		secs := int(time.Until(locked.Until).Seconds()) + 1
		return http.StatusLocked, ErrorBody{Error: ErrorDetail{Code: "account_locked", Message: "登录失败次数过多，账号已暂时锁定", RetryAfter: max(secs, 1)}}
	case errors.Is(err, commands.ErrBadCredentials):
		return http.StatusUnauthorized, e("bad_credentials", "用户名或密码错误")
	case errors.Is(err, commands.ErrAccountDisabled):
		return http.StatusForbidden, e("account_disabled", "账号已停用")
	case errors.Is(err, commands.ErrPasswordChangeRequired):
		return http.StatusForbidden, e("password_change_required", "首次登录或密码被重置后，须先修改密码")
	case errors.Is(err, access.ErrUnauthenticated):
		return http.StatusUnauthorized, e("unauthenticated", "请先登录")
	case errors.Is(err, access.ErrForbidden):
		return http.StatusForbidden, e("forbidden", "无权进行此操作")
	case errors.Is(err, domain.ErrNotFound):
		return http.StatusNotFound, e("not_found", "记录不存在")
	case errors.Is(err, domain.ErrDuplicate):
		return http.StatusConflict, e("duplicate", "记录已存在")
	case errors.Is(err, domain.ErrInvalidState):
		return http.StatusConflict, ErrorBody{Error: ErrorDetail{Code: "invalid_state", Message: stateMessage(err)}}
	case errors.Is(err, errWaitTimeout):
		return http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: "not_yet_visible", Message: "数据仍在处理中，请稍后重试", RetryAfter: 1}}
	case unavailable(err):
		return http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: "unavailable", Message: "服务暂时不可用，请稍后重试", RetryAfter: 5}}
	}
	return http.StatusInternalServerError, e("internal", "服务器内部错误")
}

// stateMessage shows the domain's reason, which is written for users.
func stateMessage(err error) string {
	var u interface{ UserMessage() string }
	if errors.As(err, &u) {
		return u.UserMessage()
	}
	return "当前状态下不能进行此操作"
}

// unavailable reports a failure of a dependency rather than of the request:
// the database cannot be reached, is restarting or refuses connections.
// The client may retry the same request later (503 with Retry-After).
func unavailable(err error) bool {
	var (
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// 08: connection exception; 57P01-57P03: shutting down or starting;
		// 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "53300"
	case errors.Is(err, puddle.ErrClosedPool), errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// NotFoundOrForbidden is the one answer to a request for a record the caller
// may not act on, whether it exists or not.
const NotFoundOrForbidden = "记录不存在，或不在您的管辖范围内"

// NamesARecord reports whether the request's route names a record by a path
// parameter (an ID, a file hash). A refusal there is answered as "not
// found": permission comes before state, and outside the caller's reach
// the answer must not tell whether the record exists.
func NamesARecord(r *http.Request) bool {
	rc := chi.RouteContext(r.Context())
	if rc == nil {
		return false
	}
	for _, k := range rc.URLParams.Keys {
		switch k {
		case "kind", "action", "year", "code", "*":
			// a list's kind, a verb, a year: they name no record
		default:
			return true
		}
	}
	return false
}
