-- +goose Up
-- A pending service is listed with what its reach needs (who, where, when, what), copied from
-- the service as it is written. Counts and folds then read only this short list and the units,
-- never the services table: at 100 million services, reading 100,000 pending services back by
-- id took seconds of random reads. The copy stays true: a service's card, site, date and type
-- are never changed in place except by a merge, which takes the merged card's services off the
-- list first (analytics.Unlist); a deleted service still leaves the list with it.
ALTER TABLE reach_pending ADD COLUMN card_id BIGINT, ADD COLUMN site_id BIGINT, ADD COLUMN served_on TEXT, ADD COLUMN type TEXT;
UPDATE reach_pending p SET card_id = s.card_id, site_id = s.site_id, served_on = s.served_on, type = s.type
    FROM services s WHERE s.id = p.service_id;
ALTER TABLE reach_pending ALTER COLUMN card_id SET NOT NULL, ALTER COLUMN site_id SET NOT NULL,
    ALTER COLUMN served_on SET NOT NULL, ALTER COLUMN type SET NOT NULL;

-- +goose Down
ALTER TABLE reach_pending DROP COLUMN card_id, DROP COLUMN site_id, DROP COLUMN served_on, DROP COLUMN type;
