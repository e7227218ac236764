package benchgen

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
)

// Threshold is the status threshold the measurements use (the table's default, ±15%).
const Threshold = 0.15

// Aims of issue 3 §7 for the national table.
const (
	AimNational = 100 * time.Millisecond
	AimSpeedup  = 20.0
)

// Timing summarises repeated runs of one measurement.
type Timing struct {
	Reps int
	Min  time.Duration
	P50  time.Duration
	P95  time.Duration
}

// Report is a benchmark run: the data generated and the four measurements, each checked
// against its counterpart.
type Report struct {
	Generated
	Period          string
	Progress        Timing // results.Service.Progress: the national table
	ProgressSQL     Timing // the same table from one GROUP BY over data_values
	Drill           Timing // results.Service.Drill: the province's children
	DrillSQL        Timing // the same from one GROUP BY over the province's values per child
	ProgressSpeedup float64
	DrillSpeedup    float64
	ProgressRows    int // rows compared, every repetition
	DrillRows       int
	AimMet          bool // national p50 under AimNational and at least AimSpeedup times the baseline
}

// Run generates the data spec describes into db (empty and migrated), measures it and prints the
// report to w. It fails if the service and the SQL baseline ever disagree.
func Run(ctx context.Context, db *store.DB, spec Spec, w io.Writer) (Report, error) {
	g, err := Generate(ctx, db, spec, w)
	if err != nil {
		return Report{Generated: g}, err
	}
	r, err := Measure(ctx, db, g, spec, w)
	if err != nil {
		return r, err
	}
	Print(w, r)
	return r, nil
}

// Measure times the national table and the province drill-down through the results service and
// through plain SQL, on data Generate made. Every repetition's answers are compared; the first
// difference is returned as an error.
func Measure(ctx context.Context, db *store.DB, g Generated, spec Spec, log io.Writer) (Report, error) {
	spec = spec.WithDefaults()
	r := Report{Generated: g, Period: spec.Period}
	p, err := results.ParsePeriod(spec.Period)
	if err != nil {
		return r, err
	}
	svc := results.New(db)
	b := Baseline{DB: db}

	var table results.Table
	var base []results.Row
	service := func() (time.Duration, error) {
		t := time.Now()
		table, err = svc.Progress(ctx, access.System, g.Framework, g.National, p, Threshold)
		return time.Since(t), err
	}
	plain := func() (time.Duration, error) {
		t := time.Now()
		base, err = b.National(ctx, g.Framework, g.National, p, Threshold)
		return time.Since(t), err
	}
	check := func() error {
		r.ProgressRows = len(table.Rows)
		return CompareTable(table, base)
	}
	fmt.Fprintf(log, "measuring the national table (period %s)\n", p.Key)
	if r.Progress, r.ProgressSQL, err = pair(service, plain, check, spec); err != nil {
		return r, fmt.Errorf("national table of %s: %w", g.National.Code, err)
	}

	var drill, drillBase []results.ChildRow
	service = func() (time.Duration, error) {
		t := time.Now()
		drill, err = svc.Drill(ctx, access.System, g.Indicator.ID, g.Province, p, Threshold)
		return time.Since(t), err
	}
	plain = func() (time.Duration, error) {
		t := time.Now()
		drillBase, err = b.Drill(ctx, g.Indicator.ID, g.Province, p, Threshold)
		return time.Since(t), err
	}
	check = func() error {
		r.DrillRows = len(drill)
		return CompareDrill(drill, drillBase)
	}
	fmt.Fprintf(log, "measuring the drill-down of %s into %s\n", g.Indicator.Code, g.Province.Code)
	if r.Drill, r.DrillSQL, err = pair(service, plain, check, spec); err != nil {
		return r, fmt.Errorf("drill-down of %s at %s: %w", g.Indicator.Code, g.Province.Code, err)
	}
	r.ProgressSpeedup = speedup(r.ProgressSQL.P50, r.Progress.P50)
	r.DrillSpeedup = speedup(r.DrillSQL.P50, r.Drill.P50)
	r.AimMet = r.Progress.P50 < AimNational && r.ProgressSpeedup >= AimSpeedup
	return r, nil
}

func speedup(slow, fast time.Duration) float64 {
	if fast <= 0 {
		return math.Inf(1)
	}
	return float64(slow) / float64(fast)
}

// pair runs a service measurement and its baseline: one untimed warm-up of each, then timed
// repetitions, checking after every pair of answers.
func pair(service, plain func() (time.Duration, error), check func() error, spec Spec) (Timing, Timing, error) {
	if _, err := service(); err != nil {
		return Timing{}, Timing{}, err
	}
	if _, err := plain(); err != nil {
		return Timing{}, Timing{}, err
	}
	if err := check(); err != nil {
		return Timing{}, Timing{}, err
	}
	st, err := repeat(service, check, spec)
	if err != nil {
		return st, Timing{}, err
	}
	bt, err := repeat(plain, check, spec)
	return st, bt, err
}

// repeat times fn spec.Reps times, or fewer (at least three) once spec.Budget is spent.
func repeat(fn func() (time.Duration, error), check func() error, spec Spec) (Timing, error) {
	var ds []time.Duration
	began := time.Now()
	for len(ds) < spec.Reps {
		d, err := fn()
		if err != nil {
			return Timing{}, err
		}
		if err := check(); err != nil {
			return Timing{}, err
		}
		ds = append(ds, d)
		if len(ds) >= min(3, spec.Reps) && time.Since(began) > spec.Budget {
			break
		}
	}
	return timing(ds), nil
}

// timing summarises durations: nearest-rank percentiles.
func timing(ds []time.Duration) Timing {
	if len(ds) == 0 {
		return Timing{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration { return s[max(0, int(math.Ceil(q*float64(len(s))))-1)] }
	return Timing{Reps: len(s), Min: s[0], P50: rank(0.5), P95: rank(0.95)}
}

// Baseline computes the table and the drill-down the plain way: one GROUP BY over the raw values
// of the subtree (totals only, combo ”, not legacy, periods inside the range), with the targets
// read alongside. It handles the generated indicators' rule (counts summed) only. The drill-down
// first gathers the province's values of the indicator (MATERIALIZED, so that neither engine
// walks the whole network once per child), then groups them by the child whose path they extend.
type Baseline struct{ DB *store.DB }

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// row assembles a progress row from the baseline's figures, by the table's rules.
func baselineRow(n int, sum float64, target, childTargets *float64, note, direction string, threshold float64) results.Row {
	row := results.Row{Target: target, ChildTargets: childTargets, TargetNote: note,
		Actual: results.Figure{Value: round6(sum), Has: n > 0, Values: n}}
	if target != nil && *target > 0 && row.Actual.Has {
		pct := round6(100 * row.Actual.Value / *target)
		row.Percent = &pct
	}
	row.Status = results.StatusOf(target, row.Actual, direction, threshold)
	return row
}

type figure struct {
	n   int
	sum float64
}

type target struct {
	value float64
	note  string
}

// National returns one row per indicator of the framework (Row.Indicator holds only its id), in
// indicator id order.
func (b Baseline) National(ctx context.Context, framework string, unit org.Unit, p results.Period, threshold float64) ([]results.Row, error) {
	db := b.DB.R
	type ind struct {
		id        int64
		direction string
	}
	var inds []ind
	rows, err := db.QueryContext(ctx, "SELECT id, direction FROM indicators WHERE framework_code = $1 ORDER BY id", framework)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var i ind
		if err := rows.Scan(&i.id, &i.direction); err != nil {
			rows.Close()
			return nil, err
		}
		inds = append(inds, i)
	}
	rows.Close()
	actual := map[int64]figure{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var f figure
		var sum sql.NullFloat64
		err := rows.Scan(&id, &f.n, &sum)
		f.sum = sum.Float64
		actual[id] = f
		return err
	}, `SELECT v.indicator_id, COUNT(*), SUM(v.value) FROM data_values v
		JOIN org_units u ON u.id = v.unit_id JOIN indicators i ON i.id = v.indicator_id
		WHERE i.framework_code = $1 AND u.path LIKE $2 AND v.combo = '' AND v.legacy = FALSE AND v.period_start >= $3 AND v.period_end <= $4
		GROUP BY v.indicator_id`, framework, unit.Path+"%", p.Start, p.End)
	if err != nil {
		return nil, err
	}
	targets := map[int64]target{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var t target
		err := rows.Scan(&id, &t.value, &t.note)
		targets[id] = t
		return err
	}, "SELECT indicator_id, value, note FROM targets WHERE unit_id = $1 AND period = $2", unit.ID, p.Key)
	if err != nil {
		return nil, err
	}
	childTargets := map[int64]float64{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var sum float64
		err := rows.Scan(&id, &sum)
		childTargets[id] = sum
		return err
	}, `SELECT t.indicator_id, SUM(t.value) FROM targets t JOIN org_units u ON u.id = t.unit_id
		WHERE u.parent_id = $1 AND t.period = $2 GROUP BY t.indicator_id`, unit.ID, p.Key)
	if err != nil {
		return nil, err
	}
	out := make([]results.Row, 0, len(inds))
	for _, i := range inds {
		t, ct := optional(targets, childTargets, i.id)
		row := baselineRow(actual[i.id].n, actual[i.id].sum, t, ct, targets[i.id].note, i.direction, threshold)
		row.Indicator.ID = i.id
		out = append(out, row)
	}
	return out, nil
}

func optional(targets map[int64]target, childTargets map[int64]float64, id int64) (*float64, *float64) {
	var t, ct *float64
	if v, ok := targets[id]; ok {
		t = &v.value
	}
	if v, ok := childTargets[id]; ok {
		ct = &v
	}
	return t, ct
}

// Drill returns one row per child of unit (ChildRow.Unit holds only its id and code), in code order.
func (b Baseline) Drill(ctx context.Context, indicatorID int64, unit org.Unit, p results.Period, threshold float64) ([]results.ChildRow, error) {
	db := b.DB.R
	var direction string
	if err := db.QueryRowContext(ctx, "SELECT direction FROM indicators WHERE id = $1", indicatorID).Scan(&direction); err != nil {
		return nil, err
	}
	var kids []org.Unit
	err := scanEach(ctx, db, func(rows *sql.Rows) error {
		var u org.Unit
		err := rows.Scan(&u.ID, &u.Code)
		kids = append(kids, u)
		return err
	}, "SELECT id, code FROM org_units WHERE parent_id = $1 ORDER BY code", unit.ID)
	if err != nil {
		return nil, err
	}
	actual := map[int64]figure{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var f figure
		var sum sql.NullFloat64
		err := rows.Scan(&id, &f.n, &sum)
		f.sum = sum.Float64
		actual[id] = f
		return err
	}, `WITH vals AS MATERIALIZED (SELECT u.path, v.value FROM data_values v JOIN org_units u ON u.id = v.unit_id
			WHERE v.indicator_id = $2 AND u.path LIKE $3 AND v.combo = '' AND v.legacy = FALSE AND v.period_start >= $4 AND v.period_end <= $5)
		SELECT c.id, COUNT(*), SUM(vals.value) FROM org_units c JOIN vals ON vals.path LIKE c.path || '%'
		WHERE c.parent_id = $1 GROUP BY c.id`, unit.ID, indicatorID, unit.Path+"%", p.Start, p.End)
	if err != nil {
		return nil, err
	}
	targets := map[int64]target{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var t target
		err := rows.Scan(&id, &t.value, &t.note)
		targets[id] = t
		return err
	}, `SELECT t.unit_id, t.value, t.note FROM targets t JOIN org_units c ON c.id = t.unit_id
		WHERE c.parent_id = $1 AND t.indicator_id = $2 AND t.period = $3`, unit.ID, indicatorID, p.Key)
	if err != nil {
		return nil, err
	}
	childTargets := map[int64]float64{}
	err = scanEach(ctx, db, func(rows *sql.Rows) error {
		var id int64
		var sum float64
		err := rows.Scan(&id, &sum)
		childTargets[id] = sum
		return err
	}, `SELECT u.parent_id, SUM(t.value) FROM targets t JOIN org_units u ON u.id = t.unit_id JOIN org_units c ON c.id = u.parent_id
		WHERE c.parent_id = $1 AND t.indicator_id = $2 AND t.period = $3 GROUP BY u.parent_id`, unit.ID, indicatorID, p.Key)
	if err != nil {
		return nil, err
	}
	out := make([]results.ChildRow, 0, len(kids))
	for _, k := range kids {
		t, ct := optional(targets, childTargets, k.ID)
		row := baselineRow(actual[k.ID].n, actual[k.ID].sum, t, ct, targets[k.ID].note, direction, threshold)
		row.Indicator.ID = indicatorID
		out = append(out, results.ChildRow{Unit: k, Row: row})
	}
	return out, nil
}

func scanEach(ctx context.Context, db *sql.DB, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CompareTable checks the service's table against the baseline's rows: the same indicators,
// and for each the same target, children's targets, actual, percentage and status.
func CompareTable(t results.Table, base []results.Row) error {
	byID := map[int64]results.Row{}
	for _, r := range base {
		byID[r.Indicator.ID] = r
	}
	if len(t.Rows) != len(base) {
		return fmt.Errorf("the service's table has %d rows, the baseline %d", len(t.Rows), len(base))
	}
	for _, r := range t.Rows {
		b, ok := byID[r.Indicator.ID]
		if !ok {
			return fmt.Errorf("indicator %s (id %d) is in the service's table, not in the baseline", r.Indicator.Code, r.Indicator.ID)
		}
		if d := diffRow(r, b); d != "" {
			return fmt.Errorf("indicator %s (id %d): %s", r.Indicator.Code, r.Indicator.ID, d)
		}
	}
	return nil
}

// CompareDrill checks the service's drill-down against the baseline's, child by child.
func CompareDrill(got, base []results.ChildRow) error {
	if len(got) != len(base) {
		return fmt.Errorf("the service lists %d children, the baseline %d", len(got), len(base))
	}
	for i := range got {
		if got[i].Unit.ID != base[i].Unit.ID {
			return fmt.Errorf("child %d: the service has unit %s (id %d), the baseline %s (id %d)", i+1,
				got[i].Unit.Code, got[i].Unit.ID, base[i].Unit.Code, base[i].Unit.ID)
		}
		if d := diffRow(got[i].Row, base[i].Row); d != "" {
			return fmt.Errorf("child %s (id %d): %s", got[i].Unit.Code, got[i].Unit.ID, d)
		}
	}
	return nil
}

// diffRow describes how a service row differs from a baseline row ("" when they agree).
func diffRow(s, b results.Row) string {
	var d []string
	add := func(what string, sv, bv any) { d = append(d, fmt.Sprintf("%s: service %v, baseline %v", what, sv, bv)) }
	if s.Actual != b.Actual {
		add("actual", fmt.Sprintf("%+v", s.Actual), fmt.Sprintf("%+v", b.Actual))
	}
	if !samePtr(s.Target, b.Target) {
		add("target", ptr(s.Target), ptr(b.Target))
	}
	if !samePtr(s.ChildTargets, b.ChildTargets) {
		add("children's targets", ptr(s.ChildTargets), ptr(b.ChildTargets))
	}
	if !samePtr(s.Percent, b.Percent) {
		add("percent", ptr(s.Percent), ptr(b.Percent))
	}
	if s.Status != b.Status {
		add("status", s.Status, b.Status)
	}
	if s.TargetNote != b.TargetNote {
		add("target note", strconv.Quote(s.TargetNote), strconv.Quote(b.TargetNote))
	}
	return strings.Join(d, "; ")
}

func samePtr(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func ptr(p *float64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// Print writes the report as a readable table.
func Print(w io.Writer, r Report) {
	c := r.LevelCounts
	fmt.Fprintf(w, "\nresults roll-up benchmark on %s\n", r.Dialect)
	fmt.Fprintf(w, "network  %s units: %s national, %s provincial, %s municipal, %s county, %s community\n",
		num(r.Units), num(c[0]), num(c[1]), num(c[2]), num(c[3]), num(c[4]))
	fmt.Fprintf(w, "data     %s values (%s totals + %s disaggregated) from %s reporting communities (%.2f%%), %d indicators; %s targets\n",
		num(r.Values), num(r.Totals), num(r.Values-r.Totals), num(r.Reporting), 100*float64(r.Reporting)/float64(max(1, c[4])), len(r.Indicators), num(r.Targets))
	fmt.Fprintf(w, "load     units %s (%s units/s) · framework %s · values and targets %s (%s rows/s, %s) · rollups %s (%s rows) · checkpoint/statistics %s · total %s\n\n",
		dur(r.UnitsTime), num(int64(r.UnitsPerSecond)), dur(r.SetupTime), dur(r.ValuesTime), num(int64(r.RowsPerSecond)), r.Method,
		dur(r.RollupTime), num(r.Rollups.Rows), dur(r.AnalyzeTime), dur(r.Elapsed))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "period %s, threshold ±%.0f%%\t\treps\tmin\tp50\tp95\tspeed-up\t\n", r.Period, 100*Threshold)
	line := func(what, how string, t Timing, speed string) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", what, how, t.Reps, ms(t.Min), ms(t.P50), ms(t.P95), speed)
	}
	line(fmt.Sprintf("national table (%d rows)", r.ProgressRows), "service", r.Progress, fmt.Sprintf("%.1f×", r.ProgressSpeedup))
	line("", "SQL GROUP BY", r.ProgressSQL, "")
	line(fmt.Sprintf("drill %s into %s (%d rows)", r.Indicator.Code, r.Province.Code, r.DrillRows), "service", r.Drill, fmt.Sprintf("%.1f×", r.DrillSpeedup))
	line("", "SQL GROUP BY", r.DrillSQL, "")
	tw.Flush()
	verdict := "met"
	if !r.AimMet {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "\nservice and SQL agree on every repetition (national %d rows, drill-down %d rows)\n", r.ProgressRows, r.DrillRows)
	fmt.Fprintf(w, "aim (national table under %s and at least %.0f× the SQL baseline): %s\n", AimNational, AimSpeedup, verdict)
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

func dur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// num writes an integer with thousands separators.
func num[T int | int64](v T) string {
	s := strconv.FormatInt(int64(v), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
