-- +goose Up
-- Read models of credits, appraisals, registration and studios (package
-- projections, credit*.go, appraisal*.go, registration*.go, studio*.go).
-- Disposable: a rebuild truncates and replays them; times come from events.

-- Who a teacher is, for the lists of this area (county filter, names).
CREATE TABLE credit_teachers (
    teacher_id uuid PRIMARY KEY,
    name       text NOT NULL,
    id_number  text COLLATE "C" NOT NULL,
    county     text COLLATE "C" NOT NULL,
    unit_name  text NOT NULL DEFAULT ''
);
CREATE INDEX credit_teachers_county ON credit_teachers (county, teacher_id);
CREATE INDEX credit_teachers_id_number ON credit_teachers (id_number);

-- Every ledger entry, revoked ones included.
CREATE TABLE credit_entries (
    entry_id       uuid PRIMARY KEY,
    teacher_id     uuid NOT NULL,
    key            text NOT NULL,
    year           int NOT NULL,
    completed_on   date NOT NULL,
    level          text NOT NULL,
    category       text NOT NULL,
    hours          int NOT NULL,
    credits        numeric(8,2) NOT NULL,
    title          text NOT NULL,
    source_kind    text NOT NULL,
    source_system  text NOT NULL DEFAULT '',
    external_id    text NOT NULL DEFAULT '',
    source_id      uuid,
    cause_event_id uuid,
    granted_at     timestamptz NOT NULL,
    granted_by     text NOT NULL DEFAULT '',
    revoked        boolean NOT NULL DEFAULT false,
    revoke_reason  text NOT NULL DEFAULT '',
    revoked_at     timestamptz
);
CREATE INDEX credit_entries_teacher ON credit_entries (teacher_id, year, completed_on);

-- Credit bank requests: the teacher's list and the county's queue.
CREATE TABLE credit_bank_requests (
    request_id         uuid PRIMARY KEY,
    revision           bigint NOT NULL,
    teacher_id         uuid NOT NULL,
    county             text COLLATE "C" NOT NULL,
    kind               text NOT NULL,
    title              text NOT NULL,
    organiser          text NOT NULL,
    level              text NOT NULL,
    start_on           date NOT NULL,
    end_on             date NOT NULL,
    claimed_hours      int NOT NULL,
    evidence           jsonb NOT NULL,
    status             text NOT NULL,
    submitted_at       timestamptz NOT NULL,
    decided_at         timestamptz,
    recognised_hours   int,
    recognised_credits numeric(8,2),
    reason             text NOT NULL DEFAULT ''
);
CREATE INDEX credit_bank_queue ON credit_bank_requests (county, status, submitted_at);
CREATE INDEX credit_bank_teacher ON credit_bank_requests (teacher_id, submitted_at);

-- Ethics and annual appraisal per teacher and year.
CREATE TABLE appraisal_results (
    teacher_id       uuid NOT NULL,
    year             int NOT NULL,
    ethics_recorded  boolean NOT NULL DEFAULT false,
    ethics_passed    boolean NOT NULL DEFAULT false,
    serious_breach   boolean NOT NULL DEFAULT false,
    honors           text NOT NULL DEFAULT '',
    ethics_corrected boolean NOT NULL DEFAULT false,
    ethics_batch_id  uuid,
    annual_grade     text NOT NULL DEFAULT '',
    annual_corrected boolean NOT NULL DEFAULT false,
    annual_batch_id  uuid,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (teacher_id, year)
);
CREATE INDEX appraisal_results_year ON appraisal_results (year, teacher_id);

-- Upload batches with their row reports.
CREATE TABLE appraisal_uploads (
    batch_id    uuid PRIMARY KEY,
    kind        text NOT NULL,
    county      text COLLATE "C" NOT NULL,
    file_name   text NOT NULL,
    file_sha256 text NOT NULL,
    rows        int NOT NULL,
    accepted    int NOT NULL,
    rejected    int NOT NULL,
    errors      jsonb NOT NULL,
    uploaded_by uuid NOT NULL,
    uploader    text NOT NULL DEFAULT '',
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX appraisal_uploads_county ON appraisal_uploads (county, uploaded_at);

-- Registration status per teacher, from decision events only.
CREATE TABLE registration_status (
    teacher_id          uuid PRIMARY KEY,
    first_registered_on date,
    last_registered_on  date,
    last_outcome        text NOT NULL DEFAULT '',
    last_decided_on     date,
    last_policy_version text NOT NULL DEFAULT '',
    decisions           int NOT NULL DEFAULT 0
);
CREATE TABLE registration_decisions (
    decision_id     uuid PRIMARY KEY,
    teacher_id      uuid NOT NULL,
    county          text COLLATE "C" NOT NULL,
    kind            text NOT NULL,
    outcome         text NOT NULL,
    check_outcome   text NOT NULL DEFAULT '',
    cycle_start     date,
    cycle_end       date,
    checked_as_of   date,
    policy_version  text NOT NULL,
    policy_scope    text NOT NULL,
    reasons         jsonb NOT NULL,
    evidence_digest text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    decided_on      date NOT NULL,
    decided_by_name text NOT NULL DEFAULT '',
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX registration_decisions_teacher ON registration_decisions (teacher_id, decided_on);

-- Studios and who joined or follows them.
CREATE TABLE studios (
    studio_id       uuid PRIMARY KEY,
    name            text NOT NULL,
    host_teacher_id uuid NOT NULL,
    host_name       text NOT NULL,
    region          text COLLATE "C" NOT NULL,
    subject         text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    closed          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL
);
CREATE INDEX studios_region ON studios (region, name);
CREATE TABLE studio_memberships (
    studio_id  uuid NOT NULL,
    teacher_id uuid NOT NULL,
    member     boolean NOT NULL DEFAULT false,
    follower   boolean NOT NULL DEFAULT false,
    since      timestamptz NOT NULL,
    PRIMARY KEY (studio_id, teacher_id)
);
CREATE INDEX studio_memberships_teacher ON studio_memberships (teacher_id);

-- +goose Down
DROP TABLE studio_memberships;
DROP TABLE studios;
DROP TABLE registration_decisions;
DROP TABLE registration_status;
DROP TABLE appraisal_uploads;
DROP TABLE appraisal_results;
DROP TABLE credit_bank_requests;
DROP TABLE credit_entries;
DROP TABLE credit_teachers;
