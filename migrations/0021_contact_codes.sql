-- +goose Up
-- Confirmation codes for a teacher's new mobile or e-mail. Only a hash of
-- the code is kept, and never in events.
CREATE TABLE contact_codes (
    account_id  uuid NOT NULL,
    field       text NOT NULL,
    value       text NOT NULL,
    code_hash   bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, field)
);

-- +goose Down
DROP TABLE contact_codes;
