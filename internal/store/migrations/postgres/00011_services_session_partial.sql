-- +goose Up
-- Most services belong to no class session. Indexing only those that do keeps the index small
-- and spares every other service write an index entry; lookups by session (session_id = x)
-- still use it.
DROP INDEX services_session;
CREATE INDEX services_session ON services(session_id) WHERE session_id IS NOT NULL;

-- +goose Down
DROP INDEX services_session;
CREATE INDEX services_session ON services(session_id);
