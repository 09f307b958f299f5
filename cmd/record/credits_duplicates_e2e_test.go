package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/projections"
)

// The same training from two sources is held, not counted, until the
// county admin decides (issue 10, item 1): imported from two former
// systems, it counts once; the queue shows it beside the entry it repeats;
// "distinct" makes it count, "duplicate" never.
func TestDuplicatesAcrossSourcesAreHeld(t *testing.T) {
	forBackends(t, testDuplicatesAcrossSourcesAreHeld)
}

func testDuplicatesAcrossSourcesAreHeld(t *testing.T, backend string) {
	w := newCreditWorld(t, backend)
	tc := w.teacher("郑重", "130102")
	row := func(title, day, hours, ext string) string {
		return fmt.Sprintf("%s,郑重,2021,%s,40,培训,%s,0,%s,%s", tc.idNumber, day, hours, title, ext)
	}
	w.changan.creditUpload(200, "/api/v1/credit-imports", "a.csv", "text/csv",
		cwCSV(cwImportHeader, row("2021年县级骨干教师培训", "2021-07-10", "90", "A1"), row("2021年暑期师德专题", "2021-08-01", "12", "A2")),
		"system", "原继教平台")
	var rep struct{ Granted, Rejected int }
	w.changan.creditUpload(200, "/api/v1/credit-imports", "b.csv", "text/csv",
		cwCSV(cwImportHeader, row("《2021年县级骨干教师培训》", "2021-07-10", "90", "B7"), row("2021年县级骨干教师培训", "2021-07-11", "90", "B8"),
			row("2021年暑期师德专题", "2021-08-01", "24", "B9")),
		"system", "市级平台").json(t, &rep)
	if rep.Granted != 3 || rep.Rejected != 0 {
		t.Fatalf("second system: %+v", rep)
	}
	type entry struct {
		EntryID     string `json:"entry_id"`
		ExternalID  string `json:"external_id"`
		Held        bool   `json:"held"`
		Duplicate   bool   `json:"duplicate"`
		DuplicateOf string `json:"duplicate_of"`
	}
	var h struct {
		Entries []entry
		Years   []struct {
			Year  int            `json:"year"`
			Hours jsonNumberText `json:"hours"`
		}
	}
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
	held := map[string]entry{}
	for _, e := range h.Entries {
		if e.Held {
			held[e.ExternalID] = e
		}
	}
	// B7 repeats A1 (same day, hours and title); B8 is a day off, B9 has
	// other hours: both count.
	if len(held) != 1 || held["B7"].DuplicateOf == "" || len(h.Years) < 9 || h.Years[3].Year != 2021 || h.Years[3].Hours != "216" || h.Years[2].Hours != "0" {
		t.Fatalf("after the second import: held %+v years %+v", held, h.Years)
	}

	q := projections.NewCreditQueries(w.a.svc.Pool)
	ctx := context.Background()
	queue, err := q.HeldDuplicates(ctx, "130102", 20, 0)
	if err != nil || len(queue) != 1 || queue[0].Entry.ExternalID != "B7" || queue[0].Of.ExternalID != "A1" || queue[0].TeacherName != "郑重" {
		t.Fatalf("county queue: %+v %v", queue, err)
	}
	if other, _ := q.HeldDuplicates(ctx, "130104", 20, 0); len(other) != 0 {
		t.Fatalf("another county's queue: %+v", other)
	}

	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102", Name: "cw_changan"}
	entryID := uuid.MustParse(held["B7"].EntryID)
	teacherID := uuid.MustParse(tc.id)
	if _, err := w.a.svc.Handlers.DecideDuplicate(ctx, access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130104"},
		teacherID, entryID, true, "同一培训"); err == nil {
		t.Fatal("another county decided")
	}
	res, err := w.a.svc.Handlers.DecideDuplicate(ctx, admin, teacherID, entryID, false, "同名培训办了两期，证书编号不同")
	if err != nil {
		t.Fatal(err)
	}
	w.a.last = res.Position.String()
	w.changan.must(200, "GET", "/api/v1/teachers/"+tc.id+"/credits", nil).json(t, &h)
	if h.Years[3].Hours != "306" {
		t.Fatalf("after 'distinct': %+v", h.Years)
	}
	if queue, _ := q.HeldDuplicates(ctx, "130102", 20, 0); len(queue) != 0 {
		t.Fatalf("queue after the decision: %+v", queue)
	}
}
