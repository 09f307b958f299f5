package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"regexp"
	"strings"
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
	rb, err := b.svc.Seed(context.Background(), opt, &out)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Teachers != 40 || ra.Events < 40*25 || ra.Projects == 0 || ra.Decisions == 0 {
		t.Fatalf("report %+v: want 40 teachers, about 45 events each, training projects and registration decisions", ra)
	}
	if rb.Events != ra.Events || rb.Appends != ra.Appends || rb.Projects != ra.Projects || rb.Decisions != ra.Decisions {
		t.Fatalf("two runs of the same seed wrote %+v and %+v", ra, rb)
	}
	for _, i := range []int{0, 17, 39} {
		var sb [16]byte
		binary.LittleEndian.PutUint64(sb[:8], opt.Seed)
		binary.LittleEndian.PutUint64(sb[8:], uint64(i))
		id := uuid.NewSHA1(seedNamespace, sb[:])
		for _, stream := range []string{teacher.StreamName(id), "credits-" + id.String(), "appraisal-" + id.String(), "registration-" + id.String()} {
			ea, err := a.svc.Store.ReadStream(context.Background(), stream, eventstore.ReadOptions{})
			if err != nil {
				t.Fatalf("%s: %v", stream, err)
			}
			eb, err := b.svc.Store.ReadStream(context.Background(), stream, eventstore.ReadOptions{})
			if err != nil || len(ea) != len(eb) {
				t.Fatalf("%s: %d events vs %d, %v", stream, len(ea), len(eb), err)
			}
			for k := range ea {
				// Personal fields are sealed with a random nonce under each
				// store's own data key: compare the rest here and the
				// opened values below.
				if ea[k].ID != eb[k].ID || ea[k].Type != eb[k].Type || !bytes.Equal(unsealed(ea[k].Data), unsealed(eb[k].Data)) {
					t.Fatalf("%s event %d differs between two runs of the same seed:\n%s %s\n%s %s", stream, k, ea[k].Type, ea[k].Data, eb[k].Type, eb[k].Data)
				}
			}
		}
	}
	for _, i := range []int{0, 17, 39} {
		ta, err := a.svc.Handlers.LoadTeacher(context.Background(), seedTeacherID(opt.Seed, i))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.svc.Handlers.LoadTeacher(context.Background(), seedTeacherID(opt.Seed, i))
		if err != nil {
			t.Fatal(err)
		}
		if pa, pb := ta.Profile(), tb.Profile(); pa != pb || pa.Name == "" || strings.HasPrefix(pa.Name, "pd1:") {
			t.Fatalf("teacher %d: profiles differ or are not opened:\n%+v\n%+v", i, pa, pb)
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
	t0, err := a.svc.Handlers.LoadTeacher(context.Background(), seedTeacherID(opt.Seed, 0))
	if err != nil {
		t.Fatalf("teacher 0: %v", err)
	}
	idn := t0.Profile().IDNumber
	c := a.login(idn, commands.InitialPassword(idn), "Seeded-2026")
	c.must(200, "GET", "/api/v1/me", nil)
}

var sealedValue = regexp.MustCompile(`"pd1:[^"]*"`)

// unsealed replaces the sealed personal values of an event's data.
func unsealed(data []byte) []byte { return sealedValue.ReplaceAll(data, []byte(`"sealed"`)) }

func seedTeacherID(seed uint64, i int) uuid.UUID {
	var sb [16]byte
	binary.LittleEndian.PutUint64(sb[:8], seed)
	binary.LittleEndian.PutUint64(sb[8:], uint64(i))
	return uuid.NewSHA1(seedNamespace, sb[:])
}
