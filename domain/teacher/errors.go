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
	ErrNotRegistered        = domain.Refusal("teacher not registered", "该教师尚未登记")
	ErrAlreadyRegistered    = domain.Refusal("teacher already registered", "该教师已登记，不能重复登记")
	ErrCorrectionPending    = domain.Refusal("a correction of this field is already pending", "该字段已有待审核的更正申请，请等待审核结果或先撤回")
	ErrCorrectionDecided    = domain.Refusal("the correction request is no longer pending", "该更正申请已处理或已撤回，不能再办理")
	ErrCorrectionNotFound   = fmt.Errorf("%w: correction request", domain.ErrNotFound)
	ErrTransferOpen         = domain.Refusal("the teacher already has an open transfer", "该教师已有未办结的异动，须先办结或撤销")
	ErrNoOpenTransfer       = domain.Refusal("no open transfer with this id", "该异动已办结或已撤销，不能再办理")
	ErrTransferNotFound     = fmt.Errorf("%w: transfer", domain.ErrNotFound)
	ErrUnitChangeInTransfer = domain.Refusal("the unit cannot change while a transfer is open", "异动办理期间不能更改任职单位")
)
