// Package appraisal holds the yearly ethics assessment (师德考核) and annual
// appraisal (年度考核) results of each teacher (stream appraisal-<teacherID>),
// the upload batch they arrive in (stream upload-<uuid>) and the pure
// validator of one upload row.
//
// The county admin uploads results; a result once recorded changes only by an
// explicit correction with a reason, because re-registration decisions rest
// on it.
//
// A result is for a finished year: an ethics or annual result for the year
// still running (by the UTC year of the recording instant) is refused, as is
// a later year.
//
// It may import the standard library, uuid, domain, domain/event and
// domain/access. It is pure: time and identifiers are passed in.
package appraisal
