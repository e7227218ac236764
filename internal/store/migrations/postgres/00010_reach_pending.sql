-- +goose Up
-- The change sequence of the reach bitmaps: services written in large batches are listed here,
-- in the transaction that writes them, instead of being merged into reach_bitmaps there.
-- analytics.Fold merges them later (the server does so in the background) and deletes their
-- rows; until then every reach count adds the people of the services listed here, so counts are
-- exact whether or not a service has been folded. A deleted service leaves the list with it.
CREATE TABLE reach_pending (
    service_id  BIGINT PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE reach_pending;
