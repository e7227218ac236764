package results

import (
	"context"
	"database/sql"
	"fmt"

	"errors"
	"math"
	"strings"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/results/expr"
	"ting/internal/store"
)

// Figure is an aggregated value and what it rests on: how many stored values, or, for an
// indicator counting the people served (aggregation reach), how many distinct people on the
// beneficiary cards, which are not values (Values is then 0).
type Figure struct {
	Value  float64 `json:"value"`
	Has    bool    `json:"has"`              // false when no value was reported
	Values int     `json:"values"`           // stored values counted
	People int64   `json:"people,omitempty"` // distinct people counted from the beneficiary cards' services
}

// actualRaw computes an indicator's figure over a subtree (path LIKE $2) and period ($3..$4)
// straight from the stored totals (combo ”), by aggregation rule. Legacy values never count, and
// a value counts in the range in which its period ends (endsIn).
// The tables read the rollups instead (figures); this is the reference they are tested
// against, and the way to the latest value of each unit, which no sum can hold.
func (s *Service) actualRaw(ctx context.Context, q store.Queryer, ind Indicator, pathPattern string, p Period) (Figure, error) {
	where := `v.indicator_id = $1 AND u.path LIKE $2 AND ` + endsIn("v", 3, 4) + ` AND v.combo = '' AND v.legacy = FALSE`
	// latest: per unit, the value of the period that ends last in the range; of periods ending
	// on the same day (2011-12, 2011Q4, 2011), the one that starts last, the most recent figure.
	latest := ` AND NOT EXISTS (SELECT 1 FROM data_values w WHERE w.indicator_id = v.indicator_id
		AND w.unit_id = v.unit_id AND w.combo = '' AND w.legacy = FALSE AND ` + endsIn("w", 3, 4) + `
		AND (w.period_end > v.period_end OR (w.period_end = v.period_end AND w.period_start > v.period_start)))`
	args := []any{ind.ID, pathPattern, p.Start, p.End}
	var f Figure
	var v, num, den sql.NullFloat64
	var query string
	switch {
	case ind.Type == "percent" || ind.Type == "ratio":
		// Rates aggregate as the ratio of summed parts where parts were reported, else as the
		// mean of the reported rates.
		query = `SELECT COUNT(*), SUM(v.numerator), SUM(v.denominator), AVG(v.value) FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE ` + where
		if ind.Aggregation == "latest" {
			query += latest
		}
		if err := q.QueryRowContext(ctx, query, args...).Scan(&f.Values, &num, &den, &v); err != nil {
			return f, err
		}
		switch {
		case num.Valid && den.Valid && den.Float64 > 0:
			f.Value = num.Float64 / den.Float64
			if ind.Type == "percent" {
				f.Value *= 100
			}
		case v.Valid:
			f.Value = v.Float64
		}
		f.Value = round(f.Value)
		f.Has = f.Values > 0
		return f, nil
	case ind.Type == "text":
		return f, nil
	case ind.Aggregation == "average":
		query = `SELECT COUNT(*), AVG(v.value) FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE ` + where
	case ind.Aggregation == "latest" || ind.Type == "yesno":
		query = `SELECT COUNT(*), SUM(v.value) FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE ` + where + latest
	default:
		query = `SELECT COUNT(*), SUM(v.value) FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE ` + where
	}
	if err := q.QueryRowContext(ctx, query, args...).Scan(&f.Values, &v); err != nil {
		return f, fmt.Errorf("actual of %s: %w", ind.Code, err)
	}
	f.Value, f.Has = round(v.Float64), f.Values > 0
	return f, nil
}

// Actual is an indicator's figure for a unit's subtree over a period, computed from the
// stored values by the indicator's aggregation rule.
func (s *Service) Actual(ctx context.Context, a access.Actor, ind Indicator, unit org.Unit, p Period) (Figure, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return Figure{}, err
	}
	if !a.Sees(unit.Path) {
		return Figure{}, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	figs, err := s.figures(ctx, []Indicator{ind}, unit, p)
	return figs[ind.ID], err
}

// figures computes indicators' figures for a unit's subtree over a period: those the rollups
// hold in one read of them, the latest-value ones from the values, formulas last over the rest.
func (s *Service) figures(ctx context.Context, inds []Indicator, unit org.Unit, p Period) (map[int64]Figure, error) {
	out := make(map[int64]Figure, len(inds))
	sums, err := s.rollupSums(ctx, unit.ID, "", p)
	if err != nil {
		return nil, err
	}
	var formulas []Indicator
	for _, ind := range inds {
		switch {
		case ind.Aggregation == "formula":
			formulas = append(formulas, ind)
		case ind.Aggregation == "reach":
			if out[ind.ID], err = reachFigure(ctx, s.db.R, ind, unit, p, ""); err != nil {
				return nil, err
			}
		case fromRollups(ind):
			out[ind.ID] = sums[ind.ID].figure(ind)
		default:
			if out[ind.ID], err = s.actualRaw(ctx, s.db.R, ind, unit.Path+"%", p); err != nil {
				return nil, err
			}
		}
	}
	if len(formulas) > 0 {
		fr := &formulaResolver{s: s, ctx: ctx, unit: unit, p: p, known: map[string]Figure{}, byCode: map[string]Indicator{}}
		for _, ind := range inds {
			fr.byCode[ind.Code] = ind
			if f, ok := out[ind.ID]; ok {
				fr.known[ind.Code] = f
			}
		}
		for _, ind := range formulas {
			out[ind.ID] = fr.figure(ind, 0)
			if fr.err != nil {
				return nil, fr.err
			}
		}
	}
	return out, nil
}

// rollupSums reads a unit's rollups for one combination over a period, per indicator: the rows
// of the periods that end in it, as actualRaw counts values.
func (s *Service) rollupSums(ctx context.Context, unitID int64, combo string, p Period) (map[int64]agg, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT indicator_id, SUM(n), SUM(n_value), SUM(sum_value), SUM(n_num), SUM(sum_num), SUM(n_den), SUM(sum_den)
		FROM value_rollups r WHERE unit_id = $1 AND combo = $2 AND `+endsIn("r", 3, 4)+` GROUP BY indicator_id`, unitID, combo, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	return scanSums(rows)
}

// scanSums reads (key, counters…) rows into a map.
func scanSums(rows *sql.Rows) (map[int64]agg, error) {
	defer rows.Close()
	out := map[int64]agg{}
	for rows.Next() {
		var id int64
		var g agg
		if err := rows.Scan(&id, &g.N, &g.NValue, &g.SumValue, &g.NNum, &g.SumNum, &g.NDen, &g.SumDen); err != nil {
			return nil, err
		}
		out[id] = g
	}
	return out, rows.Err()
}

// formulaResolver evaluates formula indicators over the figures of the indicators they name, at
// the same unit and period (or the one before, for prev()), in any disaggregation.
type formulaResolver struct {
	s      *Service
	ctx    context.Context
	unit   org.Unit
	p      Period
	known  map[string]Figure // figures of totals in p, by indicator code
	byCode map[string]Indicator
	sets   map[string][]string
	used   int // values behind the figures read
	err    error
}

// maxFormulaDepth bounds formulas over formulas (and so a cycle of them).
const maxFormulaDepth = 8

func (r *formulaResolver) figure(ind Indicator, depth int) Figure {
	e, err := expr.ParseFormula(ind.Formula)
	if err != nil || depth > maxFormulaDepth {
		return Figure{}
	}
	r.used = 0
	v, ok := e.EvalNumber(depthResolver{r, depth})
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return Figure{Values: r.used}
	}
	return Figure{Value: round(v), Has: true, Values: r.used}
}

type depthResolver struct {
	*formulaResolver
	depth int
}

func (r depthResolver) Value(ref expr.Ref) (float64, bool) {
	if r.err != nil {
		return 0, false
	}
	p := r.p
	if ref.Prev {
		var ok bool
		if p, ok = previous(r.p); !ok {
			return 0, false
		}
	}
	ind, ok := r.byCode[ref.Indicator]
	if !ok {
		var err error
		ind, err = r.s.IndicatorByCode(r.ctx, access.System, ref.Indicator)
		if errors.Is(err, store.ErrNotFound) {
			return 0, false
		}
		if err != nil {
			r.err = err
			return 0, false
		}
		r.byCode[ref.Indicator] = ind
	}
	var f Figure
	switch {
	case ref.Combo == "" && !ref.Prev && r.known[ind.Code].Has:
		f = r.known[ind.Code]
	case ind.Aggregation == "formula":
		if ref.Combo != "" {
			return 0, false
		}
		sub := &formulaResolver{s: r.s, ctx: r.ctx, unit: r.unit, p: p, known: map[string]Figure{}, byCode: r.byCode}
		f = sub.figure(ind, r.depth+1)
		r.err = sub.err
	case ind.Aggregation == "reach":
		var err error
		if f, err = reachFigure(r.ctx, r.s.db.R, ind, r.unit, p, ref.Combo); err != nil {
			r.err = err
			return 0, false
		}
	case fromRollups(ind):
		sums, err := r.s.rollupSums(r.ctx, r.unit.ID, ref.Combo, p)
		if err != nil {
			r.err = err
			return 0, false
		}
		f = sums[ind.ID].figure(ind)
	case ref.Combo == "":
		var err error
		if f, err = r.s.actualRaw(r.ctx, r.s.db.R, ind, r.unit.Path+"%", p); err != nil {
			r.err = err
			return 0, false
		}
	}
	r.used += f.Values
	return f.Value, f.Has
}

func (r depthResolver) Expand(ref expr.Ref) []expr.Ref {
	if r.sets == nil {
		r.sets = map[string][]string{}
		cats, err := r.s.categoryStates(r.ctx)
		if err != nil {
			r.err = err
			return nil
		}
		for k := range cats {
			set, cat, _ := strings.Cut(k, ":")
			r.sets[set] = append(r.sets[set], cat)
		}
	}
	var out []expr.Ref
	for _, c := range r.sets[ref.Wildcard] {
		out = append(out, ref.With(ref.Wildcard, c))
	}
	return out
}

// Status compares an actual with its target. threshold is the tolerated share (0.15 = ±15%).
const (
	OnTrack  = "on_track"
	Behind   = "behind"
	Ahead    = "ahead"
	NoTarget = "no_target"
	NoData   = "no_data"
)

// StatusOf classifies progress: for an indicator that should rise, below (1-threshold)×target
// is behind and above (1+threshold)×target is ahead; for one that should fall, the reverse.
func StatusOf(target *float64, actual Figure, direction string, threshold float64) string {
	switch {
	case target == nil:
		return NoTarget
	case !actual.Has:
		return NoData
	case *target == 0:
		if actual.Value == 0 {
			return OnTrack
		}
		if direction == "down" {
			return Behind
		}
		return Ahead
	}
	r := actual.Value / *target
	low, high := Behind, Ahead
	if direction == "down" {
		low, high = Ahead, Behind
	}
	switch {
	case r < 1-threshold:
		return low
	case r > 1+threshold:
		return high
	}
	return OnTrack
}

// Row is one line of the targets-versus-progress table.
type Row struct {
	Indicator    Indicator `json:"indicator"`
	Element      Element   `json:"element"`
	Target       *float64  `json:"target"`
	ChildTargets *float64  `json:"child_targets"` // sum of the targets set at the unit's children, for comparison
	Actual       Figure    `json:"actual"`
	Percent      *float64  `json:"percent"` // actual / target × 100
	Status       string    `json:"status"`
	TargetNote   string    `json:"target_note,omitempty"`
}

// Table is the targets-versus-progress table of a framework for a unit and period.
type Table struct {
	Framework Framework `json:"framework"`
	Unit      org.Unit  `json:"unit"`
	Period    Period    `json:"period"`
	Threshold float64   `json:"threshold"`
	Rows      []Row     `json:"rows"`
}

// targetSums reads, per indicator, the unit's own target for a period key and the sum of its
// children's targets (nil where none is set). indicatorID 0 reads every indicator.
type targetLine struct {
	own      *float64
	note     string
	children *float64
}

func (s *Service) targetLines(ctx context.Context, unitID int64, period string, indicatorID int64) (map[int64]targetLine, error) {
	filter, args := "", []any{unitID, period}
	if indicatorID != 0 {
		filter, args = " AND t.indicator_id = $3", append(args, indicatorID)
	}
	return s.readTargetLines(ctx, args,
		`SELECT t.indicator_id, t.value, t.note FROM targets t WHERE t.unit_id = $1 AND t.period = $2`+filter,
		`SELECT t.indicator_id, SUM(t.value) FROM targets t JOIN org_units u ON u.id = t.unit_id
		WHERE u.parent_id = $1 AND t.period = $2`+filter+` GROUP BY t.indicator_id`)
}

// readTargetLines runs two queries with the same arguments: own returns (key, value, note),
// children (key, sum of the targets below).
func (s *Service) readTargetLines(ctx context.Context, args []any, own, children string) (map[int64]targetLine, error) {
	out := map[int64]targetLine{}
	rows, err := s.db.R.QueryContext(ctx, own, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var v float64
		var note string
		if err := rows.Scan(&id, &v, &note); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] = targetLine{own: &v, note: note}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.R.QueryContext(ctx, children, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		l := out[id]
		l.children = &v
		out[id] = l
	}
	return out, rows.Err()
}

// childTargetLines reads one indicator's targets at each child of a unit and the sums of the
// targets at each child's children, keyed by child.
func (s *Service) childTargetLines(ctx context.Context, unitID int64, period string, indicatorID int64) (map[int64]targetLine, error) {
	return s.readTargetLines(ctx, []any{unitID, period, indicatorID},
		`SELECT t.unit_id, t.value, t.note FROM targets t JOIN org_units u ON u.id = t.unit_id
		WHERE u.parent_id = $1 AND t.period = $2 AND t.indicator_id = $3`,
		`SELECT c.parent_id, SUM(t.value) FROM targets t JOIN org_units c ON c.id = t.unit_id JOIN org_units k ON k.id = c.parent_id
		WHERE k.parent_id = $1 AND t.period = $2 AND t.indicator_id = $3 GROUP BY c.parent_id`)
}

// Progress builds the targets-versus-progress table: for every indicator of the framework, the
// unit's target for the period, the sum of its children's targets, and the actual computed
// from the values reported in the unit's subtree.
func (s *Service) Progress(ctx context.Context, a access.Actor, frameworkCode string, unit org.Unit, p Period, threshold float64) (Table, error) {
	f, err := s.Current(ctx, a, frameworkCode)
	if err != nil {
		return Table{}, err
	}
	if !a.Sees(unit.Path) {
		return Table{}, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	if threshold <= 0 || threshold >= 1 {
		threshold = 0.15
	}
	elements, err := s.queryElements(ctx, s.db.R, "framework_id = $1", f.ID)
	if err != nil {
		return Table{}, err
	}
	elements = treeOrder(elements)
	inds, err := s.Indicators(ctx, a, frameworkCode)
	if err != nil {
		return Table{}, err
	}
	figs, err := s.figures(ctx, inds, unit, p)
	if err != nil {
		return Table{}, err
	}
	tls, err := s.targetLines(ctx, unit.ID, p.Key, 0)
	if err != nil {
		return Table{}, err
	}
	t := Table{Framework: f, Unit: unit, Period: p, Threshold: threshold}
	for _, e := range elements {
		for _, ind := range inds {
			if ind.ElementCode != e.Code {
				continue
			}
			row := makeRow(ind, tls[ind.ID], figs[ind.ID], threshold)
			row.Element = e
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

func makeRow(ind Indicator, tl targetLine, fig Figure, threshold float64) Row {
	row := Row{Indicator: ind, Target: tl.own, TargetNote: tl.note, ChildTargets: tl.children, Actual: fig}
	if row.Target != nil && *row.Target > 0 && row.Actual.Has {
		pct := round(100 * row.Actual.Value / *row.Target)
		row.Percent = &pct
	}
	row.Status = StatusOf(row.Target, row.Actual, ind.Direction, threshold)
	return row
}

// ChildRow is one child unit's line in a drill-down, or the line of what is recorded at the
// unit drilled into itself (Own, with that unit as Unit).
type ChildRow struct {
	Unit org.Unit `json:"unit"`
	Own  bool     `json:"own"`
	Row
}

// Drill returns an indicator's progress at each child of unit: the next level of the table.
// When values are recorded at the unit itself (not at any unit below it) in the period (for a
// reach indicator: people served there), a last row marked Own gives their figure and count
// (ownFigure), so that the rows account for the unit's figure: for a sum indicator they add up
// to it. The own row has no target (targets are set for a unit's whole area), so its status is
// no_target.
func (s *Service) Drill(ctx context.Context, a access.Actor, indicatorID int64, unit org.Unit, p Period, threshold float64) ([]ChildRow, error) {
	ind, err := s.Indicator(ctx, a, indicatorID)
	if err != nil {
		return nil, err
	}
	kids, err := s.org.Children(ctx, a, unit.ID)
	if err != nil {
		return nil, err
	}
	if threshold <= 0 || threshold >= 1 {
		threshold = 0.15
	}
	// One read of the rollups gives every child's figure; latest-value and formula
	// indicators are computed per child.
	var sums map[int64]agg
	if fromRollups(ind) {
		rows, err := s.db.R.QueryContext(ctx, `SELECT r.unit_id, SUM(r.n), SUM(r.n_value), SUM(r.sum_value), SUM(r.n_num), SUM(r.sum_num), SUM(r.n_den), SUM(r.sum_den)
			FROM value_rollups r WHERE r.unit_id IN (SELECT id FROM org_units WHERE parent_id = $1)
			AND r.combo = '' AND r.indicator_id = $2 AND `+endsIn("r", 3, 4)+` GROUP BY r.unit_id`,
			unit.ID, ind.ID, p.Start, p.End)
		if err != nil {
			return nil, err
		}
		if sums, err = scanSums(rows); err != nil {
			return nil, err
		}
	}
	tls, err := s.childTargetLines(ctx, unit.ID, p.Key, ind.ID)
	if err != nil {
		return nil, err
	}
	var out []ChildRow
	for _, k := range kids {
		var fig Figure
		if sums != nil {
			fig = sums[k.ID].figure(ind)
		} else {
			figs, err := s.figures(ctx, []Indicator{ind}, k, p)
			if err != nil {
				return nil, err
			}
			fig = figs[ind.ID]
		}
		out = append(out, ChildRow{Unit: k, Row: makeRow(ind, tls[k.ID], fig, threshold)})
	}
	own, err := s.ownFigure(ctx, ind, unit, p)
	if err != nil {
		return nil, err
	}
	if own.Values > 0 || own.People > 0 {
		out = append(out, ChildRow{Unit: unit, Own: true, Row: makeRow(ind, targetLine{}, own, threshold)})
	}
	return out, nil
}

// ownFigure is an indicator's figure from what is recorded at the unit itself, not at any unit
// below it, computed by the rule that gives a child's row its figure over the child's area:
// the stored totals by aggregation rule (actualRaw, which the rollups the children's rows read
// are held to), counted where their period ends; for latest, the unit's own last value; for a
// rate, the ratio of its own parts. A reach indicator counts the distinct people served at the
// unit itself. A formula has no records of its own (it reads other indicators'), so none.
func (s *Service) ownFigure(ctx context.Context, ind Indicator, unit org.Unit, p Period) (Figure, error) {
	switch ind.Aggregation {
	case "formula":
		return Figure{}, nil
	case "reach":
		return s.ownReach(ctx, ind, unit, p)
	}
	// The unit's path without the subtree's wildcard matches the unit alone: a path is digits
	// and slashes ("/1/5/"), nothing LIKE reads as a pattern.
	return s.actualRaw(ctx, s.db.R, ind, unit.Path, p)
}

// ownReach counts the distinct people served at the unit itself over the period, as
// analytics.SQLCount counts them over a subtree: services on a day of the period's months, of
// the types the indicator counts (its formula; any when empty).
func (s *Service) ownReach(ctx context.Context, ind Indicator, unit org.Unit, p Period) (Figure, error) {
	span := analytics.SpanOf(p.Start, p.End)
	query := `SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN cards c ON c.id = s.card_id
		WHERE s.site_id = $1 AND s.served_on >= $2 AND s.served_on <= $3`
	args := []any{unit.ID, span.From + "-01", span.To + "-31"}
	var types []string
	for _, t := range ind.ReachTypes() {
		args = append(args, t)
		types = append(types, fmt.Sprintf("$%d", len(args)))
	}
	if len(types) > 0 {
		query += ` AND s.type IN (` + strings.Join(types, ",") + `)`
	}
	var n int
	if err := s.db.R.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return Figure{}, fmt.Errorf("reach of %s at unit %d: %w", ind.Code, unit.ID, err)
	}
	return Figure{Value: float64(n), Has: n > 0, People: int64(n)}, nil
}
