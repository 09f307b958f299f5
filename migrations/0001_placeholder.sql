-- +goose Up
-- The schema starts here; later files add the event store and read models.
SELECT 1;
-- +goose Down
SELECT 1;
