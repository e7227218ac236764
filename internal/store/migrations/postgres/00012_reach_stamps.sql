-- +goose Up
-- Every stored bitmap carries a stamp, a random number written afresh with each new content of
-- its row. A reader that has the same row's bits under the same stamp in memory need not read
-- them again (internal/analytics/cache.go). Random, not a counter: two databases (a test's
-- copy of a template, a restored backup) can only share a stamp for a row whose content they
-- share. The volatile default gives every existing row its own stamp as the column is added.
ALTER TABLE reach_bitmaps ADD COLUMN stamp BIGINT NOT NULL DEFAULT (floor(random() * 9.2e18))::bigint;
ALTER TABLE reach_people ADD COLUMN stamp BIGINT NOT NULL DEFAULT (floor(random() * 9.2e18))::bigint;

-- An update that leaves the stamp as it was (a process older than the stamps, a hand-written
-- statement) still gives the row a new one, so no reader keeps serving its old content. Ting's
-- own writes set a new stamp, so the condition is false for them and the function never runs.
-- +goose StatementBegin
CREATE FUNCTION reach_new_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stamp := (floor(random() * 9.2e18))::bigint;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER reach_bitmaps_stamp BEFORE UPDATE ON reach_bitmaps
    FOR EACH ROW WHEN (NEW.stamp = OLD.stamp) EXECUTE FUNCTION reach_new_stamp();
CREATE TRIGGER reach_people_stamp BEFORE UPDATE ON reach_people
    FOR EACH ROW WHEN (NEW.stamp = OLD.stamp) EXECUTE FUNCTION reach_new_stamp();

-- +goose Down
DROP TRIGGER reach_people_stamp ON reach_people;
DROP TRIGGER reach_bitmaps_stamp ON reach_bitmaps;
DROP FUNCTION reach_new_stamp();
ALTER TABLE reach_people DROP COLUMN stamp;
ALTER TABLE reach_bitmaps DROP COLUMN stamp;
