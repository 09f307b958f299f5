// Package growth is a teacher's growth track (成长档案): honors (荣誉) and
// teaching achievements (教学成果) the teacher enters about themselves, on the
// stream growth-<teacherID>, plus the pure rules for the files attached to
// them (FileRef, ValidateFile), which other packages reuse for evidence.
//
// It may import the standard library, uuid, domain, domain/event and
// domain/access. It is pure: time and identifiers are passed in.
package growth
