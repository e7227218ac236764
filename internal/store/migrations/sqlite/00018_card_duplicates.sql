-- +goose Up
-- Likely duplicates found when a card is registered or changed: a pair of live cards sharing
-- the blind index (same name, birth and home county). A pair the registrant could see was shown
-- to them and either stopped the registration or was confirmed to be two people ('distinct'); a
-- pair reaching outside their area is never shown to them (it would tell them that a named
-- person holds a card there) and waits here, 'open', for someone whose area holds both cards
-- to merge them or mark them distinct. card_id < other_id.
CREATE TABLE card_duplicates (
    card_id    BIGINT NOT NULL REFERENCES cards(id),
    other_id   BIGINT NOT NULL REFERENCES cards(id),
    status     TEXT NOT NULL,
    found_on   TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMP,
    PRIMARY KEY (card_id, other_id)
);
CREATE INDEX card_duplicates_other ON card_duplicates(other_id);

-- +goose Down
DROP TABLE card_duplicates;
