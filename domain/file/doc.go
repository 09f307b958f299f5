// Package file holds the pure rules for files attached to the record: a
// FileRef names an uploaded file by its content, and ValidateFile checks its
// name, type and size. Growth-track achievements and credit bank evidence
// both use them; they live apart so neither of those packages has to import
// the other for them.
//
// It may import the standard library and domain. It is pure.
package file
