-- +goose Up
-- Secrets and session state. Never in events: the event store records that a
-- password changed or a session began, these tables hold the hashes.
CREATE TABLE auth_accounts (
    account_id           uuid PRIMARY KEY,
    login                text NOT NULL UNIQUE,
    role                 text NOT NULL,
    jurisdiction         text NOT NULL DEFAULT '',
    teacher_id           uuid,
    institution_id       uuid,
    display_name         text NOT NULL DEFAULT '',
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT true,
    failed_attempts      integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    disabled             boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX auth_accounts_teacher ON auth_accounts (teacher_id) WHERE teacher_id IS NOT NULL;

CREATE TABLE auth_sessions (
    token_hash   bytea PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES auth_accounts ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX auth_sessions_account ON auth_sessions (account_id) WHERE revoked_at IS NULL;

-- Security audit (等保 2.0: time, user, event type, success/failure), kept
-- apart from business events and protected from change by a trigger.
CREATE TABLE security_audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    account_id uuid,
    login      text NOT NULL DEFAULT '',
    role       text NOT NULL DEFAULT '',
    action     text NOT NULL,
    success    boolean NOT NULL,
    subject    text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX security_audit_at ON security_audit (at);
CREATE INDEX security_audit_account ON security_audit (account_id, at);

-- +goose StatementBegin
CREATE FUNCTION security_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'security_audit is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER security_audit_no_update BEFORE UPDATE OR DELETE ON security_audit
    FOR EACH ROW EXECUTE FUNCTION security_audit_append_only();
CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON security_audit
    FOR EACH STATEMENT EXECUTE FUNCTION security_audit_append_only();

-- Idempotency-Key: the first response of a command, replayed for retries.
CREATE TABLE idempotency_keys (
    account_id   uuid NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE security_audit;
DROP FUNCTION security_audit_append_only;
DROP TABLE auth_sessions;
DROP TABLE auth_accounts;
