package benchgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestShape(t *testing.T) {
	for _, units := range []int{9, 10, 50, 200, 1000, 3000, 20_000, 100_000, 700_000, 2_000_000} {
		c, err := shape(units)
		if err != nil {
			t.Fatalf("%d units: %v", units, err)
		}
		sum := 0
		for l, n := range c {
			sum += n
			if n < 1 || l > 0 && n < c[l-1] {
				t.Errorf("%d units: level %d has %d units under %d parents: %v", units, l+1, n, c[max(0, l-1)], c)
			}
		}
		if sum != units {
			t.Errorf("%d units: shape %v adds up to %d", units, c, sum)
		}
	}
	if c, _ := shape(700_000); c[1] != 31 || c[2] != 341 || c[3] < 2800 || c[3] > 3200 {
		t.Errorf("700,000 units are not shaped like China's administration: %v", c)
	}
	if _, err := shape(8); err == nil {
		t.Error("8 units cannot make five levels with a community under every county")
	}
}

func TestSpread(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, tc := range []struct{ n, parents int }{{5, 5}, {10, 3}, {1000, 31}, {31, 1}} {
		got := spread(rng, tc.n, tc.parents)
		if len(got) != tc.n {
			t.Fatalf("%+v: %d children", tc, len(got))
		}
		seen := make([]int, tc.parents)
		for i, p := range got {
			seen[p]++
			if i > 0 && p < got[i-1] {
				t.Fatalf("%+v: children of a parent are not contiguous at %d", tc, i)
			}
		}
		for p, n := range seen {
			if n < 1 {
				t.Errorf("%+v: parent %d has no child", tc, p)
			}
		}
	}
}

func TestCompareFindsDifferences(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	ind := results.Indicator{ID: 4, Code: "B004"}
	row := results.Row{Indicator: ind, Target: f(100), ChildTargets: f(90), Actual: results.Figure{Value: 80, Has: true, Values: 12}, Percent: f(80), Status: results.Behind}
	table := results.Table{Rows: []results.Row{row}}
	if err := CompareTable(table, []results.Row{row}); err != nil {
		t.Fatalf("identical rows: %v", err)
	}
	for name, change := range map[string]func(r *results.Row){
		"value":           func(r *results.Row) { r.Actual.Value = 81 },
		"count":           func(r *results.Row) { r.Actual.Values = 11 },
		"has":             func(r *results.Row) { r.Actual.Has = false },
		"target":          func(r *results.Row) { r.Target = f(101) },
		"no target":       func(r *results.Row) { r.Target = nil },
		"child targets":   func(r *results.Row) { r.ChildTargets = nil },
		"percent":         func(r *results.Row) { r.Percent = f(79.5) },
		"status":          func(r *results.Row) { r.Status = results.OnTrack },
		"note":            func(r *results.Row) { r.TargetNote = "x" },
		"other indicator": func(r *results.Row) { r.Indicator.ID = 5 },
	} {
		b := row
		change(&b)
		if err := CompareTable(table, []results.Row{b}); err == nil {
			t.Errorf("%s: a difference went unnoticed", name)
		}
		if err := CompareDrill([]results.ChildRow{{Unit: org.Unit{ID: 7}, Row: row}}, []results.ChildRow{{Unit: org.Unit{ID: 7}, Row: b}}); err == nil && name != "other indicator" {
			t.Errorf("drill, %s: a difference went unnoticed", name)
		}
	}
	if err := CompareTable(table, nil); err == nil {
		t.Error("a missing row went unnoticed")
	}
	if err := CompareDrill([]results.ChildRow{{Unit: org.Unit{ID: 7}, Row: row}}, []results.ChildRow{{Unit: org.Unit{ID: 8}, Row: row}}); err == nil {
		t.Error("a different child went unnoticed")
	}
}

func TestTiming(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var ds []time.Duration
	for i := 20; i >= 1; i-- {
		ds = append(ds, ms(i))
	}
	if got := timing(ds); got != (Timing{Reps: 20, Min: ms(1), P50: ms(10), P95: ms(19)}) {
		t.Errorf("timing of 1..20 ms: %+v", got)
	}
	if got := timing([]time.Duration{ms(3)}); got != (Timing{Reps: 1, Min: ms(3), P50: ms(3), P95: ms(3)}) {
		t.Errorf("timing of one run: %+v", got)
	}
}

func TestParseFlags(t *testing.T) {
	var out bytes.Buffer
	s, err := ParseFlags([]string{"-units", "5000", "-share", "0.2", "-sets", "0", "-period", "2011"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Units != 5000 || s.ReportingShare != 0.2 || s.sets() != 0 || s.Period != "2011" || s.Indicators != 50 || s.Months != 48 {
		t.Errorf("spec %+v", s)
	}
	if s, err := ParseFlags([]string{"-existing"}, &out); err != nil || !s.Existing {
		t.Errorf("-existing: %+v, %v", s, err)
	}
	for _, args := range [][]string{{"-units", "3"}, {"-share", "1.5"}, {"-period", "2011X"}, {"-months", "0"}, {"extra"}} {
		if _, err := ParseFlags(args, &out); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// TestGenerateAndMeasure generates a small network on both databases and checks the data
// (shape, counts, parts summing to totals, targets), that the service's table equals the SQL
// baseline, and that the report is consistent.
func TestGenerateAndMeasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := Spec{Units: 3000, Indicators: 7, Months: 15, ReportingShare: 0.05, Seed: 7, Period: "2010", Reps: 4, Budget: time.Second}
		var log bytes.Buffer
		r, err := Run(ctx, db, spec, &log)
		if err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		t.Log(log.String())
		count := func(query string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := db.R.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}

		// The network.
		if n := count("SELECT COUNT(*) FROM org_units"); n != 3000 || r.Units != 3000 {
			t.Errorf("units: %d stored, %d reported", n, r.Units)
		}
		for l, want := range r.LevelCounts {
			if n := count("SELECT COUNT(*) FROM org_units WHERE level = $1", l+1); n != int64(want) {
				t.Errorf("level %d: %d units, reported %d", l+1, n, want)
			}
		}
		if n := count(`SELECT COUNT(*) FROM org_units c JOIN org_units p ON p.id = c.parent_id
			WHERE c.path <> p.path || CAST(c.id AS TEXT) || '/' OR c.level <> p.level + 1`); n != 0 {
			t.Errorf("%d units whose path or level does not follow their parent's", n)
		}
		if n := count("SELECT COUNT(*) FROM org_units u WHERE u.level < 5 AND NOT EXISTS (SELECT 1 FROM org_units c WHERE c.parent_id = u.id)"); n != 0 {
			t.Errorf("%d units above the community level without children", n)
		}
		// Every reference holds (the load does not check them row by row).
		if n := count(`SELECT COUNT(*) FROM org_units c LEFT JOIN org_units p ON p.id = c.parent_id
			WHERE c.parent_id IS NOT NULL AND p.id IS NULL`); n != 0 {
			t.Errorf("%d units with a missing parent", n)
		}
		if n := count(`SELECT COUNT(*) FROM org_unit_versions v LEFT JOIN org_units u ON u.id = v.unit_id LEFT JOIN org_units p ON p.id = v.parent_id
			WHERE u.id IS NULL OR v.parent_id IS NOT NULL AND p.id IS NULL`); n != 0 {
			t.Errorf("%d unit versions with a missing unit or parent", n)
		}
		if n := count(`SELECT COUNT(*) FROM data_values v LEFT JOIN org_units u ON u.id = v.unit_id LEFT JOIN indicators i ON i.id = v.indicator_id
			LEFT JOIN frameworks f ON f.id = v.framework_id WHERE u.id IS NULL OR i.id IS NULL OR f.id IS NULL`); n != 0 {
			t.Errorf("%d values with a missing unit, indicator or framework", n)
		}
		if n := count(`SELECT COUNT(*) FROM targets t LEFT JOIN org_units u ON u.id = t.unit_id LEFT JOIN indicators i ON i.id = t.indicator_id
			WHERE u.id IS NULL OR i.id IS NULL`); n != 0 {
			t.Errorf("%d targets with a missing unit or indicator", n)
		}
		if db.Dialect == store.SQLite {
			if n := count("SELECT COUNT(*) FROM pragma_foreign_key_check"); n != 0 {
				t.Errorf("foreign_key_check: %d violations", n)
			}
			var on int
			// The writer's checks are back on after the load.
			if err := db.W.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
				t.Errorf("foreign_keys on the writer: %d (%v)", on, err)
			}
		}
		if n := count("SELECT COUNT(*) FROM org_unit_versions"); n != 3000 {
			t.Errorf("%d unit versions", n)
		}
		o := org.New(db)
		kids, err := o.Children(ctx, access.System, r.National.ID)
		if err != nil || len(kids) != r.LevelCounts[1] {
			t.Errorf("the org service sees %d provinces (%v)", len(kids), err)
		}
		// A unit created the ordinary way after the load gets the next id.
		extra, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "EXTRA", Level: org.Provincial, ParentID: r.National.ID, NameZH: "新省", NameEN: "New province", Effective: "2010-01-01"})
		if err != nil || extra.ID != int64(r.Units)+1 {
			t.Errorf("unit created after the load: id %d (%v)", extra.ID, err)
		}

		// The values.
		if want := int64(r.Reporting) * 7 * 15; r.Totals != want || count("SELECT COUNT(*) FROM data_values WHERE combo = ''") != want {
			t.Errorf("totals: %d reported, %d expected", r.Totals, want)
		}
		if n := count("SELECT COUNT(*) FROM data_values"); n != r.Values || n <= r.Totals {
			t.Errorf("values: %d stored, %d reported, %d totals", n, r.Values, r.Totals)
		}
		if n := count(`SELECT COUNT(*) FROM data_values v JOIN org_units u ON u.id = v.unit_id WHERE u.level <> 5`); n != 0 {
			t.Errorf("%d values above the community level", n)
		}
		if n := count(`SELECT COUNT(DISTINCT unit_id) FROM data_values`); n != int64(r.Reporting) || r.Reporting != int(math.Round(0.05*float64(r.LevelCounts[4]))) {
			t.Errorf("%d units report, %d reported", n, r.Reporting)
		}
		// Every total is split by exactly one category set, in parts that add up to it.
		if n := count(`SELECT COUNT(*) FROM data_values t WHERE t.combo = '' AND t.value <> (SELECT SUM(p.value) FROM data_values p
			WHERE p.indicator_id = t.indicator_id AND p.unit_id = t.unit_id AND p.period = t.period AND p.combo <> '')`); n != 0 {
			t.Errorf("%d totals differ from the sum of their parts", n)
		}
		if n := count(`SELECT COUNT(*) FROM data_values t WHERE t.combo = '' AND NOT EXISTS (SELECT 1 FROM data_values p
			WHERE p.indicator_id = t.indicator_id AND p.unit_id = t.unit_id AND p.period = t.period AND p.combo <> '')`); n != 0 {
			t.Errorf("%d totals without parts", n)
		}
		svc := results.New(db)
		ok, err := svc.CheckValues(ctx, access.System, []results.ValueInput{{Indicator: "B002", UnitID: r.Province.ID, Period: "2010-05", Combo: "age:16-18", Value: ptrTo(3)}})
		if err != nil || ok != 1 {
			t.Errorf("the generated indicator does not take an age value: %d, %v", ok, err)
		}

		// The table equals a direct sum, and the baseline (Measure checked every repetition).
		table, err := svc.Progress(ctx, access.System, FrameworkCode, r.National, mustPeriod(t, "2010"), Threshold)
		if err != nil {
			t.Fatal(err)
		}
		if len(table.Rows) != 7 || r.ProgressRows != 7 {
			t.Fatalf("%d rows in the table, %d compared", len(table.Rows), r.ProgressRows)
		}
		var sum float64
		statuses := map[string]bool{}
		for _, row := range table.Rows {
			sum += row.Actual.Value
			statuses[row.Status] = true
			if row.Target == nil || row.ChildTargets == nil {
				t.Errorf("%s: target %v, children's %v", row.Indicator.Code, row.Target, row.ChildTargets)
			}
		}
		if direct := count("SELECT CAST(SUM(value) AS BIGINT) FROM data_values WHERE combo = '' AND period_start >= '2010-01-01' AND period_end <= '2010-12-31'"); float64(direct) != sum {
			t.Errorf("the table's actuals add up to %g, the values of 2010 to %d", sum, direct)
		}
		base, err := Baseline{DB: db}.National(ctx, FrameworkCode, r.National, mustPeriod(t, "2010"), Threshold)
		if err != nil {
			t.Fatal(err)
		}
		if err := CompareTable(table, base); err != nil {
			t.Error(err)
		}
		if n := count("SELECT COUNT(*) FROM org_units WHERE parent_id = $1", r.Province.ID); r.DrillRows != int(n) || n == 0 {
			t.Errorf("drill-down compared %d rows; the province has %d children", r.DrillRows, n)
		}

		// The report.
		for name, tm := range map[string]Timing{"national": r.Progress, "national baseline": r.ProgressSQL, "drill": r.Drill, "drill baseline": r.DrillSQL} {
			if tm.Reps < 3 || tm.Reps > 4 || tm.Min <= 0 || tm.Min > tm.P50 || tm.P50 > tm.P95 {
				t.Errorf("%s: %+v", name, tm)
			}
		}
		if r.ProgressSpeedup != float64(r.ProgressSQL.P50)/float64(r.Progress.P50) || r.DrillSpeedup != float64(r.DrillSQL.P50)/float64(r.Drill.P50) {
			t.Errorf("speed-ups %g and %g do not follow from the timings", r.ProgressSpeedup, r.DrillSpeedup)
		}
		if r.Rollups.Values != r.Values || r.Rollups.Rows < r.Values {
			t.Errorf("rollups %+v over %d values", r.Rollups, r.Values)
		}
		if r.Method == "" || r.RowsPerSecond <= 0 || r.UnitsPerSecond <= 0 || r.Elapsed < r.ValuesTime {
			t.Errorf("rates: %+v", r.Generated)
		}
		for _, want := range []string{"national table (7 rows)", "agree on every repetition", strconv.Itoa(r.Reporting)} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}

		// The data can be found again and measured once more.
		again, err := Existing(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if again.Province.ID != r.Province.ID || again.National.ID != r.National.ID || again.Indicator.ID != r.Indicator.ID ||
			again.Values != r.Values || again.Totals != r.Totals || again.Targets != r.Targets || again.Reporting != r.Reporting ||
			again.LevelCounts[1] != r.LevelCounts[1]+1 || again.Units != r.Units+1 || again.Rollups.Rows != r.Rollups.Rows { // + EXTRA
			t.Errorf("found again: province %d, national %d, indicator %d, %d values, %d totals, %d targets, %d reporting, levels %v, %d rollups\n"+
				"generated:   province %d, national %d, indicator %d, %d values, %d totals, %d targets, %d reporting, levels %v, %d rollups",
				again.Province.ID, again.National.ID, again.Indicator.ID, again.Values, again.Totals, again.Targets, again.Reporting, again.LevelCounts, again.Rollups.Rows,
				r.Province.ID, r.National.ID, r.Indicator.ID, r.Values, r.Totals, r.Targets, r.Reporting, r.LevelCounts, r.Rollups.Rows)
		}
		var out bytes.Buffer
		if err := Main(ctx, db, []string{"-existing", "-reps", "1", "-period", "2010"}, &out); err != nil || !strings.Contains(out.String(), "agree on every repetition") {
			t.Errorf("measuring again: %v\n%s", err, out.String())
		}

		// A second run refuses the database.
		if _, err := Generate(ctx, db, spec, &log); err == nil || !strings.Contains(err.Error(), "empty database") {
			t.Errorf("second generation: %v", err)
		}
	})
}

// TestNationalScale is the full benchmark with its report, on both databases, when
// TING_BENCH_NATIONAL is set; its value holds Main's flags ("-units 700000 -share 0.002", or "1"
// for the defaults). The databases are fresh ones that are dropped afterwards, unless
// TING_BENCH_SQLITE names a SQLite file to create and keep, or TING_BENCH_POSTGRES the URL of an
// empty PostgreSQL database to fill and keep (to look at the data and the query plans). For example:
//
//	TING_BENCH_NATIONAL=1 TING_TEST_POSTGRES=postgres://… go test -run NationalScale -v -timeout 2h ./internal/benchgen
func TestNationalScale(t *testing.T) {
	scaleTest(t, "TING_BENCH_NATIONAL", "TING_BENCH_SQLITE", "TING_BENCH_POSTGRES", Main)
}

// scaleTest runs a benchmark's main at the scale its flags variable gives ("1": the defaults),
// on SQLite and PostgreSQL: fresh databases dropped afterwards, or the SQLite file and the
// PostgreSQL URL the two other variables name, created or filled and kept.
func scaleTest(t *testing.T, flagsVar, sqliteVar, postgresVar string, main func(context.Context, *store.DB, []string, io.Writer) error) {
	flags := os.Getenv(flagsVar)
	if flags == "" {
		t.Skip(flagsVar + " not set")
	}
	args := strings.Fields(flags)
	if flags == "1" {
		args = nil
	}
	ctx := context.Background()
	run := func(t *testing.T, db *store.DB) {
		if err := main(ctx, db, args, os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
	open := func(t *testing.T, db *store.DB, err error) *store.DB {
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db
	}
	t.Run("sqlite", func(t *testing.T) {
		if path := os.Getenv(sqliteVar); path != "" {
			db, err := store.OpenSQLite(ctx, path)
			run(t, open(t, db, err))
			return
		}
		run(t, storetest.SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		if dsn := os.Getenv(postgresVar); dsn != "" {
			db, err := store.Open(ctx, dsn, "")
			run(t, open(t, db, err))
			return
		}
		run(t, storetest.Postgres(t))
	})
}

func ptrTo(v float64) *float64 { return &v }

func mustPeriod(t *testing.T, key string) results.Period {
	t.Helper()
	p, err := results.ParsePeriod(key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Benchmarks. One network per database for the whole run, sized by TING_BENCH_UNITS (default
// 20,000 units; the other sizes are DefaultSpec's: 0.2% of communities reporting, some 400,000
// values). The PostgreSQL ones run when TING_TEST_POSTGRES is set.

type benchDB struct {
	db  *store.DB
	g   Generated
	err error
}

var (
	benchMu   sync.Mutex
	benchDBs  = map[store.Dialect]*benchDB{}
	benchDone []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchDone {
		f()
	}
	os.Exit(code)
}

func benchSpec(b *testing.B) Spec {
	s := Spec{Units: 20_000, Reps: 1}
	if v := os.Getenv("TING_BENCH_UNITS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("TING_BENCH_UNITS=%q: %v", v, err)
		}
		s.Units = n
	}
	return s.WithDefaults()
}

// benchData returns the shared generated database of a dialect, making it on first use.
func benchData(b *testing.B, d store.Dialect) *benchDB {
	var dsn string
	if d == store.Postgres {
		dsn = storetest.PostgresDSN(b) // skips without one
	}
	benchMu.Lock()
	defer benchMu.Unlock()
	if x := benchDBs[d]; x != nil {
		if x.err != nil {
			b.Fatal(x.err)
		}
		return x
	}
	x := &benchDB{}
	benchDBs[d] = x
	ctx := context.Background()
	if d == store.SQLite {
		dir, err := os.MkdirTemp("", "benchgen")
		if err != nil {
			b.Fatal(err)
		}
		benchDone = append(benchDone, func() { os.RemoveAll(dir) })
		x.db, x.err = store.OpenSQLite(ctx, filepath.Join(dir, "ting.db"))
	} else {
		x.db, x.err = benchPostgres(ctx, dsn)
	}
	if x.err == nil {
		benchDone = append(benchDone, func() { x.db.Close() })
		x.err = x.db.Migrate(ctx)
	}
	if x.err == nil {
		var log bytes.Buffer
		x.g, x.err = Generate(ctx, x.db, benchSpec(b), &log)
		b.Logf("%s:\n%s", d, log.String())
	}
	if x.err != nil {
		b.Fatal(x.err)
	}
	return x
}

// benchPostgres creates a database for the benchmarks, dropped when they end.
func benchPostgres(ctx context.Context, dsn string) (*store.DB, error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	rb := make([]byte, 6)
	rand.Read(rb)
	name := "ting_bench_" + hex.EncodeToString(rb)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	benchDone = append(benchDone, func() {
		if a, err := sql.Open("pgx", dsn); err == nil {
			a.ExecContext(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			a.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	return store.Open(ctx, u.String(), "")
}

// eachDialect runs fn as sub-benchmarks "sqlite" and "postgres".
func eachDialect(b *testing.B, fn func(b *testing.B, x *benchDB, p results.Period)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			x := benchData(b, d)
			p, err := results.ParsePeriod(benchSpec(b).Period)
			if err != nil {
				b.Fatal(err)
			}
			fn(b, x, p)
		})
	}
}

func BenchmarkProgressNational(b *testing.B) {
	eachDialect(b, func(b *testing.B, x *benchDB, p results.Period) {
		svc := results.New(x.db)
		for b.Loop() {
			if _, err := svc.Progress(context.Background(), access.System, x.g.Framework, x.g.National, p, Threshold); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBaselineNational(b *testing.B) {
	eachDialect(b, func(b *testing.B, x *benchDB, p results.Period) {
		base := Baseline{DB: x.db}
		for b.Loop() {
			if _, err := base.National(context.Background(), x.g.Framework, x.g.National, p, Threshold); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkProgressDrill(b *testing.B) {
	eachDialect(b, func(b *testing.B, x *benchDB, p results.Period) {
		svc := results.New(x.db)
		for b.Loop() {
			if _, err := svc.Drill(context.Background(), access.System, x.g.Indicator.ID, x.g.Province, p, Threshold); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBaselineDrill(b *testing.B) {
	eachDialect(b, func(b *testing.B, x *benchDB, p results.Period) {
		base := Baseline{DB: x.db}
		for b.Loop() {
			if _, err := base.Drill(context.Background(), x.g.Indicator.ID, x.g.Province, p, Threshold); err != nil {
				b.Fatal(err)
			}
		}
	})
}
