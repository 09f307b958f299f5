-- +goose Up
-- A credentials row created by the account process (commands/account_process.go)
-- for an admin account whose creating request was cut off: it has no usable
-- password until an admin resets it, and the creating request may still
-- replace it.
ALTER TABLE auth_accounts ADD COLUMN placeholder boolean NOT NULL DEFAULT false;
-- An Idempotency-Key in progress holds a lease: after it, a retry runs the
-- command again (itself idempotent by event ID) instead of waiting for ever.
ALTER TABLE idempotency_keys ADD COLUMN lease_until timestamptz;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN lease_until;
ALTER TABLE auth_accounts DROP COLUMN placeholder;
