package eventstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
)

// timeout bounds every subtest, so a lost wake-up fails instead of hanging.
const timeout = 20 * time.Second

// Run runs the contract suite. open must return a fresh, empty store for
// each subtest (the global-feed checks count every event); Run closes it
// when the subtest ends. Every subtest is bounded by a 20 s context that
// starts after open, so slow database setup does not count against it.
//
// What the suite pins beyond the port's comments: a retry with the same
// event IDs and Exact or NoStream returns the original result and a partial
// overlap is a conflict; the caught-up signal comes after every event that
// existed at subscription time and carries the last delivered position (the
// start position when there is none); ReadAll may lag Append, but the
// subscription and ReadAll agree on one order.
func Run(t *testing.T, open func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s eventstore.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"ReadStreamOptions", testReadStreamOptions},
		{"ReadStreams", testReadStreams},
		{"ExpectedRevision", testExpectedRevision},
		{"ConcurrentConflict", testConcurrentConflict},
		{"IdempotentRetryExact", testIdempotentExact},
		{"IdempotentRetryNoStream", testIdempotentNoStream},
		{"StreamNotFound", testStreamNotFound},
		{"LargeAndChineseData", testLargeAndChinese},
		{"AppendTooLarge", testAppendTooLarge},
		{"MetadataRoundTrip", testMetadata},
		{"ReadAllPaging", testReadAllPaging},
		{"CaughtUp", testCaughtUp},
		{"CaughtUpEmpty", testCaughtUpEmpty},
		{"ResumeFromCheckpoint", testResume},
		{"SubscriptionEnds", testSubscriptionEnds},
		{"ConcurrentWritersWithSubscriber", testConcurrentWritersWithSubscriber},
		{"Identity", testIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			tc.fn(t, ctx, s)
		})
	}
}

// stream returns a fresh stream name, so a backend shared between subtests
// (EventStoreDB) never sees the same stream twice.
func stream(category string) string { return category + "-" + uuid.NewString() }

func newEvent(typ string, data string) eventstore.EventData {
	return eventstore.EventData{
		ID:       uuid.New(),
		Type:     typ,
		Data:     []byte(data),
		Metadata: []byte(`{"actor":"test"}`),
	}
}

func newEvents(n int, typ string) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = newEvent(typ, fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

func mustAppend(t *testing.T, ctx context.Context, s eventstore.Store, name string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctx, name, exp, events...)
	if err != nil {
		t.Fatalf("Append(%s, %s, %d events): %v", name, exp, len(events), err)
	}
	return res
}

func mustRead(t *testing.T, ctx context.Context, s eventstore.Store, name string, opts eventstore.ReadOptions) []eventstore.RecordedEvent {
	t.Helper()
	got, err := s.ReadStream(ctx, name, opts)
	if err != nil {
		t.Fatalf("ReadStream(%s, %+v): %v", name, opts, err)
	}
	return got
}

// user drops system events a backend may put in the global feed.
func user(events []eventstore.RecordedEvent) []eventstore.RecordedEvent {
	out := events[:0:0]
	for _, e := range events {
		if !strings.HasPrefix(e.Stream, "$") {
			out = append(out, e)
		}
	}
	return out
}

// readAll pages through the global feed until it shows want events. The
// feed may lag Append: an adapter shows only final positions, and PostgreSQL
// holds an event back while any older transaction in the cluster is open.
// More than want events is a failure.
func readAll(t *testing.T, ctx context.Context, s eventstore.Store, limit, want int) []eventstore.RecordedEvent {
	t.Helper()
	for {
		got := readAllOnce(t, ctx, s, eventstore.Start, limit)
		if len(got) > want {
			t.Fatalf("the global feed has %d events, want %d", len(got), want)
		}
		if len(got) == want {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the global feed shows %d events, want %d", len(got), want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// readAllOnce pages through the global feed once.
func readAllOnce(t *testing.T, ctx context.Context, s eventstore.Store, from eventstore.Position, limit int) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for {
		page, err := s.ReadAll(ctx, from, limit)
		if err != nil {
			t.Fatalf("ReadAll(%s, %d): %v", from, limit, err)
		}
		if limit > 0 && len(page) > limit {
			t.Fatalf("ReadAll(%s, %d) returned %d events", from, limit, len(page))
		}
		if len(page) == 0 {
			return user(out)
		}
		for _, e := range page {
			if !from.Less(e.Position) {
				t.Fatalf("ReadAll(%s) returned position %s, not after the start", from, e.Position)
			}
			from = e.Position
		}
		out = append(out, page...)
	}
}

func ids(events []eventstore.RecordedEvent) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func dataIDs(events []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func equalIDs(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func checkIncreasing(t *testing.T, what string, events []eventstore.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if !events[i-1].Position.Less(events[i].Position) {
			t.Fatalf("%s: position %s at %d is not after %s", what, events[i].Position, i, events[i-1].Position)
		}
	}
}

func checkSame(t *testing.T, got eventstore.RecordedEvent, stream string, rev uint64, want eventstore.EventData) {
	t.Helper()
	if got.ID != want.ID || got.Stream != stream || got.Revision != rev || got.Type != want.Type {
		t.Fatalf("event = {%s %s %d %s}, want {%s %s %d %s}", got.ID, got.Stream, got.Revision, got.Type, want.ID, stream, rev, want.Type)
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("event %d data = %.80q, want %.80q", rev, got.Data, want.Data)
	}
	if !bytes.Equal(got.Metadata, want.Metadata) {
		t.Fatalf("event %d metadata = %q, want %q", rev, got.Metadata, want.Metadata)
	}
	if got.RecordedAt.IsZero() {
		t.Fatalf("event %d has no RecordedAt", rev)
	}
}

func testRoundTrip(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("teacher")
	first := newEvents(3, "teacher.registered")
	second := newEvents(2, "teacher.field_changed")
	r1 := mustAppend(t, ctx, s, name, eventstore.NoStream(), first...)
	if r1.NextRevision != 2 {
		t.Fatalf("first append NextRevision = %d, want 2", r1.NextRevision)
	}
	r2 := mustAppend(t, ctx, s, name, eventstore.Exact(2), second...)
	if r2.NextRevision != 4 {
		t.Fatalf("second append NextRevision = %d, want 4", r2.NextRevision)
	}
	if !r1.Position.Less(r2.Position) {
		t.Fatalf("second append position %s is not after first %s", r2.Position, r1.Position)
	}
	all := append(append([]eventstore.EventData{}, first...), second...)
	got := mustRead(t, ctx, s, name, eventstore.ReadOptions{})
	if len(got) != len(all) {
		t.Fatalf("read %d events, want %d", len(got), len(all))
	}
	for i := range all {
		checkSame(t, got[i], name, uint64(i), all[i])
	}
	checkIncreasing(t, "ReadStream", got)
	if got[2].Position != r1.Position || got[4].Position != r2.Position {
		t.Fatalf("append positions %s, %s; read positions %s, %s", r1.Position, r2.Position, got[2].Position, got[4].Position)
	}
	feed := readAll(t, ctx, s, 0, len(all))
	if !equalIDs(ids(feed), dataIDs(all)) {
		t.Fatalf("ReadAll ids = %v, want %v", ids(feed), dataIDs(all))
	}
	for i := range feed {
		if feed[i].Position != got[i].Position {
			t.Fatalf("event %d: ReadAll position %s, ReadStream position %s", i, feed[i].Position, got[i].Position)
		}
		checkSame(t, feed[i], name, uint64(i), all[i])
	}
}

func testReadStreamOptions(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("unit")
	events := newEvents(6, "unit.created")
	mustAppend(t, ctx, s, name, eventstore.NoStream(), events...)
	tests := []struct {
		name string
		opts eventstore.ReadOptions
		want []uint64
	}{
		{"forwards all", eventstore.ReadOptions{}, []uint64{0, 1, 2, 3, 4, 5}},
		{"forwards from 2", eventstore.ReadOptions{From: 2}, []uint64{2, 3, 4, 5}},
		{"forwards from 2 max 3", eventstore.ReadOptions{From: 2, Max: 3}, []uint64{2, 3, 4}},
		{"forwards max 1", eventstore.ReadOptions{Max: 1}, []uint64{0}},
		{"forwards past end", eventstore.ReadOptions{From: 6}, nil},
		{"backwards from end", eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true}, []uint64{5, 4, 3, 2, 1, 0}},
		{"backwards from end max 2", eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true, Max: 2}, []uint64{5, 4}},
		{"backwards from 3", eventstore.ReadOptions{Direction: eventstore.Backwards, From: 3}, []uint64{3, 2, 1, 0}},
		{"backwards from 3 max 2", eventstore.ReadOptions{Direction: eventstore.Backwards, From: 3, Max: 2}, []uint64{3, 2}},
		{"backwards from 0", eventstore.ReadOptions{Direction: eventstore.Backwards, From: 0}, []uint64{0}},
	}
	for _, tc := range tests {
		got := mustRead(t, ctx, s, name, tc.opts)
		var revs []uint64
		for _, e := range got {
			revs = append(revs, e.Revision)
			if e.ID != events[e.Revision].ID {
				t.Errorf("%s: revision %d has id %s, want %s", tc.name, e.Revision, e.ID, events[e.Revision].ID)
			}
		}
		if fmt.Sprint(revs) != fmt.Sprint(tc.want) {
			t.Errorf("%s: revisions = %v, want %v", tc.name, revs, tc.want)
		}
	}
}

// wantConflict checks err is the typed conflict error for name with the given actual revision.
func wantConflict(t *testing.T, err error, name string, actual int64) {
	t.Helper()
	if err == nil {
		t.Fatalf("append succeeded, want a wrong-expected-revision error (actual %d)", actual)
	}
	if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		t.Fatalf("err = %v (%T), want errors.Is ErrWrongExpectedRevision", err, err)
	}
	var w *eventstore.WrongExpectedRevisionError
	if !errors.As(err, &w) {
		t.Fatalf("err = %v (%T), want *WrongExpectedRevisionError", err, err)
	}
	if w.Actual != actual || w.Stream != name {
		t.Fatalf("conflict = {stream %q actual %d}, want {stream %q actual %d}", w.Stream, w.Actual, name, actual)
	}
}

func testExpectedRevision(t *testing.T, ctx context.Context, s eventstore.Store) {
	tests := []struct {
		name     string
		existing int // events already in the stream
		expected eventstore.ExpectedRevision
		ok       bool
	}{
		{"any on missing stream", 0, eventstore.Any(), true},
		{"any on existing stream", 2, eventstore.Any(), true},
		{"no stream on missing stream", 0, eventstore.NoStream(), true},
		{"no stream on existing stream", 2, eventstore.NoStream(), false},
		{"stream exists on missing stream", 0, eventstore.StreamExists(), false},
		{"stream exists on existing stream", 2, eventstore.StreamExists(), true},
		{"exact current revision", 2, eventstore.Exact(1), true},
		{"exact older revision", 2, eventstore.Exact(0), false},
		{"exact future revision", 2, eventstore.Exact(2), false},
		{"exact 0 on missing stream", 0, eventstore.Exact(0), false},
		{"exact 0 on one-event stream", 1, eventstore.Exact(0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := stream("expect")
			if tc.existing > 0 {
				mustAppend(t, ctx, s, name, eventstore.NoStream(), newEvents(tc.existing, "setup")...)
			}
			actual := int64(tc.existing) - 1
			res, err := s.Append(ctx, name, tc.expected, newEvents(2, "attempt")...)
			if !tc.ok {
				wantConflict(t, err, name, actual)
				if tc.existing == 0 {
					if _, err := s.ReadStream(ctx, name, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
						t.Fatalf("after a failed append to a missing stream: ReadStream err = %v, want stream not found", err)
					}
					return
				}
				if got := mustRead(t, ctx, s, name, eventstore.ReadOptions{}); len(got) != tc.existing {
					t.Fatalf("a failed append wrote: stream has %d events, want %d", len(got), tc.existing)
				}
				return
			}
			if err != nil {
				t.Fatalf("Append(%s): %v", tc.expected, err)
			}
			if want := uint64(actual + 2); res.NextRevision != want {
				t.Fatalf("NextRevision = %d, want %d", res.NextRevision, want)
			}
			if got := mustRead(t, ctx, s, name, eventstore.ReadOptions{}); len(got) != tc.existing+2 {
				t.Fatalf("stream has %d events, want %d", len(got), tc.existing+2)
			}
		})
	}
}

func testConcurrentConflict(t *testing.T, ctx context.Context, s eventstore.Store) {
	// Several rounds, so that the writers really overlap at least sometimes.
	for round := 0; round < 5; round++ {
		concurrentConflictRound(t, ctx, s)
	}
}

func concurrentConflictRound(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("race")
	mustAppend(t, ctx, s, name, eventstore.NoStream(), newEvent("setup", `{}`))
	const writers = 8
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		wins     []eventstore.EventData
		failures []error
	)
	for i := 0; i < writers; i++ {
		batch := newEvents(2, "attempt")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(ctx, name, eventstore.Exact(0), batch...)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
			} else {
				wins = append(wins, batch...)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(wins) != 2 || len(failures) != writers-1 {
		t.Fatalf("%d events won and %d appends failed, want 2 and %d (failures: %v)", len(wins), len(failures), writers-1, failures)
	}
	for _, err := range failures {
		wantConflict(t, err, name, 2)
	}
	got := mustRead(t, ctx, s, name, eventstore.ReadOptions{})
	if len(got) != 3 || !equalIDs(ids(got[1:]), dataIDs(wins)) {
		t.Fatalf("stream = %v, want setup then %v", ids(got), dataIDs(wins))
	}
}

func testIdempotentExact(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("retry")
	mustAppend(t, ctx, s, name, eventstore.NoStream(), newEvents(2, "setup")...)
	batch := newEvents(2, "changed")
	orig := mustAppend(t, ctx, s, name, eventstore.Exact(1), batch...)
	again, err := s.Append(ctx, name, eventstore.Exact(1), batch...)
	if err != nil {
		t.Fatalf("retry with the same IDs and expectation: %v", err)
	}
	if again != orig {
		t.Fatalf("retry result = %+v, want the original %+v", again, orig)
	}
	if got := mustRead(t, ctx, s, name, eventstore.ReadOptions{}); len(got) != 4 {
		t.Fatalf("after the retry the stream has %d events, want 4", len(got))
	}
	// A partial overlap is not a retry of the same append.
	_, err = s.Append(ctx, name, eventstore.Exact(1), batch[0], newEvent("changed", `{}`))
	wantConflict(t, err, name, 3)
	_, err = s.Append(ctx, name, eventstore.Exact(1), batch[0], batch[1], newEvent("changed", `{}`))
	wantConflict(t, err, name, 3)
	// The stream moved on: the retry is still recognised.
	mustAppend(t, ctx, s, name, eventstore.Exact(3), newEvent("later", `{}`))
	again, err = s.Append(ctx, name, eventstore.Exact(1), batch...)
	if err != nil || again != orig {
		t.Fatalf("retry after a later append = %+v, %v; want %+v", again, err, orig)
	}
	if got := mustRead(t, ctx, s, name, eventstore.ReadOptions{}); len(got) != 5 {
		t.Fatalf("stream has %d events, want 5", len(got))
	}
	readAll(t, ctx, s, 0, 5) // fails on duplicates
}

func testIdempotentNoStream(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("retry")
	batch := newEvents(3, "created")
	orig := mustAppend(t, ctx, s, name, eventstore.NoStream(), batch...)
	again, err := s.Append(ctx, name, eventstore.NoStream(), batch...)
	if err != nil {
		t.Fatalf("retry with the same IDs and NoStream: %v", err)
	}
	if again != orig {
		t.Fatalf("retry result = %+v, want the original %+v", again, orig)
	}
	_, err = s.Append(ctx, name, eventstore.NoStream(), batch[0], batch[1], newEvent("created", `{}`))
	wantConflict(t, err, name, 2)
	_, err = s.Append(ctx, name, eventstore.NoStream(), newEvents(3, "created")...)
	wantConflict(t, err, name, 2)
	if got := mustRead(t, ctx, s, name, eventstore.ReadOptions{}); !equalIDs(ids(got), dataIDs(batch)) {
		t.Fatalf("stream = %v, want %v", ids(got), dataIDs(batch))
	}
}

func testStreamNotFound(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("missing")
	mustAppend(t, ctx, s, stream("other"), eventstore.NoStream(), newEvent("other", `{}`))
	for _, opts := range []eventstore.ReadOptions{{}, {Direction: eventstore.Backwards, FromEnd: true}} {
		_, err := s.ReadStream(ctx, name, opts)
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("ReadStream(missing, %+v) err = %v, want ErrStreamNotFound", opts, err)
		}
		var nf *eventstore.StreamNotFoundError
		if !errors.As(err, &nf) || nf.Stream != name {
			t.Fatalf("err = %#v, want *StreamNotFoundError for %q", err, name)
		}
	}
}

func testLargeAndChinese(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("teacher")
	events := []eventstore.EventData{
		{ID: uuid.New(), Type: "teacher.large", Metadata: []byte(`{}`)},
		// Whitespace, key order and duplicate keys would not survive jsonb.
		{ID: uuid.New(), Type: "teacher.key_field_corrected",
			Data:     []byte(`{"name": "张三",  "reason":"身份证号码有误，请更正","z":1,"a":2}`),
			Metadata: []byte(`{ "actor" : "区县管理员", "a":1, "a":2 }`)},
	}
	// Nearly 1 MiB of UTF-8, so the append is exactly MaxAppendSize: the
	// largest an EventStoreDB server with default settings accepts.
	events[0].Data = jsonBlob(eventstore.MaxAppendSize - eventstore.AppendSize(events))
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	mustAppend(t, ctx, s, name, eventstore.NoStream(), events...)
	got := mustRead(t, ctx, s, name, eventstore.ReadOptions{})
	if len(got) != 2 {
		t.Fatalf("read %d events, want 2", len(got))
	}
	for i := range events {
		checkSame(t, got[i], name, uint64(i), events[i])
	}
	feed := readAll(t, ctx, s, 0, 2)
	for i := range events {
		checkSame(t, feed[i], name, uint64(i), events[i])
	}
	live := receive(t, ctx, sub, 2)
	for i := range events {
		checkSame(t, live[i], name, uint64(i), events[i])
	}
}

// jsonBlob returns a JSON object of exactly n bytes (n >= 12) holding
// Chinese and ASCII text.
func jsonBlob(n int) []byte {
	const head, tail = `{"blob":"`, `"}`
	unit := "教师继续教育档案abcdefgh" // 32 bytes
	body := n - len(head) - len(tail)
	b := strings.Repeat(unit, body/len(unit))
	b += strings.Repeat("x", body-len(b))
	return []byte(head + b + tail)
}

// testAppendTooLarge: one byte over MaxAppendSize, in one event or spread
// over several, is refused with *AppendTooLargeError and writes nothing.
func testAppendTooLarge(t *testing.T, ctx context.Context, s eventstore.Store) {
	name := stream("teacher")
	one := eventstore.EventData{ID: uuid.New(), Type: "teacher.large", Metadata: []byte(`{}`)}
	one.Data = jsonBlob(eventstore.MaxAppendSize + 1 - eventstore.EventSize(one))
	halves := make([]eventstore.EventData, 2)
	for i := range halves {
		halves[i] = eventstore.EventData{ID: uuid.New(), Type: "teacher.half", Metadata: []byte(`{}`)}
		halves[i].Data = jsonBlob(eventstore.MaxAppendSize/2 + 1 - eventstore.EventSize(halves[i]))
	}
	for _, events := range [][]eventstore.EventData{{one}, halves} {
		_, err := s.Append(ctx, name, eventstore.NoStream(), events...)
		var tooLarge *eventstore.AppendTooLargeError
		if !errors.As(err, &tooLarge) || !errors.Is(err, eventstore.ErrAppendTooLarge) {
			t.Fatalf("append of %d bytes: err = %v, want *AppendTooLargeError", eventstore.AppendSize(events), err)
		}
		if tooLarge.Size != eventstore.AppendSize(events) || tooLarge.Max != eventstore.MaxAppendSize || tooLarge.Stream != name {
			t.Fatalf("error = %+v", tooLarge)
		}
	}
	if _, err := s.ReadStream(ctx, name, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("after refused appends: read err = %v, want not found", err)
	}
}

// testMetadata round-trips typed metadata: what a writer marshals, a reader
// unmarshals to an equal value.
func testMetadata(t *testing.T, ctx context.Context, s eventstore.Store) {
	type meta struct {
		Actor         uuid.UUID `json:"actor"`
		Role          string    `json:"role"`
		Reason        string    `json:"reason"`
		CorrelationID uuid.UUID `json:"correlation_id"`
		OccurredAt    time.Time `json:"occurred_at"`
		Count         int64     `json:"count"`
	}
	want := meta{
		Actor: uuid.New(), Role: "county_admin", Reason: "更正出生日期",
		CorrelationID: uuid.New(), OccurredAt: time.Date(2026, 3, 1, 8, 30, 0, 123456789, time.FixedZone("CST", 8*3600)),
		Count: 1<<53 + 1, // beyond float64 precision: only byte-exact storage keeps it
	}
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	name := stream("account")
	e := eventstore.EventData{ID: uuid.New(), Type: "account.created", Data: []byte(`{}`), Metadata: raw}
	mustAppend(t, ctx, s, name, eventstore.NoStream(), e)
	got := mustRead(t, ctx, s, name, eventstore.ReadOptions{})
	if !bytes.Equal(got[0].Metadata, raw) {
		t.Fatalf("metadata = %s, want %s", got[0].Metadata, raw)
	}
	var back meta
	dec := json.NewDecoder(bytes.NewReader(got[0].Metadata))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("decode metadata: %v", err)
	}
	if !back.OccurredAt.Equal(want.OccurredAt) {
		t.Fatalf("occurred_at = %v, want %v", back.OccurredAt, want.OccurredAt)
	}
	back.OccurredAt = want.OccurredAt
	if back != want {
		t.Fatalf("metadata = %+v, want %+v", back, want)
	}
}

func testReadAllPaging(t *testing.T, ctx context.Context, s eventstore.Store) {
	var want []uuid.UUID
	for i := 0; i < 7; i++ {
		batch := newEvents(1+i%3, "paging")
		mustAppend(t, ctx, s, stream("page"), eventstore.NoStream(), batch...)
		want = append(want, dataIDs(batch)...)
	}
	for _, limit := range []int{1, 5, 13, 1000, 0} {
		got := readAll(t, ctx, s, limit, len(want))
		if !equalIDs(ids(got), want) {
			t.Fatalf("limit %d: ReadAll ids = %v, want %v", limit, ids(got), want)
		}
		checkIncreasing(t, fmt.Sprintf("ReadAll limit %d", limit), got)
	}
	// A page starts strictly after the given position.
	all := readAll(t, ctx, s, 0, len(want))
	page, err := s.ReadAll(ctx, all[4].Position, 3)
	if err != nil {
		t.Fatal(err)
	}
	if page = user(page); !equalIDs(ids(page), want[5:8]) {
		t.Fatalf("ReadAll after the 5th event = %v, want %v", ids(page), want[5:8])
	}
	last, err := s.ReadAll(ctx, all[len(all)-1].Position, 10)
	if err != nil || len(user(last)) != 0 {
		t.Fatalf("ReadAll after the last event = %d events, %v; want none", len(last), err)
	}
}

// next returns the next user event or caught-up signal.
func next(t *testing.T, ctx context.Context, sub eventstore.Subscription) eventstore.SubscriptionMessage {
	t.Helper()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if m.Event != nil && strings.HasPrefix(m.Event.Stream, "$") {
			continue
		}
		return m
	}
}

// receive returns the next n user events, skipping caught-up signals.
func receive(t *testing.T, ctx context.Context, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for len(out) < n {
		if m := next(t, ctx, sub); m.Event != nil {
			out = append(out, *m.Event)
		}
	}
	return out
}

func testCaughtUp(t *testing.T, ctx context.Context, s eventstore.Store) {
	var want []uuid.UUID
	for i := 0; i < 3; i++ {
		batch := newEvents(2, "before")
		mustAppend(t, ctx, s, stream("cu"), eventstore.NoStream(), batch...)
		want = append(want, dataIDs(batch)...)
	}
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []eventstore.RecordedEvent
	for {
		m := next(t, ctx, sub)
		if m.CaughtUp {
			if len(got) != len(want) {
				t.Fatalf("caught up after %d events, want %d", len(got), len(want))
			}
			if m.Position != got[len(got)-1].Position {
				t.Fatalf("caught-up position = %s, want the last delivered %s", m.Position, got[len(got)-1].Position)
			}
			break
		}
		if m.Position != m.Event.Position {
			t.Fatalf("message position %s differs from its event's %s", m.Position, m.Event.Position)
		}
		got = append(got, *m.Event)
	}
	if !equalIDs(ids(got), want) {
		t.Fatalf("caught-up events = %v, want %v", ids(got), want)
	}
	checkIncreasing(t, "subscription", got)
	// After the signal the subscription goes on live.
	later := newEvent("after", `{}`)
	mustAppend(t, ctx, s, stream("cu"), eventstore.NoStream(), later)
	live := receive(t, ctx, sub, 1)
	if live[0].ID != later.ID || !got[len(got)-1].Position.Less(live[0].Position) {
		t.Fatalf("live event = %s at %s, want %s after %s", live[0].ID, live[0].Position, later.ID, got[len(got)-1].Position)
	}
}

func testCaughtUpEmpty(t *testing.T, ctx context.Context, s eventstore.Store) {
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	m := next(t, ctx, sub)
	if !m.CaughtUp || m.Position != eventstore.Start {
		t.Fatalf("first message on an empty store = %+v, want caught up at the start", m)
	}
}

func testResume(t *testing.T, ctx context.Context, s eventstore.Store) {
	for i := 0; i < 10; i++ {
		mustAppend(t, ctx, s, stream("resume"), eventstore.NoStream(), newEvent("resume", fmt.Sprintf(`{"i":%d}`, i)))
	}
	all := readAll(t, ctx, s, 0, 10)
	checkpoint := all[4].Position
	sub, err := s.SubscribeAll(ctx, checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []eventstore.RecordedEvent
	for {
		m := next(t, ctx, sub)
		if m.CaughtUp {
			break
		}
		got = append(got, *m.Event)
	}
	if !equalIDs(ids(got), ids(all[5:])) {
		t.Fatalf("resumed from %s: got %v, want %v", checkpoint, ids(got), ids(all[5:]))
	}
	// Resuming from the last position delivers only what comes later.
	sub2, err := s.SubscribeAll(ctx, all[9].Position)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	later := newEvent("later", `{}`)
	mustAppend(t, ctx, s, stream("resume"), eventstore.NoStream(), later)
	if got := receive(t, ctx, sub2, 1); got[0].ID != later.ID {
		t.Fatalf("resumed from the end: got %s, want %s", got[0].ID, later.ID)
	}
}

// testSubscriptionEnds checks that a blocked Next returns when its context
// ends or the subscription is closed.
func testSubscriptionEnds(t *testing.T, ctx context.Context, s eventstore.Store) {
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	if m := next(t, ctx, sub); !m.CaughtUp {
		t.Fatalf("first message on an empty store = %+v, want caught up", m)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := sub.Next(short); err == nil {
		t.Fatal("Next returned without an event or an ended context")
	}
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(ctx)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Next after Close returned no error")
		}
	case <-ctx.Done():
		t.Fatal("Next did not return after Close")
	}
}

// testConcurrentWritersWithSubscriber has many writers append to their own
// streams while a subscriber follows the global feed from the start.
func testConcurrentWritersWithSubscriber(t *testing.T, ctx context.Context, s eventstore.Store) {
	const (
		writers  = 8
		appends  = 25
		maxBatch = 3
	)
	sub, err := s.SubscribeAll(ctx, eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	type written struct {
		stream string
		rev    uint64
	}
	var (
		mu    sync.Mutex
		want  = map[uuid.UUID]written{}
		wg    sync.WaitGroup
		total int
	)
	for w := 0; w < writers; w++ {
		for a := 0; a < appends; a++ {
			total += 1 + (w+a)%maxBatch
		}
	}
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			streams := []string{stream("w"), stream("w")}
			revs := []int64{-1, -1}
			for a := 0; a < appends; a++ {
				i := a % len(streams)
				exp := eventstore.NoStream()
				if revs[i] >= 0 {
					exp = eventstore.Exact(uint64(revs[i]))
				}
				batch := newEvents(1+(w+a)%maxBatch, "concurrent")
				res, err := s.Append(ctx, streams[i], exp, batch...)
				if err != nil {
					errs <- fmt.Errorf("writer %d append %d: %w", w, a, err)
					return
				}
				mu.Lock()
				for j, e := range batch {
					want[e.ID] = written{streams[i], uint64(revs[i] + 1 + int64(j))}
				}
				mu.Unlock()
				revs[i] = int64(res.NextRevision)
			}
		}()
	}

	seen := map[uuid.UUID]bool{}
	var order []uuid.UUID
	lastRev := map[string]uint64{}
	var last eventstore.Position
	for len(seen) < total {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d of %d events: %v", len(seen), total, err)
		}
		if m.Event == nil || strings.HasPrefix(m.Event.Stream, "$") {
			continue
		}
		e := m.Event
		if seen[e.ID] {
			t.Fatalf("event %s delivered twice", e.ID)
		}
		if !last.Less(e.Position) {
			t.Fatalf("position %s delivered after %s", e.Position, last)
		}
		if r, ok := lastRev[e.Stream]; ok && e.Revision != r+1 {
			t.Fatalf("stream %s: revision %d after %d", e.Stream, e.Revision, r)
		} else if !ok && e.Revision != 0 {
			t.Fatalf("stream %s: first delivered revision is %d", e.Stream, e.Revision)
		}
		lastRev[e.Stream] = e.Revision
		seen[e.ID] = true
		order = append(order, e.ID)
		last = e.Position
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(want) != total {
		t.Fatalf("writers wrote %d events, want %d", len(want), total)
	}
	for id, w := range want {
		if !seen[id] {
			t.Fatalf("event %s (%s@%d) never delivered", id, w.stream, w.rev)
		}
	}
	// The live order is the global feed's order.
	feed := readAll(t, ctx, s, 100, total)
	for _, e := range feed {
		if w := want[e.ID]; w.stream != e.Stream || w.rev != e.Revision {
			t.Fatalf("event %s at %s@%d, written to %s@%d", e.ID, e.Stream, e.Revision, w.stream, w.rev)
		}
	}
	checkIncreasing(t, "ReadAll", feed)
	if !equalIDs(ids(feed), order) {
		t.Fatal("the subscription delivered the events in another order than ReadAll returns them")
	}
}
