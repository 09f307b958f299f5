-- +goose Up
-- Read models of the teacher record (package projections, teacher*.go,
-- audit*.go, queues*.go). Every table here is disposable: a rebuild
-- truncates it and replays the event store, and must produce the same rows,
-- so no column holds now() or a serial; times come from the events.
--
-- Region codes and ID numbers use COLLATE "C" so that a plain btree serves
-- prefix ranges (county >= '1301' AND county < '1301~') in generic plans
-- too, whatever the database's default collation is.

-- pg_trgm gives substring search on names an index (GIN, gin_trgm_ops). It is
-- a trusted extension since PostgreSQL 13, so the owner of the database may
-- create it. A trigram index helps only for patterns of 3 or more
-- characters; two-character Chinese names are found through the county
-- index, which every admin query carries anyway.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per teacher: the current record.
CREATE TABLE teacher_profiles (
    teacher_id         uuid PRIMARY KEY,
    -- stream revision of the last applied event: the If-Match of the API
    revision           bigint NOT NULL,

    name               text NOT NULL DEFAULT '',
    id_type            text NOT NULL DEFAULT '',
    id_number          text COLLATE "C" NOT NULL DEFAULT '',
    gender             text NOT NULL DEFAULT '',
    birth_date         text NOT NULL DEFAULT '',
    city               text COLLATE "C" NOT NULL DEFAULT '',
    county             text COLLATE "C" NOT NULL DEFAULT '',
    unit_id            uuid,
    work_start         text NOT NULL DEFAULT '',
    certificate_type   text NOT NULL DEFAULT '',
    certificate_number text NOT NULL DEFAULT '',

    former_name        text NOT NULL DEFAULT '',
    ethnicity          text NOT NULL DEFAULT '',
    political_status   text NOT NULL DEFAULT '',
    native_place       text NOT NULL DEFAULT '',
    marital_status     text NOT NULL DEFAULT '',
    main_stage         text NOT NULL DEFAULT '',
    main_subject       text NOT NULL DEFAULT '',
    initial_education  text NOT NULL DEFAULT '',
    highest_education  text NOT NULL DEFAULT '',
    highest_degree     text NOT NULL DEFAULT '',
    funded_normal      text NOT NULL DEFAULT '',
    funded_normal_year text NOT NULL DEFAULT '',
    special_post       text NOT NULL DEFAULT '',
    special_post_year  text NOT NULL DEFAULT '',
    on_staff           text NOT NULL DEFAULT '',
    post_category      text NOT NULL DEFAULT '',
    professional_title text NOT NULL DEFAULT '',
    backbone_level     text NOT NULL DEFAULT '',
    mobile             text NOT NULL DEFAULT '',
    email              text NOT NULL DEFAULT '',
    certificate_photo  text NOT NULL DEFAULT '',
    avatar             text NOT NULL DEFAULT '',

    -- the unit's name as the teacher's stream last recorded it; the query
    -- prefers the units read model (the current official name)
    unit_name          text NOT NULL DEFAULT '',
    certificate_override text NOT NULL DEFAULT '',
    open_corrections   integer NOT NULL DEFAULT 0,
    open_transfer_id   uuid,
    registered_at      timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
-- Roster: jurisdiction prefix on county, ordered by county, name, id.
CREATE INDEX teacher_profiles_county_name ON teacher_profiles (county, name, teacher_id);
CREATE INDEX teacher_profiles_unit ON teacher_profiles (unit_id, name, teacher_id);
CREATE INDEX teacher_profiles_name_trgm ON teacher_profiles USING gin (name gin_trgm_ops);
-- Full ID number, and its tail (the last 4+ characters users see in a
-- masked list) through the reversed number.
CREATE INDEX teacher_profiles_id_number ON teacher_profiles (id_number);
CREATE INDEX teacher_profiles_id_number_rev ON teacher_profiles ((reverse(id_number)));

-- Every event of every teacher stream, readable.
CREATE TABLE teacher_history (
    teacher_id   uuid NOT NULL,
    revision     bigint NOT NULL,
    event_id     uuid NOT NULL UNIQUE,
    event_type   text NOT NULL,
    description  text NOT NULL,
    actor_id     uuid NOT NULL,
    actor_name   text NOT NULL DEFAULT '',
    actor_role   text NOT NULL DEFAULT '',
    jurisdiction text NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (teacher_id, revision)
);

-- Key-field changes for auditors: one row per (event, field).
CREATE TABLE key_field_audit (
    event_id        uuid NOT NULL,
    field           text NOT NULL,
    teacher_id      uuid NOT NULL,
    revision        bigint NOT NULL,
    -- order of the row inside its event (registration writes several)
    seq             integer NOT NULL,
    event_type      text NOT NULL,
    teacher_name    text NOT NULL,
    -- the teacher's county when the change was made, and after it (they
    -- differ only for a transfer, which both counties' auditors must see)
    county          text COLLATE "C" NOT NULL,
    county_after    text COLLATE "C" NOT NULL,
    field_label     text NOT NULL,
    old_value       text NOT NULL,
    new_value       text NOT NULL,
    old_label       text NOT NULL DEFAULT '',
    new_label       text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT '',
    correction_id   uuid,
    transfer_id     uuid,
    actor_id        uuid NOT NULL,
    actor_name      text NOT NULL DEFAULT '',
    actor_role      text NOT NULL DEFAULT '',
    actor_jurisdiction text NOT NULL DEFAULT '',
    occurred_at     timestamptz NOT NULL,
    PRIMARY KEY (event_id, field)
);
CREATE INDEX key_field_audit_time ON key_field_audit (occurred_at, teacher_id, revision, seq);
CREATE INDEX key_field_audit_teacher ON key_field_audit (teacher_id, revision, seq);
CREATE INDEX key_field_audit_actor ON key_field_audit (actor_id, occurred_at);
CREATE INDEX key_field_audit_county ON key_field_audit (county, occurred_at);
CREATE INDEX key_field_audit_county_after ON key_field_audit (county_after, occurred_at);

-- What the audit projection must remember of each teacher to fill a row
-- (name, county, unit at the time). Owned by the key_field_audit
-- projection: it cannot read teacher_profiles, whose checkpoint may be
-- elsewhere during a rebuild.
CREATE TABLE key_field_audit_teachers (
    teacher_id      uuid PRIMARY KEY,
    revision        bigint NOT NULL,
    name            text NOT NULL,
    city            text NOT NULL,
    county          text NOT NULL,
    unit_id         text NOT NULL,
    unit_name       text NOT NULL,
    transfer_id     uuid,
    transfer_reason text NOT NULL DEFAULT ''
);

-- Work queues of county admins.
CREATE TABLE pending_corrections (
    correction_id   uuid PRIMARY KEY,
    teacher_id      uuid NOT NULL,
    teacher_name    text NOT NULL,
    county          text COLLATE "C" NOT NULL,
    unit_name       text NOT NULL,
    field           text NOT NULL,
    field_label     text NOT NULL,
    current_value   text NOT NULL,
    proposed_value  text NOT NULL,
    reason          text NOT NULL,
    evidence        text[] NOT NULL DEFAULT '{}',
    requested_at    timestamptz NOT NULL,
    requested_by    uuid NOT NULL,
    requested_by_name text NOT NULL DEFAULT ''
);
CREATE INDEX pending_corrections_county ON pending_corrections (county, requested_at);
CREATE INDEX pending_corrections_teacher ON pending_corrections (teacher_id);

CREATE TABLE pending_transfers (
    transfer_id     uuid PRIMARY KEY,
    teacher_id      uuid NOT NULL,
    teacher_name    text NOT NULL,
    from_county     text COLLATE "C" NOT NULL,
    from_unit_id    text NOT NULL,
    from_unit_name  text NOT NULL,
    to_county       text COLLATE "C" NOT NULL,
    to_unit_id      text NOT NULL DEFAULT '',
    to_unit_name    text NOT NULL DEFAULT '',
    reason          text NOT NULL,
    started_at      timestamptz NOT NULL,
    started_by      uuid NOT NULL,
    started_by_name text NOT NULL DEFAULT ''
);
CREATE INDEX pending_transfers_from ON pending_transfers (from_county, started_at);
CREATE INDEX pending_transfers_to ON pending_transfers (to_county, started_at);

-- The queue projection's memory of each teacher (name, unit, county), for
-- the same reason as key_field_audit_teachers.
CREATE TABLE queue_teachers (
    teacher_id uuid PRIMARY KEY,
    revision   bigint NOT NULL,
    name       text NOT NULL,
    county     text NOT NULL,
    unit_name  text NOT NULL
);

-- +goose Down
DROP TABLE queue_teachers;
DROP TABLE pending_transfers;
DROP TABLE pending_corrections;
DROP TABLE key_field_audit_teachers;
DROP TABLE key_field_audit;
DROP TABLE teacher_history;
DROP TABLE teacher_profiles;
