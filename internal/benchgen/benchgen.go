// Package benchgen generates a national-scale programme network with results data and measures
// the targets-versus-progress table and its drill-down against the same answer computed by plain
// SQL GROUP BY over the raw values, in the same run on the same data (issue 3 §7). It backs
// `go test -bench` in this package and the `ting bench progress` command (see Main).
package benchgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
)

// Spec sizes a generated network and its results data.
//
// The network has five levels shaped like China's administration: about 31 provinces, 11
// cities per province, 8–9 counties per city, and the rest of Units as communities (villages and
// urban communities, some 240 per county at 700,000 units). Smaller networks shrink every fan-out
// by the same factor, (Units/700,000)^¼, so their shape stays similar. Children are spread unevenly
// (each parent gets 0.5–1.5 times the average).
//
// Every indicator is a count summed up the tree, reported monthly from 2010-01 for Months
// months. Values are entered only at communities, and only at a share of them: at 700,000 units,
// 50 indicators and 48 months a value everywhere would be 1.68 billion totals, more than the
// programme will ever hold (CP-TING worked in a few dozen pilot counties, not in every village)
// and more than a 2-core machine loads in an hour. The default ReportingShare of 0.002 spreads about
// 1,400 reporting communities over every province — a programme many times the pilots' reach —
// giving 3.3 million totals. Each total is also disaggregated by one category set (indicator i
// by set i mod CategorySets, as most indicators are by sex or by age band), in parts that sum
// exactly to the total: with the default four sets of 2, 4, 4 and 3 categories that is 3.25
// parts per total, some 14 million values in all, which load and roll up in about ten minutes
// on SQLite on two cores. The reporting communities are drawn at random over the whole network,
// the worst case for the roll-up: few of them share a county, so nearly every value adds a
// rollup row at each of the five levels.
//
// Targets are set for Period at the national unit, every province and every city: each is the sum
// of the generated values it covers times a random factor between 0.7 and 1.35, so the table
// shows all three statuses.
type Spec struct {
	Units          int     // total units, about (default 700,000)
	Indicators     int     // count indicators, sum aggregation (default 50)
	Months         int     // monthly periods from 2010-01 (default 48)
	CategorySets   int     // disaggregations: sex, age band, target group, ethnicity, then generic ones (default 4; -1 for none)
	ReportingShare float64 // share of community units that report values (default 0.002)
	Seed           uint64  // random seed; the same spec and seed give the same data

	Period   string        // period of the measured table and drill-down (default LOP)
	Reps     int           // timed repetitions of each measurement (default 20)
	Budget   time.Duration // a measurement stops repeating after this long, once it has run 3 times (default 60s)
	NoCopy   bool          // PostgreSQL: load with multi-row INSERTs instead of COPY
	Existing bool          // Main: measure the data an earlier run left instead of generating
}

// DefaultSpec is the national-scale benchmark of issue 3 §7.
var DefaultSpec = Spec{Units: 700_000, Indicators: 50, Months: 48, CategorySets: 4, ReportingShare: 0.002, Seed: 1,
	Period: "LOP", Reps: 20, Budget: time.Minute}

// WithDefaults fills the zero fields of s from DefaultSpec.
func (s Spec) WithDefaults() Spec {
	d := DefaultSpec
	if s.Units == 0 {
		s.Units = d.Units
	}
	if s.Indicators == 0 {
		s.Indicators = d.Indicators
	}
	if s.Months == 0 {
		s.Months = d.Months
	}
	if s.CategorySets == 0 {
		s.CategorySets = d.CategorySets
	}
	if s.ReportingShare == 0 {
		s.ReportingShare = d.ReportingShare
	}
	if s.Seed == 0 {
		s.Seed = d.Seed
	}
	if s.Period == "" {
		s.Period = d.Period
	}
	if s.Reps == 0 {
		s.Reps = d.Reps
	}
	if s.Budget == 0 {
		s.Budget = d.Budget
	}
	return s
}

// sets is the number of category sets (CategorySets, with -1 for none).
func (s Spec) sets() int { return max(0, s.CategorySets) }

// check rejects a spec that cannot be generated.
func (s Spec) check() error {
	var errs []error
	if _, err := shape(s.Units); err != nil {
		errs = append(errs, err)
	}
	if s.Indicators < 1 || s.Indicators > 999 {
		errs = append(errs, fmt.Errorf("indicators: %d is not between 1 and 999", s.Indicators))
	}
	if s.Months < 1 || s.Months > 1200 {
		errs = append(errs, fmt.Errorf("months: %d is not between 1 and 1200", s.Months))
	}
	if s.CategorySets < -1 || s.CategorySets > 99 {
		errs = append(errs, fmt.Errorf("category sets: %d is not between 0 and 99 (-1 for none)", s.CategorySets))
	}
	if s.ReportingShare <= 0 || s.ReportingShare > 1 {
		errs = append(errs, fmt.Errorf("reporting share: %g is not in (0, 1]", s.ReportingShare))
	}
	if _, err := results.ParsePeriod(s.Period); err != nil {
		errs = append(errs, err)
	}
	if s.Reps < 1 {
		errs = append(errs, fmt.Errorf("reps: %d is below 1", s.Reps))
	}
	return errors.Join(errs...)
}

// Generated describes the data Generate made.
type Generated struct {
	Dialect        store.Dialect
	Framework      string              // framework code
	National       org.Unit            // the root
	Province       org.Unit            // the province drilled into: the one with most reporting communities
	Indicator      results.Indicator   // the indicator drilled into
	Indicators     []results.Indicator // in creation order
	LevelCounts    [5]int              // units per level, national first
	Units          int                 // all units
	Reporting      int                 // communities reporting values
	Totals         int64               // values with combo '' (the totals)
	Values         int64               // all values, totals and disaggregated parts
	Targets        int64
	Method         string // how values were loaded: COPY or multi-row INSERT
	UnitsTime      time.Duration
	SetupTime      time.Duration // category sets, framework and indicators through the results service
	ValuesTime     time.Duration // values and targets
	RollupTime     time.Duration // results.Service.RebuildRollups
	AnalyzeTime    time.Duration // after the load: VACUUM ANALYZE (PostgreSQL), WAL checkpoint (SQLite)
	Elapsed        time.Duration // all of it
	Rollups        results.RollupStats
	UnitsPerSecond float64
	RowsPerSecond  float64 // values and targets loaded per second of ValuesTime
}

// Level fan-outs at 700,000 units: provinces, cities per province, counties per city.
const (
	refUnits     = 700_000
	refProvinces = 31.0
	refCities    = 11.0
	refCounties  = 8.5
)

// shape returns the number of units per level for about units in all.
func shape(units int) ([5]int, error) {
	var c [5]int
	if units < 9 {
		return c, fmt.Errorf("units: %d is too few for five levels (at least 9)", units)
	}
	if units > 50_000_000 {
		return c, fmt.Errorf("units: %d is more than 50,000,000", units)
	}
	s := math.Pow(float64(units)/refUnits, 0.25)
	scaled := func(ref float64) int { return max(1, int(math.Round(ref*s))) }
	c[0] = 1
	c[1] = max(2, scaled(refProvinces))
	c[2] = c[1] * scaled(refCities)
	c[3] = c[2] * scaled(refCounties)
	c[4] = units - c[0] - c[1] - c[2] - c[3]
	for c[4] < c[3] && c[1] > 2 { // few units: thin the upper levels until every county has a community
		c[1]--
		c[2] = c[1] * scaled(refCities)
		c[3] = c[2] * scaled(refCounties)
		c[4] = units - c[0] - c[1] - c[2] - c[3]
	}
	for c[4] < c[3] && c[3] > c[2] {
		c[3]--
		c[4]++
	}
	for c[4] < c[3] && c[2] > c[1] {
		c[2]--
		c[4]++
	}
	if c[4] < c[3] {
		return c, fmt.Errorf("units: %d is too few for five levels", units)
	}
	return c, nil
}

// spread deals n children to parents, each at least one, in uneven shares; it returns, per
// child, the index of its parent, in order (children of a parent are contiguous).
func spread(rng *rand.Rand, n, parents int) []int32 {
	w := make([]float64, parents)
	var sum float64
	for i := range w {
		w[i] = 0.5 + rng.Float64()
		sum += w[i]
	}
	counts := make([]int, parents)
	left := n - parents
	given := 0
	for i := range counts {
		counts[i] = 1 + int(float64(left)*w[i]/sum)
		given += counts[i]
	}
	for i := 0; given < n; i = (i + 1) % parents {
		counts[i]++
		given++
	}
	out := make([]int32, 0, n)
	for p, k := range counts {
		for range k {
			out = append(out, int32(p))
		}
	}
	return out
}

// network is the generated tree: per level, each unit's parent (an index into the level above).
// Unit j of level l has id first[l]+j.
type network struct {
	counts [5]int
	parent [5][]int32
	first  [5]int64
	codes  [4][]string // codes of the non-community units
	paths  [4][]string
}

func (n *network) id(level, j int) int64 { return n.first[level] + int64(j) }

func newNetwork(rng *rand.Rand, counts [5]int) *network {
	n := &network{counts: counts}
	n.parent[0] = []int32{-1}
	for l := 1; l < 5; l++ {
		n.parent[l] = spread(rng, counts[l], counts[l-1])
	}
	id := int64(1)
	for l := range 5 {
		n.first[l] = id
		id += int64(counts[l])
	}
	letters := []string{"", "P", "M", "X"}
	for l := range 4 {
		n.codes[l] = make([]string, counts[l])
		n.paths[l] = make([]string, counts[l])
		seq := 0
		for j := range counts[l] {
			me := strconv.FormatInt(n.id(l, j), 10) + "/"
			if l == 0 {
				n.codes[0][j], n.paths[0][j] = "CN", "/"+me
				continue
			}
			p := n.parent[l][j]
			if j == 0 || n.parent[l][j-1] != p {
				seq = 0
			}
			seq++
			code := letters[l] + strconv.Itoa(seq)
			if l > 1 {
				code = n.codes[l-1][p] + "-" + code
			}
			n.codes[l][j], n.paths[l][j] = code, n.paths[l-1][p]+me
		}
	}
	return n
}

// knownSets are the programme's four disaggregations (DOMAIN.md); categorySet(i) makes generic
// ones, of three categories, beyond them.
var knownSets = []results.CategorySet{
	{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "Female"}, {Code: "male", NameZH: "男", NameEN: "Male"}}},
	{Code: "age", NameZH: "年龄段", NameEN: "Age band", Categories: []results.Category{
		{Code: "12-15", NameZH: "12-15岁", NameEN: "12-15"}, {Code: "16-18", NameZH: "16-18岁", NameEN: "16-18"},
		{Code: "19-24", NameZH: "19-24岁", NameEN: "19-24"}, {Code: "25+", NameZH: "25岁以上", NameEN: "25+"}}},
	{Code: "group", NameZH: "目标群体", NameEN: "Target group", Categories: []results.Category{
		{Code: "girls", NameZH: "女童", NameEN: "Girls"}, {Code: "young_women", NameZH: "青年女性", NameEN: "Young women"},
		{Code: "migrants", NameZH: "流动人口", NameEN: "Migrants"}, {Code: "parents", NameZH: "家长", NameEN: "Parents"}}},
	{Code: "ethnicity", NameZH: "民族", NameEN: "Ethnicity", Categories: []results.Category{
		{Code: "han", NameZH: "汉族", NameEN: "Han"}, {Code: "yi", NameZH: "彝族", NameEN: "Yi"}, {Code: "other", NameZH: "其他民族", NameEN: "Other"}}},
}

func categorySet(i int) results.CategorySet {
	if i < len(knownSets) {
		return knownSets[i]
	}
	n := strconv.Itoa(i + 1)
	return results.CategorySet{Code: "set" + n, NameZH: "分类" + n, NameEN: "Set " + n, Categories: []results.Category{
		{Code: "a", NameZH: "甲", NameEN: "A"}, {Code: "b", NameZH: "乙", NameEN: "B"}, {Code: "c", NameZH: "丙", NameEN: "C"}}}
}

// FrameworkCode is the code of the generated framework.
const FrameworkCode = "BENCH"

// Generate fills an empty, migrated database with a network, a framework, values and targets as
// spec says (zero fields take DefaultSpec's), rebuilds the rollups, and reports progress and
// rates to log. It refuses a database that already holds units.
func Generate(ctx context.Context, db *store.DB, spec Spec, log io.Writer) (Generated, error) {
	spec = spec.WithDefaults()
	if err := spec.check(); err != nil {
		return Generated{}, err
	}
	began := time.Now()
	g := Generated{Dialect: db.Dialect, Framework: FrameworkCode}
	var existing int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_units").Scan(&existing); err != nil {
		return g, err
	}
	if existing > 0 {
		return g, fmt.Errorf("benchmark data needs an empty database; this one has %d units", existing)
	}
	period, _ := results.ParsePeriod(spec.Period)
	counts, _ := shape(spec.Units)
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	net := newNetwork(rng, counts)
	g.LevelCounts = counts
	for _, c := range counts {
		g.Units += c
	}
	restore, err := tuneWriter(ctx, db)
	if err != nil {
		return g, err
	}
	defer restore()

	// 1. Units and their first versions.
	t0 := time.Now()
	if err := loadUnits(ctx, db, net, spec.NoCopy); err != nil {
		return g, err
	}
	g.UnitsTime = time.Since(t0)
	g.UnitsPerSecond = rate(int64(g.Units), g.UnitsTime)
	fmt.Fprintf(log, "units: %d (%d national, %d provincial, %d municipal, %d county, %d community) in %s, %.0f units/s (2 rows each)\n",
		g.Units, counts[0], counts[1], counts[2], counts[3], counts[4], g.UnitsTime.Round(time.Millisecond), g.UnitsPerSecond)

	// 2. Category sets, framework and indicators, through the results service.
	t0 = time.Now()
	svc, units := results.New(db), org.New(db)
	if g.National, err = units.Unit(ctx, access.System, net.id(0, 0)); err != nil {
		return g, err
	}
	fw, err := setup(ctx, svc, spec, g.National)
	if err != nil {
		return g, err
	}
	if g.Indicators, err = svc.Indicators(ctx, access.System, FrameworkCode); err != nil {
		return g, err
	}
	slices.SortFunc(g.Indicators, func(a, b results.Indicator) int { return int(a.ID - b.ID) })
	g.SetupTime = time.Since(t0)
	fmt.Fprintf(log, "framework %s with %d indicators and %d category sets in %s\n", FrameworkCode, len(g.Indicators), spec.sets(), g.SetupTime.Round(time.Millisecond))

	// 3. Values, then targets from the values' sums.
	t0 = time.Now()
	vs, err := loadValues(ctx, db, net, spec, fw, g.Indicators, period, rng)
	if err != nil {
		return g, err
	}
	g.Reporting, g.Totals, g.Values, g.Method = vs.reporting, vs.totals, vs.values, vs.method
	tv := time.Since(t0)
	fmt.Fprintf(log, "values: %d (%d totals, %d disaggregated) from %d reporting communities by %s in %s, %.0f rows/s\n",
		g.Values, g.Totals, g.Values-g.Totals, g.Reporting, g.Method, tv.Round(time.Millisecond), rate(g.Values, tv))
	t1 := time.Now()
	if g.Targets, err = loadTargets(ctx, db, net, vs, g.Indicators, period, rng, spec.NoCopy); err != nil {
		return g, err
	}
	g.ValuesTime = time.Since(t0)
	g.RowsPerSecond = rate(g.Values+g.Targets, g.ValuesTime)
	fmt.Fprintf(log, "targets: %d in %s\n", g.Targets, time.Since(t1).Round(time.Millisecond))

	// 4. Rollups (with the writer still tuned), then planner statistics.
	t0 = time.Now()
	if g.Rollups, err = svc.RebuildRollups(ctx); err != nil {
		return g, fmt.Errorf("rebuild rollups: %w", err)
	}
	g.RollupTime = time.Since(t0)
	restore()
	fmt.Fprintf(log, "rollups: %d rows over %d values in %s, %.0f values/s\n", g.Rollups.Rows, g.Rollups.Values, g.RollupTime.Round(time.Millisecond), rate(g.Rollups.Values, g.RollupTime))
	t0 = time.Now()
	if err := analyze(ctx, db); err != nil {
		return g, err
	}
	g.AnalyzeTime = time.Since(t0)
	fmt.Fprintf(log, "checkpoint or statistics in %s\n", g.AnalyzeTime.Round(time.Millisecond))

	g.Province, err = units.Unit(ctx, access.System, net.id(1, vs.busiestProvince()))
	if err != nil {
		return g, err
	}
	g.Indicator = g.Indicators[0]
	g.Elapsed = time.Since(began)
	fmt.Fprintf(log, "generated in %s\n", g.Elapsed.Round(time.Millisecond))
	return g, nil
}

// tuneWriter sets the SQLite writer connection up for the load and the rollup rebuild: a large
// page cache (the indexes of data_values are written at thousands of places at once) and
// statement journals in memory (every multi-row INSERT keeps one). It returns what puts the
// connection back as it was.
func tuneWriter(ctx context.Context, db *store.DB) (func(), error) {
	if db.Dialect != store.SQLite {
		return func() {}, nil
	}
	var cache, temp int64
	if err := db.W.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return nil, err
	}
	if err := db.W.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
		return nil, err
	}
	if _, err := db.W.ExecContext(ctx, "PRAGMA cache_size = -1048576"); err != nil { // 1 GiB
		return nil, err
	}
	if _, err := db.W.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return nil, err
	}
	done := false
	return func() {
		if !done {
			done = true
			bg := context.Background()
			db.W.ExecContext(bg, "PRAGMA cache_size = "+strconv.FormatInt(cache, 10))
			db.W.ExecContext(bg, "PRAGMA temp_store = "+strconv.FormatInt(temp, 10))
		}
	}, nil
}

// analyze brings the database to the state a running deployment would be in before the
// measurements. PostgreSQL: VACUUM ANALYZE, as autovacuum would soon do by itself (better before
// the measurements than in the middle of them). SQLite: a checkpoint that empties the WAL, into
// which the load and the rollup rebuild (one transaction) wrote gigabytes that every read would
// otherwise look up; no ANALYZE, as nothing in Ting runs it (and sampled statistics, from
// analysis_limit, misled SQLite into walking data_values by index, ten times slower than a scan).
func analyze(ctx context.Context, db *store.DB) error {
	if db.Dialect == store.Postgres {
		_, err := db.W.ExecContext(ctx, "VACUUM ANALYZE")
		return err
	}
	var busy, frames, done int
	if err := db.W.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return err
	}
	if busy != 0 {
		return fmt.Errorf("WAL checkpoint blocked by a reader: %d of %d frames written back", done, frames)
	}
	return nil
}

// Existing describes benchmark data that Generate made earlier in db, to measure it again.
// Load times and rates are left zero.
func Existing(ctx context.Context, db *store.DB) (Generated, error) {
	g := Generated{Dialect: db.Dialect, Framework: FrameworkCode}
	svc, units := results.New(db), org.New(db)
	var err error
	if g.Indicators, err = svc.Indicators(ctx, access.System, FrameworkCode); err != nil {
		return g, err
	}
	if len(g.Indicators) == 0 {
		return g, fmt.Errorf("no benchmark data: framework %s has no indicators", FrameworkCode)
	}
	slices.SortFunc(g.Indicators, func(a, b results.Indicator) int { return int(a.ID - b.ID) })
	g.Indicator = g.Indicators[0]
	if g.National, err = units.UnitByCode(ctx, access.System, "CN"); err != nil {
		return g, err
	}
	// The province with most reporting communities has most values of the first indicator
	// (every reporting community reports every indicator every month).
	var prov int64
	if err := db.R.QueryRowContext(ctx, `SELECT r.unit_id FROM value_rollups r JOIN org_units u ON u.id = r.unit_id
		WHERE u.parent_id = $1 AND r.indicator_id = $2 AND r.combo = '' GROUP BY r.unit_id ORDER BY SUM(r.n) DESC, r.unit_id LIMIT 1`,
		g.National.ID, g.Indicator.ID).Scan(&prov); err != nil {
		return g, fmt.Errorf("busiest province: %w", err)
	}
	if g.Province, err = units.Unit(ctx, access.System, prov); err != nil {
		return g, err
	}
	if g.LevelCounts, g.Units, err = levelCounts(ctx, db); err != nil {
		return g, err
	}
	for _, q := range []struct {
		dst   *int64
		query string
	}{
		{&g.Values, "SELECT COUNT(*) FROM data_values"},
		{&g.Totals, "SELECT COUNT(*) FROM data_values WHERE combo = ''"},
		{&g.Targets, "SELECT COUNT(*) FROM targets"},
		{&g.Rollups.Rows, "SELECT COUNT(*) FROM value_rollups"},
	} {
		if err := db.R.QueryRowContext(ctx, q.query).Scan(q.dst); err != nil {
			return g, err
		}
	}
	var reporting int64
	err = db.R.QueryRowContext(ctx, "SELECT COUNT(DISTINCT unit_id) FROM data_values WHERE indicator_id = $1 AND combo = ''", g.Indicator.ID).Scan(&reporting)
	g.Reporting = int(reporting)
	return g, err
}

var unitNames = [5][2]string{{"全国", "National"}, {"省", "Province"}, {"市", "City"}, {"县", "County"}, {"社区", "Community"}}

func loadUnits(ctx context.Context, db *store.DB, net *network, noCopy bool) error {
	now := store.Now()
	units := &table{name: "org_units",
		consts:    []string{"tags", "opened_on", "created_at", "updated_at"},
		constVals: []any{"", "2010-01-01", now, now},
		cols:      []string{"id", "code", "level", "parent_id", "path", "name_zh", "name_en"}}
	versions := &table{name: "org_unit_versions",
		consts:    []string{"valid_from", "tags", "closed", "change", "actor", "changed_at"},
		constVals: []any{"2010-01-01", "", false, "create", access.System.PublicID, now},
		cols:      []string{"unit_id", "code", "level", "parent_id", "name_zh", "name_en"}}
	each := func(fn func(l, j int, code, path string, parent any)) {
		for l := range 5 {
			for j := range net.counts[l] {
				var parent any
				var code, path string
				if l > 0 {
					p := int(net.parent[l][j])
					parent = net.id(l-1, p)
					if l == 4 {
						code = net.codes[3][p] + "-C" + strconv.FormatInt(net.id(l, j)-net.first[4], 10)
						path = net.paths[3][p] + strconv.FormatInt(net.id(l, j), 10) + "/"
					}
				}
				if l < 4 {
					code, path = net.codes[l][j], net.paths[l][j]
				}
				fn(l, j, code, path, parent)
			}
		}
	}
	name := func(l, j int) (string, string) {
		n := strconv.FormatInt(net.id(l, j)-net.first[l]+1, 10)
		if l == 0 {
			return unitNames[0][0], unitNames[0][1]
		}
		return "第" + n + unitNames[l][0], unitNames[l][1] + " " + n
	}
	units.overriding = db.Dialect == store.Postgres // ids are given, into an identity column
	_, _, err := load(ctx, db, units, noCopy, func(p *producer) {
		each(func(l, j int, code, path string, parent any) {
			zh, en := name(l, j)
			r := p.row()
			r[0], r[1], r[2], r[3], r[4], r[5], r[6] = net.id(l, j), code, l+1, parent, path, zh, en
		})
	})
	if err != nil {
		return err
	}
	if db.Dialect == store.Postgres {
		if _, err := db.W.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('org_units', 'id'), (SELECT MAX(id) FROM org_units))"); err != nil {
			return err
		}
	}
	_, _, err = load(ctx, db, versions, noCopy, func(p *producer) {
		each(func(l, j int, code, _ string, parent any) {
			zh, en := name(l, j)
			r := p.row()
			r[0], r[1], r[2], r[3], r[4], r[5] = net.id(l, j), code, l+1, parent, zh, en
		})
	})
	return err
}

// levelCounts reads how many units each of the five levels holds, and all of them.
func levelCounts(ctx context.Context, db *store.DB) ([5]int, int, error) {
	var counts [5]int
	total := 0
	rows, err := db.R.QueryContext(ctx, "SELECT level, COUNT(*) FROM org_units GROUP BY level")
	if err != nil {
		return counts, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var l, n int
		if err := rows.Scan(&l, &n); err != nil {
			return counts, 0, err
		}
		if l >= 1 && l <= 5 {
			counts[l-1] = n
			total += n
		}
	}
	return counts, total, rows.Err()
}
