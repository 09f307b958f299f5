-- +goose Up
-- The inputs of the registration check of each teacher, as the record
-- stands (projections.RegistrationInputsProjection), so a batch check of a
-- county reads them in a few set-based queries instead of replaying every
-- teacher's streams. Hours and credits in thousandths (credit.Quantity).
CREATE TABLE regcheck_teachers (
    teacher_id          uuid PRIMARY KEY,
    registered          boolean NOT NULL DEFAULT false,
    county              text NOT NULL DEFAULT '',
    name                text NOT NULL DEFAULT '',
    id_number           text NOT NULL DEFAULT '',
    post_category       text NOT NULL DEFAULT '',
    professional_title  text NOT NULL DEFAULT '',
    on_staff            text NOT NULL DEFAULT '',
    special_post        text NOT NULL DEFAULT '',
    funded_normal       text NOT NULL DEFAULT '',
    main_stage          text NOT NULL DEFAULT '',
    certificate_type    text NOT NULL DEFAULT '',
    first_registered_on date,
    last_registered_on  date,
    last_outcome        text NOT NULL DEFAULT '',
    last_decided_on     date,
    fitness             date[] NOT NULL DEFAULT '{}',
    revoked             boolean NOT NULL DEFAULT false
);

-- One row per ledger entry; seq is its revision in the credits stream
-- (grant order).
CREATE TABLE regcheck_entries (
    teacher_id       uuid NOT NULL,
    seq              bigint NOT NULL,
    entry_id         uuid NOT NULL,
    key              text NOT NULL,
    year             integer NOT NULL,
    completed_on     date NOT NULL,
    level            text NOT NULL,
    category         text NOT NULL,
    hours_milli      bigint NOT NULL,
    credits_milli    bigint NOT NULL,
    title            text NOT NULL,
    revoked          boolean NOT NULL DEFAULT false,
    revoke_reason    text NOT NULL DEFAULT '',
    held             boolean NOT NULL DEFAULT false,
    duplicate        boolean NOT NULL DEFAULT false,
    duplicate_reason text NOT NULL DEFAULT '',
    PRIMARY KEY (teacher_id, seq)
);

-- One row per appraisal year with a result (annual grade, ethics or both).
CREATE TABLE regcheck_years (
    teacher_id      uuid NOT NULL,
    year            integer NOT NULL,
    grade           text NOT NULL DEFAULT '',
    ethics_recorded boolean NOT NULL DEFAULT false,
    ethics_passed   boolean NOT NULL DEFAULT false,
    serious_breach  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (teacher_id, year)
);

-- Live absences; seq is the revision in the facts stream (recording order).
CREATE TABLE regcheck_absences (
    teacher_id uuid NOT NULL,
    absence_id uuid NOT NULL,
    seq        bigint NOT NULL,
    from_on    date NOT NULL,
    until_on   date,
    approved   boolean NOT NULL,
    note       text NOT NULL DEFAULT '',
    PRIMARY KEY (teacher_id, absence_id)
);

-- +goose Down
DROP TABLE regcheck_absences;
DROP TABLE regcheck_years;
DROP TABLE regcheck_entries;
DROP TABLE regcheck_teachers;
