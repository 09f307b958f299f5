-- +goose Up
-- The event store: one table, append-only.
--
-- Optimistic concurrency comes from the primary key (stream, revision): two
-- writers that expect the same revision insert the same key and one of them
-- gets a unique violation, which the adapter reports as a wrong expected
-- revision.
--
-- The global order is (xid, seq), not seq alone: seq values become visible
-- in commit order, not allocation order, so a reader following "seq > last"
-- skips rows of a transaction that commits late. Readers only read rows whose
-- xid is below the oldest transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())); every such row is committed (or
-- gone) and nothing can later appear before it. xid is xid8 stored as bigint
-- (xid8 values are epoch-extended and stay below 2^63), so positions are
-- plain integers for drivers and for projection checkpoints.
--
-- data and metadata are bytea: the store keeps the caller's JSON byte for byte
-- (jsonb would reorder keys, drop duplicates and whitespace).
CREATE TABLE es_events (
    stream      text        NOT NULL,
    revision    bigint      NOT NULL CHECK (revision >= 0),
    xid         bigint      NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    event_id    uuid        NOT NULL,
    event_type  text        NOT NULL,
    data        bytea       NOT NULL,
    metadata    bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, revision)
);

CREATE UNIQUE INDEX es_events_feed ON es_events (xid, seq);

-- es_append appends to one stream in a single round trip and statement.
-- p_kind: 0 any, 1 no stream, 2 stream exists, 3 exact (p_revision).
-- Returns one row: status 0 written, 1 duplicate of an earlier append (a
-- retry; nothing written), 2 wrong expected revision (revision is then the
-- stream's current revision, -1 for no stream). For 0 and 1, revision, xid
-- and seq are those of the last event of the batch.
--
-- A concurrent writer that wins the race makes this call fail with a unique
-- violation; the adapter then calls again, and the second call sees the
-- winner's rows and answers 1 or 2.
--
-- With p_notify the NOTIFY is part of the append's transaction, so listeners
-- hear of the append only once it is committed. PostgreSQL serialises the
-- commits of notifying transactions (a database-wide lock held through the
-- commit's WAL flush), which defeats group commit; so under concurrency the
-- adapter lets only one append at a time notify in its transaction and
-- covers the others with one coalesced NOTIFY after they commit.
-- +goose StatementBegin
CREATE FUNCTION es_append(
    p_stream   text,
    p_kind     smallint,
    p_revision bigint,
    p_ids      uuid[],
    p_types    text[],
    p_data     bytea[],
    p_meta     bytea[],
    p_notify   boolean
) RETURNS TABLE (status smallint, revision bigint, xid bigint, seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_current bigint;
    v_k       bigint := cardinality(p_ids);
    v_first   bigint;
    v_ok      boolean;
BEGIN
    SELECT coalesce(max(e.revision), -1) INTO v_current
      FROM es_events e WHERE e.stream = p_stream;

    -- A retry is recognised where the original append would have put its
    -- events: right after the expected revision for exact and no stream
    -- (EventStoreDB's rule), at the stream's tail for any and stream exists
    -- (best effort).
    v_first := CASE p_kind WHEN 3 THEN p_revision + 1
                           WHEN 1 THEN 0
                           ELSE v_current - v_k + 1 END;
    IF v_first >= 0 AND v_first + v_k - 1 <= v_current AND p_ids = ARRAY(
        SELECT e.event_id FROM es_events e
         WHERE e.stream = p_stream AND e.revision BETWEEN v_first AND v_first + v_k - 1
         ORDER BY e.revision) THEN
        RETURN QUERY SELECT 1::smallint, e.revision, e.xid, e.seq
          FROM es_events e WHERE e.stream = p_stream AND e.revision = v_first + v_k - 1;
        RETURN;
    END IF;

    v_ok := CASE p_kind WHEN 0 THEN true
                        WHEN 1 THEN v_current = -1
                        WHEN 2 THEN v_current >= 0
                        ELSE v_current = p_revision END;
    IF NOT v_ok THEN
        RETURN QUERY SELECT 2::smallint, v_current, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;

    RETURN QUERY
    WITH ins AS (
        INSERT INTO es_events AS e (stream, revision, event_id, event_type, data, metadata)
        SELECT p_stream, v_current + u.ord, u.id, u.typ, u.dat, u.met
          FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS u(id, typ, dat, met, ord)
         ORDER BY u.ord
        RETURNING e.revision, e.xid, e.seq
    )
    SELECT 0::smallint, ins.revision, ins.xid, ins.seq FROM ins ORDER BY ins.revision DESC LIMIT 1;
    IF p_notify THEN
        PERFORM pg_notify('es_events', '');
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION es_append(text, smallint, bigint, uuid[], text[], bytea[], bytea[], boolean);
DROP TABLE es_events;
