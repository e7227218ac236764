package beneficiaries

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/store"
	"ting/internal/valid"
)

// MinCell is the smallest number of people an aggregate export shows; smaller counts (other
// than zero) are suppressed so no one can be singled out from a table.
const MinCell = 5

// ExportRow is one card in a record-level export. De-identified (the default) it holds no
// protected field, no card number (a row number instead, new in every export), and the birth
// year only; identified exports add the number and the opened fields.
type ExportRow struct {
	Row          int       `json:"row"`
	Number       string    `json:"number,omitempty"`
	Site         string    `json:"site"`
	Sex          string    `json:"sex"`
	BirthYear    int       `json:"birth_year"`
	Ethnicity    string    `json:"ethnicity"`
	Groups       []string  `json:"groups"`
	Status       string    `json:"status"`
	Services     int       `json:"services"`
	FirstService string    `json:"first_service"`
	LastService  string    `json:"last_service"`
	Identity     *Identity `json:"identity,omitempty"`
}

// ExportCards lists the cards in scope for export. Only cards whose person consented to
// reporting are included. identified needs IdentifyCards and a reason, and logs every card read.
func (s *Service) ExportCards(ctx context.Context, a access.Actor, q CardQuery, identified bool, reason string) ([]ExportRow, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return nil, err
	}
	if identified {
		if err := a.Require(access.IdentifyCards); err != nil {
			return nil, err
		}
		if s.keys == nil {
			return nil, ErrNoKey
		}
		var es valid.Errors
		if es.Required("reason", reason) {
			es.OneOf("reason", reason, AccessReasons)
		}
		if err := es.Err(); err != nil {
			return nil, err
		}
	}
	where := ` WHERE c.merged_into IS NULL AND ` + inScope(1) + ` AND EXISTS (SELECT 1 FROM card_consents k WHERE k.card_id = c.id AND k.purpose = 'reporting' AND k.withdrawn_on = '')`
	args := []any{a.PathPattern()}
	if q.UnitID != 0 {
		var path string
		if err := s.db.R.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, q.UnitID).Scan(&path); err != nil || !a.Sees(path) {
			return nil, fmt.Errorf("unit %d: %w", q.UnitID, store.ErrNotFound)
		}
		args = append(args, path+"%")
		where += ` AND su.path LIKE $2`
	}
	if identified && q.UnitID == 0 {
		return nil, valid.New("unit", "required")
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+cardCols+`, (SELECT COUNT(*) FROM services x WHERE x.card_id = c.id),
		COALESCE((SELECT MIN(served_on) FROM services x WHERE x.card_id = c.id), ''), COALESCE((SELECT MAX(served_on) FROM services x WHERE x.card_id = c.id), '')`+
		cardFrom+where+` ORDER BY su.code, c.sex, c.birth_year, c.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []ExportRow
	var cards []Card
	for rows.Next() {
		var c Card
		var groups string
		var r ExportRow
		if err := rows.Scan(&c.ID, &c.Number, &c.SiteID, &c.SiteCode, &c.SiteNameZH, &c.SiteNameEN, &c.sitePath, &c.Sex, &c.birth, &c.BirthYear, &c.Ethnicity, &groups,
			&c.HomeUnitID, &c.HomeNameZH, &c.HomeNameEN, &c.CurrentID, &c.CurrentZH, &c.CurrentEN, &c.Status, &c.MergedInto, &c.Anonymised, &c.LastActive, &c.CreatedAt, &c.currentPath,
			&r.Services, &r.FirstService, &r.LastService); err != nil {
			rows.Close()
			return nil, err
		}
		r.Row = len(out) + 1
		r.Site, r.Sex, r.BirthYear, r.Ethnicity, r.Groups, r.Status = c.SiteCode, c.Sex, c.BirthYear, c.Ethnicity, analytics.SplitGroups(groups), c.Status
		out = append(out, r)
		cards = append(cards, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || !identified {
		return out, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, c := range cards {
			if c.Anonymised != "" || !c.own(a) {
				continue
			}
			id, err := s.open(ctx, tx, c)
			if err != nil {
				return err
			}
			out[i].Number, out[i].Identity = c.Number, &id
			if err := logAccess(ctx, tx, a, c.ID, protected, reason); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ReachCell is one cell of an aggregate reach table: a count, or suppressed.
type ReachCell struct {
	Key        string `json:"key"`
	People     int64  `json:"people"`
	Suppressed bool   `json:"suppressed"`
}

// Dimensions a reach table can break down by.
var Breakdowns = []string{"unit", "service_type", "sex", "age", "group"}

// AgeBands are the project's reporting bands (seed 001 §1.3: target ages 12 to 24).
var AgeBands = []struct {
	Key      string
	Min, Max int
}{{"0-11", 0, 11}, {"12-15", 12, 15}, {"16-18", 16, 18}, {"19-24", 19, 24}, {"25+", 25, 200}}

// ReachTable breaks a unit's reach down by one dimension (child units, service type, sex, age
// band or target group). suppress hides counts from 1 to MinCell-1, as every export must; and
// when exactly one cell of the table is hidden, the next smallest is hidden too, so the hidden
// one cannot be recovered from the total.
func (s *Service) ReachTable(ctx context.Context, a access.Actor, q ReachQuery, by string, suppress bool) (int64, []ReachCell, error) {
	total, err := s.Reach(ctx, a, q)
	if err != nil {
		return 0, nil, err
	}
	var cells []ReachCell
	ask := func(key string, f func(*ReachQuery)) error {
		sub := q
		sub.Filter.Types = append([]string(nil), q.Types...)
		sub.Filter.Groups = append([]string(nil), q.Groups...)
		f(&sub)
		n, err := s.Reach(ctx, a, sub)
		cells = append(cells, ReachCell{Key: key, People: n})
		return err
	}
	switch by {
	case "unit":
		rows, err := s.db.R.QueryContext(ctx, `SELECT id, code FROM org_units WHERE parent_id = $1 ORDER BY code`, q.UnitID)
		if err != nil {
			return 0, nil, err
		}
		type kid struct {
			id   int64
			code string
		}
		var kids []kid
		for rows.Next() {
			var k kid
			if err := rows.Scan(&k.id, &k.code); err != nil {
				rows.Close()
				return 0, nil, err
			}
			kids = append(kids, k)
		}
		rows.Close()
		for _, k := range kids {
			if err := ask(k.code, func(r *ReachQuery) { r.UnitID = k.id }); err != nil {
				return 0, nil, err
			}
		}
	case "service_type":
		for _, t := range ServiceTypes {
			if len(q.Types) > 0 && !contains(q.Types, t) {
				continue
			}
			if err := ask(t, func(r *ReachQuery) { r.Types = []string{t} }); err != nil {
				return 0, nil, err
			}
		}
	case "sex":
		for _, x := range Sexes {
			if err := ask(x, func(r *ReachQuery) { r.Sex = x }); err != nil {
				return 0, nil, err
			}
		}
	case "age":
		for _, b := range AgeBands {
			if err := ask(b.Key, func(r *ReachQuery) { r.Aged, r.AgeMin, r.AgeMax = true, b.Min, b.Max }); err != nil {
				return 0, nil, err
			}
		}
	case "group":
		for _, g := range Groups {
			if err := ask(g, func(r *ReachQuery) { r.Groups = []string{g} }); err != nil {
				return 0, nil, err
			}
		}
	default:
		return 0, nil, valid.New("by", "one_of", strings.Join(Breakdowns, ", "))
	}
	if suppress {
		total = Suppress(total, cells)
	}
	return total, cells, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Suppress hides small cells in place (primary suppression of 1..MinCell-1, then secondary: a
// lone hidden cell takes the smallest visible non-zero cell with it). A total under MinCell is
// returned as -1 (hidden).
func Suppress(total int64, cells []ReachCell) int64 {
	hidden := 0
	for i := range cells {
		if cells[i].People > 0 && cells[i].People < MinCell {
			cells[i].Suppressed, cells[i].People = true, 0
			hidden++
		}
	}
	if hidden == 1 {
		best := -1
		for i, c := range cells {
			if !c.Suppressed && c.People > 0 && (best < 0 || c.People < cells[best].People) {
				best = i
			}
		}
		if best >= 0 {
			cells[best].Suppressed, cells[best].People = true, 0
		}
	}
	if total > 0 && total < MinCell {
		return -1
	}
	return total
}
