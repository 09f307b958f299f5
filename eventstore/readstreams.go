package eventstore

import (
	"context"
	"errors"
	"sync"
)

// StreamsReader is implemented by stores that read many whole streams in
// one round trip (the PostgreSQL store: one query). Callers use
// ReadStreams, which falls back to ReadStream for other stores.
type StreamsReader interface {
	// ReadStreams reads each of streams whole, forwards. A stream with no
	// events is absent from the map.
	ReadStreams(ctx context.Context, streams []string) (map[string][]RecordedEvent, error)
}

// ReadStreamsConcurrency bounds the ReadStream calls ReadStreams makes at
// once on a store without StreamsReader.
const ReadStreamsConcurrency = 16

// ReadStreams reads each of streams whole, forwards, through the store's
// StreamsReader if it has one, else by ReadStream calls, a bounded number
// at a time. A stream with no events is absent from the map.
func ReadStreams(ctx context.Context, s Store, streams []string) (map[string][]RecordedEvent, error) {
	if r, ok := s.(StreamsReader); ok {
		return r.ReadStreams(ctx, streams)
	}
	out := make(map[string][]RecordedEvent, len(streams))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan string)
	)
	for range min(ReadStreamsConcurrency, max(len(streams), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range next {
				evs, err := s.ReadStream(ctx, name, ReadOptions{})
				mu.Lock()
				switch {
				case errors.Is(err, ErrStreamNotFound):
				case err != nil:
					if first == nil {
						first = err
						cancel()
					}
				default:
					out[name] = evs
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, name := range streams {
		select {
		case next <- name:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
