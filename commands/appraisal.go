package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
)

var uploadNamespace = uuid.MustParse("3b0e8f61-7c2d-4a95-b1e4-6d8a2f5c9e03")

// UploadBatchID is the batch id of a file: the same file (by content) of
// the same kind uploaded again by the same county is the same batch, which
// is what makes a repeated upload change nothing.
func UploadBatchID(county string, kind appraisal.Kind, fileSHA256 string) uuid.UUID {
	return uuid.NewSHA1(uploadNamespace, []byte(county+"\x00"+string(kind)+"\x00"+fileSHA256))
}

// LoadAppraisal returns a teacher's ethics and annual appraisal record
// (empty when nothing was recorded).
func (h *Handlers) LoadAppraisal(ctx context.Context, teacherID uuid.UUID) (*appraisal.Record, error) {
	r := appraisal.NewRecord(teacherID)
	hist, err := h.Repo.History(ctx, appraisal.StreamName(teacherID))
	if err != nil {
		return nil, err
	}
	r.Load(r, hist)
	return r, nil
}

// LoadUpload returns an upload batch.
func (h *Handlers) LoadUpload(ctx context.Context, id uuid.UUID) (*appraisal.Upload, error) {
	u := appraisal.NewUpload(id)
	if err := h.Repo.Load(ctx, appraisal.UploadStreamName(id), u); err != nil {
		return nil, err
	}
	return u, nil
}

// AppraisalUpload is a parsed upload file: its rows with the line number
// each has in the file, and the problems found while reading it (a
// required cell empty), which are added to the row errors.
type AppraisalUpload struct {
	Kind       appraisal.Kind
	FileName   string
	FileSHA256 string
	Rows       []appraisal.Row
	Lines      []int
	ReadErrors []domain.FieldError
}

// UploadOutcome is the recorded batch and whether this call recorded it
// (false: the same file had been uploaded before, nothing changed).
type UploadOutcome struct {
	Result
	Batch    appraisal.UploadRecorded
	Repeated bool
}

// UploadAppraisals applies a county admin's yearly ethics or annual
// appraisal file. Every row is validated against the teacher its ID number
// finds (appraisal.ValidateRows); a row whose name, gender or unit disagrees
// with the record is reported, never applied; each valid row is one event
// on one teacher's stream, so a row is applied whole or not at all. The
// batch itself (who uploaded which file, when, what became of each row) is
// recorded last, so an upload interrupted half-way can simply be repeated:
// rows already applied are no-ops. Uploading a recorded file again changes
// nothing and returns the earlier batch.
func (h *Handlers) UploadAppraisals(ctx context.Context, actor access.Actor, in AppraisalUpload) (UploadOutcome, error) {
	if actor.Role != access.RoleCountyAdmin || access.JurisdictionLevel(actor.Jurisdiction) != "county" {
		return UploadOutcome{}, fmt.Errorf("appraisal: only a county admin uploads results: %w", access.ErrForbidden)
	}
	if !in.Kind.Valid() {
		return UploadOutcome{}, domain.Invalid("kind", "上传类型应为 ethics（师德考核）或 annual（年度考核）")
	}
	if len(in.Lines) != len(in.Rows) {
		return UploadOutcome{}, fmt.Errorf("appraisal upload: %d rows but %d line numbers", len(in.Rows), len(in.Lines))
	}
	batchID := UploadBatchID(actor.Jurisdiction, in.Kind, in.FileSHA256)
	if prev, err := h.LoadUpload(ctx, batchID); err == nil {
		return h.uploadOutcome(ctx, Result{ID: batchID, Revision: prev.Version()}, prev, true)
	} else if !errors.Is(err, domain.ErrNotFound) {
		return UploadOutcome{}, err
	}

	now := h.Now().UTC()
	facts := map[string]*appraisal.TeacherFacts{}
	for _, r := range in.Rows {
		id := appraisal.NormalizeID(r.IDNumber)
		if _, seen := facts[id]; seen || id == "" {
			continue
		}
		f, err := h.teacherFacts(ctx, id)
		if err != nil {
			return UploadOutcome{}, err
		}
		facts[id] = f
	}
	rctx := appraisal.RowContext{Kind: in.Kind, Uploader: actor, CurrentYear: ChinaDate(now).Year()}
	parsed, errs := appraisal.ValidateRows(rctx, in.Rows, func(id string) *appraisal.TeacherFacts { return facts[id] })
	// The domain numbers rows from 1; the user knows them by file line.
	for i := range errs {
		errs[i].Row = in.Lines[errs[i].Row-1]
	}
	errs = append(errs, in.ReadErrors...)
	bad := map[int]bool{}
	for _, e := range errs {
		bad[e.Row] = true
	}
	for _, p := range parsed {
		line := in.Lines[p.Row-1]
		if bad[line] {
			continue // a reading problem the validator did not see
		}
		err := h.applyAppraisalRow(ctx, actor, batchID, line, in.Kind, p, now)
		if rowErr := rowErrors(line, err); rowErr != nil {
			errs = append(errs, rowErr...)
			bad[line] = true
			continue
		}
		if err != nil {
			return UploadOutcome{}, fmt.Errorf("row %d: %w", line, err)
		}
	}
	sortFieldErrors(errs)
	accepted := len(in.Rows) - len(bad)
	report, err := h.storeUploadErrors(ctx, actor, batchID, errs)
	if err != nil {
		return UploadOutcome{}, err
	}
	u, res, err := Update(ctx, h.Repo, appraisal.UploadStreamName(batchID), func() *appraisal.Upload { return appraisal.NewUpload(batchID) }, true,
		h.plainWrite(ctx, actor), func(u *appraisal.Upload) error {
			return u.RecordUpload(actor, in.Kind, appraisal.UploadFile{Name: in.FileName, SHA256: in.FileSHA256}, len(in.Rows), accepted, report, now)
		})
	if errors.Is(err, domain.ErrDuplicate) {
		// The same file was being uploaded concurrently and its batch was
		// recorded first: this upload changed nothing beyond it.
		if prev, lerr := h.LoadUpload(ctx, batchID); lerr == nil {
			return h.uploadOutcome(ctx, Result{ID: batchID, Revision: prev.Version()}, prev, true)
		}
	}
	if err != nil {
		return UploadOutcome{}, err
	}
	return h.uploadOutcome(ctx, result(batchID, res, u), u, false)
}

func (h *Handlers) applyAppraisalRow(ctx context.Context, actor access.Actor, batchID uuid.UUID, line int, kind appraisal.Kind, p appraisal.Parsed, now time.Time) error {
	src := appraisal.Source{BatchID: batchID, Row: line}
	_, _, err := Update(ctx, h.Repo, appraisal.StreamName(p.TeacherID), func() *appraisal.Record { return appraisal.NewRecord(p.TeacherID) }, true,
		h.plainWrite(ctx, actor), func(r *appraisal.Record) error {
			var err error
			if kind == appraisal.KindEthics {
				p.Ethics.Year = p.Year
				_, err = r.RecordEthics(actor, p.County, p.Ethics, src, now)
			} else {
				_, err = r.RecordAnnual(actor, p.County, p.Year, p.Grade, src, now)
			}
			return err
		})
	return err
}

// teacherFacts are the record's values an upload row is compared with; nil
// when no teacher holds the ID number.
func (h *Handlers) teacherFacts(ctx context.Context, idNumber string) (*appraisal.TeacherFacts, error) {
	id, err := h.TeacherByIDNumber(ctx, idNumber)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := h.LoadTeacher(ctx, id)
	if err != nil {
		return nil, err
	}
	p := t.Profile()
	// The school's official name is the unit's now: a renamed school's
	// teachers still carry the old name in their own stream.
	unitName := t.UnitName()
	if uid := t.UnitID(); uid != uuid.Nil {
		ref, err := h.unitRef(ctx, uid)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			unitName = ref.Name
		}
	}
	return &appraisal.TeacherFacts{TeacherID: id, Name: p.Name, Gender: p.Gender, Unit: unitName, County: t.County()}, nil
}

// CorrectEthics replaces one year's ethics result, with a reason.
func (h *Handlers) CorrectEthics(ctx context.Context, actor access.Actor, teacherID uuid.UUID, e appraisal.Ethics, reason string) (Result, error) {
	return h.updateAppraisal(ctx, actor, teacherID, func(r *appraisal.Record, county string) error {
		return r.CorrectEthics(actor, county, e, reason, h.Now().UTC())
	})
}

// CorrectAnnual replaces one year's annual appraisal grade, with a reason.
func (h *Handlers) CorrectAnnual(ctx context.Context, actor access.Actor, teacherID uuid.UUID, year int, g appraisal.Grade, reason string) (Result, error) {
	return h.updateAppraisal(ctx, actor, teacherID, func(r *appraisal.Record, county string) error {
		return r.CorrectAnnual(actor, county, year, g, reason, h.Now().UTC())
	})
}

func (h *Handlers) updateAppraisal(ctx context.Context, actor access.Actor, teacherID uuid.UUID, decide func(*appraisal.Record, string) error) (Result, error) {
	t, err := h.LoadTeacher(ctx, teacherID)
	if err != nil {
		return Result{}, err
	}
	r, res, err := Update(ctx, h.Repo, appraisal.StreamName(teacherID), func() *appraisal.Record { return appraisal.NewRecord(teacherID) }, true,
		h.write(ctx, actor), func(r *appraisal.Record) error { return decide(r, t.County()) })
	if err != nil {
		return Result{}, err
	}
	return result(teacherID, res, r), nil
}

func sortFieldErrors(errs []domain.FieldError) {
	slices.SortStableFunc(errs, func(a, b domain.FieldError) int { return a.Row - b.Row })
}
