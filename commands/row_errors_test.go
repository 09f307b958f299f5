package commands

import (
	"fmt"
	"testing"

	"github.com/hbte/record/domain/teacher"
)

// An import or appraisal row refused by the record's state is the row's
// error, with the domain's reason (not a failure of the whole upload).
func TestRowErrorsCarryTheRefusalsReason(t *testing.T) {
	got := rowErrors(7, fmt.Errorf("grant: %w", teacher.ErrTransferOpen))
	if len(got) != 1 || got[0].Row != 7 || got[0].Reason != "该教师已有未办结的异动，须先办结或撤销" {
		t.Fatalf("rowErrors = %+v", got)
	}
}
