// Package project is the training-project aggregate (stream "project-<uuid>"):
// what a project is (kind, national category and mode codes, owner
// jurisdiction, institutions, classes, dates, hours, credits), its grading
// policy, its per-region quotas and its lifecycle
// (draft -> open for nomination -> in progress -> finished, or cancelled).
//
// Quotas are enforced inside the aggregate: every nomination of a project
// with quotas reserves a seat with a SeatReserved event appended to the
// project stream in the same command, so the expected revision of the project
// stream serialises competing nominations and "within the county's quota"
// cannot be broken by a race. See ReserveSeat. The command that nominates:
// load project and enrollment, p.ReserveSeat, e.Nominate, append the project
// events (expected revision), then the enrollment events; on a conflict,
// retry the whole command. ReserveSeat is idempotent per enrollment, so a
// crash between the two appends heals on retry; a rejection or withdrawal
// is followed by p.ReleaseSeat in the same way.
//
// Seats are recorded for every nomination, with or without quotas, so a
// quota set later counts earlier nominations. The cost is one small event
// per nomination on the project stream, which suits nominated projects
// (hundreds to tens of thousands of seats); all-staff training that needs
// no nomination should not go through the pipeline at all.
//
// It is pure: it imports only the standard library, uuid, domain,
// domain/event and domain/access.
package project
