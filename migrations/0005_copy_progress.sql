-- +goose Up
-- `record copy-events`: how far the copy of this database's events to an
-- EventStoreDB has come, per target (its address without credentials), so
-- an interrupted copy resumes where it stopped.
CREATE TABLE es_copy_progress (
    target           text        PRIMARY KEY,
    commit_position  bigint      NOT NULL DEFAULT 0,
    prepare_position bigint      NOT NULL DEFAULT 0,
    copied           bigint      NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE es_copy_progress;
