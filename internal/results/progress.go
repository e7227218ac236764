package results

import (
	"context"
	"database/sql"
	"fmt"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
)

// Figure is an aggregated value and how many stored values it rests on.
type Figure struct {
	Value  float64 `json:"value"`
	Has    bool    `json:"has"`    // false when no value was reported
	Values int     `json:"values"` // stored values counted
}

// actualSQL computes an indicator's figure over a subtree (path LIKE $2) and period ($3..$4)
// from the stored totals (combo ”), by aggregation rule. Legacy values never count.
func (s *Service) actual(ctx context.Context, q store.Queryer, ind Indicator, pathPattern string, p Period) (Figure, error) {
	const where = `v.indicator_id = $1 AND u.path LIKE $2 AND v.period_start >= $3 AND v.period_end <= $4 AND v.combo = '' AND v.legacy = FALSE`
	// latest: per unit, the value of its last period in the range.
	const latest = ` AND v.period_start = (SELECT MAX(w.period_start) FROM data_values w WHERE w.indicator_id = v.indicator_id
		AND w.unit_id = v.unit_id AND w.combo = '' AND w.legacy = FALSE AND w.period_start >= $3 AND w.period_end <= $4)`
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
	return s.actual(ctx, s.db.R, ind, unit.Path+"%", p)
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

func (s *Service) target(ctx context.Context, indicatorID, unitID int64, period string) (*float64, string, error) {
	var v float64
	var note string
	err := s.db.R.QueryRowContext(ctx, "SELECT value, note FROM targets WHERE indicator_id = $1 AND unit_id = $2 AND period = $3", indicatorID, unitID, period).Scan(&v, &note)
	if err == sql.ErrNoRows {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return &v, note, nil
}

func (s *Service) childTargets(ctx context.Context, indicatorID, unitID int64, period string) (*float64, error) {
	var n int
	var sum sql.NullFloat64
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*), SUM(t.value) FROM targets t JOIN org_units u ON u.id = t.unit_id
		WHERE t.indicator_id = $1 AND u.parent_id = $2 AND t.period = $3`, indicatorID, unitID, period).Scan(&n, &sum)
	if err != nil || n == 0 {
		return nil, err
	}
	v := sum.Float64
	return &v, nil
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
	t := Table{Framework: f, Unit: unit, Period: p, Threshold: threshold}
	for _, e := range elements {
		for _, ind := range inds {
			if ind.ElementCode != e.Code {
				continue
			}
			row, err := s.row(ctx, ind, unit, p, threshold)
			if err != nil {
				return Table{}, err
			}
			row.Element = e
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

func (s *Service) row(ctx context.Context, ind Indicator, unit org.Unit, p Period, threshold float64) (Row, error) {
	row := Row{Indicator: ind}
	var err error
	if row.Target, row.TargetNote, err = s.target(ctx, ind.ID, unit.ID, p.Key); err != nil {
		return row, err
	}
	if row.ChildTargets, err = s.childTargets(ctx, ind.ID, unit.ID, p.Key); err != nil {
		return row, err
	}
	if row.Actual, err = s.actual(ctx, s.db.R, ind, unit.Path+"%", p); err != nil {
		return row, err
	}
	if row.Target != nil && *row.Target > 0 && row.Actual.Has {
		pct := round(100 * row.Actual.Value / *row.Target)
		row.Percent = &pct
	}
	row.Status = StatusOf(row.Target, row.Actual, ind.Direction, threshold)
	return row, nil
}

// ChildRow is one child unit's line in a drill-down.
type ChildRow struct {
	Unit org.Unit `json:"unit"`
	Row
}

// Drill returns an indicator's progress at each child of unit: the next level of the table.
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
	var out []ChildRow
	for _, k := range kids {
		row, err := s.row(ctx, ind, k, p, threshold)
		if err != nil {
			return nil, err
		}
		out = append(out, ChildRow{Unit: k, Row: row})
	}
	return out, nil
}
