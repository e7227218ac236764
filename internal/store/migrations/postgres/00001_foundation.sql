-- +goose Up
CREATE TABLE org_units (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    level       SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    parent_id   BIGINT REFERENCES org_units(id),
    path        TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '',
    opened_on   TEXT NOT NULL,
    closed_on   TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);
CREATE INDEX org_units_path ON org_units(path text_pattern_ops);

-- Every state a unit has been in, for "as of date D" views. valid_to is exclusive.
CREATE TABLE org_unit_versions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    code        TEXT NOT NULL,
    level       SMALLINT NOT NULL,
    parent_id   BIGINT REFERENCES org_units(id),
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '',
    closed      BOOLEAN NOT NULL DEFAULT FALSE,
    change      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX org_unit_versions_unit ON org_unit_versions(unit_id, valid_from);
CREATE INDEX org_unit_versions_span ON org_unit_versions(valid_from, valid_to);

CREATE TABLE partners (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    type        TEXT NOT NULL,
    sector      TEXT NOT NULL DEFAULT '',
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX partners_unit ON partners(unit_id);

CREATE TABLE committees (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         BIGINT NOT NULL REFERENCES org_units(id),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    established_on  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX committees_unit ON committees(unit_id);

CREATE TABLE committee_members (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    committee_id  BIGINT NOT NULL REFERENCES committees(id),
    person_name   TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    partner_id    BIGINT REFERENCES partners(id),
    role          TEXT NOT NULL,
    since         TEXT NOT NULL,
    until         TEXT
);
CREATE INDEX committee_members_committee ON committee_members(committee_id);

CREATE TABLE committee_meetings (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    committee_id  BIGINT NOT NULL REFERENCES committees(id),
    held_on       TEXT NOT NULL,
    location      TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX committee_meetings_committee ON committee_meetings(committee_id, held_on);

CREATE TABLE meeting_attendance (
    meeting_id  BIGINT NOT NULL REFERENCES committee_meetings(id),
    member_id   BIGINT NOT NULL REFERENCES committee_members(id),
    present     BOOLEAN NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE meeting_decisions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id   BIGINT NOT NULL REFERENCES committee_meetings(id),
    text         TEXT NOT NULL,
    responsible  TEXT NOT NULL DEFAULT '',
    due_on       TEXT
);

CREATE TABLE project_offices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    kind        TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff_positions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    office_id   BIGINT NOT NULL REFERENCES project_offices(id),
    title       TEXT NOT NULL,
    holder      TEXT NOT NULL,
    funded_by   TEXT NOT NULL DEFAULT '',
    start_on    TEXT NOT NULL,
    end_on      TEXT,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_positions_office ON staff_positions(office_id, title, start_on);

CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id      TEXT NOT NULL UNIQUE,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    unit_id        BIGINT NOT NULL REFERENCES org_units(id),
    partner_id     BIGINT REFERENCES partners(id),
    lang           TEXT NOT NULL DEFAULT '',
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TIMESTAMPTZ,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token   TEXT PRIMARY KEY,
    data    BYTEA NOT NULL,
    expiry  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

-- Actors are named by users.public_id only, so erasing a person never rewrites the log.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  BIGINT NOT NULL,
    unit_id    BIGINT,
    before     JSONB,
    after      JSONB
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE staff_positions;
DROP TABLE project_offices;
DROP TABLE meeting_decisions;
DROP TABLE meeting_attendance;
DROP TABLE committee_meetings;
DROP TABLE committee_members;
DROP TABLE committees;
DROP TABLE partners;
DROP TABLE org_unit_versions;
DROP TABLE org_units;
