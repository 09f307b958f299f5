// Package esdb is the EventStoreDB adapter of the eventstore port, selected by
// an esdb:// connection string. It is the only package of the project that
// imports github.com/EventStore/EventStore-Client-Go/v4, so a move to its
// successor (KurrentDB-Client-Go) touches this folder alone.
//
// Beyond mapping the port onto the client, it guards against the client's
// known v4.2.0 defects: a client that closed itself after failed discovery is
// replaced by a new one, every call and every Recv runs on its own goroutine
// under a deadline so a dead or hung connection cannot block a caller, client
// panics are recovered into errors, and the global subscription resubscribes
// after a drop from the last position it delivered.
//
// It may import the eventstore port, the EventStoreDB client and the standard
// library. Its tests also use esdbfake and the contract suite eventstoretest.
package esdb
