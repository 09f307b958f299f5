-- +goose Up
-- Hours and credits are exact decimals (domain/credit.Quantity): one decimal
-- place on input, up to three in old stored credits. Read models only; a
-- rebuild refills them from the events.
ALTER TABLE credit_entries
    ALTER COLUMN hours TYPE numeric(12,3),
    ALTER COLUMN credits TYPE numeric(12,3);
ALTER TABLE credit_bank_requests
    ALTER COLUMN claimed_hours TYPE numeric(12,3),
    ALTER COLUMN recognised_hours TYPE numeric(12,3),
    ALTER COLUMN recognised_credits TYPE numeric(12,3);

-- +goose Down
ALTER TABLE credit_bank_requests
    ALTER COLUMN recognised_credits TYPE numeric(8,2),
    ALTER COLUMN recognised_hours TYPE int USING trunc(recognised_hours),
    ALTER COLUMN claimed_hours TYPE int USING trunc(claimed_hours);
ALTER TABLE credit_entries
    ALTER COLUMN credits TYPE numeric(8,2),
    ALTER COLUMN hours TYPE int USING trunc(hours);
