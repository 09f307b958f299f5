// Package enrollment is the pipeline of one teacher in one training project
// (stream "enrollment-<uuid>", id from ID(project, teacher), so a teacher can
// never be enrolled twice in one project):
//
//	nominated (county admin of the teacher's county)
//	  -> city approved / city rejected (city admin covering the county;
//	     only for province-owned projects: a city or county project has no
//	     level in between)
//	  -> province approved + assigned to an institution and class /
//	     province rejected (an administrator of the project's owner)
//	  -> class notice published (the institution)
//	  -> reported (the teacher or the institution)
//	  -> progress recorded (the institution), any number of times
//	  -> grade posted (the institution, by the project's policy)
//	  -> on a pass: credits granted, then certificate issued.
//
// Every step is an event carrying who (By) and when (At), so the personal
// space can show the pipeline without joining the metadata.
//
// Decisions a real user expects, made here:
//
//   - Re-nomination: after a rejection at either level, or a withdrawal, the
//     county may nominate the same teacher again while the project is open
//     for nomination. The stream continues (the id is fixed) and the earlier
//     rejection stays in the history with its reason; Attempt counts.
//
//   - Withdrawal: by the county admin of the teacher's county or by the
//     project owner, with a reason, at any time before the teacher reports.
//     Teachers are sent to training by their county, so a teacher who cannot
//     go asks the county admin; after reporting, a dropout is graded (and
//     fails) rather than erased, because attendance already happened.
//
//   - Posted grades are final. GradeCorrected is an explicit event with a
//     reason; if it flips the result it revokes or grants credits (and
//     revokes the certificate) in the same decision.
//
//   - In order (timing.go): a grade needs the project in training or
//     finished and the class started (the China date on or after the
//     project's first day); a certificate needs the class ended (on or
//     after its last day). A pass posted earlier gets its credits at once
//     and its certificate when the project is finished, or when the grade
//     is posted again, once the class has ended.
//
//   - A cancelled project freezes: CancelWithProject withdraws every open
//     enrollment (a reported one included) with the project's reason
//     (Withdrawn.ProjectCancelled); the command layer does it for every
//     seat holder when the project is cancelled and frees the seats, and
//     refuses any later step with the reason.
//
//   - Every refusal names its reason for the user (domain.StateError with
//     the stage and, after a rejection or withdrawal, its reason).
//
//   - Jurisdiction follows the teacher: the county in Nominated is the
//     nominating county; the county whose admins withdraw, and the city
//     that reviews, is the teacher's current county (FollowTeacher, set by
//     the command layer from the teacher's stream). After a transfer the
//     county the teacher left reads an enrollment it nominated while the
//     teacher was its own, as it stood when she left (LoadUntil), and
//     nothing else. A teacher transferred out of the province freezes every
//     step (409 已调出本省).
//
//   - A revoked certificate is remembered (Revoked), so verifying it with
//     its right code says when and why it was revoked.
//
// Quotas: a nomination needs a seat held in the project aggregate
// (project.ReserveSeat) in the same command; Nominate refuses without it.
// When an enrollment leaves the pipeline (rejected, withdrawn) the command
// layer releases its seat: NeedsSeat reports whether it should hold one.
//
// Certificate numbers are HB + year + category + 7-digit serial + a Luhn
// check digit. The serial is an input: the command layer takes it from a
// per-year counter stream appended with an expected revision, which keeps
// numbers unique without randomness in the domain.
//
// Pure: imports the standard library, uuid, domain, domain/event,
// domain/access, domain/ident (China time) and domain/project.
package enrollment
