// Package eventstoretest is the contract suite every eventstore.Store adapter
// runs (memory, postgres, esdb), in the manner of testing/fstest: one Run
// function, exercised only through the port.
//
// The suite never assumes positions are counters (EventStoreDB's are log
// offsets with gaps) and ignores events of streams whose names start with "$"
// (EventStoreDB system streams) when reading the global feed.
//
// It may import the standard library, uuid and the eventstore port.
package eventstoretest
