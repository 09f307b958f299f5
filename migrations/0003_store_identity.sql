-- +goose Up
-- The event store's identity: one row, an ID made by the adapter at its
-- first Identity call (not here, so every database cloned from a migrated
-- template still gets its own). A dump restored elsewhere keeps it: the
-- data, and so the positions, are the same store's. Projection checkpoints
-- record it (projection_checkpoints.store_id).
CREATE TABLE es_store (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    id         uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE es_store;
