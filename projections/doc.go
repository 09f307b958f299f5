// Package projections builds the PostgreSQL read models from the event
// store's global feed.
//
// The infrastructure lives in clearly named files: feed.go (FeedSubscriber,
// a Watermill message.Subscriber over eventstore.Store.SubscribeAll),
// runner.go (Runner: one Watermill router, one handler per group of
// projections, each message a batch of the events the feed has ready),
// group.go (the live path: one transaction per batch and group, every
// member's checkpoint in it), batch.go (one transaction per batch and
// projection, for catch-up, rebuilds and the fallback when a group's
// transaction fails; a failing event retried alone and parked),
// pipeline.go (a projection's Exec statements for a run of events sent in
// one round trip, a failure charged to the event that issued it),
// checkpoint.go (checkpoints stored in the read-model transaction),
// parked.go (parked events), wait.go (WaitFor, Status) and rebuild.go
// (Rebuild, RebuildAll). Each read model is one more file implementing
// Projection.
//
// Guarantees: each projection sees the feed in order; its read-model change
// and its checkpoint commit in one transaction, and an event at or before
// the checkpoint is skipped, so every event takes effect exactly once even
// when Watermill redelivers it or the process stops between commit and Ack.
// An event type the registry does not know is skipped (other services may
// write to the same store); an event that fails after the retries is parked
// in projection_parked, logged at error level, and the checkpoint moves past
// it.
//
// Several instances may run the same projections: the checkpoint row lock
// and the skip rule let them share the feed without applying an event twice
// or out of order (TestTwoRunnersShareAProjection). Rebuild guards only
// against writers in its own process; rebuild while other instances are
// stopped.
//
// It may import domain/..., eventstore, pgx and watermill; never commands or
// httpapi.
package projections
