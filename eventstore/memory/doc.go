// Package memory is an in-memory eventstore.Store for tests and for running
// the service without a database. It is race-free and its subscriptions wake
// on append (no polling). Positions are a global sequence starting at 1, with
// Commit == Prepare.
//
// It may import only the standard library, uuid and the eventstore port.
package memory
