package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/appraisal"
)

// storeUploadErrors keeps an upload's row errors as a report file (a JSON
// list of domain.FieldError, kind FileSheet) and returns its SHA-256 for
// the batch's event: the list has no bound, and an event must stay well
// under the event store's append limit (eventstore.MaxAppendSize).
func (h *Handlers) storeUploadErrors(ctx context.Context, actor access.Actor, batchID uuid.UUID, errs []domain.FieldError) (string, error) {
	if len(errs) == 0 {
		return "", nil
	}
	if h.Files == nil {
		return "", errors.New("appraisal upload: no file store for the row errors' report")
	}
	data, err := json.Marshal(errs)
	if err != nil {
		return "", fmt.Errorf("appraisal upload: row errors: %w", err)
	}
	ref, err := h.Files.Put(ctx, actor, FileSheet, "upload-errors-"+batchID.String()+".json", "application/json", data)
	if err != nil {
		return "", fmt.Errorf("appraisal upload: store row errors: %w", err)
	}
	return ref.SHA256, nil
}

// UploadErrors fills b.Errors from the batch's stored report; an event
// recorded before the report carries them itself.
func (h *Handlers) UploadErrors(ctx context.Context, b *appraisal.UploadRecorded) error {
	if b.ErrorsReport == "" || b.Errors != nil {
		return nil
	}
	if h.Files == nil {
		return errors.New("appraisal upload: no file store for the row errors' report")
	}
	f, err := h.Files.Get(ctx, b.ErrorsReport)
	if err != nil {
		return fmt.Errorf("upload %s: row errors' report: %w", b.BatchID, err)
	}
	if err := json.Unmarshal(f.Data, &b.Errors); err != nil {
		return fmt.Errorf("upload %s: row errors' report: %w", b.BatchID, err)
	}
	return nil
}

// uploadOutcome is the outcome of an upload with its row errors filled in.
func (h *Handlers) uploadOutcome(ctx context.Context, res Result, u *appraisal.Upload, repeated bool) (UploadOutcome, error) {
	b := *u.Summary()
	if err := h.UploadErrors(ctx, &b); err != nil {
		return UploadOutcome{}, err
	}
	return UploadOutcome{Result: res, Batch: b, Repeated: repeated}, nil
}
