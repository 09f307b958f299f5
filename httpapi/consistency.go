package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/hbte/record/eventstore"
)

// PositionHeader carries the global position a command wrote; a later query
// sends it back in ConsistentAfterHeader to read its own writes.
const (
	PositionHeader        = "X-Event-Position"
	ConsistentAfterHeader = "X-Consistent-After"
)

var errWaitTimeout = errors.New("read models have not reached the requested position")

// WritePosition sets the position header of a command's response.
func WritePosition(w http.ResponseWriter, pos eventstore.Position) {
	if !pos.IsZero() {
		w.Header().Set(PositionHeader, pos.String())
	}
}

// consistentAfter makes a GET wait, for at most MaxWait, until the read
// models have applied the position named by the client.
func (s *Server) consistentAfter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.Header.Get(ConsistentAfterHeader)
		if raw == "" {
			raw = r.URL.Query().Get("consistent_after")
		}
		if raw == "" || s.Waiter == nil {
			next.ServeHTTP(w, r)
			return
		}
		pos, err := eventstore.ParsePosition(raw)
		if err != nil {
			s.writeError(w, r, badRequest("bad_position", "X-Consistent-After 格式应为 commit/prepare"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.MaxWait)
		defer cancel()
		if err := s.Waiter.WaitFor(ctx, pos); err != nil {
			if r.Context().Err() != nil {
				return
			}
			s.writeError(w, r, errWaitTimeout)
			return
		}
		next.ServeHTTP(w, r)
	})
}
