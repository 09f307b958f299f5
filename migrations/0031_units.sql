-- +goose Up
-- Schools (package projections, unit*.go). A school's area and category
-- live here only, and teacher queries join them, so they are the same for
-- every teacher of the school. Disposable like every read model: times come
-- from the events.
CREATE TABLE units (
    unit_id        uuid PRIMARY KEY,
    revision       bigint NOT NULL,
    name           text NOT NULL,
    county         text COLLATE "C" NOT NULL,
    city           text COLLATE "C" NOT NULL,
    area_code      text NOT NULL,
    area_label     text NOT NULL,
    category_code  text NOT NULL,
    category_label text NOT NULL,
    stage          text NOT NULL DEFAULT '',
    stage_label    text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX units_county_name ON units (county, name, unit_id);
CREATE INDEX units_name_trgm ON units USING gin (name gin_trgm_ops);

-- +goose Down
DROP TABLE units;
