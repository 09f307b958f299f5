-- +goose Up
-- Sampled audits of credit claims (domain/creditaudit): each draw with its
-- progress, and each sampled entry with its re-review. Disposable: a
-- rebuild truncates and replays them; times come from events.
CREATE TABLE credit_audit_samples (
    sample_id         uuid PRIMARY KEY,
    revision          bigint NOT NULL,
    scope             text COLLATE "C" NOT NULL,
    kinds             text NOT NULL,
    from_on           date,
    to_on             date,
    share_percent     numeric(6,1),
    requested_count   int NOT NULL DEFAULT 0,
    seed              text NOT NULL,
    algorithm         text NOT NULL,
    population_size   int NOT NULL,
    population_digest text NOT NULL,
    sample_size       int NOT NULL,
    reviewed          int NOT NULL DEFAULT 0,
    upheld            int NOT NULL DEFAULT 0,
    revoked           int NOT NULL DEFAULT 0,
    note              text NOT NULL DEFAULT '',
    drawn_by          text NOT NULL DEFAULT '',
    drawn_at          timestamptz NOT NULL
);
CREATE INDEX credit_audit_samples_scope ON credit_audit_samples (scope, drawn_at);

CREATE TABLE credit_audit_entries (
    sample_id   uuid NOT NULL,
    entry_id    uuid NOT NULL,
    position    int NOT NULL,
    teacher_id  uuid NOT NULL,
    key         text NOT NULL,
    source_kind text NOT NULL,
    outcome     text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    reviewed_by text NOT NULL DEFAULT '',
    reviewed_at timestamptz,
    PRIMARY KEY (sample_id, entry_id)
);
CREATE INDEX credit_audit_entries_pending ON credit_audit_entries (sample_id, position) WHERE outcome = '';

-- +goose Down
DROP TABLE credit_audit_entries;
DROP TABLE credit_audit_samples;
