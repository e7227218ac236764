-- +goose Up
-- A pending service is listed with what its reach needs (who, where, when, what), copied from
-- the service as it is written. Counts and folds then read only this short list and the units,
-- never the services table: at 100 million services, reading 100,000 pending services back by
-- id took seconds of random reads. The copy stays true: a service's card, site, date and type
-- are never changed in place except by a merge, which takes the merged card's services off the
-- list first (analytics.Unlist); a deleted service still leaves the list with it.
CREATE TABLE reach_pending_new (
    service_id  BIGINT PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE,
    card_id     BIGINT NOT NULL,
    site_id     BIGINT NOT NULL,
    served_on   TEXT NOT NULL,
    type        TEXT NOT NULL
);
INSERT INTO reach_pending_new (service_id, card_id, site_id, served_on, type)
    SELECT s.id, s.card_id, s.site_id, s.served_on, s.type FROM reach_pending p JOIN services s ON s.id = p.service_id;
DROP TABLE reach_pending;
ALTER TABLE reach_pending_new RENAME TO reach_pending;

-- +goose Down
CREATE TABLE reach_pending_old (
    service_id  BIGINT PRIMARY KEY REFERENCES services(id) ON DELETE CASCADE
);
INSERT INTO reach_pending_old (service_id) SELECT service_id FROM reach_pending;
DROP TABLE reach_pending;
ALTER TABLE reach_pending_old RENAME TO reach_pending;
