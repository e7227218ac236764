-- +goose Up
-- Derived aggregates of data_values: for every unit, the values of its whole subtree (itself
-- included) summed per indicator × period × combination. Maintained in the transaction that
-- writes a value, rebuilt and verified by `ting analytics rebuild --verify`. Legacy values are
-- left out, as they are from every total.
CREATE TABLE value_rollups (
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    combo         TEXT NOT NULL,
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    period        TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    n             BIGINT NOT NULL,  -- values counted
    n_value       BIGINT NOT NULL,  -- of which with a value
    sum_value     DOUBLE PRECISION NOT NULL,
    n_num         BIGINT NOT NULL,  -- with a numerator
    sum_num       DOUBLE PRECISION NOT NULL,
    n_den         BIGINT NOT NULL,  -- with a denominator
    sum_den       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (unit_id, combo, indicator_id, period)
);
CREATE INDEX value_rollups_indicator ON value_rollups(indicator_id, combo, unit_id);

-- A period locked for a unit's subtree: no value may be entered, changed or deleted in it.
CREATE TABLE period_locks (
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    period        TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    locked_by     TEXT NOT NULL,
    locked_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, period)
);

-- +goose Down
DROP TABLE period_locks;
DROP TABLE value_rollups;
