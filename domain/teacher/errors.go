package teacher

import (
	"fmt"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// Authorization refusals; all match access.ErrForbidden.
var (
	// ErrKeyFieldNeedsCountyAdmin: key fields change only by an admin of the
	// teacher's own county (and correction requests are decided by one).
	ErrKeyFieldNeedsCountyAdmin = fmt.Errorf("%w: key fields may be changed only by an admin of the teacher's county", access.ErrForbidden)
	// ErrRegisterNeedsCountyAdmin: teachers are entered by an admin of the unit's county.
	ErrRegisterNeedsCountyAdmin = fmt.Errorf("%w: a teacher is registered by an admin of the unit's county", access.ErrForbidden)
	// ErrNotOwnRecordOrAdmin: ordinary fields are edited by the teacher or an
	// admin covering the teacher's county.
	ErrNotOwnRecordOrAdmin = fmt.Errorf("%w: only the teacher or an admin covering the county may edit", access.ErrForbidden)
	// ErrNotOwnRecord: only the teacher may request or withdraw a correction.
	ErrNotOwnRecord = fmt.Errorf("%w: only the teacher may do this on their own record", access.ErrForbidden)
	// ErrTransferNeedsSendingAdmin: a transfer is started or cancelled by an
	// admin of the teacher's current county.
	ErrTransferNeedsSendingAdmin = fmt.Errorf("%w: only an admin of the teacher's current county may start or cancel a transfer", access.ErrForbidden)
	// ErrTransferNeedsReceivingAdmin: accepted or rejected by an admin of
	// the receiving county.
	ErrTransferNeedsReceivingAdmin = fmt.Errorf("%w: only an admin of the receiving county may accept or reject a transfer", access.ErrForbidden)
)

// State conflicts; all match domain.ErrInvalidState (or ErrNotFound).
var (
	ErrNotRegistered        = fmt.Errorf("%w: teacher not registered", domain.ErrInvalidState)
	ErrAlreadyRegistered    = fmt.Errorf("%w: teacher already registered", domain.ErrInvalidState)
	ErrCorrectionPending    = fmt.Errorf("%w: a correction of this field is already pending", domain.ErrInvalidState)
	ErrCorrectionDecided    = fmt.Errorf("%w: the correction request is no longer pending", domain.ErrInvalidState)
	ErrCorrectionNotFound   = fmt.Errorf("%w: correction request", domain.ErrNotFound)
	ErrTransferOpen         = fmt.Errorf("%w: the teacher already has an open transfer", domain.ErrInvalidState)
	ErrNoOpenTransfer       = fmt.Errorf("%w: no open transfer with this id", domain.ErrInvalidState)
	ErrTransferNotFound     = fmt.Errorf("%w: transfer", domain.ErrNotFound)
	ErrUnitChangeInTransfer = fmt.Errorf("%w: the unit cannot change while a transfer is open", domain.ErrInvalidState)
)
