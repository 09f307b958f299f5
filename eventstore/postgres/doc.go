// Package postgres is the PostgreSQL adapter of the eventstore port, over the
// es_events table and es_append function of migrations/0002_eventstore.sql.
//
// Concurrency: the primary key (stream, revision) decides races; a lost race
// is reported as *eventstore.WrongExpectedRevisionError, never a driver
// error. Retries with the same event IDs and expectation return the original
// result (see Store.Append for the exact rule).
//
// Global order: Position{Commit: xid, Prepare: seq}, where xid is the
// appending transaction's id; the feed shows only rows below the oldest
// running transaction, so a transaction that commits late is neither skipped
// nor delivered out of order.
//
// Subscriptions read in batches and wake on LISTEN/NOTIFY (the NOTIFY is in
// the append's transaction) with a bounded fallback poll; they survive lost
// connections by re-reading after the last delivered position.
//
// It may import the standard library, uuid, pgx and the eventstore port.
package postgres
