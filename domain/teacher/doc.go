// Package teacher is the Teacher aggregate: the authoritative basic
// information of one teacher (stream "teacher-<uuid>"), split into key fields
// that only an admin of the teacher's county may change and ordinary fields
// the teacher edits directly, with correction requests for key fields and
// cross-county transfers (异动) kept in the same stream.
//
// Every change is an event carrying the field, old value, new value and
// reason; Describe renders any teacher event as a Chinese sentence for the
// history page. The school area and category are not here: they belong to the
// unit (package unit), so they are the same for every teacher of a school.
//
// Transfers (transfer.go, jurisdiction.go):
//
//   - Inside Hebei: started by an admin of the current county, accepted or
//     rejected by an admin of the receiving county. Jurisdiction over the
//     teacher and everything hung on the teacher (enrollments, credits,
//     registration checks) follows the current county from the acceptance
//     on. Spells lists the counties that held the teacher and when; a
//     county the teacher left (FormerSpell) keeps read access to what is
//     dated inside its spell and loses the rest: no change, no check, and
//     what is dated after the move is "not found" to it.
//   - Out of the province (a county whose code does not start with 13):
//     started the same way (without a unit), but no county accepts it: it
//     waits in the province admin's queue, who confirms (ConfirmTransferOut,
//     event TransferredOut) or rejects it with a reason. A confirmed one
//     leaves nothing open; the record stays with its last Hebei county,
//     read-only, marked 已调出本省 (TransferredOutLabel): every command on
//     the teacher or anything hung on the teacher is refused with
//     ErrTransferredOut (409), after the permission check.
//
// Pure: imports only the standard library, uuid and domain packages.
package teacher
