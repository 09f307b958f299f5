// Package esdbfake is an in-process, in-memory fake of EventStoreDB's gRPC
// protocol for tests. It serves the generated protos of the official Go
// client on real TCP (127.0.0.1), so the real client, not a mock of it, is
// what talks to it. It can be stopped and restarted on the same port with its
// data kept, and frozen, to test how a caller survives a lost or hung server.
//
// It implements what eventstore/esdb uses: ServerFeatures, Streams.Append
// (expected revisions and EventStoreDB's idempotency rule), Streams.Read of a
// stream and of $all, and catch-up subscriptions to $all with server-side
// filters. Everything else answers Unimplemented.
//
// It may import the standard library, uuid, grpc and the client module's
// generated protos (never the client's esdb package: the fake must not share
// code with the thing it checks).
package esdbfake
