-- +goose Up
-- Suspected duplicates across sources (domain/credit duplicate.go): an
-- entry held until the county admin decides, and the decision.
ALTER TABLE credit_entries
    ADD COLUMN started_on       date,
    ADD COLUMN held             boolean NOT NULL DEFAULT false,
    ADD COLUMN duplicate_of     uuid,
    ADD COLUMN duplicate        boolean NOT NULL DEFAULT false,
    ADD COLUMN duplicate_reason text NOT NULL DEFAULT '',
    ADD COLUMN duplicate_by     text NOT NULL DEFAULT '',
    ADD COLUMN duplicate_at     timestamptz;
CREATE INDEX credit_entries_held ON credit_entries (teacher_id) WHERE held;

-- +goose Down
DROP INDEX credit_entries_held;
ALTER TABLE credit_entries
    DROP COLUMN duplicate_at,
    DROP COLUMN duplicate_by,
    DROP COLUMN duplicate_reason,
    DROP COLUMN duplicate,
    DROP COLUMN duplicate_of,
    DROP COLUMN held,
    DROP COLUMN started_on;
