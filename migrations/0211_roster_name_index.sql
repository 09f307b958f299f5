-- +goose Up
-- A name searched in the whole province: one range in name order over
-- every county (projections/teacher_roster.go), the county in the index so
-- the scan needs no heap visit for it.
CREATE INDEX teacher_profiles_name_c ON teacher_profiles (name COLLATE "C", teacher_id) INCLUDE (county);

-- +goose Down
DROP INDEX teacher_profiles_name_c;
