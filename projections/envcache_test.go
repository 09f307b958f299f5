package projections

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
)

// countingOpener counts Config.Personal's openings per toy event (by its
// n) and fails the first opening of the events in failOnce.
type countingOpener struct {
	mu       sync.Mutex
	opens    map[int]int
	failOnce map[int]bool
}

func (o *countingOpener) Open(_ context.Context, _ string, data []byte) ([]byte, error) {
	var ev toyHappened
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opens[ev.N]++
	if o.failOnce[ev.N] && o.opens[ev.N] == 1 {
		return nil, errors.New("data key not readable (test)")
	}
	return data, nil
}

func (o *countingOpener) counts() map[int]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[int]int{}
	for n, c := range o.opens {
		out[n] = c
	}
	return out
}

// Every event is opened and decoded once for all the projections, in a
// rebuild's fan-out and on the live path, and they all apply it; a failure
// to open is not kept (the retry opens again and the event applies).
func TestEventsDecodedOnceForAllProjections(t *testing.T) {
	forEachStore(t, func(t *testing.T, sf storeFactory) {
		e := newEnv(t, sf)
		names := []string{"toy_a", "toy_b", "toy_c"}
		var ps []Projection
		for _, n := range names {
			createToyTables(t, e.pool, n)
			ps = append(ps, &toyProjection{name: n})
		}
		opener := &countingOpener{opens: map[int]int{}, failOnce: map[int]bool{12: true}}
		r := e.runner(ps...)
		r.cfg.Personal = opener
		w := newFeedWriter(t, e.store, 4)
		final := w.append(90)
		readFinal(t, e.store, final)
		if err := r.RebuildAll(context.Background()); err != nil {
			t.Fatalf("RebuildAll: %v", err)
		}
		want := map[int]int{}
		for n := 1; n <= 90; n++ {
			if n%7 != 0 { // foreign events are not opened
				want[n] = 1
			}
		}
		want[12] = 2 // failed, then opened again by the retry
		if got := opener.counts(); !reflect.DeepEqual(got, want) {
			t.Errorf("openings in the rebuild = %v, want %v", got, want)
		}

		start(t, r)
		final = w.append(60)
		waitFor(t, r, final)
		for n := 91; n <= 150; n++ {
			if n%7 != 0 {
				want[n] = 1
			}
		}
		if got := opener.counts(); !reflect.DeepEqual(got, want) {
			t.Errorf("openings after the live events = %v, want %v", got, want)
		}
		wantLog, wantCounts := expectedLog(t, e.store, nil)
		for _, n := range names {
			if got := dumpLog(t, e.pool, n); !reflect.DeepEqual(got, wantLog) {
				t.Errorf("%s: %d rows, want %d", n, len(got), len(wantLog))
			}
			if got := dumpCounts(t, e.pool, n); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("%s counts = %v, want %v", n, got, wantCounts)
			}
		}
	})
}
