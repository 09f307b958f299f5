package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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

		tag, err := s.Pool.Exec(r.Context(), `INSERT INTO idempotency_keys (account_id, key, request_hash)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, p.AccountID, key, fp)
		if err != nil {
			s.writeError(w, r, fmt.Errorf("idempotency: %w", err))
			return
		}
		if tag.RowsAffected() == 0 {
			s.replay(w, r, key, fp)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		// A server error is not a result: let the client retry with the same key.
		if rec.status >= 500 || rec.status == 0 {
			_, _ = s.Pool.Exec(r.Context(), `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2`, p.AccountID, key)
			return
		}
		body = rec.buf.Bytes()
		if strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
			// The response holds a secret (an initial password, a signed
			// assertion): keep its outcome, never its body.
			body = []byte(`{"replayed":true,"note":"首次响应含有敏感信息，未保存；请使用首次响应中的内容"}` + "\n")
		}
		stored, _ := json.Marshal(storedResponse{Header: pick(w.Header(), "Content-Type", "Location", PositionHeader), Body: body})
		if _, err := s.Pool.Exec(r.Context(), `UPDATE idempotency_keys SET status = $3, response = $4
			WHERE account_id = $1 AND key = $2`, p.AccountID, key, rec.status, stored); err != nil {
			s.log.ErrorContext(r.Context(), "store idempotent response", "err", err)
		}
	})
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request, key, fp string) {
	p, _ := Principal(r.Context())
	var hash string
	var status *int
	var raw []byte
	err := s.Pool.QueryRow(r.Context(), `SELECT request_hash, status, response FROM idempotency_keys
		WHERE account_id = $1 AND key = $2`, p.AccountID, key).Scan(&hash, &status, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		// The first attempt failed and released the key between our insert and read.
		s.writeError(w, r, &requestError{status: http.StatusConflict, code: "idempotency_retry", message: "请重试"})
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("idempotency: %w", err))
		return
	}
	if hash != fp {
		s.writeError(w, r, &requestError{status: http.StatusUnprocessableEntity, code: "idempotency_key_reused", message: "同一 Idempotency-Key 不能用于不同的请求"})
		return
	}
	if status == nil {
		s.writeError(w, r, &requestError{status: http.StatusConflict, code: "request_in_progress", message: "相同的请求正在处理中"})
		return
	}
	var sr storedResponse
	if err := json.Unmarshal(raw, &sr); err != nil {
		s.writeError(w, r, fmt.Errorf("idempotency: stored response: %w", err))
		return
	}
	for k, v := range sr.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(*status)
	_, _ = w.Write(sr.Body)
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
