package appraisal

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// StreamName is the appraisal stream of a teacher.
func StreamName(teacherID uuid.UUID) string { return "appraisal-" + teacherID.String() }

// FirstYear is the earliest appraisal year accepted.
const FirstYear = 2000

// ErrUseCorrection: a different result for a year already recorded must come
// as a correction with a reason, not as another upload. Matches
// domain.ErrDuplicate.
var ErrUseCorrection = fmt.Errorf("appraisal: year already recorded, correct it instead: %w", domain.ErrDuplicate)

// Ethics is one year's ethics assessment.
type Ethics struct {
	Year          int    `json:"year"`
	Passed        bool   `json:"passed"`
	SeriousBreach bool   `json:"serious_breach"`
	Honors        string `json:"honors,omitempty"`
	Corrected     bool   `json:"corrected"`
}

// Annual is one year's annual appraisal.
type Annual struct {
	Year      int   `json:"year"`
	Grade     Grade `json:"grade"`
	Corrected bool  `json:"corrected"`
}

// Record is the appraisal history of one teacher.
type Record struct {
	event.Root
	teacherID uuid.UUID
	ethics    map[int]Ethics
	annual    map[int]Annual
}

// NewRecord returns an empty record; load history into it.
func NewRecord(teacherID uuid.UUID) *Record {
	return &Record{teacherID: teacherID, ethics: map[int]Ethics{}, annual: map[int]Annual{}}
}

func (r *Record) TeacherID() uuid.UUID { return r.teacherID }

// Apply changes the state from an event; it never fails.
func (r *Record) Apply(e event.Event) {
	switch e := e.(type) {
	case *EthicsRecorded:
		r.ethics[e.Year] = Ethics{Year: e.Year, Passed: e.Passed, SeriousBreach: e.SeriousBreach, Honors: e.Honors}
	case *EthicsCorrected:
		r.ethics[e.Year] = Ethics{Year: e.Year, Passed: e.Passed, SeriousBreach: e.SeriousBreach, Honors: e.Honors, Corrected: true}
	case *AnnualRecorded:
		r.annual[e.Year] = Annual{Year: e.Year, Grade: e.Grade}
	case *AnnualCorrected:
		r.annual[e.Year] = Annual{Year: e.Year, Grade: e.Grade, Corrected: true}
	}
}

// Ethics returns every recorded year, in year order.
func (r *Record) Ethics() []Ethics {
	out := make([]Ethics, 0, len(r.ethics))
	for _, e := range r.ethics {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Ethics) int { return a.Year - b.Year })
	return out
}

// Annual returns every recorded year, in year order.
func (r *Record) Annual() []Annual {
	out := make([]Annual, 0, len(r.annual))
	for _, a := range r.annual {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Annual) int { return a.Year - b.Year })
	return out
}

// EthicsIn and AnnualIn return one year's result.
func (r *Record) EthicsIn(year int) (Ethics, bool) { e, ok := r.ethics[year]; return e, ok }
func (r *Record) AnnualIn(year int) (Annual, bool) { a, ok := r.annual[year]; return a, ok }

// CanRecord: results are the county's business; the system actor loads
// history from earlier systems.
func CanRecord(actor access.Actor, teacherCounty string) bool {
	if actor.Role == access.RoleSystem {
		return true
	}
	return actor.Role == access.RoleCountyAdmin && actor.Covers(teacherCounty)
}

func (r *Record) authorize(actor access.Actor, teacherCounty string) error {
	if !CanRecord(actor, teacherCounty) {
		return fmt.Errorf("appraisal: only the county admin of the teacher's county records results: %w", access.ErrForbidden)
	}
	return nil
}

// checkYear: results are for a finished year (an ethics or annual appraisal
// of the running year would judge months not yet taught).
func checkYear(year, currentYear int) error {
	if year < FirstYear || year > currentYear {
		return domain.Invalid("year", "年度不正确")
	}
	if year == currentYear {
		return domain.Invalid("year", fmt.Sprintf("%d年度尚未结束，不能录入考核结果", year))
	}
	return nil
}

// Source ties a recorded result to the upload row it came from.
type Source struct {
	BatchID uuid.UUID
	Row     int
}

// RecordEthics records a year's ethics result from an upload. The same
// result again is a no-op (recorded false), so re-uploading a file is
// harmless; a different one is ErrUseCorrection.
func (r *Record) RecordEthics(actor access.Actor, teacherCounty string, e Ethics, src Source, at time.Time) (recorded bool, err error) {
	if err := r.authorize(actor, teacherCounty); err != nil {
		return false, err
	}
	if err := checkYear(e.Year, at.Year()); err != nil {
		return false, err
	}
	if e.SeriousBreach && e.Passed {
		return false, domain.Invalid("serious_breach", "有严重违反师德行为的，师德考核不能为达标")
	}
	e.Honors = strings.TrimSpace(e.Honors)
	if old, ok := r.ethics[e.Year]; ok {
		if old.Passed == e.Passed && old.SeriousBreach == e.SeriousBreach && old.Honors == e.Honors {
			return false, nil
		}
		return false, ErrUseCorrection
	}
	r.Record(r, &EthicsRecorded{
		TeacherID: r.teacherID, Year: e.Year, Passed: e.Passed, SeriousBreach: e.SeriousBreach,
		Honors: e.Honors, BatchID: src.BatchID, Row: src.Row, RecordedAt: at,
	})
	return true, nil
}

// CorrectEthics replaces a recorded year with a reason.
func (r *Record) CorrectEthics(actor access.Actor, teacherCounty string, e Ethics, reason string, at time.Time) error {
	if err := r.authorize(actor, teacherCounty); err != nil {
		return err
	}
	old, ok := r.ethics[e.Year]
	if !ok {
		return fmt.Errorf("appraisal: no ethics result for %d: %w", e.Year, domain.ErrNotFound)
	}
	if e.SeriousBreach && e.Passed {
		return domain.Invalid("serious_breach", "有严重违反师德行为的，师德考核不能为达标")
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "更正必须说明原因")
	}
	e.Honors = strings.TrimSpace(e.Honors)
	if old.Passed == e.Passed && old.SeriousBreach == e.SeriousBreach && old.Honors == e.Honors {
		return domain.Invalid("passed", "更正内容与原结果相同")
	}
	r.Record(r, &EthicsCorrected{
		TeacherID: r.teacherID, Year: e.Year, Passed: e.Passed, SeriousBreach: e.SeriousBreach,
		Honors: e.Honors, Reason: reason, CorrectedAt: at,
	})
	return nil
}

// RecordAnnual records a year's annual appraisal from an upload, with the
// same idempotence as RecordEthics.
func (r *Record) RecordAnnual(actor access.Actor, teacherCounty string, year int, g Grade, src Source, at time.Time) (recorded bool, err error) {
	if err := r.authorize(actor, teacherCounty); err != nil {
		return false, err
	}
	if err := checkYear(year, at.Year()); err != nil {
		return false, err
	}
	if !g.Valid() {
		return false, domain.Invalid("grade", "考核结果不正确")
	}
	if old, ok := r.annual[year]; ok {
		if old.Grade == g {
			return false, nil
		}
		return false, ErrUseCorrection
	}
	r.Record(r, &AnnualRecorded{TeacherID: r.teacherID, Year: year, Grade: g, BatchID: src.BatchID, Row: src.Row, RecordedAt: at})
	return true, nil
}

// CorrectAnnual replaces a recorded year's grade with a reason.
func (r *Record) CorrectAnnual(actor access.Actor, teacherCounty string, year int, g Grade, reason string, at time.Time) error {
	if err := r.authorize(actor, teacherCounty); err != nil {
		return err
	}
	old, ok := r.annual[year]
	if !ok {
		return fmt.Errorf("appraisal: no annual appraisal for %d: %w", year, domain.ErrNotFound)
	}
	if !g.Valid() {
		return domain.Invalid("grade", "考核结果不正确")
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "更正必须说明原因")
	}
	if old.Grade == g {
		return domain.Invalid("grade", "更正内容与原结果相同")
	}
	r.Record(r, &AnnualCorrected{TeacherID: r.teacherID, Year: year, Grade: g, Reason: reason, CorrectedAt: at})
	return nil
}
