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
// cannot be broken by a race. See ReserveSeat.
//
// It is pure: it imports only the standard library, uuid, domain,
// domain/event and domain/access.
package project
