package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
)

// The generator writes valid histories (the projections apply them
// without parking anything, a seeded teacher logs in), deterministically
// from its seed.
func TestSeedIsValidAndDeterministic(t *testing.T) {
	a, b := startApp(t, "postgres"), startApp(t, "postgres")
	opt := SeedOptions{Teachers: 40, FirstYear: 2018, LastYear: 2026, Seed: 7, Workers: 4}
	var out bytes.Buffer
	ra, err := a.svc.Seed(context.Background(), opt, &out)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	opt.Workers = 3
	if _, err := b.svc.Seed(context.Background(), opt, &out); err != nil {
		t.Fatal(err)
	}
	if ra.Teachers != 40 || ra.Events < 40*25 {
		t.Fatalf("report %+v: want 40 teachers and about 30 events each", ra)
	}
	for _, i := range []int{0, 17, 39} {
		var sb [16]byte
		binary.LittleEndian.PutUint64(sb[:8], opt.Seed)
		binary.LittleEndian.PutUint64(sb[8:], uint64(i))
		id := uuid.NewSHA1(seedNamespace, sb[:])
		for _, stream := range []string{teacher.StreamName(id), "credits-" + id.String(), "appraisal-" + id.String()} {
			ea, err := a.svc.Store.ReadStream(context.Background(), stream, eventstore.ReadOptions{})
			if err != nil {
				t.Fatalf("%s: %v", stream, err)
			}
			eb, err := b.svc.Store.ReadStream(context.Background(), stream, eventstore.ReadOptions{})
			if err != nil || len(ea) != len(eb) {
				t.Fatalf("%s: %d events vs %d, %v", stream, len(ea), len(eb), err)
			}
			for k := range ea {
				if ea[k].ID != eb[k].ID || ea[k].Type != eb[k].Type || !bytes.Equal(ea[k].Data, eb[k].Data) {
					t.Fatalf("%s event %d differs between two runs of the same seed:\n%s %s\n%s %s", stream, k, ea[k].Type, ea[k].Data, eb[k].Type, eb[k].Data)
				}
			}
		}
	}
	wctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := a.svc.Runner.WaitFor(wctx, a.lastEventPosition()); err != nil {
		t.Fatal(err)
	}
	if parked, err := a.svc.Runner.Parked(context.Background()); err != nil || len(parked) != 0 {
		t.Fatalf("parked after seeding: %v, %v", parked, err)
	}
	var first struct {
		Profile teacher.Profile `json:"profile"`
	}
	var sb [16]byte
	binary.LittleEndian.PutUint64(sb[:8], opt.Seed)
	evs, err := a.svc.Store.ReadStream(context.Background(), teacher.StreamName(uuid.NewSHA1(seedNamespace, sb[:])), eventstore.ReadOptions{})
	if err != nil || json.Unmarshal(evs[0].Data, &first) != nil {
		t.Fatalf("teacher 0: %v", err)
	}
	idn := first.Profile.IDNumber
	c := a.login(idn, commands.InitialPassword(idn), "Seeded-2026")
	c.must(200, "GET", "/api/v1/me", nil)
}
