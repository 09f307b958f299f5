package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
)

// commandContext passes the request ID, the idempotency key and the
// revision the client saw (If-Match) to the command handlers.
func (s *Server) commandContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := commands.Request{
			RequestID:      middleware.GetReqID(r.Context()),
			CorrelationID:  r.Header.Get("X-Correlation-ID"),
			IdempotencyKey: r.Header.Get(IdempotencyHeader),
		}
		if im := r.Header.Get("If-Match"); im != "" && r.Method != http.MethodGet {
			rev, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(im, "W/"), `"`), 10, 64)
			if err != nil || rev < -1 {
				s.writeError(w, r, badRequest("bad_if_match", "If-Match 应为记录的版本号，例如 \"3\""))
				return
			}
			rq.ExpectedRevision = &rev
		}
		next.ServeHTTP(w, r.WithContext(commands.WithRequest(r.Context(), rq)))
	})
}

// CommandResponse is the body of a successful command.
type CommandResponse struct {
	ID       uuid.UUID `json:"id"`
	Revision int64     `json:"revision"`
	Position string    `json:"position"`
}

// Done writes a command's result: the revision as ETag (for the next
// If-Match) and the position for read-your-writes.
func Done(w http.ResponseWriter, status int, res commands.Result) {
	WritePosition(w, res.Position)
	if res.Revision >= 0 {
		w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(res.Revision, 10)))
	}
	writeJSON(w, status, CommandResponse{ID: res.ID, Revision: res.Revision, Position: res.Position.String()})
}

// RequireIfMatch refuses an edit that does not say which revision it is
// based on: without it a stale edit would silently overwrite.
func RequireIfMatch(r *http.Request) error {
	if commands.RequestFrom(r.Context()).ExpectedRevision == nil {
		return &requestError{status: http.StatusPreconditionRequired, code: "if_match_required",
			message: "修改须带 If-Match 头（记录的当前版本号），以免覆盖他人的修改"}
	}
	return nil
}

// PathID parses a UUID path parameter.
func PathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, &requestError{status: http.StatusBadRequest, code: "bad_id", message: "标识格式错误",
			details: []domain.FieldError{{Field: name, Reason: "应为 UUID"}}}
	}
	return id, nil
}
