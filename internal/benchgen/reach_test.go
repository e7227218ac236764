package benchgen

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func TestParseReachFlags(t *testing.T) {
	var out bytes.Buffer
	s, err := ParseReachFlags([]string{"-units", "5000", "-cards", "1000", "-services", "3", "-basereps", "1", "-batches", "0"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Units != 5000 || s.Cards != 1000 || s.Services != 3 || s.BaseReps != 1 || s.batches() != 0 || s.Reps != DefaultReachSpec.Reps || s.BatchSize != DefaultReachSpec.BatchSize {
		t.Errorf("spec %+v", s)
	}
	if s, err := ParseReachFlags(nil, &out); err != nil || s.Cards != DefaultReachSpec.Cards || s.batches() != DefaultReachSpec.Batches {
		t.Errorf("defaults: %+v, %v", s, err)
	}
	if s, err := ParseReachFlags([]string{"-existing"}, &out); err != nil || !s.Existing {
		t.Errorf("-existing: %+v, %v", s, err)
	}
	for _, args := range [][]string{{"-units", "3"}, {"-cards", "0"}, {"-services", "0"}, {"-reps", "0"}, {"-basereps", "0"}, {"-batch", "0"}, {"-batches", "-2"}, {"extra"}} {
		if _, err := ParseReachFlags(args, &out); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// TestPeople checks the card generator: the same id gives the same card, and every card's
// fields and services are within the ranges the generator promises.
func TestPeople(t *testing.T) {
	counts, err := shape(3000)
	if err != nil {
		t.Fatal(err)
	}
	net := newNetwork(rand.New(rand.NewPCG(3, 4)), counts)
	const services = 5
	p := newPeople(net, 9, services)
	if len(p.days) != 3*365+1 || p.days[0] != ReachFrom+"-01" || p.days[len(p.days)-1] != ReachTo+"-31" {
		t.Fatalf("%d days from %s to %s", len(p.days), p.days[0], p.days[len(p.days)-1])
	}
	var a, b person
	total := 0
	seenGroups := map[int]bool{}
	for id := int64(1); id <= 2000; id++ {
		p.card(id, &a)
		total += len(a.served)
		seenGroups[a.groups] = true
		if a.birthYear < 1985 || a.birthYear > 2005 || a.birthMD/100 < 1 || a.birthMD/100 > 12 || a.birthMD%100 < 1 || a.birthMD%100 > 28 {
			t.Fatalf("card %d: born %d, %d", id, a.birthYear, a.birthMD)
		}
		if len(a.served) < 1 || len(a.served) > 2*services-1 {
			t.Fatalf("card %d: %d services", id, len(a.served))
		}
		county := net.parent[4][a.comm]
		last := -1
		for _, v := range a.served {
			if net.parent[4][v.comm] != county {
				t.Fatalf("card %d: a service at community %d, outside the card's county", id, v.comm)
			}
			last = max(last, v.day)
		}
		if last != a.last {
			t.Fatalf("card %d: last day %d, services up to %d", id, a.last, last)
		}
	}
	// Generated again, in another order, card 17 is the same.
	p.card(17, &a)
	served := slices.Clone(a.served)
	p.card(1999, &b)
	p.card(17, &b)
	if a.comm != b.comm || a.sex != b.sex || a.birthYear != b.birthYear || a.groups != b.groups || !slices.Equal(served, b.served) {
		t.Errorf("card 17 differs when generated again: %+v, %+v", a, b)
	}
	if mean := float64(total) / 2000; mean < services-1 || mean > services+1 {
		t.Errorf("%.2f services per card on average, %d asked", mean, services)
	}
	if len(seenGroups) < 8 || !seenGroups[0] {
		t.Errorf("only %d group combinations drawn (none among them: %v)", len(seenGroups), seenGroups[0])
	}
	for mask, s := range groupStrings {
		gs := analytics.SplitGroups(s.(string))
		if !slices.IsSorted(gs) || len(gs) != popcount(mask) || !strings.HasPrefix(s.(string), ",") || !strings.HasSuffix(s.(string), ",") {
			t.Errorf("groups of mask %b stored as %q", mask, s)
		}
	}
}

func popcount(m int) int {
	n := 0
	for ; m > 0; m &= m - 1 {
		n++
	}
	return n
}

// fact is one service with what the reach questions ask of it and its card.
type fact struct {
	card           int64
	path, day, typ string
	sex, groups    string
	birthYear      int
}

// directCount counts the people of a question from every service in memory: a third answer,
// from neither the bitmaps nor SQL COUNT(DISTINCT).
func directCount(facts []fact, q ReachQuery) int64 {
	latest := ""
	for _, f := range facts {
		latest = max(latest, f.day)
	}
	ageYear, _ := strconv.Atoi(q.Span.To[:4])
	if latest[:7] < q.Span.To {
		ageYear, _ = strconv.Atoi(latest[:4])
	}
	seen := map[int64]bool{}
	for _, f := range facts {
		if !strings.HasPrefix(f.path, q.Unit.Path) || f.day[:7] < q.Span.From || f.day[:7] > q.Span.To {
			continue
		}
		if len(q.Filter.Types) > 0 && !slices.Contains(q.Filter.Types, f.typ) {
			continue
		}
		if q.Filter.Sex != "" && f.sex != q.Filter.Sex {
			continue
		}
		if age := ageYear - f.birthYear; q.Filter.Aged && (age < q.Filter.AgeMin || age > q.Filter.AgeMax) {
			continue
		}
		if len(q.Filter.Groups) > 0 && !slices.ContainsFunc(q.Filter.Groups, func(g string) bool { return strings.Contains(f.groups, ","+g+",") }) {
			continue
		}
		seen[f.card] = true
	}
	return int64(len(seen))
}

// TestReachGenerateAndMeasure generates cards and services on a small network on both
// databases, writes service-layer batches, and checks the data (counts, ranges, references,
// last activity), the bitmaps (analytics.Verify), every answer against a count made in memory,
// the report, finding the data again, and that a difference between the bitmaps and the records
// is reported as an error.
func TestReachGenerateAndMeasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := ReachSpec{Units: 3000, Cards: 3000, Services: 4, Seed: 7, Reps: 4, BaseReps: 2, Budget: time.Second, Batches: 2, BatchSize: beneficiaries.DeferAt}
		var log bytes.Buffer
		r, err := RunReach(ctx, db, spec, &log)
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

		// The data.
		if n := count("SELECT COUNT(*) FROM org_units"); n != 3000 || r.Units != 3000 {
			t.Errorf("units: %d stored, %d reported", n, r.Units)
		}
		if n := count("SELECT COUNT(*) FROM cards"); n != 3000 || r.Cards != 3000 {
			t.Errorf("cards: %d stored, %d reported", n, r.Cards)
		}
		if n := count("SELECT COUNT(*) FROM services"); n != r.Services+r.Import.Services+int64(r.Import.FileNew) || r.Import.Services != 2*beneficiaries.DeferAt ||
			r.Import.Pending != r.Import.Services+int64(r.Import.FileNew) || r.Import.Fold <= 0 || r.Import.EndToEnd <= 0 {
			t.Errorf("services: %d stored; %d loaded and %d through the service layer reported; import %+v", n, r.Services, r.Import.Services, r.Import)
		}
		if lo, hi := count("SELECT MIN(n) FROM (SELECT COUNT(*) AS n FROM services GROUP BY card_id) x"), count("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM services GROUP BY card_id) x"); lo < 1 || hi > 2*4-1+3*beneficiaries.DeferAt {
			t.Errorf("services per card from %d to %d", lo, hi)
		}
		for what, query := range map[string]string{
			"cards not at a community":                   "SELECT COUNT(*) FROM cards c JOIN org_units u ON u.id = c.site_id WHERE u.level <> 5",
			"cards whose province is not their site's":   "SELECT COUNT(*) FROM cards c JOIN org_units u ON u.id = c.site_id JOIN org_units p ON p.id = c.province_id WHERE p.level <> 2 OR u.path NOT LIKE p.path || '%'",
			"cards born outside 1985-2005":               "SELECT COUNT(*) FROM cards WHERE birth_year < 1985 OR birth_year > 2005 OR birth_date NOT LIKE CAST(birth_year AS TEXT) || '-%'",
			"cards with a groups value not stored as ,,": "SELECT COUNT(*) FROM cards WHERE groups NOT LIKE ',%,' AND groups <> ','",
			"cards whose last activity is not their latest service": `SELECT COUNT(*) FROM cards c
				WHERE c.last_active <> (SELECT MAX(s.served_on) FROM services s WHERE s.card_id = c.id)`,
			"cards not as a bulk load leaves them": "SELECT COUNT(*) FROM cards WHERE anonymised_on <> '' OR merged_into IS NOT NULL OR name_sealed IS NOT NULL OR dup_key <> 'bench-' || CAST(id AS TEXT) OR number <> 'BN' || CAST(id AS TEXT)",
			"services outside 2010-2012":           "SELECT COUNT(*) FROM services WHERE served_on < '2010-01-01' OR served_on > '2012-12-31' OR LENGTH(served_on) <> 10",
			"services with a missing card or site": "SELECT COUNT(*) FROM services s LEFT JOIN cards c ON c.id = s.card_id LEFT JOIN org_units u ON u.id = s.site_id WHERE c.id IS NULL OR u.id IS NULL",
			"services outside their card's county": `SELECT COUNT(*) FROM services s JOIN cards c ON c.id = s.card_id JOIN org_units su ON su.id = s.site_id
				JOIN org_units cu ON cu.id = c.site_id WHERE su.level <> 5 OR su.parent_id <> cu.parent_id`,
		} {
			if n := count(query); n != 0 {
				t.Errorf("%d %s", n, what)
			}
		}
		types := map[string]bool{}
		err = scanEach(ctx, db.R, func(rows *sql.Rows) error {
			var typ string
			err := rows.Scan(&typ)
			types[typ] = true
			return err
		}, "SELECT DISTINCT type FROM services")
		if err != nil {
			t.Fatal(err)
		}
		for typ := range types {
			if !slices.Contains(reachTypes, typ) {
				t.Errorf("service type %q is not in the vocabulary", typ)
			}
		}
		if len(types) != len(reachTypes) {
			t.Errorf("%d of %d service types drawn", len(types), len(reachTypes))
		}
		// The indexes dropped for the load are back, as the migrations made them.
		fresh := storetest.SQLite(t)
		if db.Dialect == store.Postgres {
			fresh = storetest.Postgres(t)
		}
		for _, table := range []string{"cards", "services"} {
			if got, want := indexesOf(t, db, table), indexesOf(t, fresh, table); !slices.Equal(got, want) || len(want) < 3 {
				t.Errorf("indexes of %s after the load:\n%q\nas migrated:\n%q", table, got, want)
			}
		}
		if db.Dialect == store.Postgres { // a card registered the ordinary way after the load gets the next id
			var next int64
			if err := db.W.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('cards', 'id'))").Scan(&next); err != nil || next != r.Cards+1 {
				t.Errorf("the cards' sequence gives %d after the load (%v)", next, err)
			}
		}

		// The units measured have most cards.
		if n := count("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM cards GROUP BY province_id) x"); n != r.ProvCards || count("SELECT COUNT(*) FROM cards WHERE province_id = $1", r.Province.ID) != n {
			t.Errorf("the busiest province has %d cards; %s (reported %d) has %d", n, r.Province.Code, r.ProvCards, count("SELECT COUNT(*) FROM cards WHERE province_id = $1", r.Province.ID))
		}
		if !strings.HasPrefix(r.County.Path, r.Province.Path) || r.County.Level != 4 || r.Province.Level != 2 || r.National.Level != 1 {
			t.Errorf("units measured: %+v, %+v, %+v", r.National, r.Province, r.County)
		}
		if n := count(`SELECT MAX(n) FROM (SELECT u.parent_id, COUNT(*) AS n FROM cards c JOIN org_units u ON u.id = c.site_id WHERE c.province_id = $1 GROUP BY u.parent_id) x`, r.Province.ID); n != r.CountyCards {
			t.Errorf("the busiest county of %s has %d cards, %s reported with %d", r.Province.Code, n, r.County.Code, r.CountyCards)
		}

		// The bitmaps equal a recomputation, also after the service-layer batches.
		st, err := analytics.Verify(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mismatches != 0 || st.Checks == 0 || st.Bitmaps < r.Index.Bitmaps || r.Index.Bitmaps == 0 || r.Index.People == 0 || r.Index.Bytes <= 0 {
			t.Errorf("verify %+v after a rebuild of %+v", st, r.Index)
		}

		// Every answer equals a count made in memory from the records.
		var facts []fact
		err = scanEach(ctx, db.R, func(rows *sql.Rows) error {
			var f fact
			err := rows.Scan(&f.card, &f.path, &f.day, &f.typ, &f.sex, &f.groups, &f.birthYear)
			facts = append(facts, f)
			return err
		}, "SELECT s.card_id, u.path, s.served_on, s.type, c.sex, c.groups, c.birth_year FROM services s JOIN org_units u ON u.id = s.site_id JOIN cards c ON c.id = s.card_id")
		if err != nil {
			t.Fatal(err)
		}
		if want := len(ReachQueries(r.ReachGenerated)); len(r.Results) != want || want != 3*len(ReachSpans)*len(ReachFilters) {
			t.Fatalf("%d results, %d queries", len(r.Results), want)
		}
		for _, res := range r.Results {
			if want := directCount(facts, res.ReachQuery); res.People != want || want == 0 {
				t.Errorf("%s %s, %s, %s: %d people measured, %d counted in memory", res.Level, res.Unit.Code, res.SpanName, res.FilterName, res.People, want)
			}
			for name, tm := range map[string]Timing{"service": res.Service, "uncached": res.Uncached, "SQL": res.SQL} {
				reps := map[string]int{"service": 4, "uncached": 4, "SQL": 2}[name]
				if tm.Reps < 1 || tm.Reps > reps || tm.Min <= 0 || tm.Min > tm.P50 || tm.P50 > tm.P95 {
					t.Errorf("%s %s %s %s: %s timing %+v", res.Level, res.SpanName, res.FilterName, name, name, tm)
				}
			}
			if res.Speedup != float64(res.SQL.P50)/float64(res.Service.P50) {
				t.Errorf("speed-up %g does not follow from %s and %s", res.Speedup, res.SQL.P50, res.Service.P50)
			}
		}
		if got := r.Results[0]; got.Level != "national" || got.SpanName != "LOP" || got.FilterName != "none" || got.People != r.Cards {
			t.Errorf("national reach over the life of the project: %+v; every one of %d cards has a service", got.ReachQuery, r.Cards)
		}

		// The report.
		if r.Import.Batches != 2 || r.Import.Batch.Reps != 2 || r.Import.Rate <= 0 || r.Import.Total < r.Import.Batch.P95 {
			t.Errorf("service-layer import %+v", r.Import)
		}
		// The register file: one batch's size, nearly all new (a random service can repeat a
		// generated one), then all repeats.
		if im := r.Import; im.File != beneficiaries.DeferAt || im.FileNew < im.File*9/10 || im.FileRate <= 0 || im.AgainRate <= 0 ||
			im.FileRate != float64(im.File)/im.FileTime.Seconds() {
			t.Errorf("register file %+v", im)
		}
		if r.CardsPerSecond <= 0 || r.ServicesPerSecond <= 0 || r.RebuildRate <= 0 || r.BulkRate <= 0 || r.BulkRate >= r.RebuildRate || r.Method == "" ||
			r.Elapsed < r.ServicesTime+r.RebuildTime || r.RebuildHeap == 0 {
			t.Errorf("rates: %+v", r.ReachGenerated)
		}
		if db.Dialect == store.Postgres && (r.IndexDisk <= 0 || r.ServicesDisk <= 0) {
			t.Errorf("sizes on disk: index %d, services %d", r.IndexDisk, r.ServicesDisk)
		}
		pending := fmt.Sprintf("with %s services pending", num(r.Import.Pending))
		for _, want := range []string{"agree on every repetition of 24 queries", "AddServices, 2 batches of 1,000", "change sequence", "a CSV register of 1,000 rows", "every row a repeat", pending, r.County.Code, "F aged 16-24"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}

		// The data can be found again and measured once more.
		again, err := ExistingReach(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if again.National.ID != r.National.ID || again.Province.ID != r.Province.ID || again.County.ID != r.County.ID || again.Cards != r.Cards ||
			again.Services != r.Services+r.Import.Services+int64(r.Import.FileNew) || again.Units != r.Units || again.LevelCounts != r.LevelCounts ||
			again.ProvCards != r.ProvCards || again.CountyCards != r.CountyCards || again.Index.Bitmaps != st.Bitmaps || again.Index.People != st.People || again.Index.Bytes != st.Bytes {
			t.Errorf("found again: %+v\ngenerated: %+v\nverified: %+v", again, r.ReachGenerated, st)
		}
		var out bytes.Buffer
		if err := ReachMain(ctx, db, []string{"-existing", "-reps", "1", "-basereps", "1", "-batches", "0"}, &out); err != nil || !strings.Contains(out.String(), "agree on every repetition") {
			t.Errorf("measuring again: %v\n%s", err, out.String())
		}

		// A second run refuses the database.
		if _, err := GenerateReach(ctx, db, spec, &log); err == nil || !strings.Contains(err.Error(), "empty database") {
			t.Errorf("second generation: %v", err)
		}

		// Services removed behind the bitmaps' back make the two answers differ: an error.
		if _, err := db.W.ExecContext(ctx, "DELETE FROM services WHERE card_id = 1"); err != nil {
			t.Fatal(err)
		}
		_, err = MeasureReach(ctx, db, r.ReachGenerated, ReachSpec{Reps: 1, BaseReps: 1}, &out)
		if err == nil || !strings.Contains(err.Error(), "national") || !strings.Contains(err.Error(), strconv.FormatInt(r.Cards-1, 10)) {
			t.Errorf("bitmaps out of step with the services: %v", err)
		}
	})
}

// indexesOf lists a table's indexes with their definitions.
func indexesOf(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	query := "SELECT name || ' ' || COALESCE(sql, '') FROM sqlite_schema WHERE type = 'index' AND tbl_name = $1 ORDER BY name"
	if db.Dialect == store.Postgres {
		query = "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname"
	}
	var out []string
	err := scanEach(context.Background(), db.R, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out = append(out, s)
		return err
	}, query, table)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReachBaselineAge checks the baseline's age year on its own: the year a span ends, or the
// latest service's year when no service is as late as the span's last month.
func TestReachBaselineAge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := GenerateReach(ctx, db, ReachSpec{Units: 200, Cards: 300, Services: 2, Seed: 3}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		// Without the services of 2012, the latest are of 2011.
		if _, err := db.W.ExecContext(ctx, "DELETE FROM services WHERE served_on >= '2012-01-01'"); err != nil {
			t.Fatal(err)
		}
		base := ReachBaseline{DB: db}
		for _, tc := range []struct {
			span analytics.Span
			year int // the year ages are reached in
			last string
		}{
			{analytics.Span{From: "2010-01", To: "2012-12"}, 2011, "2012-12-31"},
			{analytics.Span{From: "2010-01", To: "2030-06"}, 2011, "2030-06-30"},
			{analytics.Span{From: "2010-01", To: "2011-12"}, 2011, "2011-12-31"},
			{analytics.Span{From: "2010-03", To: "2010-11"}, 2010, "2010-11-30"},
		} {
			for _, age := range []int{10, 20} {
				got, err := base.Count(ctx, "/1/", tc.span, analytics.Filter{Aged: true, AgeMin: age, AgeMax: age})
				if err != nil {
					t.Fatal(err)
				}
				var want int64
				if err := db.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN cards c ON c.id = s.card_id
					WHERE c.birth_year = $1 AND s.served_on >= $2 AND s.served_on <= $3`, tc.year-age, tc.span.From+"-01", tc.last).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if got != want || want == 0 {
					t.Errorf("%+v, aged %d: %d people, %d born in %d and served in the span", tc.span, age, got, want, tc.year-age)
				}
			}
		}
	})
}

// TestReachScale is the full reach benchmark with its report, on both databases, when
// TING_BENCH_REACH is set; its value holds ReachMain's flags ("-cards 1000000 -services 10", or
// "1" for the defaults: 700,000 units, 10 million cards, 100 million services). The databases
// are fresh ones that are dropped afterwards, unless TING_BENCH_REACH_SQLITE names a SQLite file
// to create and keep, or TING_BENCH_REACH_POSTGRES the URL of an empty PostgreSQL database to
// fill and keep (to measure again with -existing). For example:
//
//	TING_BENCH_REACH="-cards 1000000" TING_TEST_POSTGRES=postgres://… go test -run ReachScale -v -timeout 4h ./internal/benchgen
func TestReachScale(t *testing.T) {
	scaleTest(t, "TING_BENCH_REACH", "TING_BENCH_REACH_SQLITE", "TING_BENCH_REACH_POSTGRES", ReachMain)
}

// Benchmarks. One data set per database for the whole run: 20,000 units and TING_BENCH_CARDS
// cards (default 20,000) with 10 services each on average. The PostgreSQL ones run when
// TING_TEST_POSTGRES is set.

var reachDBs = map[store.Dialect]*reachDB{}

type reachDB struct {
	db  *store.DB
	g   ReachGenerated
	err error
}

func reachData(b *testing.B, d store.Dialect) *reachDB {
	var dsn string
	if d == store.Postgres {
		dsn = storetest.PostgresDSN(b)
	}
	benchMu.Lock()
	defer benchMu.Unlock()
	if x := reachDBs[d]; x != nil {
		if x.err != nil {
			b.Fatal(x.err)
		}
		return x
	}
	x := &reachDB{}
	reachDBs[d] = x
	ctx := context.Background()
	if d == store.SQLite {
		dir, err := os.MkdirTemp("", "benchreach")
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
		spec := ReachSpec{Units: 20_000, Cards: 20_000, Services: 10}
		if v := os.Getenv("TING_BENCH_CARDS"); v != "" {
			spec.Cards, x.err = strconv.Atoi(v)
		}
		if x.err == nil {
			var log bytes.Buffer
			x.g, x.err = GenerateReach(ctx, x.db, spec, &log)
			b.Logf("%s:\n%s", d, log.String())
		}
	}
	if x.err != nil {
		b.Fatal(x.err)
	}
	return x
}

// benchReach runs fn for the national unit and the county, over the life of the project, with
// no filter and with the group filter, on each database.
func benchReach(b *testing.B, fn func(ctx context.Context, x *reachDB, q ReachQuery) (int64, error)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			x := reachData(b, d)
			for _, q := range ReachQueries(x.g) {
				if q.Level == "province" || q.SpanName != "LOP" || q.FilterName != "none" && q.FilterName != "group left_behind" {
					continue
				}
				b.Run(q.Level+"/"+strings.Fields(q.FilterName)[0], func(b *testing.B) {
					for b.Loop() {
						if _, err := fn(context.Background(), x, q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func BenchmarkReach(b *testing.B) {
	benchReach(b, func(ctx context.Context, x *reachDB, q ReachQuery) (int64, error) {
		return analytics.Count(ctx, x.db.R, analytics.Unit{ID: q.Unit.ID, Path: q.Unit.Path}, q.Span, q.Filter)
	})
}

func BenchmarkReachBaseline(b *testing.B) {
	benchReach(b, func(ctx context.Context, x *reachDB, q ReachQuery) (int64, error) {
		return ReachBaseline{DB: x.db}.Count(ctx, q.Unit.Path, q.Span, q.Filter)
	})
}

// BenchmarkReachAddServices writes batches of 1,000 services through the service layer.
func BenchmarkReachAddServices(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			x := reachData(b, d)
			seed := uint64(0)
			for b.Loop() {
				seed++
				if _, err := ImportReach(context.Background(), x.db, ReachSpec{Batches: 1, BatchSize: 1000, Seed: seed}, &bytes.Buffer{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
