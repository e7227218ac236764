-- +goose Up
-- Beneficiary cards and what is done with them: one card per assisted person, numbered
-- pseudonymously by the registering site; protected personal fields sealed by the application
-- (internal/seal) under a key that is never in the database, found by blind index only; consent
-- per purpose; services (singly or as class sessions from an attendance list); referrals between
-- sites and partners; participatory feedback; baseline and end measurements on instruments
-- defined as data; a log of every read of a protected field. reach_bitmaps and reach_people are
-- derived (internal/analytics) and rebuilt by `ting analytics rebuild`.
CREATE TABLE cards (
    id               INTEGER PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    site_id          BIGINT NOT NULL REFERENCES org_units(id),
    province_id      BIGINT NOT NULL REFERENCES org_units(id),
    sex              TEXT NOT NULL,
    birth_date       TEXT NOT NULL,
    birth_year       INTEGER NOT NULL,
    ethnicity        TEXT NOT NULL,
    groups           TEXT NOT NULL,
    home_unit_id     BIGINT REFERENCES org_units(id),
    current_unit_id  BIGINT REFERENCES org_units(id),
    status           TEXT NOT NULL,
    name_sealed      BLOB,
    id_number_sealed BLOB,
    phone_sealed     BLOB,
    address_sealed   BLOB,
    guardian_sealed  BLOB,
    dup_key          TEXT NOT NULL,
    merged_into      BIGINT REFERENCES cards(id),
    anonymised_on    TEXT NOT NULL,
    last_active      TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX cards_site ON cards(site_id);
CREATE INDEX cards_current ON cards(current_unit_id);
CREATE INDEX cards_dup ON cards(dup_key);
CREATE INDEX cards_active ON cards(last_active);

-- The next sequence number of each site's cards.
CREATE TABLE card_sequences (
    site_id  BIGINT PRIMARY KEY REFERENCES org_units(id),
    next     BIGINT NOT NULL
);

CREATE TABLE card_consents (
    id           INTEGER PRIMARY KEY,
    card_id      BIGINT NOT NULL REFERENCES cards(id),
    purpose      TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    giver_sealed BLOB,
    given_on     TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX card_consents_card ON card_consents(card_id);

-- A class session entered from its attendance list; its attendees' services point to it.
CREATE TABLE service_sessions (
    id          INTEGER PRIMARY KEY,
    site_id     BIGINT NOT NULL REFERENCES org_units(id),
    type        TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    title       TEXT NOT NULL,
    provider    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX service_sessions_site ON service_sessions(site_id, held_on);

CREATE TABLE services (
    id          INTEGER PRIMARY KEY,
    card_id     BIGINT NOT NULL REFERENCES cards(id),
    site_id     BIGINT NOT NULL REFERENCES org_units(id),
    type        TEXT NOT NULL,
    served_on   TEXT NOT NULL,
    provider    TEXT NOT NULL,
    partner_id  BIGINT REFERENCES partners(id),
    session_id  BIGINT REFERENCES service_sessions(id),
    note        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX services_card ON services(card_id);
CREATE INDEX services_site ON services(site_id, served_on);
CREATE INDEX services_session ON services(session_id);
CREATE INDEX services_served ON services(served_on);

CREATE TABLE referrals (
    id               INTEGER PRIMARY KEY,
    card_id          BIGINT NOT NULL REFERENCES cards(id),
    from_unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    to_unit_id       BIGINT REFERENCES org_units(id),
    to_partner_id    BIGINT REFERENCES partners(id),
    service_type     TEXT NOT NULL,
    reason           TEXT NOT NULL,
    status           TEXT NOT NULL,
    consent_override BOOLEAN NOT NULL,
    override_reason  TEXT NOT NULL,
    response         TEXT NOT NULL,
    sent_on          TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX referrals_card ON referrals(card_id);
CREATE INDEX referrals_from ON referrals(from_unit_id);
CREATE INDEX referrals_to ON referrals(to_unit_id);

CREATE TABLE feedback (
    id            INTEGER PRIMARY KEY,
    site_id       BIGINT NOT NULL REFERENCES org_units(id),
    service_type  TEXT NOT NULL,
    card_id       BIGINT REFERENCES cards(id),
    given_on      TEXT NOT NULL,
    rating        INTEGER NOT NULL,
    comment       TEXT NOT NULL,
    action        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX feedback_site ON feedback(site_id, given_on);

CREATE TABLE instruments (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    questions  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE measurements (
    id            INTEGER PRIMARY KEY,
    card_id       BIGINT NOT NULL REFERENCES cards(id),
    instrument_id BIGINT NOT NULL REFERENCES instruments(id),
    kind          TEXT NOT NULL,
    taken_on      TEXT NOT NULL,
    answers       TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (card_id, instrument_id, kind)
);

-- Every read of a protected field: who, which card, which fields, when and why.
CREATE TABLE card_access_log (
    id        INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL,
    actor     TEXT NOT NULL,
    username  TEXT NOT NULL,
    card_id   BIGINT NOT NULL,
    fields    TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX card_access_log_card ON card_access_log(card_id, at);
CREATE INDEX card_access_log_at ON card_access_log(at);

-- Derived: the people (card ids, split into shards of 2^20) served in a unit's subtree in a
-- period ('2011-03' or '2011') by service type ('' for any), for units down to the county.
CREATE TABLE reach_bitmaps (
    unit_id       BIGINT NOT NULL,
    period        TEXT NOT NULL,
    service_type  TEXT NOT NULL,
    shard         INTEGER NOT NULL,
    people        BIGINT NOT NULL,
    bits          BLOB NOT NULL,
    PRIMARY KEY (unit_id, period, service_type, shard)
);

-- Derived: the people with an attribute ('sex:F', 'born:1996', 'group:left_behind').
CREATE TABLE reach_people (
    attr   TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    bits   BLOB NOT NULL,
    PRIMARY KEY (attr, shard)
);

-- +goose Down
DROP TABLE reach_people;
DROP TABLE reach_bitmaps;
DROP TABLE card_access_log;
DROP TABLE measurements;
DROP TABLE instruments;
DROP TABLE feedback;
DROP TABLE referrals;
DROP TABLE services;
DROP TABLE service_sessions;
DROP TABLE card_consents;
DROP TABLE card_sequences;
DROP TABLE cards;
