-- +goose Up
-- The progress table reads a unit's targets for a period, and its children's: an index leading
-- with the unit serves both (the unique key leads with the indicator).
CREATE INDEX targets_unit ON targets(unit_id, period);

-- +goose Down
DROP INDEX targets_unit;
