-- +goose Up
-- Accounts as users and admins see them (package projections, account*.go),
-- built from account events; teacher transfers move a teacher account's
-- county. Secrets stay in auth_accounts: no hash here. Disposable: times
-- come from the events.
CREATE TABLE accounts (
    account_id           uuid PRIMARY KEY,
    revision             bigint NOT NULL,
    login                text NOT NULL,
    role                 text NOT NULL,
    -- the admin's region, or for a teacher account the teacher's county;
    -- the jurisdiction filter runs on region
    jurisdiction         text COLLATE "C" NOT NULL DEFAULT '',
    teacher_county       text COLLATE "C" NOT NULL DEFAULT '',
    region               text COLLATE "C" NOT NULL DEFAULT '',
    teacher_id           uuid,
    institution_id       uuid,
    display_name         text NOT NULL,
    must_change_password boolean NOT NULL,
    locked               boolean NOT NULL DEFAULT false,
    lock_reason          text NOT NULL DEFAULT '',
    locked_at            timestamptz,
    disabled             boolean NOT NULL DEFAULT false,
    disable_reason       text NOT NULL DEFAULT '',
    disabled_at          timestamptz,
    password_changed_at  timestamptz,
    password_reset_at    timestamptz,
    created_at           timestamptz NOT NULL,
    created_by           uuid NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX accounts_region ON accounts (region, role, display_name, account_id);
CREATE INDEX accounts_teacher ON accounts (teacher_id) WHERE teacher_id IS NOT NULL;
CREATE INDEX accounts_login ON accounts (login);

-- +goose Down
DROP TABLE accounts;
