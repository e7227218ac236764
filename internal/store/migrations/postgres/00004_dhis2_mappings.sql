-- +goose Up
-- Ting codes ↔ DHIS2 uids, per kind: unit (orgUnit), indicator (dataElement), combo
-- (categoryOptionCombo; Ting's normalised "set:category" combination, '' for the total).
CREATE TABLE dhis2_mappings (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT NOT NULL,
    ting_code  TEXT NOT NULL,
    dhis2_uid  TEXT NOT NULL,
    UNIQUE (kind, ting_code),
    UNIQUE (kind, dhis2_uid)
);

-- +goose Down
DROP TABLE dhis2_mappings;
