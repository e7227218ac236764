package benchgen

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
)

// ReachReport is a reach benchmark run: the data, the service-layer import and the queries,
// each checked against the SQL baseline.
type ReachReport struct {
	ReachGenerated
	Import   ImportResult
	Results  []ReachResult
	AimQuery bool // every national query: p95 under AimReachP95 and at least AimReachSpeedup times the baseline (p50s)
	// AimUncached is AimQuery for the counts with the cache of decoded bitmaps turned off.
	AimUncached bool
	AimBulk     bool // the bulk path (load and rebuild) at least AimImportRate services per second
	AimImport   bool // the service layer at least AimImportRate services per second
}

// ImportResult times services written through beneficiaries.Service.AddServices (batches from
// beneficiaries.DeferAt go to the reach change sequence), a register file of one batch's size
// through ImportServices, twice, a national count while they are pending, and folding them into
// the bitmaps.
type ImportResult struct {
	Batches  int
	Size     int
	Services int64  // through AddServices
	Batch    Timing // per batch
	Total    time.Duration
	Rate     float64 // services per second of Total

	File      int           // rows of the CSV register imported through ImportServices
	FileNew   int           // services it recorded (the rest repeated generated ones)
	FileTime  time.Duration // reading, checking, the repeat check and writing
	FileRate  float64       // rows per second of FileTime
	AgainTime time.Duration // the same file again: every row a repeat, nothing written
	AgainRate float64       // rows per second of AgainTime

	Pending      int64         // services pending after the batches
	PendingCount Timing        // national count over the whole period with them pending
	PendingSQL   time.Duration // the SQL baseline of that count, once
	Fold         time.Duration // analytics.FoldAll of them
	FoldRate     float64       // services per second of Fold
	EndToEnd     float64       // services per second of writing them all (batches and file) and folding them
}

// ReachQuery is one question asked of the service and of the baseline.
type ReachQuery struct {
	Level      string // national, province, county
	Unit       org.Unit
	SpanName   string
	Span       analytics.Span
	FilterName string
	Filter     analytics.Filter
}

// ReachResult is a query's answer and timings.
type ReachResult struct {
	ReachQuery
	People  int64
	Service Timing // analytics.Count
	// Uncached is analytics.Count with its cache of decoded bitmaps turned off: every bitmap
	// read from the database, as the first count after a start or after the rows it reads
	// were written. Service is the same count with the cache as it is in use.
	Uncached Timing
	SQL      Timing // ReachBaseline.Count
	Speedup  float64
}

// RunReach generates (or, with spec.Existing, finds) the data, writes the service-layer
// batches, measures the queries and prints the report to w.
func RunReach(ctx context.Context, db *store.DB, spec ReachSpec, w io.Writer) (ReachReport, error) {
	spec = spec.WithDefaults()
	var r ReachReport
	var err error
	if spec.Existing {
		r.ReachGenerated, err = ExistingReach(ctx, db)
	} else {
		r.ReachGenerated, err = GenerateReach(ctx, db, spec, w)
	}
	if err != nil {
		return r, err
	}
	if spec.batches() > 0 {
		if r.Import, err = ImportReach(ctx, db, spec, w); err != nil {
			return r, err
		}
		if err := foldImport(ctx, db, r.ReachGenerated, spec, &r.Import, w); err != nil {
			return r, err
		}
		if err := settle(ctx, db); err != nil {
			return r, err
		}
	}
	if r.Results, err = MeasureReach(ctx, db, r.ReachGenerated, spec, w); err != nil {
		return r, err
	}
	r.AimQuery, r.AimUncached = true, true
	for _, res := range r.Results {
		if res.Level != "national" {
			continue
		}
		if res.Service.P95 >= AimReachP95 || res.Speedup < AimReachSpeedup {
			r.AimQuery = false
		}
		if res.Uncached.P95 >= AimReachP95 || speedup(res.SQL.P50, res.Uncached.P50) < AimReachSpeedup {
			r.AimUncached = false
		}
	}
	r.AimBulk = r.BulkRate >= AimImportRate
	r.AimImport = r.Import.Rate >= AimImportRate
	PrintReach(w, r)
	return r, nil
}

// settle writes the WAL back into a SQLite database after the service-layer batches, so the
// measurements do not read through it; PostgreSQL needs nothing (autovacuum sees to the few
// rows added).
func settle(ctx context.Context, db *store.DB) error {
	if db.Dialect != store.SQLite {
		return nil
	}
	return analyze(ctx, db)
}

// ImportReach writes spec.Batches batches of spec.BatchSize services through
// beneficiaries.Service.AddServices as the system actor: each to a generated card drawn at
// random, at the card's community, on a day in the generated period, of a random type. The
// service's today is 2013-01-01, after every generated day.
func ImportReach(ctx context.Context, db *store.DB, spec ReachSpec, log io.Writer) (ImportResult, error) {
	spec = spec.WithDefaults()
	res := ImportResult{Batches: spec.batches(), Size: spec.BatchSize}
	var cards int64
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM cards WHERE dup_key LIKE 'bench-%'").Scan(&cards); err != nil {
		return res, err
	}
	if cards == 0 {
		return res, fmt.Errorf("no generated cards to add services to")
	}
	svc := beneficiaries.New(db, nil)
	svc.SetToday(func() string { return "2013-01-01" })
	rng := rand.New(rand.NewPCG(spec.Seed, 0x1a9047))
	days := reachDays()
	var ds []time.Duration
	for b := range res.Batches {
		ids := make([]int64, spec.BatchSize)
		for i := range ids {
			ids[i] = 1 + rng.Int64N(cards)
		}
		cs, err := cardInfo(ctx, db, ids)
		if err != nil {
			return res, err
		}
		ins := make([]beneficiaries.ServiceInput, len(ids))
		for i, id := range ids {
			ins[i] = beneficiaries.ServiceInput{CardID: id, SiteID: cs[id].site, Type: reachTypes[rng.IntN(len(reachTypes))], Date: days[rng.IntN(len(days))]}
		}
		t := time.Now()
		got, err := svc.AddServices(ctx, access.System, ins, 0)
		d := time.Since(t)
		if err != nil {
			return res, fmt.Errorf("service-layer batch %d: %w", b+1, err)
		}
		if len(got) != len(ins) {
			return res, fmt.Errorf("service-layer batch %d: %d services written of %d", b+1, len(got), len(ins))
		}
		ds = append(ds, d)
		res.Services += int64(len(ins))
		res.Total += d
		fmt.Fprintf(log, "service layer: batch %d of %d services in %s\n", b+1, len(ins), d.Round(time.Millisecond))
	}
	res.Batch = timing(ds)
	res.Rate = rate(res.Services, res.Total)
	return res, importFile(ctx, svc, db, rng, cards, spec.BatchSize, &res, log)
}

// importFile imports a CSV register of size random services (card number, site code, type,
// day) through ImportServices, then the same file again, which must record nothing.
func importFile(ctx context.Context, svc *beneficiaries.Service, db *store.DB, rng *rand.Rand, cards int64, size int, res *ImportResult, log io.Writer) error {
	ids := make([]int64, size)
	for i := range ids {
		ids[i] = 1 + rng.Int64N(cards)
	}
	info, err := cardInfo(ctx, db, ids)
	if err != nil {
		return err
	}
	days := reachDays()
	var file strings.Builder
	file.WriteString("card,site_code,type,date\n")
	for _, id := range ids {
		fmt.Fprintf(&file, "%s,%s,%s,%s\n", info[id].number, info[id].siteCode, reachTypes[rng.IntN(len(reachTypes))], days[rng.IntN(len(days))])
	}
	data := []byte(file.String())
	run := func() (beneficiaries.ImportResult, time.Duration, error) {
		t := time.Now()
		r, err := svc.ImportServices(ctx, access.System, data, beneficiaries.ImportOptions{})
		return r, time.Since(t), err
	}
	first, d, err := run()
	if err != nil {
		return fmt.Errorf("register file: %w", err)
	}
	if first.Rows != size || first.Created+first.Skipped != size {
		return fmt.Errorf("register file of %d rows: %+v", size, first)
	}
	res.File, res.FileNew, res.FileTime, res.FileRate = size, first.Created, d, rate(int64(size), d)
	again, d, err := run()
	if err != nil {
		return fmt.Errorf("register file again: %w", err)
	}
	if again.Created != 0 || again.Skipped != size {
		return fmt.Errorf("register file again: %d recorded, %d repeats; want 0 and %d", again.Created, again.Skipped, size)
	}
	res.AgainTime, res.AgainRate = d, rate(int64(size), d)
	fmt.Fprintf(log, "service layer: register file of %d rows in %s (%d new), again in %s (all repeats)\n", size, res.FileTime.Round(time.Millisecond), res.FileNew, d.Round(time.Millisecond))
	return nil
}

// foldImport counts the national reach with the imported services pending (checked against
// the SQL baseline), then folds them and times it.
func foldImport(ctx context.Context, db *store.DB, g ReachGenerated, spec ReachSpec, res *ImportResult, log io.Writer) error {
	var err error
	if res.Pending, err = analytics.Pending(ctx, db.R); err != nil {
		return err
	}
	whole := ReachSpans[0].Span
	u := analytics.Unit{ID: g.National.ID, Path: g.National.Path}
	var got int64
	count := func() (time.Duration, error) {
		t := time.Now()
		got, err = analytics.Count(ctx, db.R, u, whole, analytics.Filter{})
		return time.Since(t), err
	}
	t := time.Now()
	want, err := ReachBaseline{DB: db}.Count(ctx, g.National.Path, whole, analytics.Filter{})
	res.PendingSQL = time.Since(t)
	if err != nil {
		return err
	}
	same := func() error {
		if got != want {
			return fmt.Errorf("national reach with %d services pending: the service counts %d people, SQL COUNT(DISTINCT) %d", res.Pending, got, want)
		}
		return nil
	}
	if res.PendingCount, err = repeatAtLeast(count, same, spec.Reps, 3, spec.Budget); err != nil {
		return err
	}
	t = time.Now()
	n, err := analytics.FoldAll(ctx, db, analytics.FoldBatch(db.Dialect))
	res.Fold = time.Since(t)
	if err != nil {
		return err
	}
	if n != res.Pending {
		return fmt.Errorf("folded %d services of %d pending", n, res.Pending)
	}
	res.FoldRate = rate(n, res.Fold)
	res.EndToEnd = rate(res.Services+int64(res.FileNew), res.Total+res.FileTime+res.Fold)
	fmt.Fprintf(log, "service layer: national count with %d pending p50 %s (SQL %s); folded in %s\n", res.Pending, ms(res.PendingCount.P50), ms(res.PendingSQL), res.Fold.Round(time.Millisecond))
	return nil
}

// aCard is what a service needs of a generated card, by id or as a register names it.
type aCard struct {
	site             int64
	number, siteCode string
}

// cardInfo reads the cards' sites and numbers, 500 a query; every id must exist. They are read
// rather than generated again: an existing database need not have been made with this spec's
// units and seed.
func cardInfo(ctx context.Context, db *store.DB, ids []int64) (map[int64]aCard, error) {
	out := map[int64]aCard{}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	for len(uniq) > 0 {
		n := min(len(uniq), 500)
		ph := make([]string, n)
		args := make([]any, n)
		for i := range n {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), uniq[i]
		}
		err := scanEach(ctx, db.R, func(rows *sql.Rows) error {
			var id int64
			var c aCard
			err := rows.Scan(&id, &c.site, &c.number, &c.siteCode)
			out[id] = c
			return err
		}, `SELECT c.id, c.site_id, c.number, u.code FROM cards c JOIN org_units u ON u.id = c.site_id WHERE c.id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		uniq = uniq[n:]
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("card %d not found", id)
		}
	}
	return out, nil
}

// ReachQueries are the questions measured: the national unit, the province and the county,
// each over every span of ReachSpans with every filter of ReachFilters.
func ReachQueries(g ReachGenerated) []ReachQuery {
	var out []ReachQuery
	for _, u := range []struct {
		level string
		unit  org.Unit
	}{{"national", g.National}, {"province", g.Province}, {"county", g.County}} {
		for _, s := range ReachSpans {
			for _, f := range ReachFilters {
				out = append(out, ReachQuery{Level: u.level, Unit: u.unit, SpanName: s.Name, Span: s.Span, FilterName: f.Name, Filter: f.Filter})
			}
		}
	}
	return out
}

// MeasureReach times every query of ReachQueries through analytics.Count and through
// ReachBaseline: one untimed run of each, then spec.Reps and spec.BaseReps timed ones, every
// answer compared with the others; the first difference is returned as an error.
func MeasureReach(ctx context.Context, db *store.DB, g ReachGenerated, spec ReachSpec, log io.Writer) ([]ReachResult, error) {
	spec = spec.WithDefaults()
	base := ReachBaseline{DB: db}
	var out []ReachResult
	for _, q := range ReachQueries(g) {
		res := ReachResult{ReachQuery: q}
		var got, want int64
		var err error
		service := func() (time.Duration, error) {
			t := time.Now()
			got, err = analytics.Count(ctx, db.R, analytics.Unit{ID: q.Unit.ID, Path: q.Unit.Path}, q.Span, q.Filter)
			return time.Since(t), err
		}
		plain := func() (time.Duration, error) {
			t := time.Now()
			want, err = base.Count(ctx, q.Unit.Path, q.Span, q.Filter)
			return time.Since(t), err
		}
		check := func() error {
			if got != want {
				return fmt.Errorf("%s %s (%s), %s, %s: the service counts %d people, SQL COUNT(DISTINCT) %d",
					q.Level, q.Unit.Code, q.Unit.Path, q.SpanName, q.FilterName, got, want)
			}
			return nil
		}
		if _, err := service(); err != nil {
			return out, err
		}
		if _, err := plain(); err != nil {
			return out, err
		}
		if err := check(); err != nil {
			return out, err
		}
		res.People = want
		if res.Service, err = repeatAtLeast(service, check, spec.Reps, 3, spec.Budget); err != nil {
			return out, err
		}
		was := analytics.SetCacheBytes(0)
		res.Uncached, err = repeatAtLeast(service, check, spec.Reps, 3, spec.Budget)
		analytics.SetCacheBytes(was)
		if err != nil {
			return out, err
		}
		if res.SQL, err = repeatAtLeast(plain, check, spec.BaseReps, 1, spec.Budget); err != nil {
			return out, err
		}
		res.Speedup = speedup(res.SQL.P50, res.Service.P50)
		fmt.Fprintf(log, "%s %s, %s, %s: %d people; service p50 %s p95 %s (uncached %s, %s); SQL p50 %s p95 %s; %.0f×\n", q.Level, q.Unit.Code, q.SpanName, q.FilterName,
			res.People, ms(res.Service.P50), ms(res.Service.P95), ms(res.Uncached.P50), ms(res.Uncached.P95), ms(res.SQL.P50), ms(res.SQL.P95), res.Speedup)
		out = append(out, res)
	}
	return out, nil
}

// repeatAtLeast times fn up to reps times, stopping early once budget is spent and it has run
// atLeast times (or reps, if fewer); check follows every run.
func repeatAtLeast(fn func() (time.Duration, error), check func() error, reps, atLeast int, budget time.Duration) (Timing, error) {
	var ds []time.Duration
	began := time.Now()
	for len(ds) < reps {
		d, err := fn()
		if err != nil {
			return Timing{}, err
		}
		if err := check(); err != nil {
			return Timing{}, err
		}
		ds = append(ds, d)
		if len(ds) >= min(atLeast, reps) && time.Since(began) > budget {
			break
		}
	}
	return timing(ds), nil
}

// ReachBaseline counts the people served the plain way: one SELECT COUNT(DISTINCT card_id) over
// the services at the units of a subtree (found by their paths) in a span, joined to the cards
// only when the filter asks about them. It shares no code with internal/analytics.
//
// The subtree's units are a subquery (site_id IN (SELECT id FROM org_units WHERE path LIKE …))
// rather than a join: without statistics SQLite plans the join from the services' date index, so
// a county's count would read every service of the span (100 times slower than through the
// sites' index on a million services); the subquery makes it walk services by site on both
// engines, so the speed-ups reported are against the best plain query, not a bad plan.
type ReachBaseline struct{ DB *store.DB }

// Count is the number of distinct cards with a service at a unit whose path starts with path,
// on a day of the span's months, matching the filter. Ages are those reached in the year the
// span ends or, when no service was recorded as late as the span's last month, in the year of the
// latest service recorded.
func (b ReachBaseline) Count(ctx context.Context, path string, s analytics.Span, f analytics.Filter) (int64, error) {
	from, err := time.Parse("2006-01", s.From)
	if err != nil {
		return 0, fmt.Errorf("span from %q: %w", s.From, err)
	}
	to, err := time.Parse("2006-01", s.To)
	if err != nil {
		return 0, fmt.Errorf("span to %q: %w", s.To, err)
	}
	last := to.AddDate(0, 1, -1) // the month's last day
	args := []any{path + "%", from.Format(time.DateOnly), last.Format(time.DateOnly)}
	next := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where []string
	if len(f.Types) > 0 {
		ph := make([]string, len(f.Types))
		for i, t := range f.Types {
			ph[i] = next(t)
		}
		where = append(where, "s.type IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Sex != "" {
		where = append(where, "c.sex = "+next(f.Sex))
	}
	if f.Aged {
		year := to.Year()
		var latest *string
		if err := b.DB.R.QueryRowContext(ctx, "SELECT MAX(served_on) FROM services").Scan(&latest); err != nil {
			return 0, err
		}
		if latest != nil {
			l, err := time.Parse(time.DateOnly, *latest)
			if err != nil {
				return 0, fmt.Errorf("latest service on %q: %w", *latest, err)
			}
			if l.Before(to) { // before the span's last month began
				year = l.Year()
			}
		}
		where = append(where, "c.birth_year BETWEEN "+next(year-f.AgeMax)+" AND "+next(year-f.AgeMin))
	}
	if len(f.Groups) > 0 {
		ors := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			ors[i] = "c.groups LIKE " + next("%,"+g+",%")
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	query := "SELECT COUNT(DISTINCT s.card_id) FROM services s"
	if f.Sex != "" || f.Aged || len(f.Groups) > 0 {
		query += " JOIN cards c ON c.id = s.card_id"
	}
	query += " WHERE s.site_id IN (SELECT id FROM org_units WHERE path LIKE $1) AND s.served_on BETWEEN $2 AND $3"
	for _, w := range where {
		query += " AND " + w
	}
	var n int64
	err = b.DB.R.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// PrintReach writes the report as a readable table.
func PrintReach(w io.Writer, r ReachReport) {
	c := r.LevelCounts
	fmt.Fprintf(w, "\nreach benchmark on %s\n", r.Dialect)
	fmt.Fprintf(w, "network  %s units: %s national, %s provincial, %s municipal, %s county, %s community\n",
		num(r.Units), num(c[0]), num(c[1]), num(c[2]), num(c[3]), num(c[4]))
	fmt.Fprintf(w, "data     %s cards, %s services (%.1f per card) from %s to %s of %d types; %s (%s cards registered), %s (%s)\n",
		num(r.Cards), num(r.Services), float64(r.Services)/float64(max(1, r.Cards)), ReachFrom, ReachTo, len(reachTypes),
		r.Province.Code, num(r.ProvCards), r.County.Code, num(r.CountyCards))
	if r.ServicesTime > 0 {
		fmt.Fprintf(w, "load     units %s · cards %s (%s/s) · services %s (%s/s, %s; secondary indexes built after the rows, %s) · checkpoint/statistics %s · total %s\n",
			dur(r.UnitsTime), dur(r.CardsTime), num(int64(r.CardsPerSecond)), dur(r.ServicesTime), num(int64(r.ServicesPerSecond)), r.Method,
			dur(r.IndexesTime), dur(r.AnalyzeTime), dur(r.Elapsed))
		fmt.Fprintf(w, "bulk     analytics.Rebuild %s (%s services/s); services load and rebuild %s services/s (aim %s: %s)\n",
			dur(r.RebuildTime), num(int64(r.RebuildRate)), num(int64(r.BulkRate)), num(int64(AimImportRate)), verdict(r.AimBulk))
	}
	if r.Import.Batches > 0 {
		how := "the bitmaps kept in the transaction"
		if r.Import.Size >= beneficiaries.DeferAt {
			how = "the bitmaps taking them from the change sequence"
		}
		fmt.Fprintf(w, "service  AddServices, %d batches of %s: p50 %s p95 %s per batch, %s services/s, %s (aim %s: %s)\n",
			r.Import.Batches, num(r.Import.Size), ms(r.Import.Batch.P50), ms(r.Import.Batch.P95), num(int64(r.Import.Rate)), how, num(int64(AimImportRate)), verdict(r.AimImport))
		fmt.Fprintf(w, "         ImportServices, a CSV register of %s rows (%s new): %s, %s rows/s; the same file again (every row a repeat, nothing written): %s, %s rows/s\n",
			num(int64(r.Import.File)), num(int64(r.Import.FileNew)), ms(r.Import.FileTime), num(int64(r.Import.FileRate)), ms(r.Import.AgainTime), num(int64(r.Import.AgainRate)))
		fmt.Fprintf(w, "         with %s services pending, national reach p50 %s p95 %s (SQL %s, equal); analytics.FoldAll %s (%s services/s); import and fold together %s services/s\n",
			num(r.Import.Pending), ms(r.Import.PendingCount.P50), ms(r.Import.PendingCount.P95), ms(r.Import.PendingSQL), dur(r.Import.Fold), num(int64(r.Import.FoldRate)), num(int64(r.Import.EndToEnd)))
	}
	perService := 0.0
	if r.Services > 0 {
		perService = float64(r.Index.Bytes) / float64(r.Services)
	}
	fmt.Fprintf(w, "index    %s reach bitmaps + %s attribute bitmaps, %s serialised (%.1f bytes per service)", num(r.Index.Bitmaps), num(r.Index.People), mb(r.Index.Bytes), perService)
	if r.IndexDisk > 0 {
		fmt.Fprintf(w, "; on disk %s (services with their indexes %s)", mb(r.IndexDisk), mb(r.ServicesDisk))
	}
	if r.RebuildHeap > 0 {
		fmt.Fprintf(w, "; rebuild heap up to %s", mb(int64(r.RebuildHeap)))
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "; process peak RSS %s", mb(r.PeakRSS))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "unit\tspan\tfilter\tpeople\treps\tp50\tp95\tuncached p50\tuncached p95\tSQL reps\tSQL p50\tSQL p95\tspeed-up\tuncached\t\n")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%.0f×\t%.0f×\t\n", res.Level, res.Unit.Code, res.SpanName, res.FilterName, num(res.People),
			res.Service.Reps, ms(res.Service.P50), ms(res.Service.P95), ms(res.Uncached.P50), ms(res.Uncached.P95),
			res.SQL.Reps, ms(res.SQL.P50), ms(res.SQL.P95), res.Speedup, speedup(res.SQL.P50, res.Uncached.P50))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nservice and SQL COUNT(DISTINCT) agree on every repetition of %d queries\n", len(r.Results))
	fmt.Fprintf(w, "aim (national reach p95 under %s and at least %.0f× the SQL baseline): %s; with the cache of decoded bitmaps off: %s\n",
		AimReachP95, AimReachSpeedup, verdict(r.AimQuery), verdict(r.AimUncached))
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}

// mb writes bytes in MB (GB from 10 GB).
func mb(n int64) string {
	if n >= 10e9 {
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
