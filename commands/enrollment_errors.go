package commands

import (
	"errors"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/project"
)

// stateError is a refusal caused by the state of things (a full quota),
// with the reason for users: it matches domain.ErrInvalidState (409) and
// the domain's own sentinel.
type stateError struct {
	msg string
	err error
}

func (e *stateError) Error() string       { return e.err.Error() }
func (e *stateError) Unwrap() []error     { return []error{domain.ErrInvalidState, e.err} }
func (e *stateError) UserMessage() string { return e.msg }

// quotaError gives the quota sentinels of domain/project, which are plain
// errors, their status and a message: without it they would surface as
// internal errors.
func quotaError(err error) error {
	switch {
	case errors.Is(err, project.ErrQuotaExhausted):
		return &stateError{msg: "本地区的推荐名额已用完", err: err}
	case errors.Is(err, project.ErrNoQuota):
		return &stateError{msg: "本项目没有给该区县分配名额", err: err}
	case errors.Is(err, enrollment.ErrNoSeat):
		return &stateError{msg: "推荐须先占用项目名额", err: err}
	case errors.Is(err, enrollment.ErrWrongProject):
		return &stateError{msg: "报名记录与项目不符", err: err}
	}
	return err
}
