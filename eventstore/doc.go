// Package eventstore is the event-store port: the Store interface, its value
// types and typed errors. Adapters live in sub-packages (memory, postgres,
// esdb) and all pass the contract suite in eventstoretest.
//
// It may import only the standard library and github.com/google/uuid; it knows
// nothing of the domain.
package eventstore
