package results

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/org"
	"ting/internal/store"
)

// Derived aggregates. value_rollups holds, for every unit, the sums of the values of its whole
// subtree (itself included) per indicator × period × combination: one row answers a unit's
// figure for one period, so the national table reads a few thousand rows whatever the size of
// the network. The rows are kept exact in the transaction that writes a value (saveValues,
// DeleteValue, the legacy re-marking of UpdateIndicator, a unit's move), and RebuildRollups
// recomputes them from data_values; VerifyRollups proves the two agree.

// agg is a rollup row's counters; adding two is the roll-up of their union.
type agg struct {
	N, NValue, NNum, NDen    int64
	SumValue, SumNum, SumDen float64
}

func (g *agg) add(o agg, sign int64) {
	g.N += sign * o.N
	g.NValue += sign * o.NValue
	g.NNum += sign * o.NNum
	g.NDen += sign * o.NDen
	f := float64(sign)
	g.SumValue += f * o.SumValue
	g.SumNum += f * o.SumNum
	g.SumDen += f * o.SumDen
}

// aggOf is one stored value's contribution.
func aggOf(value, num, den *float64) agg {
	g := agg{N: 1}
	if value != nil {
		g.NValue, g.SumValue = 1, *value
	}
	if num != nil {
		g.NNum, g.SumNum = 1, *num
	}
	if den != nil {
		g.NDen, g.SumDen = 1, *den
	}
	return g
}

// figure turns summed counters into an indicator's figure by its aggregation rule: the same
// arithmetic actualRaw does in SQL. Latest and yes/no need each unit's last period and are
// computed from the values (see figureOf).
func (g agg) figure(ind Indicator) Figure {
	f := Figure{Values: int(g.N), Has: g.N > 0}
	switch {
	case ind.Type == "text":
		return Figure{}
	case ind.Type == "percent" || ind.Type == "ratio":
		switch {
		case g.NNum > 0 && g.NDen > 0 && g.SumDen > 0:
			f.Value = g.SumNum / g.SumDen
			if ind.Type == "percent" {
				f.Value *= 100
			}
		case g.NValue > 0:
			f.Value = g.SumValue / float64(g.NValue)
		}
	case ind.Aggregation == "average":
		if g.NValue > 0 {
			f.Value = g.SumValue / float64(g.NValue)
		}
	default:
		f.Value = g.SumValue
	}
	f.Value = round(f.Value)
	return f
}

// fromRollups reports whether an indicator's figure can be read from the rollups.
func fromRollups(ind Indicator) bool {
	return ind.Aggregation != "latest" && !ind.Computed() && ind.Type != "yesno" && ind.Type != "text"
}

type rollKey struct {
	unit   int64
	combo  string
	ind    int64
	period string
}

type rollDelta struct {
	start, end string
	agg
}

// rollDeltas collects changes to rollup rows before they are written in one pass.
type rollDeltas map[rollKey]*rollDelta

// ancestors returns the ids in a materialised path ("/1/5/23/" → 1, 5, 23).
func ancestors(path string) []int64 {
	var out []int64
	for part := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// add adds (sign 1) or removes (sign -1) a contribution at every unit of path.
func (d rollDeltas) add(path string, ind int64, combo string, p Period, g agg, sign int64) {
	for _, u := range ancestors(path) {
		d.addAt(u, ind, combo, p.Key, p.Start, p.End, g, sign)
	}
}

func (d rollDeltas) addAt(unit, ind int64, combo, period, start, end string, g agg, sign int64) {
	k := rollKey{unit, combo, ind, period}
	r := d[k]
	if r == nil {
		r = &rollDelta{start: start, end: end}
		d[k] = r
	}
	r.add(g, sign)
}

// apply writes the deltas: an upsert that adds them, in statements of many rows, then removes
// the rows whose count fell to zero.
func (d rollDeltas) apply(ctx context.Context, tx *sql.Tx) error {
	keys := make([]rollKey, 0, len(d))
	for k, r := range d {
		if r.agg != (agg{}) {
			keys = append(keys, k)
		}
	}
	// A stable order keeps concurrent writers from deadlocking on PostgreSQL.
	slices.SortFunc(keys, func(a, b rollKey) int {
		if c := cmpInt(a.unit, b.unit); c != 0 {
			return c
		}
		if c := strings.Compare(a.combo, b.combo); c != 0 {
			return c
		}
		if c := cmpInt(a.ind, b.ind); c != 0 {
			return c
		}
		return strings.Compare(a.period, b.period)
	})
	const cols = 13
	// Statements of many rows, but not too many: modernc binds numbered parameters in time
	// that grows with the square of their count.
	const chunk = 100
	var shrunk []rollKey
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		var b strings.Builder
		b.WriteString(`INSERT INTO value_rollups (unit_id, combo, indicator_id, period, period_start, period_end, n, n_value, sum_value, n_num, sum_num, n_den, sum_den) VALUES `)
		args := make([]any, 0, len(part)*cols)
		for j, k := range part {
			r := d[k]
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "$%d", j*cols+c+1)
			}
			b.WriteByte(')')
			args = append(args, k.unit, k.combo, k.ind, k.period, r.start, r.end, r.N, r.NValue, r.SumValue, r.NNum, r.SumNum, r.NDen, r.SumDen)
			if r.N < 0 {
				shrunk = append(shrunk, k)
			}
		}
		b.WriteString(` ON CONFLICT (unit_id, combo, indicator_id, period) DO UPDATE SET n = value_rollups.n + excluded.n,
			n_value = value_rollups.n_value + excluded.n_value, sum_value = value_rollups.sum_value + excluded.sum_value,
			n_num = value_rollups.n_num + excluded.n_num, sum_num = value_rollups.sum_num + excluded.sum_num,
			n_den = value_rollups.n_den + excluded.n_den, sum_den = value_rollups.sum_den + excluded.sum_den`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("update rollups: %w", err)
		}
	}
	for _, k := range shrunk {
		if _, err := tx.ExecContext(ctx, `DELETE FROM value_rollups WHERE unit_id = $1 AND combo = $2 AND indicator_id = $3 AND period = $4 AND n <= 0`,
			k.unit, k.combo, k.ind, k.period); err != nil {
			return fmt.Errorf("update rollups: %w", err)
		}
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// moveRollups keeps the rollups exact when a unit moves: its subtree's sums (the rows at the
// unit itself) leave its old ancestors and join its new ones. org calls it in the move's
// transaction.
func moveRollups(ctx context.Context, tx *sql.Tx, _ store.Dialect, u org.Unit, oldPath string) error {
	rows, err := tx.QueryContext(ctx, `SELECT combo, indicator_id, period, period_start, period_end, n, n_value, sum_value, n_num, sum_num, n_den, sum_den
		FROM value_rollups WHERE unit_id = $1`, u.ID)
	if err != nil {
		return err
	}
	d := rollDeltas{}
	oldUp, newUp := ancestors(oldPath), ancestors(u.Path)
	for rows.Next() {
		var k rollKey
		var r rollDelta
		if err := rows.Scan(&k.combo, &k.ind, &k.period, &r.start, &r.end, &r.N, &r.NValue, &r.SumValue, &r.NNum, &r.SumNum, &r.NDen, &r.SumDen); err != nil {
			rows.Close()
			return err
		}
		for _, a := range oldUp[:len(oldUp)-1] {
			d.addAt(a, k.ind, k.combo, k.period, r.start, r.end, r.agg, -1)
		}
		for _, a := range newUp[:len(newUp)-1] {
			d.addAt(a, k.ind, k.combo, k.period, r.start, r.end, r.agg, 1)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return d.apply(ctx, tx)
}

func init() { org.OnMove(moveRollups) }

// rollupColumns is the shape of a rollup table, for the rebuild's scratch copy.
const rollupColumns = `(unit_id BIGINT NOT NULL, combo TEXT NOT NULL, indicator_id BIGINT NOT NULL, period TEXT NOT NULL,
	period_start TEXT NOT NULL, period_end TEXT NOT NULL, n BIGINT NOT NULL, n_value BIGINT NOT NULL, sum_value DOUBLE PRECISION NOT NULL,
	n_num BIGINT NOT NULL, sum_num DOUBLE PRECISION NOT NULL, n_den BIGINT NOT NULL, sum_den DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (unit_id, combo, indicator_id, period))`

// buildRollups computes rollups from data_values into table (empty), level by level: each
// unit's own values, then from the deepest level up, every unit's rows added to its parent's.
// indicatorID 0 builds every indicator.
func buildRollups(ctx context.Context, tx *sql.Tx, table string, indicatorID int64) error {
	filter, args := "", []any{}
	if indicatorID != 0 {
		filter, args = " AND indicator_id = $1", []any{indicatorID}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (unit_id, combo, indicator_id, period, period_start, period_end, n, n_value, sum_value, n_num, sum_num, n_den, sum_den)
		SELECT unit_id, combo, indicator_id, period, MIN(period_start), MIN(period_end), COUNT(*), COUNT(value), COALESCE(SUM(value), 0),
			COUNT(numerator), COALESCE(SUM(numerator), 0), COUNT(denominator), COALESCE(SUM(denominator), 0)
		FROM data_values WHERE legacy = FALSE`+filter+` GROUP BY unit_id, combo, indicator_id, period`, args...); err != nil {
		return fmt.Errorf("rollups from values: %w", err)
	}
	const depth = `(LENGTH(u.path) - LENGTH(REPLACE(u.path, '/', '')) - 1)`
	var deepest int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX`+depth+`, 0) FROM org_units u`).Scan(&deepest); err != nil {
		return err
	}
	for d := deepest; d > 1; d-- {
		args := []any{d}
		filter := ""
		if indicatorID != 0 {
			filter, args = " AND r.indicator_id = $2", append(args, indicatorID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (unit_id, combo, indicator_id, period, period_start, period_end, n, n_value, sum_value, n_num, sum_num, n_den, sum_den)
			SELECT u.parent_id, r.combo, r.indicator_id, r.period, MIN(r.period_start), MIN(r.period_end), SUM(r.n), SUM(r.n_value), SUM(r.sum_value),
				SUM(r.n_num), SUM(r.sum_num), SUM(r.n_den), SUM(r.sum_den)
			FROM `+table+` r JOIN org_units u ON u.id = r.unit_id WHERE `+depth+` = $1 AND u.parent_id IS NOT NULL`+filter+`
			GROUP BY u.parent_id, r.combo, r.indicator_id, r.period
			ON CONFLICT (unit_id, combo, indicator_id, period) DO UPDATE SET n = `+table+`.n + excluded.n,
				n_value = `+table+`.n_value + excluded.n_value, sum_value = `+table+`.sum_value + excluded.sum_value,
				n_num = `+table+`.n_num + excluded.n_num, sum_num = `+table+`.sum_num + excluded.sum_num,
				n_den = `+table+`.n_den + excluded.n_den, sum_den = `+table+`.sum_den + excluded.sum_den`, args...); err != nil {
			return fmt.Errorf("rollups at depth %d: %w", d-1, err)
		}
	}
	return nil
}

// rebuildIndicatorRollups recomputes one indicator's rollups inside tx (after values changed
// in bulk, e.g. re-marked legacy).
func rebuildIndicatorRollups(ctx context.Context, tx *sql.Tx, indicatorID int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM value_rollups WHERE indicator_id = $1", indicatorID); err != nil {
		return err
	}
	return buildRollups(ctx, tx, "value_rollups", indicatorID)
}

// RollupStats describes a rebuild or a verification.
type RollupStats struct {
	Rows       int64         `json:"rows"`       // rollup rows
	Values     int64         `json:"values"`     // stored values (not legacy)
	Mismatches int64         `json:"mismatches"` // rows that differ from the recomputation
	Samples    []string      `json:"samples,omitempty"`
	Elapsed    time.Duration `json:"elapsed"`
}

// RebuildRollups replaces the rollups by a recomputation from data_values.
func (s *Service) RebuildRollups(ctx context.Context) (RollupStats, error) {
	began := time.Now()
	var st RollupStats
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM value_rollups"); err != nil {
			return err
		}
		if err := buildRollups(ctx, tx, "value_rollups", 0); err != nil {
			return err
		}
		return counts(ctx, tx, &st)
	})
	if err == nil && s.db.Dialect == store.SQLite {
		// A rebuild is one large transaction; until its WAL is written back, every read of the
		// rollups wades through it.
		_, err = s.db.W.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	st.Elapsed = time.Since(began)
	return st, err
}

func counts(ctx context.Context, q store.Queryer, st *RollupStats) error {
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM value_rollups").Scan(&st.Rows); err != nil {
		return err
	}
	return q.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values WHERE legacy = FALSE").Scan(&st.Values)
}

// VerifyRollups recomputes the rollups from data_values into a scratch table and compares them
// row by row with the maintained ones; any difference is a mismatch (with up to ten samples).
// It also checks the top two levels against a direct SQL GROUP BY over the subtree's values,
// a computation that shares nothing with the rollup code.
func (s *Service) VerifyRollups(ctx context.Context) (RollupStats, error) {
	began := time.Now()
	var st RollupStats
	note := func(format string, a ...any) {
		st.Mismatches++
		if len(st.Samples) < 10 {
			st.Samples = append(st.Samples, fmt.Sprintf(format, a...))
		}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE rollup_check "+rollupColumns); err != nil {
			return err
		}
		defer tx.ExecContext(ctx, "DROP TABLE rollup_check") //nolint:errcheck // the transaction ends next
		if err := buildRollups(ctx, tx, "rollup_check", 0); err != nil {
			return err
		}
		if err := counts(ctx, tx, &st); err != nil {
			return err
		}
		const cmp = `SELECT a.unit_id, a.combo, a.indicator_id, a.period, a.n, a.n_value, a.sum_value, a.n_num, a.sum_num, a.n_den, a.sum_den,
			b.n, b.n_value, b.sum_value, b.n_num, b.sum_num, b.n_den, b.sum_den
			FROM %s a LEFT JOIN %s b ON b.unit_id = a.unit_id AND b.combo = a.combo AND b.indicator_id = a.indicator_id AND b.period = a.period`
		for _, dir := range [][2]string{{"value_rollups", "rollup_check"}, {"rollup_check", "value_rollups"}} {
			rows, err := tx.QueryContext(ctx, fmt.Sprintf(cmp, dir[0], dir[1]))
			if err != nil {
				return err
			}
			for rows.Next() {
				var k rollKey
				var a agg
				var bn, bnv, bnn, bnd sql.NullInt64
				var bv, bnum, bden sql.NullFloat64
				if err := rows.Scan(&k.unit, &k.combo, &k.ind, &k.period, &a.N, &a.NValue, &a.SumValue, &a.NNum, &a.SumNum, &a.NDen, &a.SumDen,
					&bn, &bnv, &bv, &bnn, &bnum, &bnd, &bden); err != nil {
					rows.Close()
					return err
				}
				switch {
				case !bn.Valid:
					note("%s has unit %d indicator %d period %s combo %q, %s has not", dir[0], k.unit, k.ind, k.period, k.combo, dir[1])
				case dir[0] == "value_rollups" && !sameAgg(a, agg{bn.Int64, bnv.Int64, bnn.Int64, bnd.Int64, bv.Float64, bnum.Float64, bden.Float64}):
					note("unit %d indicator %d period %s combo %q: kept %+v, recomputed %+v", k.unit, k.ind, k.period, k.combo, a,
						agg{bn.Int64, bnv.Int64, bnn.Int64, bnd.Int64, bv.Float64, bnum.Float64, bden.Float64})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return s.verifyTop(ctx, tx, note)
	})
	st.Elapsed = time.Since(began)
	return st, err
}

// verifyTop compares the rollups of the root units and their children with a plain GROUP BY
// over the values of their subtrees.
func (s *Service) verifyTop(ctx context.Context, tx *sql.Tx, note func(string, ...any)) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, path FROM org_units WHERE parent_id IS NULL
		OR parent_id IN (SELECT id FROM org_units WHERE parent_id IS NULL) ORDER BY path`)
	if err != nil {
		return err
	}
	type unit struct {
		id   int64
		path string
	}
	var top []unit
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.id, &u.path); err != nil {
			rows.Close()
			return err
		}
		top = append(top, u)
	}
	rows.Close()
	for _, u := range top {
		direct := map[rollKey]agg{}
		rows, err := tx.QueryContext(ctx, `SELECT v.combo, v.indicator_id, v.period, COUNT(*), COUNT(v.value), COALESCE(SUM(v.value), 0),
			COUNT(v.numerator), COALESCE(SUM(v.numerator), 0), COUNT(v.denominator), COALESCE(SUM(v.denominator), 0)
			FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE u.path LIKE $1 AND v.legacy = FALSE
			GROUP BY v.combo, v.indicator_id, v.period`, u.path+"%")
		if err != nil {
			return err
		}
		for rows.Next() {
			k := rollKey{unit: u.id}
			var a agg
			if err := rows.Scan(&k.combo, &k.ind, &k.period, &a.N, &a.NValue, &a.SumValue, &a.NNum, &a.SumNum, &a.NDen, &a.SumDen); err != nil {
				rows.Close()
				return err
			}
			direct[k] = a
		}
		rows.Close()
		kept := map[rollKey]agg{}
		rows, err = tx.QueryContext(ctx, `SELECT combo, indicator_id, period, n, n_value, sum_value, n_num, sum_num, n_den, sum_den
			FROM value_rollups WHERE unit_id = $1`, u.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			k := rollKey{unit: u.id}
			var a agg
			if err := rows.Scan(&k.combo, &k.ind, &k.period, &a.N, &a.NValue, &a.SumValue, &a.NNum, &a.SumNum, &a.NDen, &a.SumDen); err != nil {
				rows.Close()
				return err
			}
			kept[k] = a
		}
		rows.Close()
		for k, a := range direct {
			if b, ok := kept[k]; !ok || !sameAgg(a, b) {
				note("unit %d (subtree %s) indicator %d period %s combo %q: GROUP BY gives %+v, rollups %+v", u.id, u.path, k.ind, k.period, k.combo, a, b)
			}
		}
		for k := range kept {
			if _, ok := direct[k]; !ok {
				note("unit %d indicator %d period %s combo %q: rollup row without values", u.id, k.ind, k.period, k.combo)
			}
		}
	}
	return nil
}

// sameAgg compares counters exactly and sums to a relative 1e-9 (sums of non-integers
// depend on the order of addition).
func sameAgg(a, b agg) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) }
	return a.N == b.N && a.NValue == b.NValue && a.NNum == b.NNum && a.NDen == b.NDen &&
		near(a.SumValue, b.SumValue) && near(a.SumNum, b.SumNum) && near(a.SumDen, b.SumDen)
}

// PrintRollupStats writes a rebuild or verification result for the command line.
func PrintRollupStats(w io.Writer, what string, st RollupStats) {
	fmt.Fprintf(w, "%s: %d rollup rows over %d values in %s; %d mismatches\n", what, st.Rows, st.Values, st.Elapsed.Round(time.Millisecond), st.Mismatches)
	for _, s := range st.Samples {
		fmt.Fprintln(w, "  ", s)
	}
}

// EnsureRollups builds the rollups of a database whose values predate them (the first start
// after the migration that added them); it does nothing when they are there.
func (s *Service) EnsureRollups(ctx context.Context) (bool, error) {
	var rows, values int64
	if err := s.db.R.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM value_rollups), (SELECT COUNT(*) FROM data_values WHERE legacy = FALSE)").Scan(&rows, &values); err != nil {
		return false, err
	}
	if rows > 0 || values == 0 {
		return false, nil
	}
	_, err := s.RebuildRollups(ctx)
	return err == nil, err
}
