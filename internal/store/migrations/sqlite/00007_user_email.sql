-- +goose Up
-- The address reminders (late reports, reports waiting on review or approval) are e-mailed to;
-- empty when the user has given none.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN email;
