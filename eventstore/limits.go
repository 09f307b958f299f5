package eventstore

import (
	"errors"
	"fmt"
)

// MaxAppendSize is the most one append may carry, counted as EventStoreDB
// counts it: the sum over the events of data, metadata and twice the length
// of the type name. It is EventStoreDB's default limit (1,048,576 bytes);
// every adapter refuses a larger append with *AppendTooLargeError, so the
// service behaves the same on every backend and nothing that PostgreSQL
// accepts is refused later by a cluster the events are copied to.
const MaxAppendSize = 1 << 20

// AppendSize is the size MaxAppendSize bounds.
func AppendSize(events []EventData) int {
	n := 0
	for _, e := range events {
		n += EventSize(e)
	}
	return n
}

// EventSize is one event's share of AppendSize.
func EventSize(e EventData) int { return len(e.Data) + len(e.Metadata) + 2*len(e.Type) }

// ErrAppendTooLarge is matched by *AppendTooLargeError.
var ErrAppendTooLarge = errors.New("append too large")

// AppendTooLargeError refuses an append larger than MaxAppendSize. Nothing
// was written.
type AppendTooLargeError struct {
	Stream string
	Size   int
	Max    int
}

func (e *AppendTooLargeError) Error() string {
	return fmt.Sprintf("append to %q: %d bytes, more than the maximum append size of %d", e.Stream, e.Size, e.Max)
}

func (e *AppendTooLargeError) Is(target error) bool { return target == ErrAppendTooLarge }

// CheckAppendSize returns *AppendTooLargeError when events exceed
// MaxAppendSize. Adapters call it before writing.
func CheckAppendSize(stream string, events []EventData) error {
	if n := AppendSize(events); n > MaxAppendSize {
		return &AppendTooLargeError{Stream: stream, Size: n, Max: MaxAppendSize}
	}
	return nil
}

// ErrStreamDeleted means the stream was deleted for good (an EventStoreDB
// tombstone): it can be neither read nor written again.
var ErrStreamDeleted = errors.New("stream deleted")
