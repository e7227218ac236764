package benchgen

// The reach benchmark (issue 5 §7): beneficiary cards and the services given to them on the
// national network, the derived reach bitmaps (internal/analytics) built from them, and unique
// reach asked of the national unit, a province and a county, through analytics.Count and through
// plain SQL COUNT(DISTINCT) over the services, in the same run on the same data. It backs the
// Reach tests and benchmarks in this package and `ting bench reach` (see ReachMain).

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
)

// ReachSpec sizes the generated beneficiary data and the measurements.
//
// The network is the roll-up benchmark's (see Spec): about Units units on five levels. Each card
// is registered at a community drawn uniformly from the whole network (the worst case for the
// bitmaps: every county's people are spread over every shard of card ids), with a sex, a birth
// date in 1985–2005, none to a few target groups, and from 1 to 2×Services−1 services (Services
// on average), each on a day drawn uniformly from 2010-01-01 to 2012-12-31, of one of the eight
// service types, at the card's own community nine times in ten and at another community of the
// same county otherwise. The same Units, Cards, Services and Seed give the same data.
type ReachSpec struct {
	Units    int    // units in the network, about (default 700,000)
	Cards    int    // beneficiary cards (default 10,000,000)
	Services int    // services per card on average (default 10)
	Seed     uint64 // random seed

	Reps      int           // timed repetitions of each reach query through the service (default 20)
	BaseReps  int           // timed repetitions of each SQL baseline (default 3)
	Budget    time.Duration // a measurement stops repeating after this long, once it has run 3 times (the baseline once) (default 60s)
	Batches   int           // batches written through beneficiaries.Service.AddServices after the load (default 10; -1 for none)
	BatchSize int           // services per batch (default 10,000)
	NoCopy    bool          // PostgreSQL: load with multi-row INSERTs instead of COPY
	Existing  bool          // ReachMain: measure the data an earlier run left instead of generating
}

// DefaultReachSpec is the national scale of issue 5 §7: 700,000 units, 10 million cards and 100
// million services.
var DefaultReachSpec = ReachSpec{Units: 700_000, Cards: 10_000_000, Services: 10, Seed: 1,
	Reps: 20, BaseReps: 3, Budget: time.Minute, Batches: 10, BatchSize: 10_000}

// Aims of issue 5 §7.
const (
	AimReachP95     = 50 * time.Millisecond // national reach queries, p95
	AimReachSpeedup = 50.0                  // times the SQL baseline
	AimImportRate   = 50_000.0              // services per second
)

// The period of the generated services, the spans measured and the filters asked.
const (
	ReachFrom = "2010-01"
	ReachTo   = "2012-12"
)

// ReachSpans are the spans every unit is asked about: the life of the project and a half-year.
var ReachSpans = []struct {
	Name string
	Span analytics.Span
}{
	{"LOP", analytics.Span{From: ReachFrom, To: ReachTo}},
	{"2011 H2", analytics.Span{From: "2011-07", To: "2011-12"}},
}

// ReachFilters are the filters every unit and span is asked with.
var ReachFilters = []struct {
	Name   string
	Filter analytics.Filter
}{
	{"none", analytics.Filter{}},
	{"group left_behind", analytics.Filter{Groups: []string{"left_behind"}}},
	{"F aged 16-24", analytics.Filter{Sex: "F", Aged: true, AgeMin: 16, AgeMax: 24}},
	{"type life_skills", analytics.Filter{Types: []string{"life_skills"}}},
}

// WithDefaults fills the zero fields of s from DefaultReachSpec.
func (s ReachSpec) WithDefaults() ReachSpec {
	d := DefaultReachSpec
	if s.Units == 0 {
		s.Units = d.Units
	}
	if s.Cards == 0 {
		s.Cards = d.Cards
	}
	if s.Services == 0 {
		s.Services = d.Services
	}
	if s.Seed == 0 {
		s.Seed = d.Seed
	}
	if s.Reps == 0 {
		s.Reps = d.Reps
	}
	if s.BaseReps == 0 {
		s.BaseReps = d.BaseReps
	}
	if s.Budget == 0 {
		s.Budget = d.Budget
	}
	if s.Batches == 0 {
		s.Batches = d.Batches
	}
	if s.BatchSize == 0 {
		s.BatchSize = d.BatchSize
	}
	return s
}

// batches is the number of service-layer batches (Batches, with -1 for none).
func (s ReachSpec) batches() int { return max(0, s.Batches) }

// MaxReachCards keeps card ids inside the 32 bits a bitmap holds, with room to spare.
const MaxReachCards = 1 << 30

func (s ReachSpec) check() error {
	var errs []error
	if _, err := shape(s.Units); err != nil {
		errs = append(errs, err)
	}
	if s.Cards < 1 || s.Cards > MaxReachCards {
		errs = append(errs, fmt.Errorf("cards: %d is not between 1 and %d", s.Cards, MaxReachCards))
	}
	if s.Services < 1 || s.Services > 1000 {
		errs = append(errs, fmt.Errorf("services: %d per card is not between 1 and 1000", s.Services))
	}
	if s.Reps < 1 {
		errs = append(errs, fmt.Errorf("reps: %d is below 1", s.Reps))
	}
	if s.BaseReps < 1 {
		errs = append(errs, fmt.Errorf("basereps: %d is below 1", s.BaseReps))
	}
	if s.Batches < -1 {
		errs = append(errs, fmt.Errorf("batches: %d is below 0 (-1 for none)", s.Batches))
	}
	if s.BatchSize < 1 || s.BatchSize > 1_000_000 {
		errs = append(errs, fmt.Errorf("batch: %d services is not between 1 and 1,000,000", s.BatchSize))
	}
	return errors.Join(errs...)
}

// ReachGenerated describes the data GenerateReach made (or ExistingReach found).
type ReachGenerated struct {
	Dialect     store.Dialect
	National    org.Unit
	Province    org.Unit // the province with most cards
	County      org.Unit // the county of that province with most cards
	LevelCounts [5]int
	Units       int
	Cards       int64
	Services    int64 // services loaded in bulk
	ProvCards   int64 // cards registered in Province
	CountyCards int64 // cards registered in County
	Method      string

	UnitsTime    time.Duration
	CardsTime    time.Duration // with the cards' indexes
	ServicesTime time.Duration // with the services' indexes
	IndexesTime  time.Duration // of which building the secondary indexes of cards and services after the rows
	RebuildTime  time.Duration // analytics.Rebuild over everything loaded
	AnalyzeTime  time.Duration // VACUUM ANALYZE (PostgreSQL), WAL checkpoint (SQLite)
	Elapsed      time.Duration

	CardsPerSecond    float64
	ServicesPerSecond float64 // rows loaded per second of ServicesTime
	RebuildRate       float64 // services per second of RebuildTime
	BulkRate          float64 // services per second of ServicesTime + RebuildTime: the bulk import path

	Index        analytics.Stats // the rebuilt bitmaps (ExistingReach: counted; no checks)
	IndexDisk    int64           // bytes reach_bitmaps and reach_people take on disk, with their keys (0: unknown)
	ServicesDisk int64           // bytes services takes on disk, with its indexes (0: unknown)
	RebuildHeap  uint64          // highest Go heap in use sampled during the rebuild
	PeakRSS      int64           // the process's peak resident set after the rebuild (0: unknown)
}

// The vocabularies generated cards and services draw from.
var (
	reachTypes      = beneficiaries.ServiceTypes
	reachGroups     = beneficiaries.Groups
	groupShare      = []float64{0.30, 0.15, 0.10, 0.10, 0.10, 0.05, 0.05} // per reachGroups entry
	reachEthnicity  = []string{"han", "han", "han", "han", "han", "han", "han", "han", "yi", "miao"}
	reachStatuses   = beneficiaries.Statuses
	reachFirstBirth = 1985
	reachBirthYears = 21 // 1985–2005
)

// person is one generated card and its services.
type person struct {
	id        int64
	comm      int // community index (into the network's level 5)
	sex       int // 0 F, 1 M
	birthYear int
	birthMD   int // month*100+day
	groups    int // bit i: reachGroups[i]
	ethnicity int
	status    int
	served    []visit
	last      int // latest day of service (index into days)
}

type visit struct {
	comm int
	day  int
	typ  int
}

// people generates cards deterministically by id: the card's fields and its services come from a
// generator seeded by the spec's seed and the id, so the cards and the services can be written in
// separate passes (and the service-layer batches find each card's community again).
type people struct {
	net         *network
	seed        uint64
	services    int
	countyFirst []int // per county, index of its first community
	countyN     []int
	pcg         *rand.PCG
	rng         *rand.Rand
	days        []string // 'YYYY-MM-DD' from ReachFrom to ReachTo
}

func newPeople(net *network, seed uint64, services int) *people {
	p := &people{net: net, seed: seed, services: services, pcg: rand.NewPCG(0, 0)}
	p.rng = rand.New(p.pcg)
	counties := net.counts[3]
	p.countyFirst = make([]int, counties)
	p.countyN = make([]int, counties)
	for j, c := range net.parent[4] {
		if p.countyN[c] == 0 {
			p.countyFirst[c] = j
		}
		p.countyN[c]++
	}
	p.days = reachDays()
	return p
}

// reachDays lists the days services are given on.
func reachDays() []string {
	from, _ := time.Parse("2006-01", ReachFrom)
	to, _ := time.Parse("2006-01", ReachTo)
	var out []string
	for d := from; d.Before(to.AddDate(0, 1, 0)); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// card fills c with card id's fields and services.
func (p *people) card(id int64, c *person) {
	p.pcg.Seed(p.seed^0x9e3779b97f4a7c15, uint64(id))
	r := p.rng
	c.id = id
	c.comm = r.IntN(p.net.counts[4])
	c.sex = r.IntN(2)
	c.birthYear = reachFirstBirth + r.IntN(reachBirthYears)
	c.birthMD = (1+r.IntN(12))*100 + 1 + r.IntN(28)
	c.groups = 0
	for i, share := range groupShare {
		if r.Float64() < share {
			c.groups |= 1 << i
		}
	}
	c.ethnicity = r.IntN(len(reachEthnicity))
	c.status = r.IntN(len(reachStatuses))
	n := 1 + r.IntN(2*p.services-1)
	c.served = c.served[:0]
	c.last = -1
	county := int(p.net.parent[4][c.comm])
	for range n {
		v := visit{comm: c.comm, day: r.IntN(len(p.days)), typ: r.IntN(len(reachTypes))}
		if r.IntN(10) == 0 {
			v.comm = p.countyFirst[county] + r.IntN(p.countyN[county])
		}
		c.served = append(c.served, v)
		c.last = max(c.last, v.day)
	}
}

// groupStrings are the stored groups (",a,b,", sorted) of every subset of reachGroups, by mask.
var groupStrings = func() []any {
	out := make([]any, 1<<len(reachGroups))
	for mask := range out {
		var gs []string
		for i, g := range reachGroups {
			if mask&(1<<i) != 0 {
				gs = append(gs, g)
			}
		}
		// sorted by hand (insertion), as a card stores them
		for i := 1; i < len(gs); i++ {
			for j := i; j > 0 && gs[j] < gs[j-1]; j-- {
				gs[j], gs[j-1] = gs[j-1], gs[j]
			}
		}
		if len(gs) == 0 {
			out[mask] = ","
		} else {
			out[mask] = "," + strings.Join(gs, ",") + ","
		}
	}
	return out
}()

func boxStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// GenerateReach fills an empty, migrated database with the network, cards and services spec
// describes (zero fields take DefaultReachSpec's), rebuilds the reach bitmaps with
// analytics.Rebuild and reports progress and rates to log. It refuses a database that already
// holds units.
func GenerateReach(ctx context.Context, db *store.DB, spec ReachSpec, log io.Writer) (ReachGenerated, error) {
	spec = spec.WithDefaults()
	if err := spec.check(); err != nil {
		return ReachGenerated{}, err
	}
	began := time.Now()
	g := ReachGenerated{Dialect: db.Dialect}
	var existing int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM org_units").Scan(&existing); err != nil {
		return g, err
	}
	if existing > 0 {
		return g, fmt.Errorf("benchmark data needs an empty database; this one has %d units", existing)
	}
	counts, _ := shape(spec.Units)
	net := newNetwork(rand.New(rand.NewPCG(spec.Seed, 0x5eed)), counts)
	g.LevelCounts = counts
	for _, c := range counts {
		g.Units += c
	}
	restore, err := tuneWriter(ctx, db)
	if err != nil {
		return g, err
	}
	defer restore()

	// 1. Units, as the roll-up benchmark makes them.
	t0 := time.Now()
	if err := loadUnits(ctx, db, net, spec.NoCopy); err != nil {
		return g, err
	}
	g.UnitsTime = time.Since(t0)
	fmt.Fprintf(log, "units: %d (%d national, %d provincial, %d municipal, %d county, %d community) in %s\n",
		g.Units, counts[0], counts[1], counts[2], counts[3], counts[4], g.UnitsTime.Round(time.Millisecond))

	// 2. Cards, counting them per province and county to choose the units measured.
	ppl := newPeople(net, spec.Seed, spec.Services)
	provCards := make([]int64, counts[1])
	countyCards := make([]int64, counts[3])
	t0 = time.Now()
	now := store.Now()
	cards := &table{name: "cards",
		consts:    []string{"anonymised_on", "created_by", "created_at", "updated_at"},
		constVals: []any{"", access.System.PublicID, now, now},
		cols:      []string{"id", "number", "site_id", "province_id", "sex", "birth_date", "birth_year", "ethnicity", "groups", "status", "dup_key", "last_active"}}
	sexes := boxStrings([]string{"F", "M"})
	eths, statuses, days := boxStrings(reachEthnicity), boxStrings(reachStatuses), boxStrings(ppl.days)
	years := make([]any, reachBirthYears)
	for i := range years {
		years[i] = int64(reachFirstBirth + i)
	}
	var services int64
	rebuildCardIndexes, err := deferIndexes(ctx, db, "cards")
	if err != nil {
		return g, err
	}
	g.Cards, _, err = load(ctx, db, cards, spec.NoCopy, func(p *producer) {
		var c person
		for id := int64(1); id <= int64(spec.Cards); id++ {
			ppl.card(id, &c)
			county := net.parent[4][c.comm]
			prov := net.parent[2][net.parent[3][county]]
			provCards[prov]++
			countyCards[county]++
			services += int64(len(c.served))
			ids := strconv.FormatInt(id, 10)
			r := p.row()
			r[0], r[1], r[2], r[3] = id, "BN"+ids, net.id(4, c.comm), net.id(1, int(prov))
			r[4], r[5], r[6] = sexes[c.sex], fmt.Sprintf("%04d-%02d-%02d", c.birthYear, c.birthMD/100, c.birthMD%100), years[c.birthYear-reachFirstBirth]
			r[7], r[8], r[9], r[10], r[11] = eths[c.ethnicity], groupStrings[c.groups], statuses[c.status], "bench-"+ids, days[c.last]
		}
	})
	if err != nil {
		return g, fmt.Errorf("cards: %w", err)
	}
	t1 := time.Now()
	if err := rebuildCardIndexes(); err != nil {
		return g, fmt.Errorf("cards: %w", err)
	}
	g.IndexesTime = time.Since(t1)
	if db.Dialect == store.Postgres {
		if _, err := db.W.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('cards', 'id'), (SELECT MAX(id) FROM cards))"); err != nil {
			return g, err
		}
	}
	g.CardsTime = time.Since(t0)
	g.CardsPerSecond = rate(g.Cards, g.CardsTime)
	fmt.Fprintf(log, "cards: %d in %s, %.0f cards/s\n", g.Cards, g.CardsTime.Round(time.Millisecond), g.CardsPerSecond)

	// 3. Services, card by card.
	t0 = time.Now()
	svcTable := &table{name: "services",
		consts:    []string{"provider", "note", "created_by", "created_at"},
		constVals: []any{"", "", access.System.PublicID, now},
		cols:      []string{"card_id", "site_id", "type", "served_on"}}
	types := boxStrings(reachTypes)
	rebuildServiceIndexes, err := deferIndexes(ctx, db, "services")
	if err != nil {
		return g, err
	}
	g.Services, g.Method, err = load(ctx, db, svcTable, spec.NoCopy, func(p *producer) {
		var c person
		for id := int64(1); id <= int64(spec.Cards); id++ {
			ppl.card(id, &c)
			var card any = id
			for _, v := range c.served {
				r := p.row()
				r[0], r[1], r[2], r[3] = card, net.id(4, v.comm), types[v.typ], days[v.day]
			}
		}
	})
	if err != nil {
		return g, fmt.Errorf("services: %w", err)
	}
	if g.Services != services {
		return g, fmt.Errorf("services: %d written, %d generated", g.Services, services)
	}
	t1 = time.Now()
	if err := rebuildServiceIndexes(); err != nil {
		return g, fmt.Errorf("services: %w", err)
	}
	g.IndexesTime += time.Since(t1)
	g.ServicesTime = time.Since(t0)
	g.ServicesPerSecond = rate(g.Services, g.ServicesTime)
	fmt.Fprintf(log, "services: %d (%.1f per card) by %s in %s, %.0f services/s (indexes of cards and services built after their rows in %s)\n",
		g.Services, float64(g.Services)/float64(g.Cards), g.Method, g.ServicesTime.Round(time.Millisecond), g.ServicesPerSecond, g.IndexesTime.Round(time.Millisecond))

	// 4. The bitmaps, from everything loaded, with the writer still tuned.
	t0 = time.Now()
	stopSampling := sampleHeap(&g.RebuildHeap)
	g.Index, err = analytics.Rebuild(ctx, db)
	stopSampling()
	if err != nil {
		return g, err
	}
	g.RebuildTime = time.Since(t0)
	g.PeakRSS = peakRSS()
	g.RebuildRate = rate(g.Services, g.RebuildTime)
	g.BulkRate = rate(g.Services, g.ServicesTime+g.RebuildTime)
	fmt.Fprintf(log, "rebuild: %d reach bitmaps and %d attribute bitmaps, %s, in %s, %.0f services/s (heap up to %s)\n",
		g.Index.Bitmaps, g.Index.People, mb(g.Index.Bytes), g.RebuildTime.Round(time.Millisecond), g.RebuildRate, mb(int64(g.RebuildHeap)))
	restore()
	t0 = time.Now()
	if err := analyze(ctx, db); err != nil {
		return g, err
	}
	g.AnalyzeTime = time.Since(t0)
	fmt.Fprintf(log, "checkpoint or statistics in %s\n", g.AnalyzeTime.Round(time.Millisecond))
	g.IndexDisk, g.ServicesDisk = diskSizes(ctx, db)

	// The units measured: the province with most cards and its county with most.
	prov := 0
	for j, n := range provCards {
		if n > provCards[prov] {
			prov = j
		}
	}
	county := -1
	for j, n := range countyCards {
		if p := net.parent[2][net.parent[3][j]]; int(p) == prov && (county < 0 || n > countyCards[county]) {
			county = j
		}
	}
	g.ProvCards, g.CountyCards = provCards[prov], countyCards[county]
	units := org.New(db)
	if g.National, err = units.Unit(ctx, access.System, net.id(0, 0)); err != nil {
		return g, err
	}
	if g.Province, err = units.Unit(ctx, access.System, net.id(1, prov)); err != nil {
		return g, err
	}
	if g.County, err = units.Unit(ctx, access.System, net.id(3, county)); err != nil {
		return g, err
	}
	g.Elapsed = time.Since(began)
	fmt.Fprintf(log, "generated in %s\n", g.Elapsed.Round(time.Millisecond))
	return g, nil
}

// deferIndexes drops the secondary (non-unique) indexes of a table before a bulk load, and
// returns what creates them again, from the definitions the database held: building an index
// from all the rows at once is many times faster than growing it row by row in random order. The
// unique indexes (the primary key, card numbers) stay.
func deferIndexes(ctx context.Context, db *store.DB, table string) (func() error, error) {
	query := `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'`
	if db.Dialect == store.Postgres {
		query = `SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			WHERE i.indrelid = CAST($1 AS regclass) AND NOT i.indisunique`
	}
	var names, defs []string
	err := scanEach(ctx, db.W, func(rows *sql.Rows) error {
		var name, def string
		err := rows.Scan(&name, &def)
		names, defs = append(names, name), append(defs, def)
		return err
	}, query, table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	for _, name := range names {
		if _, err := db.W.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return nil, err
		}
	}
	return func() error {
		for _, def := range defs {
			if _, err := db.W.ExecContext(ctx, def); err != nil {
				return fmt.Errorf("%s: %w", def, err)
			}
		}
		return nil
	}, nil
}

// sampleHeap records the highest heap in use into max until the returned function is called.
func sampleHeap(peak *uint64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux; 0 elsewhere.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// diskSizes reports the bytes the bitmaps and the services take on disk, with their indexes:
// from pg_total_relation_size, or SQLite's dbstat table where it is compiled in (else 0).
func diskSizes(ctx context.Context, db *store.DB) (index, services int64) {
	if db.Dialect == store.Postgres {
		db.R.QueryRowContext(ctx, `SELECT pg_total_relation_size('reach_bitmaps') + pg_total_relation_size('reach_people'), pg_total_relation_size('services')`).Scan(&index, &services)
		return index, services
	}
	size := func(tables ...string) int64 {
		var n int64
		for _, t := range tables {
			var s int64
			if err := db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(d.pgsize), 0) FROM dbstat d JOIN sqlite_schema m ON m.name = d.name WHERE m.tbl_name = $1`, t).Scan(&s); err != nil {
				return 0
			}
			n += s
		}
		return n
	}
	return size("reach_bitmaps", "reach_people"), size("services")
}

// ExistingReach describes benchmark data that GenerateReach made earlier in db, to measure it
// again. Load times and rates are left zero; the bitmaps are counted, not checked.
func ExistingReach(ctx context.Context, db *store.DB) (ReachGenerated, error) {
	g := ReachGenerated{Dialect: db.Dialect}
	units := org.New(db)
	var err error
	if g.National, err = units.UnitByCode(ctx, access.System, "CN"); err != nil {
		return g, err
	}
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM cards WHERE dup_key LIKE 'bench-%'").Scan(&g.Cards); err != nil {
		return g, err
	}
	if g.Cards == 0 {
		return g, errors.New("no benchmark data: no generated cards")
	}
	var prov, county int64
	if err := db.R.QueryRowContext(ctx, `SELECT province_id, COUNT(*) FROM cards GROUP BY province_id ORDER BY COUNT(*) DESC, province_id LIMIT 1`).Scan(&prov, &g.ProvCards); err != nil {
		return g, fmt.Errorf("busiest province: %w", err)
	}
	if err := db.R.QueryRowContext(ctx, `SELECT u.parent_id, COUNT(*) FROM cards c JOIN org_units u ON u.id = c.site_id
		WHERE c.province_id = $1 GROUP BY u.parent_id ORDER BY COUNT(*) DESC, u.parent_id LIMIT 1`, prov).Scan(&county, &g.CountyCards); err != nil {
		return g, fmt.Errorf("busiest county: %w", err)
	}
	if g.Province, err = units.Unit(ctx, access.System, prov); err != nil {
		return g, err
	}
	if g.County, err = units.Unit(ctx, access.System, county); err != nil {
		return g, err
	}
	if g.LevelCounts, g.Units, err = levelCounts(ctx, db); err != nil {
		return g, err
	}
	var bitmaps, attrs int64
	for _, q := range []struct {
		dst   *int64
		query string
	}{
		{&g.Services, "SELECT COUNT(*) FROM services"},
		{&bitmaps, "SELECT COUNT(*) FROM reach_bitmaps"},
		{&attrs, "SELECT COUNT(*) FROM reach_people"},
		{&g.Index.Bytes, "SELECT COALESCE(SUM(LENGTH(bits)), 0) FROM reach_bitmaps"},
	} {
		if err := db.R.QueryRowContext(ctx, q.query).Scan(q.dst); err != nil {
			return g, err
		}
	}
	var attrBytes int64
	if err := db.R.QueryRowContext(ctx, "SELECT COALESCE(SUM(LENGTH(bits)), 0) FROM reach_people").Scan(&attrBytes); err != nil {
		return g, err
	}
	g.Index.Bitmaps, g.Index.People, g.Index.Bytes = int(bitmaps), int(attrs), g.Index.Bytes+attrBytes
	if bitmaps == 0 {
		return g, errors.New("no benchmark data: the reach bitmaps are empty (run ting analytics rebuild)")
	}
	g.IndexDisk, g.ServicesDisk = diskSizes(ctx, db)
	return g, nil
}

// ReachMain is `ting bench reach`: it parses args into a ReachSpec (flags -units, -cards,
// -services, -seed, -reps, -basereps, -budget, -batches, -batch, -nocopy, -existing; defaults
// from DefaultReachSpec), generates the data into db, which must be migrated and hold no units
// (with -existing it takes the data an earlier run left instead), writes the service-layer
// batches, measures, and prints the report to w. It returns an error when a flag is wrong, the
// database is not empty (or, with -existing, holds no benchmark data), or the service and the
// SQL baseline disagree.
func ReachMain(ctx context.Context, db *store.DB, args []string, w io.Writer) error {
	spec, err := ParseReachFlags(args, w)
	if err != nil {
		return err
	}
	_, err = RunReach(ctx, db, spec, w)
	return err
}

// ParseReachFlags reads ReachMain's flags; usage goes to w.
func ParseReachFlags(args []string, w io.Writer) (ReachSpec, error) {
	d := DefaultReachSpec
	fs := flag.NewFlagSet("bench reach", flag.ContinueOnError)
	fs.SetOutput(w)
	var s ReachSpec
	fs.IntVar(&s.Units, "units", d.Units, "units in the five-level network, about")
	fs.IntVar(&s.Cards, "cards", d.Cards, "beneficiary cards")
	fs.IntVar(&s.Services, "services", d.Services, "services per card, on average")
	fs.Uint64Var(&s.Seed, "seed", d.Seed, "random seed")
	fs.IntVar(&s.Reps, "reps", d.Reps, "timed repetitions of each reach query through the service")
	fs.IntVar(&s.BaseReps, "basereps", d.BaseReps, "timed repetitions of each SQL COUNT(DISTINCT) baseline")
	fs.DurationVar(&s.Budget, "budget", d.Budget, "time after which a measurement stops repeating (once it has run 3 times; the baseline once)")
	fs.IntVar(&s.Batches, "batches", d.Batches, "batches written through the service layer after the load (0 for none)")
	fs.IntVar(&s.BatchSize, "batch", d.BatchSize, "services per service-layer batch")
	fs.BoolVar(&s.NoCopy, "nocopy", false, "PostgreSQL: load with multi-row INSERTs instead of COPY")
	fs.BoolVar(&s.Existing, "existing", false, "measure the benchmark data an earlier run left in the database instead of generating")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("bench reach: unexpected arguments %q", fs.Args())
	}
	if s.Batches == 0 {
		s.Batches = -1 // in a ReachSpec, 0 means the default
	}
	return s, s.check() // every field is set: a zero given on the command line is refused, not defaulted
}
