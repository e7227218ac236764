-- +goose Up
-- Every stored bitmap carries a stamp, a random number written afresh with each new content of
-- its row. A reader that has the same row's bits under the same stamp in memory need not read
-- them again (internal/analytics/cache.go). Random, not a counter: two databases (a test's
-- copy of a template, a restored backup) can only share a stamp for a row whose content they
-- share. The volatile default gives every existing row its own stamp as the column is added.
ALTER TABLE reach_bitmaps ADD COLUMN stamp BIGINT NOT NULL DEFAULT (floor(random() * 9.2e18))::bigint;
ALTER TABLE reach_people ADD COLUMN stamp BIGINT NOT NULL DEFAULT (floor(random() * 9.2e18))::bigint;

-- +goose Down
ALTER TABLE reach_people DROP COLUMN stamp;
ALTER TABLE reach_bitmaps DROP COLUMN stamp;
