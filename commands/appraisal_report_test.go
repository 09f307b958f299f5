package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/memory"
	"github.com/hbte/record/migrations/pgtest"
)

// A fully refused file of 10,000 rows: its row errors go to a stored report,
// the batch's event stays small (it was megabytes, over EventStoreDB's
// append limit), and the errors read back the same.
func TestUploadErrorsKeptOutOfTheEvent(t *testing.T) {
	ctx := context.Background()
	reg := event.NewRegistry()
	for _, f := range []func(*event.Registry){teacher.RegisterEvents, claim.RegisterEvents, appraisal.RegisterEvents} {
		f(reg)
	}
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	pool := pgtest.New(t)
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	h := commands.NewHandlers(commands.Deps{Repo: commands.NewRepository(store, reg), Creds: commands.NewCredentials(pool, 4, now),
		Now: now, Files: commands.NewFileStore(pool, now)})
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"}

	const n = 10_000
	in := commands.AppraisalUpload{Kind: appraisal.KindAnnual, FileName: "2025年度考核.xlsx", FileSHA256: fmt.Sprintf("%064x", 42)}
	for i := range n {
		in.Rows = append(in.Rows, appraisal.Row{Year: "2025", Name: "无此人员甲乙丙", IDNumber: fmt.Sprintf("13010219800101%04d", i),
			Gender: "男", Unit: "某某县第一中学", Result: "优秀"})
		in.Lines = append(in.Lines, i+2)
	}
	out, err := h.UploadAppraisals(ctx, admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Batch.Rejected != n || len(out.Batch.Errors) < n || out.Batch.ErrorsReport == "" {
		t.Fatalf("batch: rejected %d, %d errors, report %q; want all %d refused, reported", out.Batch.Rejected, len(out.Batch.Errors), out.Batch.ErrorsReport, n)
	}
	evs, err := store.ReadStream(ctx, appraisal.UploadStreamName(out.ID), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if size := eventstore.EventSize(eventstore.EventData{Type: evs[0].Type, Data: evs[0].Data, Metadata: evs[0].Metadata}); size > 4<<10 {
		t.Fatalf("the batch's event has %d bytes, want a few hundred", size)
	}

	// Read back from the stream, as the API does.
	u, err := h.LoadUpload(ctx, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := u.Summary()
	if b.Errors != nil {
		t.Fatalf("the event carries %d errors", len(b.Errors))
	}
	if err := h.UploadErrors(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.Errors) != len(out.Batch.Errors) || b.Errors[n-1] != out.Batch.Errors[n-1] {
		t.Fatalf("read back %d errors, want %d", len(b.Errors), len(out.Batch.Errors))
	}
	// The same file again changes nothing and answers the same errors.
	again, err := h.UploadAppraisals(ctx, admin, in)
	if err != nil || !again.Repeated || len(again.Batch.Errors) != len(out.Batch.Errors) {
		t.Fatalf("repeat: %v, repeated %v, %d errors", err, again.Repeated, len(again.Batch.Errors))
	}
}

// An event recorded before the report carries its errors itself; it still
// decodes, and UploadErrors keeps them.
func TestUploadErrorsOfOldEvents(t *testing.T) {
	reg := event.NewRegistry()
	appraisal.RegisterEvents(reg)
	old := `{"batch_id":"` + uuid.NewString() + `","kind":"annual","county":"130102","file_name":"a.xlsx","file_sha256":"` +
		fmt.Sprintf("%064x", 1) + `","rows":2,"accepted":1,"rejected":1,"errors":[{"row":3,"field":"name","reason":"姓名与教师信息不一致"}],` +
		`"uploaded_by":"` + uuid.NewString() + `","uploaded_at":"2024-01-02T03:04:05Z"}`
	e, err := reg.Decode(appraisal.TypeUploadRecorded, []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	b := e.(*appraisal.UploadRecorded)
	h := &commands.Handlers{} // no file store: an old event needs none
	if err := h.UploadErrors(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(b.Errors) != 1 || b.Errors[0].Row != 3 || b.ErrorsReport != "" {
		t.Fatalf("old event = %+v", b)
	}
}
