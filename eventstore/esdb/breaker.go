package esdb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hbte/record/eventstore"
)

// breaker bounds what an outage costs. Client v4.2.0 ignores contexts while
// it rediscovers the node, so each call made then leaves a goroutine inside
// the client until the node is back. Once a call shows the node in trouble
// the breaker opens: one call at a time (the probe) goes through, the others
// fail at once with ErrUnavailable. The first call the node answers closes
// it again. The probe counts as running until its goroutine has returned,
// not until its caller gave up waiting, so an outage holds at most one
// probe (plus the calls already in flight when it began) inside the client.
type breaker struct {
	mu      sync.Mutex
	open    bool
	probing bool
}

var errCircuitOpen = fmt.Errorf("esdb: the server did not answer lately; calls are refused until a probe gets through: %w", eventstore.ErrUnavailable)

// admit lets a call through, as the probe when the breaker is open.
func (b *breaker) admit() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return false, nil
	}
	if b.probing {
		return false, errCircuitOpen
	}
	b.probing = true
	return true, nil
}

// outcome of a finished call for the breaker.
type outcome int

const (
	answered outcome = iota // the node answered (success or a refusal)
	trouble                 // no answer: the node is down, hung or unreachable
	unknown                 // the caller gave up first: says nothing
)

// done records how a call that went through ended; its goroutine calls it.
func (b *breaker) done(probe bool, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch o {
	case answered:
		b.open = false
	case trouble:
		b.open = true
	}
}

// trip opens the breaker when a caller gave up on a silent call.
func (b *breaker) trip() {
	b.mu.Lock()
	b.open = true
	b.mu.Unlock()
}

// classify tells an answer of the node from its absence. opCtx is the
// context the call ran with.
func classify(opCtx context.Context, err error) outcome {
	if err == nil {
		return answered
	}
	if opCtx.Err() != nil {
		return unknown
	}
	var e *esdb.Error
	if !errors.As(err, &e) {
		return trouble // a panic of the client, or no answer
	}
	switch e.Code() {
	case esdb.ErrorCodeConnectionClosed, esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded:
		return trouble
	case esdb.ErrorCodeUnknown:
		switch status.Code(e.Err()) {
		case codes.InvalidArgument, codes.FailedPrecondition, codes.NotFound, codes.AlreadyExists,
			codes.PermissionDenied, codes.Unauthenticated, codes.ResourceExhausted, codes.OutOfRange:
			return answered
		}
		return trouble
	}
	return answered
}
