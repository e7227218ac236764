package beneficiaries

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/store"
	"ting/internal/valid"
)

// Target-demographic drift (DOMAIN.md §4): the seeds found Women's Homes and factories whose
// 16-24 target group had moved away by mid-term while the sites went on serving whoever came.
// A site is flagged when the share of the people it served recently who were of the target age
// falls below a threshold; its earlier share and half-yearly trend show whether that is drift.

// DriftQuery asks which sites of a unit's subtree serve too few people of the target age. Zero
// values take the defaults: AsOf today, 6 months, ages 12 to 24, threshold 0.6.
type DriftQuery struct {
	UnitID    int64   `json:"unit_id"`
	AsOf      string  `json:"as_of"`     // YYYY-MM-DD: the last day of the recent window
	Months    int     `json:"months"`    // length of the recent window, 1..120
	AgeMin    int     `json:"age_min"`   // target age, inclusive, in the year of the service
	AgeMax    int     `json:"age_max"`   // inclusive
	Threshold float64 `json:"threshold"` // flag below this recent share (0..1)
}

// DriftPoint is one half-year ("2011S1" = January-June, "2011S2" = July-December) of a site.
// To a viewer who may not see counts exactly (Exact) a half-year of fewer than MinCell people
// is Suppressed (People, Target and Share 0), and when its Target, or the count outside the
// target ages, is from 1 to MinCell-1, Target and Share are withheld (0, TargetSuppressed).
type DriftPoint struct {
	Period           string  `json:"period"`
	People           int     `json:"people"` // distinct people served
	Target           int     `json:"target"` // of whom of the target age
	Share            float64 `json:"share"`  // Target / People
	Suppressed       bool    `json:"suppressed"`
	TargetSuppressed bool    `json:"target_suppressed"`
}

// DriftSite is one site's target-age shares. A share is 0 when nobody was served; Recent and
// Earlier say whether anybody was. DropPoints is earlier minus recent share in percentage
// points, when both are known (HasDrop).
//
// To a viewer who may not see counts exactly (Exact) a window of fewer than MinCell people is
// suppressed (RecentSuppressed, EarlierSuppressed: its people, target and share are 0), a
// window whose target count, or count outside the target ages, is from 1 to MinCell-1 has its
// target and share withheld (0, Target…Suppressed), and a site with
// RecentSuppressed is never flagged. Suppressed says that any of the site's figures is.
type DriftSite struct {
	SiteID        int64        `json:"site_id"`
	SiteCode      string       `json:"site_code"`
	SiteNameZH    string       `json:"site_name_zh"`
	SiteNameEN    string       `json:"site_name_en"`
	PeopleRecent  int          `json:"people_recent"`
	TargetRecent  int          `json:"target_recent"`
	PeopleEarlier int          `json:"people_earlier"`
	TargetEarlier int          `json:"target_earlier"`
	RecentShare   float64      `json:"recent_share"`
	EarlierShare  float64      `json:"earlier_share"`
	Recent        bool         `json:"recent"`  // someone was served in the window
	Earlier       bool         `json:"earlier"` // someone was served before it
	DropPoints    float64      `json:"drop_points"`
	Trend         []DriftPoint `json:"trend"` // by half-year, oldest first
	Flagged       bool         `json:"flagged"`

	RecentSuppressed        bool `json:"recent_suppressed"`
	TargetRecentSuppressed  bool `json:"target_recent_suppressed"`
	EarlierSuppressed       bool `json:"earlier_suppressed"`
	TargetEarlierSuppressed bool `json:"target_earlier_suppressed"`
	Suppressed              bool `json:"suppressed"`
}

// HasDrop reports whether DropPoints is known: both shares are, and neither is withheld.
func (d DriftSite) HasDrop() bool {
	return d.Recent && d.Earlier && !d.RecentSuppressed && !d.EarlierSuppressed && !d.TargetRecentSuppressed && !d.TargetEarlierSuppressed
}

// SiteName is the site's name in lang.
func (d DriftSite) SiteName(lang string) string { return pick(lang, d.SiteNameZH, d.SiteNameEN) }

// DriftReport lists the sites of a unit's subtree that have given services up to AsOf,
// flagged first, then by recent share (lowest first), then sites with no recent service.
type DriftReport struct {
	DriftQuery
	RecentFrom string      `json:"recent_from"` // first day of the recent window: the day after AsOf, Months months back
	Sites      []DriftSite `json:"sites"`
	Flagged    int         `json:"flagged"`
	Suppressed bool        `json:"suppressed"` // some figure is withheld from the viewer (see DriftSite)
}

// CheckDrift fills a query's defaults and validates it.
func CheckDrift(q DriftQuery, today string) (DriftQuery, error) {
	if q.AsOf = strings.TrimSpace(q.AsOf); q.AsOf == "" {
		q.AsOf = today
	}
	if q.Months == 0 {
		q.Months = 6
	}
	if q.AgeMin == 0 {
		q.AgeMin = 12
	}
	if q.AgeMax == 0 {
		q.AgeMax = 24
	}
	if q.Threshold == 0 {
		q.Threshold = 0.6
	}
	var es valid.Errors
	es.Date("as_of", q.AsOf)
	if q.Months < 1 || q.Months > 120 {
		es.Add("months", "range", "1-120")
	}
	if q.AgeMin < 0 || q.AgeMin > 110 {
		es.Add("age_min", "range", "0-110")
	}
	if q.AgeMax < 0 || q.AgeMax > 110 {
		es.Add("age_max", "range", "0-110")
	} else if q.AgeMax < q.AgeMin {
		es.Add("age_max", "not_below_age_min", strconv.Itoa(q.AgeMin))
	}
	if !(q.Threshold > 0 && q.Threshold <= 1) {
		es.Add("threshold", "range", "0-1")
	}
	return q, es.Err()
}

// Drift computes every site's share of target-age people among those it served in the last
// Months months up to AsOf and before, and per half-year. A person's age is taken in the year
// of the service (service year minus birth year); a person counts as target-age in a period
// when any of their services then was. Sites with no recent service are listed, never flagged.
// To an actor who may not see counts exactly (Exact) small counts are withheld (withholdDrift).
func (s *Service) Drift(ctx context.Context, a access.Actor, q DriftQuery) (DriftReport, error) {
	if err := a.Require(access.ViewReach); err != nil {
		return DriftReport{}, err
	}
	q, err := CheckDrift(q, s.today())
	if err != nil {
		return DriftReport{}, err
	}
	// Target ages in whole bands for a viewer who may not see counts exactly, as on the reach
	// page (disclose.go): two reports a year apart in their top age would tell of the people of
	// that one year.
	if !Exact(a) {
		if err := checkAgeGrid(ReachQuery{Filter: analytics.Filter{Aged: true, AgeMin: q.AgeMin, AgeMax: q.AgeMax}}); err != nil {
			return DriftReport{}, err
		}
	}
	path, err := scopedUnit(ctx, s.db.R, a, q.UnitID)
	if err != nil {
		return DriftReport{}, err
	}
	// Every change to services or cards writes an audit row, so the latest audit id tells
	// whether a report computed before is still the records' (a dashboard asks often).
	var version int64
	if err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit_log`).Scan(&version); err != nil {
		return DriftReport{}, err
	}
	ck := driftKey{db: s.db, path: path, q: q}
	rep, ok := driftCache.get(ck, version)
	if !ok {
		if rep, err = s.drift(ctx, q, path); err != nil {
			return DriftReport{}, err
		}
		driftCache.put(ck, version, rep)
	}
	if !Exact(a) {
		rep = withholdDrift(rep)
	}
	return rep, nil
}

// withholdDrift returns a copy of a report (the cached one is left whole) as a viewer who may
// not see counts exactly may read it: every count of people from 1 to MinCell-1 withheld, and
// the share of a window of fewer than MinCell people with it (it would tell about one or two
// persons), or whose target-age count, or count outside the target ages, is withheld (the
// share would give it back). A site whose recent share is withheld is not flagged.
func withholdDrift(rep DriftReport) DriftReport {
	few := func(n int) bool { return n > 0 && n < MinCell }
	// window withholds one window's figures and reports whether the people and the target
	// count are withheld.
	window := func(people, target *int, share *float64) (all, tgt bool) {
		switch {
		case few(*people):
			*people, *target, *share = 0, 0, 0
			return true, true
		case few(*target) || few(*people-*target):
			// The share would give the withheld count back (share × people), as it would the
			// count of those outside the target ages: both go.
			*target, *share = 0, 0
			return false, true
		}
		return false, false
	}
	sites := make([]DriftSite, len(rep.Sites))
	rep.Flagged = 0
	for i, d := range rep.Sites {
		d.RecentSuppressed, d.TargetRecentSuppressed = window(&d.PeopleRecent, &d.TargetRecent, &d.RecentShare)
		d.EarlierSuppressed, d.TargetEarlierSuppressed = window(&d.PeopleEarlier, &d.TargetEarlier, &d.EarlierShare)
		d.Suppressed = d.TargetRecentSuppressed || d.TargetEarlierSuppressed
		if !d.HasDrop() {
			d.DropPoints = 0
		}
		d.Flagged = d.Flagged && !d.RecentSuppressed && !d.TargetRecentSuppressed
		d.Trend = slices.Clone(d.Trend)
		for j := range d.Trend {
			p := &d.Trend[j]
			p.Suppressed, p.TargetSuppressed = window(&p.People, &p.Target, &p.Share)
			d.Suppressed = d.Suppressed || p.TargetSuppressed
		}
		if d.Flagged {
			rep.Flagged++
		}
		rep.Suppressed = rep.Suppressed || d.Suppressed
		sites[i] = d
	}
	slices.SortFunc(sites, driftOrder)
	rep.Sites = sites
	return rep
}

// driftOrder lists flagged sites first, then those with a recent share (lowest first), then
// those whose recent share is withheld, then sites with no recent service; by code within.
func driftOrder(x, y DriftSite) int {
	rank := func(d DriftSite) int {
		switch {
		case d.Flagged:
			return 0
		case d.Recent && !d.RecentSuppressed && !d.TargetRecentSuppressed:
			return 1
		case d.Recent:
			return 2
		}
		return 3
	}
	return cmp.Or(cmp.Compare(rank(x), rank(y)), cmp.Compare(x.RecentShare, y.RecentShare), strings.Compare(x.SiteCode, y.SiteCode))
}

// driftKey names a drift report: the database, the subtree and the question.
type driftKey struct {
	db   *store.DB
	path string
	q    DriftQuery
}

type driftEntry struct {
	version int64
	rep     DriftReport
}

// reportCache keeps recent drift reports with the audit version they were computed at.
type reportCache struct {
	mu sync.Mutex
	m  map[driftKey]driftEntry
}

var driftCache = &reportCache{m: map[driftKey]driftEntry{}}

func (c *reportCache) get(k driftKey, version int64) (DriftReport, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.rep, ok && e.version == version
}

func (c *reportCache) put(k driftKey, version int64, rep DriftReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 256 {
		clear(c.m)
	}
	c.m[k] = driftEntry{version, rep}
}

// drift computes the report for a subtree.
func (s *Service) drift(ctx context.Context, q DriftQuery, path string) (DriftReport, error) {
	asOf, _ := time.Parse(time.DateOnly, q.AsOf)
	out := DriftReport{DriftQuery: q, RecentFrom: asOf.AddDate(0, 0, 1).AddDate(0, -q.Months, 0).Format(time.DateOnly)}
	// One pass over the services gives each site's distinct (person, half-year, recent?,
	// of target age?) tuples; the counts of distinct people are taken from them here. The
	// target age is the age reached in the year of the service.
	const half = `SUBSTR(s.served_on, 1, 4) || CASE WHEN SUBSTR(s.served_on, 6, 2) <= '06' THEN 'S1' ELSE 'S2' END`
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT s.site_id, s.card_id, `+half+`, CASE WHEN s.served_on >= $3 THEN 1 ELSE 0 END,
			CASE WHEN CAST(SUBSTR(s.served_on, 1, 4) AS INTEGER) - c.birth_year BETWEEN $4 AND $5 THEN 1 ELSE 0 END
		FROM services s JOIN cards c ON c.id = s.card_id JOIN org_units u ON u.id = s.site_id WHERE u.path LIKE $1 AND s.served_on <= $2`,
		path+"%", q.AsOf, out.RecentFrom, q.AgeMin, q.AgeMax)
	if err != nil {
		return DriftReport{}, err
	}
	defer rows.Close()
	type tally struct {
		recent, recentT, earlier, earlierT map[int64]bool
		halves                             map[string][2]map[int64]bool
	}
	tallies := map[int64]*tally{}
	set := func(m map[int64]bool, id int64) { m[id] = true }
	for rows.Next() {
		var site, card int64
		var period string
		var recent, target int
		if err := rows.Scan(&site, &card, &period, &recent, &target); err != nil {
			return DriftReport{}, err
		}
		t := tallies[site]
		if t == nil {
			t = &tally{recent: map[int64]bool{}, recentT: map[int64]bool{}, earlier: map[int64]bool{}, earlierT: map[int64]bool{}, halves: map[string][2]map[int64]bool{}}
			tallies[site] = t
		}
		if recent == 1 {
			set(t.recent, card)
			if target == 1 {
				set(t.recentT, card)
			}
		} else {
			set(t.earlier, card)
			if target == 1 {
				set(t.earlierT, card)
			}
		}
		h, ok := t.halves[period]
		if !ok {
			h = [2]map[int64]bool{{}, {}}
			t.halves[period] = h
		}
		set(h[0], card)
		if target == 1 {
			set(h[1], card)
		}
	}
	if err := rows.Err(); err != nil {
		return DriftReport{}, err
	}
	rows.Close()
	sites := map[int64]*DriftSite{}
	for id, t := range tallies {
		d := DriftSite{SiteID: id}
		if err := s.db.R.QueryRowContext(ctx, `SELECT code, name_zh, name_en FROM org_units WHERE id = $1`, id).Scan(&d.SiteCode, &d.SiteNameZH, &d.SiteNameEN); err != nil {
			return DriftReport{}, err
		}
		pr, tr, pe, te := int64(len(t.recent)), int64(len(t.recentT)), int64(len(t.earlier)), int64(len(t.earlierT))
		d.PeopleRecent, d.TargetRecent, d.PeopleEarlier, d.TargetEarlier = int(pr), int(tr), int(pe), int(te)
		d.Recent, d.Earlier = pr > 0, pe > 0
		d.RecentShare, d.EarlierShare = share(tr, pr), share(te, pe)
		if d.Recent && d.Earlier {
			d.DropPoints = (d.EarlierShare - d.RecentShare) * 100
		}
		d.Flagged = d.Recent && d.RecentShare < q.Threshold
		for period, h := range t.halves {
			n, tg := int64(len(h[0])), int64(len(h[1]))
			d.Trend = append(d.Trend, DriftPoint{Period: period, People: int(n), Target: int(tg), Share: share(tg, n)})
		}
		sites[id] = &d
	}
	for _, d := range sites {
		slices.SortFunc(d.Trend, func(x, y DriftPoint) int { return strings.Compare(x.Period, y.Period) })
		out.Sites = append(out.Sites, *d)
		if d.Flagged {
			out.Flagged++
		}
	}
	slices.SortFunc(out.Sites, driftOrder)
	return out, nil
}

func share(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}
