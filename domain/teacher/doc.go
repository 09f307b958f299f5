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
// Pure: imports only the standard library, uuid and domain packages.
package teacher
