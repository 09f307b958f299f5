-- +goose Up
-- Checkpoints know their store: a position means something only in the
-- event store that produced it. projection_stores has a row per event store
-- the read models have been built from (its identity, es_store or the
-- EventStoreDB store_identity stream); each checkpoint names the store its
-- position belongs to. The runner refuses to start on a checkpoint of
-- another store; a rebuild resets the checkpoint and adopts the store
-- connected. NULL: a checkpoint from before this column, adopted at start.
CREATE TABLE projection_stores (
    id         uuid        PRIMARY KEY,
    kind       text        NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE projection_checkpoints
    ADD COLUMN store_id uuid REFERENCES projection_stores (id);

-- +goose Down
ALTER TABLE projection_checkpoints DROP COLUMN store_id;
DROP TABLE projection_stores;
