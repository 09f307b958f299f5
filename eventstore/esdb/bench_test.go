package esdb_test

import (
	"context"
	"testing"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
)

// BenchmarkAppend measures the adapter's own cost (supervision goroutine,
// client, gRPC over loopback) against the in-memory fake: an upper bound for
// what this code can do, not a figure for a real EventStoreDB, which adds
// fsync and its own indexing.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		s, _ := openFake(b)
		stream := "teacher-" + uuid.NewString()
		exp := eventstore.NoStream()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := s.Append(ctx, stream, exp, event("x"))
			if err != nil {
				b.Fatal(err)
			}
			exp = eventstore.Exact(res.NextRevision)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s, _ := openFake(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			stream := "teacher-" + uuid.NewString()
			exp := eventstore.NoStream()
			for pb.Next() {
				res, err := s.Append(ctx, stream, exp, event("x"))
				if err != nil {
					b.Error(err)
					return
				}
				exp = eventstore.Exact(res.NextRevision)
			}
		})
	})
}

// BenchmarkAppendRawClient is the same sequential append with the bare
// client, to show what the adapter's supervision adds.
func BenchmarkAppendRawClient(b *testing.B) {
	ctx := context.Background()
	srv := esdbfake.Start(b)
	c := rawClient(b, srv)
	stream := "teacher-" + uuid.NewString()
	var exp client.ExpectedRevision = client.NoStream{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.AppendToStream(ctx, stream, client.AppendToStreamOptions{ExpectedRevision: exp}, rawEvent("x"))
		if err != nil {
			b.Fatal(err)
		}
		exp = client.Revision(res.NextExpectedVersion)
	}
}
