package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hbte/record/eventstore"
)

// An append the event store refuses as too large is the request's fault:
// 413 with a code of its own, never a 500.
func TestAppendTooLargeIs413(t *testing.T) {
	err := fmt.Errorf("save: %w", &eventstore.AppendTooLargeError{Stream: "appraisal-1", Size: 2 << 20, Max: eventstore.MaxAppendSize})
	status, body := Classify(err)
	if status != http.StatusRequestEntityTooLarge || body.Error.Code != "record_too_large" {
		t.Fatalf("Classify = %d %+v", status, body)
	}
}
