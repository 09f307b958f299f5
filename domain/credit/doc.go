// Package credit is the continuing-education credit record: one Ledger per
// teacher (stream credits-<teacherID>) holding every grant of training hours
// (学时) and credits (学分) from any source, and the credit bank (学分银行)
// Request (stream creditbank-<uuid>) through which a teacher asks the county
// to recognise learning that did not happen in a platform project.
//
// "The same activity counts once" is enforced by a source key per entry: a
// grant whose key is already live in the ledger is refused (or ignored when it
// repeats the same grant, so a retried command is harmless). Across sources,
// a grant that looks like a counting entry of another source (same hours,
// overlapping days, similar title after NormalizeTitle) is held as a
// suspected duplicate and counts nowhere until the teacher's county admin
// decides, with a reason, "distinct" (DuplicateCleared: it counts) or
// "duplicate" (DuplicateConfirmed: it never counts); duplicate.go. Project
// grants are never held: the other source's entry is.
//
// Hours and credits are exact decimals (Quantity, thousandths in an
// integer): input carries at most one decimal place (12.5 h, 0.5 credit),
// anything finer is refused, never rounded, and totals are exact sums.
// Events stored with integer hours or float credits decode unchanged.
//
// What cannot have happened is refused (imports, the credit bank and any
// grant but a project's, whose order the enrollment pipeline keeps): a
// training completed after the granter's today or of a later year, and
// hours beyond the plausibility limits (Limits: per training, per training
// year), which are registration policy data passed in by the caller.
//
// It may import the standard library, uuid, domain, domain/event,
// domain/access and domain/file (for evidence files). It is pure: time and
// identifiers are passed in.
package credit
