// Package growth is a teacher's growth track (成长档案): honors (荣誉) and
// teaching achievements (教学成果) the teacher enters about themselves, on the
// stream growth-<teacherID>. Levels are credit.Level (the same national
// codes as training, so reports group both alike); attached files are
// file.FileRef.
//
// It may import the standard library, uuid, domain, domain/event,
// domain/access, domain/credit and domain/file. It is pure: time and
// identifiers are passed in.
package growth
