package teacherpages

import (
	"testing"
	"time"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/projections"
)

// The finished list holds the imported records too (issue 10, item 6):
// counting imports only, filtered like the projects, newest first.
func TestImportedFinished(t *testing.T) {
	entries := []projections.CreditEntry{
		{Title: "2021年长安区初中教师全员培训", CompletedOn: "2021-12-20", Imported: true, Hours: credit.Whole(40)},
		{Title: "2022年河北省骨干教师网络研修", CompletedOn: "2022-06-30", Imported: true, Hours: credit.Whole(90)},
		{Title: "2023年平台项目", CompletedOn: "2023-06-30", SourceKind: "project"},
		{Title: "2023年撤销的导入", CompletedOn: "2023-07-30", Imported: true, Revoked: true},
		{Title: "2023年疑似重复", CompletedOn: "2023-08-30", Imported: true, Held: true},
	}
	got := importedFinished(entries, projections.TrainingFilter{})
	if len(got) != 2 || got[0].CompletedOn != "2022-06-30" || got[1].CompletedOn != "2021-12-20" {
		t.Fatalf("all: %+v", got)
	}
	if got := importedFinished(entries, projections.TrainingFilter{Name: "骨干"}); len(got) != 1 || got[0].CompletedOn != "2022-06-30" {
		t.Fatalf("骨干: %+v", got)
	}
	f := projections.TrainingFilter{From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)}
	if got := importedFinished(entries, f); len(got) != 1 || got[0].CompletedOn != "2021-12-20" {
		t.Fatalf("2021: %+v", got)
	}
}
