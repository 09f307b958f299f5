-- +goose Up
-- Roster at a province's scale (issue 14): a name is searched by its
-- beginning (a surname, a whole name) as a range on this btree, in byte
-- order (COLLATE "C", the same for every server locale), one county at a
-- time; pages follow a cursor (county, name, teacher_id) instead of a deep
-- OFFSET. The trigram index served a substring search that a 1-2
-- character Chinese name cannot use (no trigram), so it is dropped.
CREATE INDEX teacher_profiles_county_name_c ON teacher_profiles (county, name COLLATE "C", teacher_id);
DROP INDEX IF EXISTS teacher_profiles_name_trgm;

-- +goose Down
CREATE INDEX teacher_profiles_name_trgm ON teacher_profiles USING gin (name gin_trgm_ops);
DROP INDEX teacher_profiles_county_name_c;
