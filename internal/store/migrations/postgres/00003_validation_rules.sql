-- +goose Up
-- Validation rules are data: an expression over indicator values, checked when values are
-- entered (severity error refuses the entry, warning lets it through) and on the data-quality page.
CREATE TABLE validation_rules (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    framework_code  TEXT NOT NULL,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    expression      TEXT NOT NULL,
    severity        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE validation_rules;
