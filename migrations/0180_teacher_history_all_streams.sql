-- +goose Up
-- The teacher's history covers every stream that concerns the teacher
-- (projections/teacher_history.go): the record itself, enrollments, the
-- credit ledger and the credit bank, appraisals, registration, growth and
-- studios. Revisions are per stream, so a row is keyed by its stream; the
-- reason of a decision or correction has its own column. The projection
-- remembers what later events of another stream need (which teacher an
-- enrollment is of, a project's or a studio's name, a ledger entry's
-- title) in teacher_history_subjects, so it can be rebuilt alone.
--
-- The rows are refilled from the events: the table is emptied and the
-- projection's checkpoint removed, so the runner replays it from the start.
TRUNCATE teacher_history;
ALTER TABLE teacher_history DROP CONSTRAINT teacher_history_pkey;
ALTER TABLE teacher_history DROP CONSTRAINT teacher_history_event_id_key;
ALTER TABLE teacher_history
    ADD COLUMN stream text COLLATE "C" NOT NULL,
    ADD COLUMN reason text NOT NULL DEFAULT '';
ALTER TABLE teacher_history ADD PRIMARY KEY (teacher_id, stream, revision);
CREATE INDEX teacher_history_order ON teacher_history (teacher_id, occurred_at, stream, revision);

CREATE TABLE teacher_history_subjects (
    -- a stream name, or "<kind>:<uuid>" for a thing inside a stream
    subject    text COLLATE "C" PRIMARY KEY,
    teacher_id uuid,
    label      text NOT NULL DEFAULT ''
);

DELETE FROM projection_parked WHERE projection = 'teacher_history';
DELETE FROM projection_checkpoints WHERE name = 'teacher_history';

-- Who revoked a credit entry, and who corrected an appraisal result and why.
ALTER TABLE credit_entries
    ADD COLUMN revoked_by      text NOT NULL DEFAULT '',
    ADD COLUMN revoked_by_role text NOT NULL DEFAULT '';
ALTER TABLE appraisal_results
    ADD COLUMN ethics_corrected_by      text NOT NULL DEFAULT '',
    ADD COLUMN ethics_corrected_by_role text NOT NULL DEFAULT '',
    ADD COLUMN ethics_correction_reason text NOT NULL DEFAULT '',
    ADD COLUMN ethics_corrected_at      timestamptz,
    ADD COLUMN annual_corrected_by      text NOT NULL DEFAULT '',
    ADD COLUMN annual_corrected_by_role text NOT NULL DEFAULT '',
    ADD COLUMN annual_correction_reason text NOT NULL DEFAULT '',
    ADD COLUMN annual_corrected_at      timestamptz;
-- Existing rows get the new columns from a replay of their projections.
DELETE FROM projection_checkpoints WHERE name IN ('credit_history', 'appraisal_results');
TRUNCATE credit_entries, credit_bank_requests, appraisal_results, appraisal_uploads;

-- +goose Down
ALTER TABLE appraisal_results
    DROP COLUMN annual_corrected_at,
    DROP COLUMN annual_correction_reason,
    DROP COLUMN annual_corrected_by_role,
    DROP COLUMN annual_corrected_by,
    DROP COLUMN ethics_corrected_at,
    DROP COLUMN ethics_correction_reason,
    DROP COLUMN ethics_corrected_by_role,
    DROP COLUMN ethics_corrected_by;
ALTER TABLE credit_entries
    DROP COLUMN revoked_by_role,
    DROP COLUMN revoked_by;
DROP TABLE teacher_history_subjects;
TRUNCATE teacher_history;
DROP INDEX teacher_history_order;
ALTER TABLE teacher_history DROP CONSTRAINT teacher_history_pkey;
ALTER TABLE teacher_history DROP COLUMN reason, DROP COLUMN stream;
ALTER TABLE teacher_history ADD PRIMARY KEY (teacher_id, revision);
ALTER TABLE teacher_history ADD CONSTRAINT teacher_history_event_id_key UNIQUE (event_id);
DELETE FROM projection_checkpoints WHERE name = 'teacher_history';
