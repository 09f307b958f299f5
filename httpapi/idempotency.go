package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// IdempotencyHeader names a client's key for a command: a retry with the same
// key and the same request returns the first response and changes nothing.
const IdempotencyHeader = "Idempotency-Key"

// maxIdempotentBody bounds what is read to fingerprint an upload; a JSON
// command is bounded by MaxBody before anything is buffered.
const maxIdempotentBody = 32 << 20

type storedResponse struct {
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// recorder captures a response to store it.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		if key == "" || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			s.writeError(w, r, badRequest("bad_idempotency_key", "Idempotency-Key 过长（最多200字符）"))
			return
		}
		limit := int64(maxIdempotentBody)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			limit = MaxBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			s.writeError(w, r, badRequest("unreadable_body", "无法读取请求体"))
			return
		}
		if int64(len(body)) > limit {
			s.writeError(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		fmt.Fprintf(h, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
		h.Write(body)
		fp := hex.EncodeToString(h.Sum(nil))
		p, _ := Principal(r.Context())

		tag, err := s.Pool.Exec(r.Context(), `INSERT INTO idempotency_keys (account_id, key, request_hash, lease_until)
			VALUES ($1, $2, $3, now() + $4::interval) ON CONFLICT DO NOTHING`, p.AccountID, key, fp, leaseInterval)
		if err != nil {
			s.writeError(w, r, fmt.Errorf("idempotency: %w", err))
			return
		}
		if tag.RowsAffected() == 0 && !s.replay(w, r, key, fp) {
			return
		}
		s.runAndStore(w, r, next, key)
	})
}

// IdempotencyLease is how long a key stays "in progress" without an
// answer: after it (a crash, a lost connection) a retry runs the command
// again, which its deterministic event IDs make safe.
const IdempotencyLease = 30 * time.Second

var leaseInterval = fmt.Sprintf("%d seconds", int(IdempotencyLease.Seconds()))

// runAndStore runs the command and keeps its answer for retries. The
// answer is stored even when the client has gone away meanwhile.
func (s *Server) runAndStore(w http.ResponseWriter, r *http.Request, next http.Handler, key string) {
	p, _ := Principal(r.Context())
	ctx := context.WithoutCancel(r.Context())
	rec := &recorder{ResponseWriter: w}
	next.ServeHTTP(rec, r)
	// A server error is not a result: let the client retry with the same key.
	if rec.status >= 500 || rec.status == 0 {
		if _, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2`, p.AccountID, key); err != nil {
			s.log.ErrorContext(ctx, "release idempotency key", "err", err)
		}
		return
	}
	body := rec.buf.Bytes()
	if strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
		// The response holds a secret (an initial password, a signed
		// assertion): keep its outcome, never its body.
		body = []byte(`{"replayed":true,"note":"首次响应含有敏感信息，未保存；请使用首次响应中的内容"}` + "\n")
	}
	stored, _ := json.Marshal(storedResponse{Header: pick(w.Header(), "Content-Type", "Location", PositionHeader), Body: body})
	if _, err := s.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = $3, response = $4, lease_until = NULL
		WHERE account_id = $1 AND key = $2`, p.AccountID, key, rec.status, stored); err != nil {
		s.log.ErrorContext(ctx, "store idempotent response", "err", err)
	}
}

// replay answers a retry: the stored response, 409 while the first attempt
// holds its lease, or true when the lease has run out and this retry takes
// the command over.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, key, fp string) (runAgain bool) {
	p, _ := Principal(r.Context())
	var hash string
	var status *int
	var raw []byte
	var expired bool
	err := s.Pool.QueryRow(r.Context(), `SELECT request_hash, status, response, coalesce(lease_until < now(), true)
		FROM idempotency_keys WHERE account_id = $1 AND key = $2`, p.AccountID, key).Scan(&hash, &status, &raw, &expired)
	if errors.Is(err, pgx.ErrNoRows) {
		// The first attempt failed and released the key between our insert and read.
		s.writeError(w, r, &requestError{status: http.StatusConflict, code: "idempotency_retry", message: "请重试"})
		return false
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("idempotency: %w", err))
		return false
	}
	if hash != fp {
		s.writeError(w, r, &requestError{status: http.StatusUnprocessableEntity, code: "idempotency_key_reused", message: "同一 Idempotency-Key 不能用于不同的请求"})
		return false
	}
	if status == nil {
		if expired {
			tag, err := s.Pool.Exec(r.Context(), `UPDATE idempotency_keys SET lease_until = now() + $3::interval
				WHERE account_id = $1 AND key = $2 AND status IS NULL AND coalesce(lease_until < now(), true)`, p.AccountID, key, leaseInterval)
			if err != nil {
				s.writeError(w, r, fmt.Errorf("idempotency: %w", err))
				return false
			}
			if tag.RowsAffected() == 1 {
				return true
			}
		}
		w.Header().Set("Retry-After", "2")
		s.writeError(w, r, &requestError{status: http.StatusConflict, code: "request_in_progress", message: "相同的请求正在处理中，请稍后重试"})
		return false
	}
	var sr storedResponse
	if err := json.Unmarshal(raw, &sr); err != nil {
		s.writeError(w, r, fmt.Errorf("idempotency: stored response: %w", err))
		return false
	}
	for k, v := range sr.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(*status)
	_, _ = w.Write(sr.Body)
	return false
}

func pick(h http.Header, names ...string) http.Header {
	out := http.Header{}
	for _, n := range names {
		if v := h.Values(n); len(v) > 0 {
			out[http.CanonicalHeaderKey(n)] = v
		}
	}
	return out
}
