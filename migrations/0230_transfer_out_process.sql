-- +goose Up
-- The transfer-out process (commands/transfer_out_process.go) keeps, in
-- feed order with its own checkpoint, which enrollments each teacher has
-- and which teachers were transferred out of the province, so it withdraws
-- the open enrollments of a teacher transferred out without reading a read
-- model that may lag behind it.
CREATE TABLE transfer_out_enrollments (
    teacher_id    uuid NOT NULL,
    enrollment_id uuid NOT NULL,
    project_id    uuid NOT NULL,
    PRIMARY KEY (teacher_id, enrollment_id)
);

CREATE TABLE transfer_out_teachers (
    teacher_id uuid PRIMARY KEY
);

-- +goose Down
DROP TABLE transfer_out_teachers;
DROP TABLE transfer_out_enrollments;
