-- +goose Up
-- A teacher transferred out of the province (teacher.transferred_out): the
-- county outside Hebei the record went to; '' while the teacher is in Hebei.
-- The roster and the profile show 已调出本省 from it.
ALTER TABLE teacher_profiles ADD COLUMN transferred_out_to text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE teacher_profiles DROP COLUMN transferred_out_to;
