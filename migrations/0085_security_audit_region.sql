-- +goose Up
-- The region a security-audit entry belongs to (the account's jurisdiction,
-- or a teacher's county), so an auditor of a county sees that county's
-- entries only. '' for entries that name no known account (a failed login
-- with an unknown name): only auditors of the province see those.
ALTER TABLE security_audit ADD COLUMN region text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX security_audit_region ON security_audit (region, at);

-- +goose Down
DROP INDEX security_audit_region;
ALTER TABLE security_audit DROP COLUMN region;
