-- +goose Up
-- Training projects and the enrollment pipeline (package projections,
-- enrollment*.go). Disposable read models: rebuilt from the feed; times come
-- from the events.
CREATE TABLE projects (
    project_id   uuid PRIMARY KEY,
    revision     bigint NOT NULL,
    name         text NOT NULL,
    year         integer NOT NULL,
    kind         text NOT NULL,
    category     integer NOT NULL,
    mode         integer NOT NULL,
    owner        text COLLATE "C" NOT NULL,
    status       text NOT NULL,
    start_date   date NOT NULL,
    end_date     date NOT NULL,
    hours        integer NOT NULL,
    credits      double precision NOT NULL,
    remote_url   text NOT NULL DEFAULT '',
    policy       jsonb NOT NULL,
    institutions jsonb NOT NULL DEFAULT '[]',
    classes      jsonb NOT NULL DEFAULT '[]',
    quotas       jsonb NOT NULL DEFAULT '{}',
    cancel_reason text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX projects_owner ON projects (owner, year DESC);
CREATE INDEX projects_institutions ON projects USING gin (institutions jsonb_path_ops);

-- One row per enrollment (teacher x project), its current stage and the
-- pipeline steps (who, when, why) as the personal space shows them.
CREATE TABLE enrollments (
    enrollment_id    uuid PRIMARY KEY,
    revision         bigint NOT NULL,
    project_id       uuid NOT NULL,
    teacher_id       uuid NOT NULL,
    county           text COLLATE "C" NOT NULL,
    owner            text COLLATE "C" NOT NULL,
    city_review      boolean NOT NULL,
    attempt          integer NOT NULL,
    stage            text NOT NULL,
    status           text NOT NULL,
    reason           text NOT NULL DEFAULT '',
    institution_id   uuid,
    institution_name text NOT NULL DEFAULT '',
    class_id         uuid,
    class_name       text NOT NULL DEFAULT '',
    notice           jsonb,
    online_percent   double precision NOT NULL DEFAULT 0,
    sessions_attended integer NOT NULL DEFAULT 0,
    sessions_total   integer NOT NULL DEFAULT 0,
    offline_score    double precision,
    online_score     double precision,
    total_score      double precision,
    passed           boolean,
    -- ever approved in this attempt: statistics count approvals even after
    -- the trainee moved on through the pipeline
    approved         boolean NOT NULL DEFAULT false,
    hours_granted    integer NOT NULL DEFAULT 0,
    credits_granted  double precision NOT NULL DEFAULT 0,
    cert_number      text COLLATE "C",
    cert_code        text COLLATE "C",
    cert_issued_at   timestamptz,
    steps            jsonb NOT NULL DEFAULT '[]',
    nominated_at     timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX enrollments_teacher ON enrollments (teacher_id, nominated_at DESC);
CREATE INDEX enrollments_project_county ON enrollments (project_id, county);
CREATE INDEX enrollments_class ON enrollments (institution_id, project_id, class_id);
CREATE INDEX enrollments_queue ON enrollments (stage, county);
CREATE UNIQUE INDEX enrollments_cert ON enrollments (cert_number) WHERE cert_number IS NOT NULL;

-- What rosters and queues show of a teacher: the name, the masked ID
-- number, the county and school.
CREATE TABLE enrollment_teachers (
    teacher_id  uuid PRIMARY KEY,
    revision    bigint NOT NULL,
    name        text NOT NULL,
    id_masked   text NOT NULL,
    county      text COLLATE "C" NOT NULL,
    unit_name   text NOT NULL DEFAULT ''
);

-- The register of training institutions.
CREATE TABLE institutions (
    institution_id uuid PRIMARY KEY,
    revision       bigint NOT NULL,
    name           text NOT NULL,
    code           text NOT NULL,
    contact        text NOT NULL,
    created_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE institutions;
DROP TABLE enrollment_teachers;
DROP TABLE enrollments;
DROP TABLE projects;
