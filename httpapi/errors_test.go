package httpapi

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hbte/record/eventstore"
)

// A dependency that is down is a 503 the client may retry, never a 500.
func TestUnavailableDependenciesAre503(t *testing.T) {
	for _, err := range []error{
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "08006"},
		&pgconn.PgError{Code: "53300"},
		&net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")},
		fmt.Errorf("append: %w", eventstore.ErrUnavailable),
		fmt.Errorf("query: %w", context.DeadlineExceeded),
	} {
		status, body := Classify(fmt.Errorf("wrapped: %w", err))
		if status != 503 || body.Error.RetryAfter == 0 || body.Error.Code != "unavailable" {
			t.Errorf("%v: %d %+v", err, status, body)
		}
	}
	if status, _ := Classify(&pgconn.PgError{Code: "42P01"}); status != 500 {
		t.Errorf("a broken query is a 500, got %d", status)
	}
}
