-- +goose Up
-- Service state of the enrollment area that is not derived from events and
-- must survive a rebuild: the SSO signing keys and upload error reports.

-- The remote-learning signing key set (PEM, current private key first),
-- generated at first use. One row: every process signs with the same key.
CREATE TABLE sso_keyset (
    id         integer PRIMARY KEY CHECK (id = 1),
    pem        bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Error reports of bulk uploads, downloadable by the uploader for a while.
CREATE TABLE upload_reports (
    report_id    uuid PRIMARY KEY,
    account_id   uuid NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX upload_reports_created ON upload_reports (created_at);

-- +goose Down
DROP TABLE upload_reports;
DROP TABLE sso_keyset;
