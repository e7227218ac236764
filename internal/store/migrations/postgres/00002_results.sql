-- +goose Up
-- A logical framework. Editing an approved framework creates the next version (same code,
-- version + 1); values keep the id of the version they were entered under.
CREATE TABLE frameworks (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES org_units(id),
    parent_code  TEXT NOT NULL DEFAULT '',
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    status       TEXT NOT NULL,
    approved_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (code, version)
);

-- development objective → immediate objectives → outputs → activities
CREATE TABLE framework_elements (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    framework_id  BIGINT NOT NULL REFERENCES frameworks(id),
    parent_code   TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    code          TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    links_to      TEXT NOT NULL DEFAULT '',
    position      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (framework_id, code)
);

CREATE TABLE category_sets (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    name_zh  TEXT NOT NULL,
    name_en  TEXT NOT NULL
);

CREATE TABLE categories (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    set_id    BIGINT NOT NULL REFERENCES category_sets(id),
    code      TEXT NOT NULL,
    name_zh   TEXT NOT NULL,
    name_en   TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    retired   BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (set_id, code)
);

-- Indicators belong to a framework lineage (its code) and sit on an element by code, so they
-- carry over from version to version.
CREATE TABLE indicators (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    framework_code   TEXT NOT NULL,
    element_code     TEXT NOT NULL,
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    definition       TEXT NOT NULL DEFAULT '',
    type             TEXT NOT NULL,
    unit_label       TEXT NOT NULL DEFAULT '',
    direction        TEXT NOT NULL DEFAULT 'up',
    aggregation      TEXT NOT NULL,
    formula          TEXT NOT NULL DEFAULT '',
    category_sets    TEXT NOT NULL DEFAULT '',
    baseline_value   DOUBLE PRECISION,
    baseline_date    TEXT NOT NULL DEFAULT '',
    baseline_source  TEXT NOT NULL DEFAULT '',
    data_source      TEXT NOT NULL DEFAULT '',
    frequency        TEXT NOT NULL DEFAULT 'month',
    position         INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- Targets per indicator, unit and period ("LOP" = life of project).
CREATE TABLE targets (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    period        TEXT NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    UNIQUE (indicator_id, unit_id, period)
);

-- One value per indicator × unit × period × disaggregation combination ('' = the total).
CREATE TABLE data_values (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    indicator_id       BIGINT NOT NULL REFERENCES indicators(id),
    unit_id            BIGINT NOT NULL REFERENCES org_units(id),
    period             TEXT NOT NULL,
    period_start       TEXT NOT NULL,
    period_end         TEXT NOT NULL,
    combo              TEXT NOT NULL DEFAULT '',
    value              DOUBLE PRECISION,
    numerator          DOUBLE PRECISION,
    denominator        DOUBLE PRECISION,
    text_value         TEXT NOT NULL DEFAULT '',
    comment            TEXT NOT NULL DEFAULT '',
    source             TEXT NOT NULL,
    source_ref         TEXT NOT NULL DEFAULT '',
    framework_id       BIGINT REFERENCES frameworks(id),
    legacy             BOOLEAN NOT NULL DEFAULT FALSE,
    entered_by         TEXT NOT NULL,
    entered_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (indicator_id, unit_id, period, combo)
);
CREATE INDEX data_values_unit ON data_values(unit_id, indicator_id, period_start);
CREATE INDEX data_values_indicator ON data_values(indicator_id, period_start);

-- +goose Down
DROP TABLE data_values;
DROP TABLE targets;
DROP TABLE indicators;
DROP TABLE categories;
DROP TABLE category_sets;
DROP TABLE framework_elements;
DROP TABLE frameworks;
