-- +goose Up
-- Every stored bitmap carries a stamp, a random number written afresh with each new content of
-- its row. A reader that has the same row's bits under the same stamp in memory need not read
-- them again (internal/analytics/cache.go). Random, not a counter: two databases (a test's
-- copy, a restored backup) can only share a stamp for a row whose content they share.
-- The tables are made again so the stamp sits before the bits: SQLite reads a row's columns in
-- order, and a large bitmap runs into overflow pages that reading the stamp then never touches.
CREATE TABLE reach_bitmaps_new (
    unit_id       BIGINT NOT NULL,
    period        TEXT NOT NULL,
    service_type  TEXT NOT NULL,
    shard         INTEGER NOT NULL,
    people        BIGINT NOT NULL,
    stamp         BIGINT NOT NULL DEFAULT (random()),
    bits          BLOB NOT NULL,
    PRIMARY KEY (unit_id, period, service_type, shard)
);
INSERT INTO reach_bitmaps_new (unit_id, period, service_type, shard, people, stamp, bits)
    SELECT unit_id, period, service_type, shard, people, random(), bits FROM reach_bitmaps;
DROP TABLE reach_bitmaps;
ALTER TABLE reach_bitmaps_new RENAME TO reach_bitmaps;

CREATE TABLE reach_people_new (
    attr   TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    stamp  BIGINT NOT NULL DEFAULT (random()),
    bits   BLOB NOT NULL,
    PRIMARY KEY (attr, shard)
);
INSERT INTO reach_people_new (attr, shard, stamp, bits) SELECT attr, shard, random(), bits FROM reach_people;
DROP TABLE reach_people;
ALTER TABLE reach_people_new RENAME TO reach_people;

-- An update that leaves the stamp as it was (a process older than the stamps, a hand-written
-- statement) still gives the row a new one, so no reader keeps serving its old content. Ting's
-- own writes set a new stamp, so the condition is false for them.
-- +goose StatementBegin
CREATE TRIGGER reach_bitmaps_stamp AFTER UPDATE ON reach_bitmaps FOR EACH ROW WHEN NEW.stamp = OLD.stamp
BEGIN
    UPDATE reach_bitmaps SET stamp = random() WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER reach_people_stamp AFTER UPDATE ON reach_people FOR EACH ROW WHEN NEW.stamp = OLD.stamp
BEGIN
    UPDATE reach_people SET stamp = random() WHERE rowid = NEW.rowid;
END;
-- +goose StatementEnd

-- +goose Down
CREATE TABLE reach_bitmaps_old (
    unit_id       BIGINT NOT NULL,
    period        TEXT NOT NULL,
    service_type  TEXT NOT NULL,
    shard         INTEGER NOT NULL,
    people        BIGINT NOT NULL,
    bits          BLOB NOT NULL,
    PRIMARY KEY (unit_id, period, service_type, shard)
);
INSERT INTO reach_bitmaps_old SELECT unit_id, period, service_type, shard, people, bits FROM reach_bitmaps;
DROP TABLE reach_bitmaps;
ALTER TABLE reach_bitmaps_old RENAME TO reach_bitmaps;
CREATE TABLE reach_people_old (
    attr   TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    bits   BLOB NOT NULL,
    PRIMARY KEY (attr, shard)
);
INSERT INTO reach_people_old SELECT attr, shard, bits FROM reach_people;
DROP TABLE reach_people;
ALTER TABLE reach_people_old RENAME TO reach_people;
