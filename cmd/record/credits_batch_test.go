package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/teacher"
)

// TestCreditBatchCheckTiming measures a county batch check through HTTP.
// It runs only when CREDIT_BATCH_TEACHERS names the number of teachers
// (e.g. 500), since building them takes a while on shared machines.
func TestCreditBatchCheckTiming(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CREDIT_BATCH_TEACHERS"))
	if n <= 0 {
		t.Skip("set CREDIT_BATCH_TEACHERS to measure")
	}
	w := newCreditWorld(t, "postgres")
	ctx := context.Background()
	h := w.a.svc.Handlers
	admin := access.Actor{UserID: uuid.New(), Role: access.RoleCountyAdmin, Jurisdiction: "130102"}
	reg := access.Actor{UserID: uuid.New(), Role: access.RoleRegistrar, Jurisdiction: "13"}
	unitID := uuid.MustParse(w.unitA)
	start := time.Now()
	var last commands.GrantResult
	for i := range n {
		id := demoID(fmt.Sprintf("1301021970%02d%02d%03d", 1+i/(28*999)%12, 1+i/999%28, 1+i%999))
		r, err := h.RegisterTeacher(ctx, admin, commands.RegisterTeacher{UnitID: unitID, Profile: teacher.Profile{Name: "批量" + string(rune('甲'+i%500)),
			IDType: "1", IDNumber: id, WorkStart: "2000-09", CertificateType: "3", CertificateNumber: "20001301031000001"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.RecordFirstRegistration(ctx, reg, r.ID, time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC), ""); err != nil {
			t.Fatal(err)
		}
		for y := 2020; y <= 2023; y++ {
			var err error
			if last, err = h.GrantCredits(ctx, access.System("load"), r.ID, credit.Grant{Year: y, CompletedOn: time.Date(y, 6, 30, 0, 0, 0, 0, time.UTC),
				Level: credit.LevelProvincial, Category: credit.CategoryTraining, Hours: credit.Whole(90), Title: "培训",
				Source: credit.Source{Kind: credit.SourceImport, System: "load", ExternalID: id + strconv.Itoa(y)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("built %d teachers in %s", n, time.Since(start))
	if err := w.a.svc.Runner.WaitFor(ctx, last.Position); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	w.registrar.must(200, "GET", "/api/v1/registration/checks?county=130102&format=csv", nil)
	took := time.Since(start)
	t.Logf("batch check of %d teachers: %s (%s per teacher)", n, took, took/time.Duration(n))
}
