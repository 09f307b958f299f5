-- +goose Up
-- Integrity (docs/INTEGRITY.md): the Merkle tree of the global feed, kept by
-- the "integrity_merkle" projection. Read models like the others (rebuilt
-- from the events), but their content is checked, not trusted: `record
-- verify` recomputes every leaf from the store and checks the roots against
-- the signed digests. Migrations 0090-0099 belong to integrity.

-- One row per leaf, in feed order: which event it is.
CREATE TABLE merkle_leaves (
    idx         bigint PRIMARY KEY CHECK (idx >= 0),
    stream      text   NOT NULL,
    revision    bigint NOT NULL,
    event_id    uuid   NOT NULL,
    pos_commit  bigint NOT NULL,
    pos_prepare bigint NOT NULL
);
CREATE INDEX merkle_leaves_stream ON merkle_leaves (stream, revision);

-- The tree's stored hashes (leaves and complete subtrees), indexed as
-- golang.org/x/mod/sumdb/tlog's StoredHashIndex numbers them: about two
-- per leaf.
CREATE TABLE merkle_hashes (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    hash bytea  NOT NULL CHECK (length(hash) = 32)
);

-- The tree's head: size, root and the position of its last leaf.
CREATE TABLE merkle_state (
    id          smallint PRIMARY KEY CHECK (id = 1),
    size        bigint NOT NULL,
    root        bytea  NOT NULL,
    pos_commit  bigint NOT NULL,
    pos_prepare bigint NOT NULL
);

-- +goose Down
DROP TABLE merkle_state;
DROP TABLE merkle_hashes;
DROP TABLE merkle_leaves;
