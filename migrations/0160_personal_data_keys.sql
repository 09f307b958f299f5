-- +goose Up
-- Crypto-shredding (docs/INTEGRITY.md section 6): one AES-256 data key per
-- subject (a teacher, an account), stored wrapped (AES-GCM) by the master
-- key in DATA_DIR whose id is recorded. Erasure sets wrapped to NULL: the
-- row stays so that no new key is ever made for an erased subject. Not a
-- read model: a rebuild never empties it.
CREATE TABLE personal_data_keys (
    subject        uuid PRIMARY KEY,
    master_key_id  text,
    wrapped        bytea,
    created_at     timestamptz NOT NULL,
    destroyed_at   timestamptz,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((wrapped IS NULL) = (master_key_id IS NULL))
);

-- +goose Down
DROP TABLE personal_data_keys;
