package beneficiaries

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"slices"
	"strconv"
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

// exportChunk is how many cards an export reads at a time.
var exportChunk = 1000

// ExportCards checks an export of the cards in scope and returns its rows, in the order of their
// site, sex and birth year. Only cards whose person consented to reporting are included.
// identified needs IdentifyCards, a reason and a unit; it opens and logs every card it returns,
// all before it returns. A de-identified export (the default, which may span the whole country)
// is read as it is sent: the cards' ids in order first, then their rows a thousand at a time, so
// memory holds the ids and one chunk, and no connection to the database is held while the rows
// travel to a slow client. A card merged or leaving the scope while the export runs is left out.
func (s *Service) ExportCards(ctx context.Context, a access.Actor, q CardQuery, identified bool, reason string) (iter.Seq2[ExportRow, error], error) {
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
	// The list's other filters, so an export holds what the list showed.
	if q.Group != "" {
		args = append(args, "%,"+q.Group+",%")
		where += ` AND c.groups LIKE $` + strconv.Itoa(len(args))
	}
	if q.Sex != "" {
		args = append(args, q.Sex)
		where += ` AND c.sex = $` + strconv.Itoa(len(args))
	}
	if identified && q.UnitID == 0 {
		return nil, valid.New("unit", "required")
	}
	ids, err := store.IDs(ctx, s.db.R, `SELECT c.id FROM cards c JOIN org_units su ON su.id = c.site_id`+where+` ORDER BY su.code, c.sex, c.birth_year, c.id`, args...)
	if err != nil {
		return nil, err
	}
	if !identified {
		return func(yield func(ExportRow, error) bool) {
			n := 0
			for chunk := range slices.Chunk(ids, exportChunk) {
				rows, _, err := s.exportRows(ctx, chunk, where, args)
				if err != nil {
					yield(ExportRow{}, err)
					return
				}
				for _, r := range rows {
					n++
					r.Row = n
					if !yield(r, nil) {
						return
					}
				}
			}
		}, nil
	}
	var out []ExportRow
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for chunk := range slices.Chunk(ids, exportChunk) {
			rows, cards, err := s.exportRows(ctx, chunk, where, args)
			if err != nil {
				return err
			}
			for i, c := range cards {
				rows[i].Row = len(out) + 1
				if c.Anonymised == "" && c.own(a) {
					id, err := s.open(ctx, tx, c)
					if err != nil {
						return err
					}
					rows[i].Number, rows[i].Identity = c.Number, &id
					if err := logAccess(ctx, tx, a, c.ID, protected, reason); err != nil {
						return err
					}
				}
				out = append(out, rows[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func(yield func(ExportRow, error) bool) {
		for _, r := range out {
			if !yield(r, nil) {
				return
			}
		}
	}, nil
}

// exportRows reads the export rows of the cards ids (in that order) that still meet the
// export's where; the cards come back alongside, for an identified export to open.
func (s *Service) exportRows(ctx context.Context, ids []int64, where string, args []any) ([]ExportRow, []Card, error) {
	ph := make([]string, len(ids))
	all := slices.Clone(args)
	for i, id := range ids {
		all = append(all, id)
		ph[i] = "$" + strconv.Itoa(len(all))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+cardCols+`, COALESCE(x.n, 0), COALESCE(x.first, ''), COALESCE(x.last, '')`+cardFrom+`
		LEFT JOIN (SELECT card_id, COUNT(*) AS n, MIN(served_on) AS first, MAX(served_on) AS last FROM services WHERE card_id IN (`+strings.Join(ph, ",")+`) GROUP BY card_id) x ON x.card_id = c.id`+
		where+` AND c.id IN (`+strings.Join(ph, ",")+`)`, all...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byID := make(map[int64]int, len(ids))
	var out []ExportRow
	var cards []Card
	for rows.Next() {
		var c Card
		var groups string
		var r ExportRow
		if err := rows.Scan(&c.ID, &c.Number, &c.SiteID, &c.SiteCode, &c.SiteNameZH, &c.SiteNameEN, &c.sitePath, &c.Sex, &c.birth, &c.BirthYear, &c.Ethnicity, &groups,
			&c.HomeUnitID, &c.HomeNameZH, &c.HomeNameEN, &c.CurrentID, &c.CurrentZH, &c.CurrentEN, &c.Status, &c.MergedInto, &c.Anonymised, &c.LastActive, &c.CreatedAt, &c.currentPath,
			&r.Services, &r.FirstService, &r.LastService); err != nil {
			return nil, nil, err
		}
		r.Site, r.Sex, r.BirthYear, r.Ethnicity, r.Groups, r.Status = c.SiteCode, c.Sex, c.BirthYear, c.Ethnicity, analytics.SplitGroups(groups), c.Status
		byID[c.ID] = len(out)
		out = append(out, r)
		cards = append(cards, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// Back into the order of ids.
	ordered, orderedCards := make([]ExportRow, 0, len(out)), make([]Card, 0, len(out))
	for _, id := range ids {
		if i, ok := byID[id]; ok {
			ordered, orderedCards = append(ordered, out[i]), append(orderedCards, cards[i])
		}
	}
	return ordered, orderedCards, nil
}

// Exact reports whether counts of people are shown to a exactly. This is the one rule of
// disclosure, which reach tables and figures (pages, API and exports alike) and the measured
// change all apply: only those who may open the cards behind a count (cards.view: caseworkers and
// project officers, whose scope already lets them open every card a count of their units is made
// of) see it exactly. To everyone else (donors, evaluators, committee members, agency reporters)
// every count from 1 to MinCell-1 is suppressed, as it is in every export whoever asks.
func Exact(a access.Actor) bool { return a.Can(access.ViewCards) }

// hides reports whether small counts are suppressed for a: always in an export, and on pages
// and in the API unless a sees counts exactly.
func hides(a access.Actor, export bool) bool { return export || !Exact(a) }

// ReachCell is one cell of an aggregate reach table: a count, or suppressed (People 0).
type ReachCell struct {
	Key        string `json:"key"`
	People     int64  `json:"people"`
	Suppressed bool   `json:"suppressed"`
}

// ReachRow is one unit's row of a reach table: its reach in total and broken down.
type ReachRow struct {
	UnitID int64       `json:"unit_id"`
	Total  ReachCell   `json:"total"`
	Cells  []ReachCell `json:"cells"`
}

// ReachGrid is a reach table: the reach of a unit (the first row) and of units below it (the
// other rows), each broken down by one dimension whose values are the columns (Keys).
type ReachGrid struct {
	By   string     `json:"by"`
	Keys []string   `json:"keys"`
	Rows []ReachRow `json:"rows"`
}

// Dimensions a reach table can break down by ("" for the totals alone).
var Breakdowns = []string{"service_type", "sex", "age", "group"}

// AgeBands are the project's reporting bands (seed 001 §1.3: target ages 12 to 24).
var AgeBands = []struct {
	Key      string
	Min, Max int
}{{"0-11", 0, 11}, {"12-15", 12, 15}, {"16-18", 16, 18}, {"19-24", 19, 24}, {"25+", 25, 200}}

// column is one value of a breakdown: its key and how it narrows the query.
type column struct {
	key    string
	narrow func(*ReachQuery)
}

// columns are the values of a breakdown the query allows: the service types asked (else every
// one), the sex asked (else both), the bands within the ages asked (cut to them), the target
// groups asked (else every one).
func columns(q ReachQuery, by string) ([]column, error) {
	var out []column
	switch by {
	case "":
	case "service_type":
		for _, t := range ServiceTypes {
			if len(q.Types) == 0 || contains(q.Types, t) {
				out = append(out, column{t, func(r *ReachQuery) { r.Types = []string{t} }})
			}
		}
	case "sex":
		for _, x := range Sexes {
			if q.Sex == "" || q.Sex == x {
				out = append(out, column{x, func(r *ReachQuery) { r.Sex = x }})
			}
		}
	case "age":
		for _, b := range AgeBands {
			lo, hi := b.Min, b.Max
			if q.Aged {
				lo, hi = max(lo, q.AgeMin), min(hi, q.AgeMax)
			}
			if lo <= hi {
				out = append(out, column{b.Key, func(r *ReachQuery) { r.Aged, r.AgeMin, r.AgeMax = true, lo, hi }})
			}
		}
	case "group":
		for _, g := range Groups {
			if len(q.Groups) == 0 || contains(q.Groups, g) {
				out = append(out, column{g, func(r *ReachQuery) { r.Groups = []string{g} }})
			}
		}
	default:
		return nil, valid.New("by", "one_of", strings.Join(Breakdowns, ", "))
	}
	return out, nil
}

// ReachTable breaks down by one dimension (service type, sex, age band or target group; blank
// for the totals alone) the reach of the query's unit, the first row, and of each unit of below
// (the units directly below it, in the order the caller shows them). The counts are disclosed
// as Exact says for the actor; an export (export set) suppresses them whoever asks. Suppression
// hides every count from 1 to MinCell-1; every count that a wider one the viewer could ask
// would tell 1 to MinCell-1 people apart from (see widenings); and, where one alone would be
// hidden in a row or a column, the next smallest with it (see SuppressGrid). A viewer who may
// not see counts exactly asks ages in whole bands only (see checkAgeGrid); an export of one who
// may keeps the ages asked, its counts suppressed all the same.
func (s *Service) ReachTable(ctx context.Context, a access.Actor, q ReachQuery, by string, below []int64, export bool) (ReachGrid, error) {
	cols, err := columns(q, by)
	if err != nil {
		return ReachGrid{}, err
	}
	if !Exact(a) {
		if err := checkAgeGrid(q); err != nil {
			return ReachGrid{}, err
		}
	}
	hide := hides(a, export)
	counts := &reachCounter{s: s, a: a, seen: map[string]int64{}}
	// cell counts a cell and, where counts are hidden, withholds it when a wider count would
	// give it away by difference (before SuppressGrid, which takes such a cell as hidden).
	cell := func(key string, q ReachQuery) (ReachCell, error) {
		n, err := counts.count(ctx, q)
		if err != nil || !hide {
			return ReachCell{Key: key, People: n}, err
		}
		small, err := counts.complementSmall(ctx, q, n)
		if err != nil || !small {
			return ReachCell{Key: key, People: n}, err
		}
		return ReachCell{Key: key, Suppressed: true}, nil
	}
	g := ReachGrid{By: by, Keys: []string{}}
	for _, c := range cols {
		g.Keys = append(g.Keys, c.key)
	}
	for _, unit := range append([]int64{q.UnitID}, below...) {
		uq := q
		uq.UnitID = unit
		total, err := cell("", uq)
		if err != nil {
			return ReachGrid{}, err
		}
		row := ReachRow{UnitID: unit, Total: total, Cells: []ReachCell{}}
		for _, c := range cols {
			sub := uq
			sub.Filter.Types = append([]string(nil), q.Types...)
			sub.Filter.Groups = append([]string(nil), q.Groups...)
			c.narrow(&sub)
			n, err := cell(c.key, sub)
			if err != nil {
				return ReachGrid{}, err
			}
			row.Cells = append(row.Cells, n)
		}
		g.Rows = append(g.Rows, row)
	}
	if hide {
		SuppressGrid(g.Rows)
	}
	return g, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// SuppressGrid hides the small counts of a reach table in place. Every count from 1 to
// MinCell-1 is hidden (People 0, Suppressed). Then, so that no hidden count can be had by
// difference, wherever exactly one count of a line (a total and the counts it sums up) is
// hidden, the smallest visible non-zero count of the line is hidden with it (the total when no
// other is left), until no line has a lone hidden count. The lines are each row (its total and
// its cells) and, when there are several rows, the first row's total over the other rows'
// totals and each of the first row's cells over the same column of the other rows.
func SuppressGrid(rows []ReachRow) {
	small := func(c *ReachCell) {
		if c.People > 0 && c.People < MinCell {
			c.People, c.Suppressed = 0, true
		}
	}
	type line struct {
		total *ReachCell
		cells []*ReachCell
	}
	var lines []line
	for i := range rows {
		small(&rows[i].Total)
		l := line{total: &rows[i].Total}
		for j := range rows[i].Cells {
			small(&rows[i].Cells[j])
			l.cells = append(l.cells, &rows[i].Cells[j])
		}
		lines = append(lines, l)
	}
	if len(rows) > 1 {
		totals := line{total: &rows[0].Total}
		for i := 1; i < len(rows); i++ {
			totals.cells = append(totals.cells, &rows[i].Total)
		}
		lines = append(lines, totals)
		for j := range rows[0].Cells {
			col := line{total: &rows[0].Cells[j]}
			for i := 1; i < len(rows); i++ {
				if j < len(rows[i].Cells) {
					col.cells = append(col.cells, &rows[i].Cells[j])
				}
			}
			lines = append(lines, col)
		}
	}
	for more := true; more; {
		more = false
		for _, l := range lines {
			hidden := 0
			var best *ReachCell
			for _, c := range l.cells {
				switch {
				case c.Suppressed:
					hidden++
				case c.People > 0 && (best == nil || c.People < best.People):
					best = c
				}
			}
			if l.total.Suppressed {
				hidden++
			} else if best == nil && l.total.People > 0 {
				best = l.total
			}
			if hidden == 1 && best != nil {
				best.People, best.Suppressed = 0, true
				more = true
			}
		}
	}
}
