// Package commands holds one handler per command (authorize, load, decide,
// append) and the repository that owns the concurrency boundary between the
// domain and the event store. It also keeps the secrets that must never enter
// events (password hashes, session tokens) in their own PostgreSQL tables.
//
// It may import domain/..., eventstore (the port only) and pgx; never httpapi
// or projections.
package commands
