-- +goose Up
-- Work plans per province and year; intervention plans under them in one of six agreement
-- formats; the reports their schedule owes and the workflow those go through; the tranches paid
-- on approved reports and the ledger of what was paid; counterparts' in-kind contributions.
-- Money is BIGINT hundredths (fen, cents), never floating point.
CREATE TABLE work_plans (
    id          INTEGER PRIMARY KEY,
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    year        INTEGER NOT NULL,
    title_zh    TEXT NOT NULL,
    title_en    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (unit_id, year)
);

CREATE TABLE interventions (
    id             INTEGER PRIMARY KEY,
    work_plan_id   BIGINT NOT NULL REFERENCES work_plans(id),
    code           TEXT NOT NULL UNIQUE,
    format         TEXT NOT NULL,
    title_zh       TEXT NOT NULL,
    title_en       TEXT NOT NULL,
    agency_id      BIGINT NOT NULL REFERENCES partners(id),
    start_on       TEXT NOT NULL,
    end_on         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    budget         BIGINT NOT NULL,
    advance_share  INTEGER NOT NULL,
    grace_days     INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX interventions_plan ON interventions(work_plan_id);
CREATE INDEX interventions_agency ON interventions(agency_id);

CREATE TABLE intervention_locations (
    intervention_id  BIGINT NOT NULL REFERENCES interventions(id),
    unit_id          BIGINT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (intervention_id, unit_id)
);

CREATE TABLE budget_lines (
    id               INTEGER PRIMARY KEY,
    intervention_id  BIGINT NOT NULL REFERENCES interventions(id),
    position         INTEGER NOT NULL,
    item             TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    UNIQUE (intervention_id, item)
);

-- The framework indicators an intervention contributes to, with its own target.
CREATE TABLE intervention_indicators (
    intervention_id  BIGINT NOT NULL REFERENCES interventions(id),
    indicator_id     BIGINT NOT NULL REFERENCES indicators(id),
    target           REAL,
    PRIMARY KEY (intervention_id, indicator_id)
);

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    intervention_id  BIGINT NOT NULL REFERENCES interventions(id),
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    period_start     TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    due_on           TEXT NOT NULL,
    grace_until      TEXT NOT NULL,
    status           TEXT NOT NULL,
    progress         TEXT NOT NULL DEFAULT '',
    challenges       TEXT NOT NULL DEFAULT '',
    lessons          TEXT NOT NULL DEFAULT '',
    practices        TEXT NOT NULL DEFAULT '',
    first_submitted_on TEXT NOT NULL DEFAULT '',
    submitted_on     TEXT NOT NULL DEFAULT '',
    approved_on      TEXT NOT NULL DEFAULT '',
    submit_key       TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL DEFAULT 1,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (intervention_id, seq)
);
CREATE INDEX reports_status ON reports(status, grace_until);

-- Every transition of a report, with its comment: a returned report keeps its history.
CREATE TABLE report_events (
    id          INTEGER PRIMARY KEY,
    report_id   BIGINT NOT NULL REFERENCES reports(id),
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX report_events_report ON report_events(report_id, id);

CREATE TABLE report_expenditures (
    report_id       BIGINT NOT NULL REFERENCES reports(id),
    budget_line_id  BIGINT NOT NULL REFERENCES budget_lines(id),
    amount          BIGINT NOT NULL,
    PRIMARY KEY (report_id, budget_line_id)
);

-- Indicator values reported; they become results values (source "report") when approved.
CREATE TABLE report_values (
    report_id     BIGINT NOT NULL REFERENCES reports(id),
    indicator_id  BIGINT NOT NULL REFERENCES indicators(id),
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    combo         TEXT NOT NULL DEFAULT '',
    value         REAL NOT NULL,
    PRIMARY KEY (report_id, indicator_id, unit_id, combo)
);

CREATE TABLE report_attachments (
    id            INTEGER PRIMARY KEY,
    report_id     BIGINT NOT NULL REFERENCES reports(id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE tranches (
    id               INTEGER PRIMARY KEY,
    intervention_id  BIGINT NOT NULL REFERENCES interventions(id),
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    report_seq       INTEGER NOT NULL,
    due_on           TEXT NOT NULL,
    grace_until      TEXT NOT NULL DEFAULT '',
    UNIQUE (intervention_id, seq)
);

-- The disbursement ledger: one row per release; a tranche is released at most once.
CREATE TABLE disbursements (
    id           INTEGER PRIMARY KEY,
    tranche_id   BIGINT NOT NULL UNIQUE REFERENCES tranches(id),
    amount       BIGINT NOT NULL,
    released_on  TEXT NOT NULL,
    reference    TEXT NOT NULL DEFAULT '',
    released_by  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE exchange_rates (
    currency  TEXT NOT NULL,
    on_date   TEXT NOT NULL,
    per_usd   TEXT NOT NULL,
    PRIMARY KEY (currency, on_date)
);

-- Counterpart in-kind contributions (Annex A): a unit's contribution in a category for a period,
-- in RMB hundredths; the contributor level follows from the unit's level.
CREATE TABLE contributions (
    id            INTEGER PRIMARY KEY,
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    category      TEXT NOT NULL,
    level         TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    source_ref    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (unit_id, category, level, period_start, period_end)
);

-- In-app notifications (late reports, reports to review); e-mailed too when SMTP is configured.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    report_id   BIGINT REFERENCES reports(id),
    day         TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    emailed     BOOLEAN NOT NULL DEFAULT FALSE,
    read_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (user_id, kind, report_id, day)
);

-- +goose Down
DROP TABLE notifications;
DROP TABLE contributions;
DROP TABLE exchange_rates;
DROP TABLE disbursements;
DROP TABLE tranches;
DROP TABLE report_attachments;
DROP TABLE report_values;
DROP TABLE report_expenditures;
DROP TABLE report_events;
DROP TABLE reports;
DROP TABLE intervention_indicators;
DROP TABLE budget_lines;
DROP TABLE intervention_locations;
DROP TABLE interventions;
DROP TABLE work_plans;
