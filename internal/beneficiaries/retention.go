package beneficiaries

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// anonymise erases what identifies a person and keeps what counts: the protected fields, the
// guardian's name on consents, the duplicate index and the birth day go, and so does the free
// text written about the person (services' notes, referrals' reasons and answers, the
// person's feedback comments), where a name or a circumstance is easily written; sex, birth
// year, groups, site and every service, referral and rating stay, so reach, which counts card
// ids, and every summary do not change.
func anonymise(ctx context.Context, tx *sql.Tx, id int64, on string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE cards SET name_sealed = NULL, id_number_sealed = NULL, phone_sealed = NULL, address_sealed = NULL, guardian_sealed = NULL,
			dup_key = '', birth_date = SUBSTR(birth_date, 1, 4), anonymised_on = $1, updated_at = $2 WHERE id = $3`, on, store.Now(), id); err != nil {
		return err
	}
	for _, q := range []string{
		`UPDATE card_consents SET giver_sealed = NULL WHERE card_id = $1`,
		`UPDATE services SET note = '' WHERE card_id = $1 AND note <> ''`,
		`UPDATE referrals SET reason = '', response = '', override_reason = '' WHERE card_id = $1`,
		`UPDATE feedback SET comment = '' WHERE card_id = $1 AND comment <> ''`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return scrubAudit(ctx, tx, id)
}

// freeText are the fields of referrals, services and feedback that hold what someone wrote about
// the person; anonymise blanks them in the records and scrubAudit in the audit log's copies.
var freeText = map[string]bool{"reason": true, "response": true, "override_reason": true, "note": true, "comment": true}

// scrubAudit blanks the free text of a card's referrals, services (those deleted too) and
// feedback in the audit log's copies of them, so that what anonymising takes from the records
// does not stay readable in their history. The entries themselves stay: who did what, when.
func scrubAudit(ctx context.Context, tx *sql.Tx, card int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(CAST(before AS TEXT), ''), COALESCE(CAST(after AS TEXT), '') FROM audit_log
		WHERE entity = 'referral' AND entity_id IN (SELECT id FROM referrals WHERE card_id = $1)
			OR entity = 'feedback' AND entity_id IN (SELECT id FROM feedback WHERE card_id = $1)
			OR entity = 'service' AND CAST(before ->> 'card_id' AS TEXT) = $2`, card, strconv.FormatInt(card, 10))
	if err != nil {
		return err
	}
	type entry struct {
		id            int64
		before, after any
	}
	var changed []entry
	for rows.Next() {
		var id int64
		var before, after string
		if err := rows.Scan(&id, &before, &after); err != nil {
			rows.Close()
			return err
		}
		b, bChanged := blankFreeText(before)
		af, aChanged := blankFreeText(after)
		if bChanged || aChanged {
			changed = append(changed, entry{id, b, af})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET before = $1, after = $2 WHERE id = $3`, e.before, e.after, e.id); err != nil {
			return err
		}
	}
	return nil
}

// blankFreeText blanks the freeText fields, at any depth, of a JSON document ("" for none) and
// returns the document to store (nil for none) and whether it changed.
func blankFreeText(doc string) (any, bool) {
	if doc == "" {
		return nil, false
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc, false
	}
	changed := false
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, f := range x {
				if s, ok := f.(string); ok && freeText[k] && s != "" {
					x[k], changed = "", true
				} else {
					walk(f)
				}
			}
		case []any:
			for _, f := range x {
				walk(f)
			}
		}
	}
	walk(v)
	out, _ := json.Marshal(v)
	return string(out), changed
}

// Erase anonymises one card on the person's request.
func (s *Service) Erase(ctx context.Context, a access.Actor, id int64, reason string) error {
	if err := a.Require(access.EraseCards); err != nil {
		return err
	}
	var es valid.Errors
	es.Required("reason", reason)
	es.MaxLen("reason", reason, 500)
	if err := es.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := requireOwn(a, c); err != nil {
			return err
		}
		if c.Anonymised != "" {
			return valid.New("card", "anonymised")
		}
		if err := anonymise(ctx, tx, id, s.today()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "erase", "card", id, c.SiteID, map[string]any{"number": c.Number}, map[string]any{"reason": reason})
	})
}

// ApplyRetention anonymises every card with no activity (registration or service) since
// before, in batches, each batch in its own transaction; it returns how many it anonymised. It
// walks the cards by id (PostgreSQL keeps no index of last_active, which every service write
// moves; see migration 14), and each batch checks its cards again under the transaction, so a
// card served between the walk and the write is left alone.
func (s *Service) ApplyRetention(ctx context.Context, before string) (int, error) {
	if _, err := time.Parse(time.DateOnly, before); err != nil {
		return 0, valid.New("before", "date")
	}
	const stale = `last_active < $1 AND anonymised_on = '' AND merged_into IS NULL`
	total := 0
	var last int64
	for {
		ids, err := store.IDs(ctx, s.db.R, `SELECT id FROM cards WHERE `+stale+` AND id > $2 ORDER BY id LIMIT $3`, before, last, retentionBatch)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		last = ids[len(ids)-1]
		if beforeRetentionBatch != nil {
			beforeRetentionBatch(ids)
		}
		today := s.today()
		n := 0
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			n = 0
			args := []any{before}
			ph := make([]string, len(ids))
			for i, id := range ids {
				args = append(args, id)
				ph[i] = "$" + strconv.Itoa(len(args))
			}
			still, err := store.IDs(ctx, tx, `SELECT id FROM cards WHERE `+stale+` AND id IN (`+strings.Join(ph, ",")+`) ORDER BY id`+lockRows(s.db.Dialect, "UPDATE", "cards"), args...)
			if err != nil || len(still) == 0 {
				return err
			}
			for _, id := range still {
				if err := anonymise(ctx, tx, id, today); err != nil {
					return err
				}
			}
			n = len(still)
			return audit.Record(ctx, tx, access.System, "retention", "cards", 0, 0, nil, map[string]any{"inactive_before": before, "cards": n})
		})
		if err != nil {
			return total, err
		}
		total += n
	}
}

// retentionBatch is how many cards one transaction of ApplyRetention anonymises at most.
var retentionBatch = 500

// beforeRetentionBatch, when set (by tests), runs between the walk that finds a batch's cards
// and the transaction that anonymises them.
var beforeRetentionBatch func(ids []int64)

// lockRows locks the rows of table (or alias) that a select reads until the transaction ends,
// FOR mode (UPDATE, NO KEY UPDATE), on PostgreSQL; SQLite's single writer already excludes every
// other write. Writers that lock cards take them in id order, so two of them never wait on each
// other in opposite orders.
func lockRows(d store.Dialect, mode, table string) string {
	if d == store.Postgres {
		return " FOR " + mode + " OF " + table
	}
	return ""
}

// RotateKeys re-seals every protected value sealed under an older key with the current one and
// recomputes the duplicate index under it. Run it after adding a key to the keyring (and
// before removing the old one). It returns the cards re-sealed.
func (s *Service) RotateKeys(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, ErrNoKey
	}
	done := 0
	var last int64
	for {
		rows, err := s.db.R.QueryContext(ctx, `SELECT c.id, c.number, c.birth_date, COALESCE(h.path, u.path) FROM cards c JOIN org_units u ON u.id = c.site_id
			LEFT JOIN org_units h ON h.id = c.home_unit_id WHERE c.id > $1 AND c.anonymised_on = '' AND c.merged_into IS NULL ORDER BY c.id LIMIT 500`, last)
		if err != nil {
			return done, err
		}
		type item struct {
			id                  int64
			number, birth, home string
		}
		var items []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.number, &it.birth, &it.home); err != nil {
				rows.Close()
				return done, err
			}
			items = append(items, it)
		}
		rows.Close()
		if len(items) == 0 {
			return done, rows.Err()
		}
		last = items[len(items)-1].id
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, it := range items {
				var sealed [5][]byte
				if err := tx.QueryRowContext(ctx, `SELECT name_sealed, id_number_sealed, phone_sealed, address_sealed, guardian_sealed FROM cards WHERE id = $1`, it.id).
					Scan(&sealed[0], &sealed[1], &sealed[2], &sealed[3], &sealed[4]); err != nil {
					return err
				}
				stale := false
				var name string
				for i, b := range sealed {
					if len(b) == 0 {
						continue
					}
					p, err := s.keys.Open(protected[i], b, "card:"+it.number)
					if err != nil {
						return fmt.Errorf("card %s: %w", it.number, err)
					}
					if i == 0 {
						name = string(p)
					}
					if s.keys.Stale(b) {
						stale = true
						if sealed[i], err = s.keys.Seal(protected[i], p, "card:"+it.number); err != nil {
							return err
						}
					}
				}
				if err := s.resealGivers(ctx, tx, it.id, it.number); err != nil {
					return err
				}
				if !stale {
					continue
				}
				if _, err := tx.ExecContext(ctx, `UPDATE cards SET name_sealed = $1, id_number_sealed = $2, phone_sealed = $3, address_sealed = $4, guardian_sealed = $5, dup_key = $6 WHERE id = $7`,
					sealed[0], sealed[1], sealed[2], sealed[3], sealed[4], s.dupKey(name, it.birth, it.home), it.id); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return done, err
		}
	}
}

func (s *Service) resealGivers(ctx context.Context, tx *sql.Tx, card int64, number string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, giver_sealed FROM card_consents WHERE card_id = $1 AND giver_sealed IS NOT NULL`, card)
	if err != nil {
		return err
	}
	type g struct {
		id int64
		b  []byte
	}
	var gs []g
	for rows.Next() {
		var x g
		if err := rows.Scan(&x.id, &x.b); err != nil {
			rows.Close()
			return err
		}
		gs = append(gs, x)
	}
	rows.Close()
	for _, x := range gs {
		if !s.keys.Stale(x.b) {
			continue
		}
		p, err := s.keys.Open("giver", x.b, "card:"+number)
		if err != nil {
			return err
		}
		b, err := s.keys.Seal("giver", p, "card:"+number)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE card_consents SET giver_sealed = $1 WHERE id = $2`, b, x.id); err != nil {
			return err
		}
	}
	return rows.Err()
}
