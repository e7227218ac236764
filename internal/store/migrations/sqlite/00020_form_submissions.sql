-- +goose Up
-- Every form a signed-in page shows carries a key of its own rendering. The first sending of a
-- key claims it here (location empty while it runs) and, when it succeeds, records where it
-- led; a second sending of the same key (the retry of a user whose connection dropped before
-- the answer came) is led there too instead of being done again. An API client's POST with an
-- Idempotency-Key is kept the same way, with a hash of its body (request) and its answer
-- (status, type, body) to give again; an answer marked no-store (personal data) is never kept.
-- Keys older than a week go.
CREATE TABLE form_submissions (
    submit_key  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    path        TEXT NOT NULL DEFAULT '',
    request     TEXT NOT NULL DEFAULT '',
    location    TEXT NOT NULL DEFAULT '',
    status      INTEGER NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL DEFAULT '',
    body        BLOB,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX form_submissions_created ON form_submissions(created_at);

-- +goose Down
DROP TABLE form_submissions;
