package web

import (
	"github.com/hbte/record/commands"
	"github.com/hbte/record/projections"
)

// Deps are the command handlers and read-model queries the pages call:
// the same ones the JSON API calls, with no HTTP hop in between.
type Deps struct {
	Cmd         *commands.Handlers
	Teachers    *projections.TeacherQueries
	Enrollments *projections.EnrollmentQueries
	Credits     *projections.CreditQueries
	// Audits are the sampled audits of credit claims.
	Audits   *projections.CreditAuditQueries
	Files    *commands.FileStore
	Security *commands.SecurityLog
	Runner   *projections.Runner
}
