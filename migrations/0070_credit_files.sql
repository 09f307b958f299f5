-- +goose Up
-- Uploaded files by content (commands/files.go). Not a read model: these
-- rows are the only copy of the content events refer to by hash, so a
-- projection rebuild never touches them.
CREATE TABLE credit_files (
    sha256       text COLLATE "C" PRIMARY KEY,
    size         bigint NOT NULL,
    content_type text NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE TABLE credit_file_uploaders (
    sha256      text COLLATE "C" NOT NULL REFERENCES credit_files (sha256),
    account_id  uuid NOT NULL,
    teacher_id  uuid,
    name        text NOT NULL,
    uploaded_at timestamptz NOT NULL,
    PRIMARY KEY (sha256, account_id)
);

-- +goose Down
DROP TABLE credit_file_uploaders;
DROP TABLE credit_files;
