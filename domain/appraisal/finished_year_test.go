package appraisal_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/appraisal"
)

// Results for a year not yet finished are refused (issue 10, item 4).
func TestResultsOnlyForFinishedYears(t *testing.T) {
	r := appraisal.NewRecord(uuid.New())
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if _, err := r.RecordEthics(admin, county, appraisal.Ethics{Year: 2026, Passed: true}, appraisal.Source{}, at); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("ethics 2026 in November 2026: %v", err)
	}
	if _, err := r.RecordAnnual(admin, county, 2026, appraisal.GradeCompetent, appraisal.Source{}, at); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("annual 2026 in November 2026: %v", err)
	}
	if _, err := r.RecordAnnual(admin, county, 2025, appraisal.GradeCompetent, appraisal.Source{}, at); err != nil {
		t.Fatalf("annual 2025: %v", err)
	}
}
