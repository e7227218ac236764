-- +goose Up
-- services_site held (site_id, served_on), a text date in every entry of an index that every
-- service write adds to. Every query that reads services by site narrows the sites first (a
-- unit's subtree) and then filters the dates of a site's few hundred services, so the site
-- alone serves them. (PostgreSQL also drops cards_active here; SQLite rewrites only the indexes
-- of the columns an update changes, so moving last_active costs it one index entry, and
-- retention keeps its index.)
DROP INDEX services_site;
CREATE INDEX services_site ON services(site_id);

-- +goose Down
DROP INDEX services_site;
CREATE INDEX services_site ON services(site_id, served_on);
