package beneficiaries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Likely duplicates. Registering a card compares its blind index (name, birth, home county)
// with every live card's. The matches the registrant may see stop the registration and are
// listed to them (DuplicateError), unless they confirm the person is another. The matches
// outside their area are never mentioned to them: a count of them would tell anyone who can
// register a card whether a named person holds one in another province. Every match is kept
// as a pair in card_duplicates instead — 'distinct' when the registrant saw the other card and
// confirmed two people, 'open' otherwise — and the open pairs wait in LikelyDuplicates for
// someone whose area holds both cards (the national office for two provinces' cards) to merge
// them or mark them as two people. A change of name, birth or home does the same.

// DuplicatePair is an open pair of likely duplicates.
type DuplicatePair struct {
	Card    Card   `json:"card"`
	Other   Card   `json:"other"`
	FoundOn string `json:"found_on"`
}

// matches lists the live cards sharing the blind index, other than except.
func matches(ctx context.Context, tx *sql.Tx, dup string, except int64) ([]int64, error) {
	return store.IDs(ctx, tx, `SELECT id FROM cards WHERE dup_key = $1 AND merged_into IS NULL AND anonymised_on = '' AND id <> $2 ORDER BY id`, dup, except)
}

// visible returns the cards of ids that are the actor's own. A card referred to the actor is
// not among them: the receiving site has not opened who it is (before it accepts, or once the
// referral consent is withdrawn, it may not), and naming it as the match of a name and birth
// date typed in would tell them. Such a pair waits for someone whose area holds both cards.
func (s *Service) visible(ctx context.Context, tx *sql.Tx, a access.Actor, ids []int64) ([]Card, error) {
	var out []Card
	for _, id := range ids {
		c, err := s.card(ctx, tx, a, id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, access.ErrForbidden) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.own(a) {
			out = append(out, c)
		}
	}
	return out, nil
}

// notePairs records the pairs card id forms with others (the live cards sharing its blind
// index): distinct with the cards in confirmed (shown to the actor, who said the person is
// another), open with the rest. A pair already recorded keeps its status.
func (s *Service) notePairs(ctx context.Context, tx *sql.Tx, a access.Actor, id int64, others []int64, confirmed []Card) error {
	seen := make(map[int64]bool, len(confirmed))
	for _, c := range confirmed {
		seen[c.ID] = true
	}
	for _, other := range others {
		status, by, at := "open", "", any(nil)
		if seen[other] {
			status, by, at = "distinct", a.PublicID, store.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO card_duplicates (card_id, other_id, status, found_on, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (card_id, other_id) DO NOTHING`, min(id, other), max(id, other), status, s.today(), by, at); err != nil {
			return err
		}
	}
	return nil
}

// decidePair closes the pair of two cards, if it is open, as merged or distinct, and reports
// whether it was.
func decidePair(ctx context.Context, tx *sql.Tx, a access.Actor, one, two int64, status string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE card_duplicates SET status = $1, decided_by = $2, decided_at = $3 WHERE card_id = $4 AND other_id = $5 AND status = 'open'`,
		status, a.PublicID, store.Now(), min(one, two), max(one, two))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ownCard is the condition that a card (alias x) is one of the actor's own: registered at or
// now in a unit of their subtree ($n, the path pattern).
func ownCard(x string, n int) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM org_units %[1]sown WHERE %[1]sown.id IN (%[1]s.site_id, %[1]s.current_unit_id) AND %[1]sown.path LIKE $%[2]d)`, x, n)
}

// LikelyDuplicates lists the open pairs both of whose cards are the actor's own and live and
// still share the blind index (a pair found before one card's name or birth was corrected is
// no longer a likely duplicate), newest first, a page at a time (limit 0: all), and how many
// there are in all.
func (s *Service) LikelyDuplicates(ctx context.Context, a access.Actor, limit, offset int) ([]DuplicatePair, int, error) {
	if err := a.Require(access.MergeCards); err != nil {
		return nil, 0, err
	}
	from := ` FROM card_duplicates d JOIN cards c ON c.id = d.card_id JOIN cards o ON o.id = d.other_id
		WHERE d.status = 'open' AND c.merged_into IS NULL AND o.merged_into IS NULL AND c.anonymised_on = '' AND o.anonymised_on = ''
			AND c.dup_key = o.dup_key AND c.dup_key <> ''
			AND ` + ownCard("c", 1) + ` AND ` + ownCard("o", 1)
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*)`+from, a.PathPattern()).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT d.card_id, d.other_id, d.found_on`+from+`
		ORDER BY d.found_on DESC, d.card_id, d.other_id`+store.Page(limit, offset), a.PathPattern())
	if err != nil {
		return nil, 0, err
	}
	type pair struct {
		one, two int64
		on       string
	}
	var pairs []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.one, &p.two, &p.on); err != nil {
			rows.Close()
			return nil, 0, err
		}
		pairs = append(pairs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// Both cards of every pair are the actor's own (the query says so): read them at once.
	var ids []int64
	for _, p := range pairs {
		ids = append(ids, p.one, p.two)
	}
	slices.Sort(ids)
	cards := make(map[int64]Card, len(ids))
	err = inChunks(slices.Compact(ids), func(ph string, args []any) error {
		rows, err := s.db.R.QueryContext(ctx, `SELECT `+cardCols+cardFrom+` WHERE c.id IN (`+ph+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCard(rows)
			if err != nil {
				return err
			}
			c.Own = true
			cards[c.ID] = c
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]DuplicatePair, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, DuplicatePair{Card: cards[p.one], Other: cards[p.two], FoundOn: p.on})
	}
	return out, total, nil
}

// MarkDistinct closes an open pair as two people. Both cards must be the actor's own.
func (s *Service) MarkDistinct(ctx context.Context, a access.Actor, cardID, otherID int64) error {
	if err := a.Require(access.MergeCards); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var cards [2]Card
		for i, id := range []int64{cardID, otherID} {
			c, err := s.card(ctx, tx, a, id)
			if err != nil {
				return err
			}
			if err := requireOwn(a, c); err != nil {
				return err
			}
			cards[i] = c
		}
		decided, err := decidePair(ctx, tx, a, cardID, otherID, "distinct")
		if err != nil {
			return err
		}
		if !decided {
			return valid.New("duplicate", "no_pair")
		}
		return audit.Record(ctx, tx, a, "distinct", "card", cards[0].ID, cards[0].SiteID, nil, map[string]any{"card": cards[0].Number, "other": cards[1].Number})
	})
}
