-- +goose Up
-- What every service write pays for, made smaller. Measured at 10 million cards and 100 million
-- services, a batch of 10,000 spent most of its time reading index pages from disk:
--
-- services_site held (site_id, served_on): 3.7 GB at that scale, with a text date in every
-- entry and no two entries alike. Every query that reads services by site narrows the sites
-- first (a unit's subtree) and then filters the dates of a site's few hundred services, so the
-- site alone serves them; that index is 670 MB.
--
-- cards_active indexed last_active, which every service moves forward. PostgreSQL writes a
-- changed row as a new version, and when an indexed column changed, it adds an entry for that
-- version to every index of the table (six for cards). Without it, and with room left in each
-- page (fillfactor), the update stays in the row's page and touches no index: touching the
-- cards of a 10,000-service batch went from 1-2 s to 60 ms. Retention, the one reader of
-- last_active, walks the cards by id instead. The fillfactor applies to pages written from now
-- on (a VACUUM FULL rewrites the others).
DROP INDEX services_site;
CREATE INDEX services_site ON services(site_id);
DROP INDEX cards_active;
ALTER TABLE cards SET (fillfactor = 90);

-- +goose Down
ALTER TABLE cards RESET (fillfactor);
CREATE INDEX cards_active ON cards(last_active);
DROP INDEX services_site;
CREATE INDEX services_site ON services(site_id, served_on);
