-- +goose Up
-- Projection infrastructure: one checkpoint per projection, written in the
-- same transaction as the projection's read-model change, and the events a
-- projection could not apply (parked, not retried forever, not dropped).
--
-- Positions are the event store's global {commit, prepare} pair. They are
-- uint64 in Go; bigint holds every value the stores produce (xid8 and
-- EventStoreDB log offsets stay below 2^63), and the runner rejects larger
-- ones instead of letting them wrap.
CREATE TABLE projection_checkpoints (
    name             text        PRIMARY KEY,
    commit_position  bigint      NOT NULL DEFAULT 0 CHECK (commit_position >= 0),
    prepare_position bigint      NOT NULL DEFAULT 0 CHECK (prepare_position >= 0),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per (projection, event): a rebuild that fails on the same event
-- again updates the row instead of adding another.
CREATE TABLE projection_parked (
    projection       text        NOT NULL,
    event_id         uuid        NOT NULL,
    commit_position  bigint      NOT NULL,
    prepare_position bigint      NOT NULL,
    event_type       text        NOT NULL,
    stream           text        NOT NULL,
    revision         bigint      NOT NULL,
    error            text        NOT NULL,
    parked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, event_id)
);

CREATE INDEX projection_parked_by_position
    ON projection_parked (projection, commit_position, prepare_position);

-- +goose Down
DROP TABLE projection_parked;
DROP TABLE projection_checkpoints;
