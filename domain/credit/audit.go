package credit

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
)

// RevokeAudited carries a sampled audit's revocation (package
// creditaudit) to the ledger: entry entryID is revoked with the audit's
// reason, caused by the review event. Any admin whose jurisdiction covers
// the teacher's county may (the audit decided who reviews); the cause is
// required. An entry that no longer counts under its key (revoked since the
// draw) records nothing, so carrying the revocation again is harmless.
func (l *Ledger) RevokeAudited(actor access.Actor, teacherCounty string, entryID uuid.UUID, reason string, cause uuid.UUID, at time.Time) (recorded bool, err error) {
	if !(actor.Role.IsAdmin() || actor.Role == access.RoleSystem) || !actor.Covers(teacherCounty) {
		return false, fmt.Errorf("credit: %s may not carry an audit revocation for %s: %w", actor.Role, teacherCounty, access.ErrForbidden)
	}
	reason = strings.TrimSpace(reason)
	switch {
	case cause == uuid.Nil:
		return false, domain.Invalid("cause_event_id", "缺少抽查复核记录")
	case reason == "":
		return false, domain.Invalid("reason", "撤销学时必须说明原因")
	case at.IsZero():
		return false, domain.Invalid("at", "缺少记录时间")
	}
	i := l.index(entryID)
	if i < 0 {
		return false, ErrNoSuchEntry
	}
	e := l.entries[i]
	if li, ok := l.live[e.Key]; !ok || li != i {
		return false, nil
	}
	l.Record(l, &Revoked{EntryID: e.ID, TeacherID: l.teacherID, Key: e.Key, Reason: reason, CauseEventID: cause, RevokedAt: at})
	return true, nil
}
