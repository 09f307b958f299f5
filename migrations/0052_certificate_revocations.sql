-- +goose Up
-- Revoked completion certificates, so a verification with the right number
-- and code can say "revoked on ... because ..." (the enrollments table keeps
-- only the valid certificate). Part of the "enrollments" projection.
CREATE TABLE certificate_revocations (
    cert_number   text PRIMARY KEY,
    enrollment_id uuid NOT NULL
);

-- +goose Down
DROP TABLE certificate_revocations;
