// Package web serves the Chinese pages of the service: the teacher's
// personal space and every role's workspace, rendered on the server with
// html/template and embedded assets, in the same binary as the JSON API.
//
// The core (this package) owns the layout, the session cookie, the login,
// password and error pages, CSRF protection and the security headers. Each
// role's pages are a Section in a sub-package (web/teacherui, ...) that
// calls the command handlers and the read-model queries directly, never the
// API over HTTP.
//
// It may import domain, commands, projections, eventstore and httpapi (for
// the one error mapping and the shared login); nothing imports it but the
// wiring in cmd/record.
package web
