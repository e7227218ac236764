package demo

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

func ptr(v float64) *float64 { return &v }

// wantRow is a line of seed 001's section 4 table as Progress must compute it for the national
// unit over the life of the project. Rows whose figure the seeds report without a target of
// its own have no target and so the status no_target; the two targets the seeds set in another
// unit than the progress they report (media outlets, trainers/…/agencies) stand on indicators
// counting what they count, of which nothing is on record, so no_data. CP2-SERV's figure is
// counted from the beneficiary cards, which LoadPeople makes: TestLoadPeople checks its row.
type wantRow struct {
	target, childTargets *float64
	actual               float64
	status               string
}

var wantTable = map[string]wantRow{
	indDM:    {ptr(350), ptr(340), 1774, results.Ahead},
	indCAP:   {nil, nil, 4239, results.NoTarget},
	indTVBA:  {ptr(100), ptr(95), 0, results.NoData},
	indTCH:   {nil, nil, 2194, results.NoTarget},
	indCSM:   {nil, nil, 1086, results.NoTarget},
	indEMP:   {nil, nil, 142, results.NoTarget},
	indVOL:   {nil, nil, 817, results.NoTarget},
	indRORG:  {ptr(2), nil, 2, results.OnTrack},
	indRPROV: {nil, nil, 8, results.NoTarget},
	indRES:   {nil, nil, 190, results.NoTarget},
	indCSO:   {ptr(2), ptr(2), 5, results.Ahead},
	indJOURN: {nil, nil, 224, results.NoTarget},
	indMEDIA: {ptr(20), nil, 0, results.NoData},
	indCAMP:  {ptr(1000000), ptr(1020000), 1135000, results.OnTrack},
	indCURR:  {nil, nil, 1100000, results.NoTarget},
	indSERV:  {ptr(75000), ptr(73000), 95000, results.Ahead},
}

func eqPtr(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func show(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func TestResultsReproduceTheEvaluationTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		sys := access.System
		svc := results.New(db)
		cn, err := org.New(db).UnitByCode(ctx, sys, "CN")
		if err != nil {
			t.Fatal(err)
		}
		tab, err := svc.Progress(ctx, sys, frameworkCode, cn, results.LOP, 0)
		if err != nil {
			t.Fatal(err)
		}
		if tab.Framework.Status != results.Approved {
			t.Errorf("framework is %s, want approved", tab.Framework.Status)
		}
		if len(tab.Rows) != len(wantTable) {
			t.Errorf("table has %d rows, want %d", len(tab.Rows), len(wantTable))
		}
		rows := map[string]results.Row{}
		for _, r := range tab.Rows {
			rows[r.Indicator.Code] = r
			w, ok := wantTable[r.Indicator.Code]
			if !ok {
				t.Errorf("unexpected row %s", r.Indicator.Code)
				continue
			}
			if r.Indicator.Aggregation == "reach" {
				// Counted from the cards, none of which Load makes: TestLoadPeople checks the figure.
				if !eqPtr(r.Target, w.target) || !eqPtr(r.ChildTargets, w.childTargets) || r.Actual.Value != 0 {
					t.Errorf("%s: target %v, provinces' targets %v, actual %v before any card; want %v, %v, 0", r.Indicator.Code,
						show(r.Target), show(r.ChildTargets), r.Actual.Value, show(w.target), show(w.childTargets))
				}
				continue
			}
			if !eqPtr(r.Target, w.target) || !eqPtr(r.ChildTargets, w.childTargets) || r.Actual.Value != w.actual || r.Status != w.status {
				t.Errorf("%s: target %v, provinces' targets %v, actual %v, %s; want %v, %v, %v, %s", r.Indicator.Code,
					show(r.Target), show(r.ChildTargets), r.Actual.Value, r.Status, show(w.target), show(w.childTargets), w.actual, w.status)
			}
			// Every target the seeds set and report progress against in its own unit was met
			// (§4: "achieved all of the targets"); no percentage compares two units.
			if r.Target != nil && r.Actual.Has && r.Status != results.Ahead && r.Status != results.OnTrack {
				t.Errorf("%s is %s", r.Indicator.Code, r.Status)
			}
			if r.Target != nil && !r.Actual.Has && (r.Percent != nil || r.Actual.Values != 0) {
				t.Errorf("%s: a target without records has %d values, %v%%", r.Indicator.Code, r.Actual.Values, show(r.Percent))
			}
		}
		if got := rows[indTCH].Actual.Value + rows[indCSM].Actual.Value + rows[indEMP].Actual.Value + rows[indVOL].Actual.Value; got != rows[indCAP].Actual.Value {
			t.Errorf("the four kinds add up to %v, the capacity-building row says %v", got, rows[indCAP].Actual.Value)
		}

		// The seeds' two teacher figures are both on record.
		if n := rows[indTVBA].TargetNote; !strings.Contains(n, "close to 2,100 teachers and 310 trainers") || !strings.Contains(n, "2,194 teachers") {
			t.Errorf("capacity-building target note does not name both teacher figures: %q", n)
		}
		// A target and the progress reported against it in another unit are on two rows, each
		// indicator saying what it counts, in both languages.
		for _, pair := range [][2]string{{indMEDIA, indJOURN}, {indTVBA, indCAP}} {
			target, progress := rows[pair[0]].Indicator, rows[pair[1]].Indicator
			for _, lang := range []string{"zh", "en"} {
				if target.UnitLabel(lang) == progress.UnitLabel(lang) {
					t.Errorf("%s and %s both count %q (%s)", target.Code, progress.Code, target.UnitLabel(lang), lang)
				}
				if !strings.Contains(target.Definition(lang), progress.Code) {
					t.Errorf("%s's definition (%s) does not say where progress is reported: %q", target.Code, lang, target.Definition(lang))
				}
			}
		}
		for _, lang := range []string{"zh", "en"} {
			if d := rows[indTCH].Indicator.Definition(lang); !strings.Contains(d, "2,100") || !strings.Contains(d, "2,194") {
				t.Errorf("teachers' definition (%s) does not name both figures: %q", lang, d)
			}
		}
		// Every text of every indicator, in every framework, is there in both languages: a
		// Chinese page shows no English definition, unit or source, nor an English page a
		// Chinese one.
		han := regexp.MustCompile(`\p{Han}`)
		fws, err := svc.Frameworks(ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, fw := range fws {
			inds, err := svc.Indicators(ctx, sys, fw.Code)
			if err != nil {
				t.Fatal(err)
			}
			for _, ind := range inds {
				seen[ind.Code] = true
				for _, pair := range [][3]string{{"definition", ind.DefinitionZH, ind.DefinitionEN}, {"unit", ind.UnitLabelZH, ind.UnitLabelEN},
					{"data source", ind.DataSourceZH, ind.DataSourceEN}, {"baseline source", ind.BaselineSourceZH, ind.BaselineSourceEN}} {
					if (pair[1] == "") != (pair[2] == "") || pair[1] != "" && (!han.MatchString(pair[1]) || han.MatchString(pair[2])) {
						t.Errorf("%s: %s is not in both languages: zh %q, en %q", ind.Code, pair[0], pair[1], pair[2])
					}
				}
			}
		}
		if !seen[indFactories] || !seen[indSERV] {
			t.Errorf("the walk of every framework's indicators missed the provincial or the national ones: %v", seen)
		}

		// The demonstration's values are entries of the offices, from their monitoring records or
		// the committee records; none cites a report (TestValuesCiteOnlyReportsThatCarryThem).
		entryRef := regexp.MustCompile(`^((Anhui|Yunnan|Guizhou|Hunan|Jiangsu|Fujian) provincial|National) project office monitoring records$|^Membership records of the .* Steering Committee$`)
		for code, row := range rows {
			// A drill-down over the provinces adds up to the national figure.
			kids, err := svc.Drill(ctx, sys, row.Indicator.ID, cn, results.LOP, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, k := range kids {
				sum += k.Actual.Value
			}
			if sum != row.Actual.Value {
				t.Errorf("%s: provinces add up to %v, national %v", code, sum, row.Actual.Value)
			}
			if code == indCAMP {
				for _, k := range kids {
					// §4.1: every province met its beneficiary targets except Guizhou's campaigns.
					behind := k.Status == results.Behind
					if behind != (code == indCAMP && k.Unit.Code == "GZ") {
						t.Errorf("%s in %s is %s", code, k.Unit.Code, k.Status)
					}
				}
			}

			if row.Indicator.Aggregation == "formula" {
				continue
			}
			if row.Indicator.Aggregation == "reach" {
				// Nobody types it in.
				if vals, err := svc.Values(ctx, sys, row.Indicator.ID, cn, results.LOP, "en", false); err != nil || len(vals) != 0 {
					t.Errorf("%s: %d values entered (%v)", code, len(vals), err)
				}
				continue
			}
			// Disaggregations add up to the totals they break down, for every set used.
			vals, err := svc.Values(ctx, sys, row.Indicator.ID, cn, results.LOP, "en", false)
			if err != nil {
				t.Fatal(err)
			}
			totals := map[string]float64{}
			parts := map[string]map[string]float64{}
			for _, v := range vals {
				if v.Source != "entry" || !entryRef.MatchString(v.SourceRef) {
					t.Errorf("%s at %s %s: source %s %q", code, v.UnitCode, v.Period, v.Source, v.SourceRef)
				}
				if v.UnitCode == "CN" {
					t.Errorf("%s: a value at the national unit itself, which no drill-down shows", code)
				}
				key := v.UnitCode + " " + v.Period
				if v.Combo == "" {
					totals[key] = *v.Value
					continue
				}
				set, _, _ := strings.Cut(v.Combo, ":")
				if parts[key] == nil {
					parts[key] = map[string]float64{}
				}
				parts[key][set] += *v.Value
			}
			for key, total := range totals {
				// People counts come with their breakdown by sex, and by age where the reports give it.
				for _, set := range row.Indicator.CategorySets {
					if (set == "sex" || set == "age" || set == "role") && parts[key][set] == 0 {
						t.Errorf("%s at %s: %v reported without its %s breakdown", code, key, total, set)
					}
				}
				for set, sum := range parts[key] {
					if sum != total {
						t.Errorf("%s at %s: %s adds up to %v, total %v", code, key, set, sum, total)
					}
				}
			}
			for key := range parts {
				if _, ok := totals[key]; !ok {
					t.Errorf("%s at %s: a breakdown without its total", code, key)
				}
			}
		}

		// The capacity-building row is computed from the four kinds, never entered; its records
		// are theirs.
		if cap := rows[indCAP].Indicator; cap.Aggregation != "formula" {
			t.Errorf("capacity building is %s, want a formula", cap.Aggregation)
		}
		capVals, err := svc.Values(ctx, sys, rows[indCAP].Indicator.ID, cn, results.LOP, "en", false)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, v := range capVals {
			kinds[v.Indicator]++
		}
		if len(kinds) != 4 || kinds[indCAP] != 0 || kinds[indTCH] == 0 {
			t.Errorf("capacity building's records by indicator: %v", kinds)
		}

		// The committees' members are decision makers counted from the committee records: everyone
		// who ever sat, each in the month they took their seat (TestCommitteeMembersCountedWhenTheyJoined).
		dm, err := svc.Values(ctx, sys, rows[indDM].Indicator.ID, cn, results.LOP, "en", false)
		if err != nil {
			t.Fatal(err)
		}
		var psc float64
		teacherNoted := false
		for _, v := range dm {
			if v.Combo == "" && strings.HasSuffix(v.SourceRef, "Provincial Steering Committee") {
				psc += *v.Value
			}
		}
		if psc != 180+7 {
			t.Errorf("PSC members among the decision makers: %v, want 187 (the 180 sitting at the review and the 7 they replaced)", psc)
		}
		tch, err := svc.Values(ctx, sys, rows[indTCH].Indicator.ID, cn, results.LOP, "en", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range tch {
			teacherNoted = teacherNoted || strings.Contains(v.Comment, "close to 2,100 teachers and 310 trainers")
		}
		if !teacherNoted {
			t.Error("no teachers' value carries §3.2's figure")
		}

		// A second Load adds nothing to the results tables or the audit log.
		count := func() map[string]int {
			out := map[string]int{}
			for _, table := range []string{"data_values", "targets", "indicators", "frameworks", "framework_elements", "category_sets", "categories", "audit_log"} {
				var n int
				if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				out[table] = n
			}
			return out
		}
		before := count()
		if _, err := Load(ctx, db); err != nil {
			t.Fatalf("second Load: %v", err)
		}
		for table, n := range count() {
			if n != before[table] {
				t.Errorf("second Load changed %s: %d rows, then %d", table, before[table], n)
			}
		}
	})
}

func TestApportion(t *testing.T) {
	for _, c := range []struct {
		total int
		w     []int
		want  []int
	}{
		{10, []int{1, 1, 1}, []int{4, 3, 3}},
		{100, []int{35, 65}, []int{35, 65}},
		{7, []int{0, 5, 0}, []int{0, 7, 0}},
		{1, []int{49, 51}, []int{0, 1}},
		{0, []int{1, 2}, []int{0, 0}},
	} {
		got := apportion(c.total, c.w)
		sum := 0
		for i := range got {
			sum += got[i]
			if got[i] != c.want[i] {
				t.Errorf("apportion(%d, %v) = %v, want %v", c.total, c.w, got, c.want)
				break
			}
		}
		if sum != c.total {
			t.Errorf("apportion(%d, %v) adds up to %d", c.total, c.w, sum)
		}
	}
}

// TestValuesUpToTheReview checks where the values come from and when they are booked: nothing
// after the review's cut-off, no citation of a report that does not carry the value, and the
// committees' members in the month each took their seat.
func TestValuesUpToTheReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		sys := access.System
		cn, err := org.New(db).UnitByCode(ctx, sys, "CN")
		if err != nil {
			t.Fatal(err)
		}

		type stored struct {
			indicatorID, unitID                     int64
			ind, unit, period, end, combo, src, ref string
			value                                   float64
		}
		var all []stored
		rows, err := db.R.QueryContext(ctx, `SELECT v.indicator_id, v.unit_id, i.code, u.code, v.period, v.period_end, v.combo,
			v.source, v.source_ref, COALESCE(v.value, 0) FROM data_values v JOIN indicators i ON i.id = v.indicator_id
			JOIN org_units u ON u.id = v.unit_id ORDER BY v.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s stored
			if err := rows.Scan(&s.indicatorID, &s.unitID, &s.ind, &s.unit, &s.period, &s.end, &s.combo, &s.src, &s.ref, &s.value); err != nil {
				t.Fatal(err)
			}
			all = append(all, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len(all) == 0 {
			t.Fatal("no values")
		}

		t.Run("nothing after the review", func(t *testing.T) {
			for _, v := range all {
				if v.end > AsOf {
					t.Errorf("%s at %s %s %s: the period ends %s, after %s", v.ind, v.unit, v.period, v.combo, v.end, AsOf)
				}
			}
			// The biannual report for January-June 2012 shows, to date, the evaluation's figures.
			c, err := plans.New(db).Consolidated(ctx, sys, cn.ID, "2012S1", frameworkCode)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Progress) != len(wantTable) {
				t.Errorf("biannual report has %d progress lines, want %d", len(c.Progress), len(wantTable))
			}
			for _, l := range c.Progress {
				w := wantTable[l.Indicator.Code]
				if l.Indicator.Aggregation == "reach" {
					continue // counted from the cards, none of which Load makes
				}
				if l.ToDate.Value != w.actual {
					t.Errorf("biannual 2012S1 %s to date: %v, want the evaluation's %v", l.Indicator.Code, l.ToDate.Value, w.actual)
				}
			}
		})

		t.Run("report citations resolve", func(t *testing.T) {
			// Whatever cites a report cites an approved report of an intervention that exists,
			// which gives that value for that unit, in the month its period ends.
			cite := regexp.MustCompile(`^([A-Z]{2}-[A-Z]{2}-\d{2})/R(\d+)$`)
			looksCited := regexp.MustCompile(`[A-Z]{2}-[A-Z]{2}-\d{2}/`)
			cited := 0
			for _, v := range all {
				if v.src != "report" {
					if looksCited.MatchString(v.ref) {
						t.Errorf("%s at %s %s: source %s, but %q reads as a report", v.ind, v.unit, v.period, v.src, v.ref)
					}
					continue
				}
				cited++
				var sum float64
				for _, ref := range strings.Split(v.ref, " + ") {
					m := cite.FindStringSubmatch(ref)
					if m == nil {
						t.Errorf("%s at %s %s: source reference %q is not a report", v.ind, v.unit, v.period, v.ref)
						continue
					}
					var status, periodEnd string
					var reportID int64
					err := db.R.QueryRowContext(ctx, `SELECT r.id, r.status, r.period_end FROM reports r JOIN interventions i ON i.id = r.intervention_id
						WHERE i.code = $1 AND r.seq = $2`, m[1], m[2]).Scan(&reportID, &status, &periodEnd)
					if err != nil {
						t.Errorf("%s at %s %s cites %s: no such report (%v)", v.ind, v.unit, v.period, ref, err)
						continue
					}
					if status != plans.StatusApproved || periodEnd[:7] != v.period {
						t.Errorf("%s at %s %s cites %s: %s, its period ends %s", v.ind, v.unit, v.period, ref, status, periodEnd)
					}
					var x float64
					if err := db.R.QueryRowContext(ctx, `SELECT value FROM report_values WHERE report_id = $1 AND indicator_id = $2 AND unit_id = $3 AND combo = $4`,
						reportID, v.indicatorID, v.unitID, v.combo).Scan(&x); err != nil {
						t.Errorf("%s at %s %s cites %s, which gives no such value (%v)", v.ind, v.unit, v.period, ref, err)
						continue
					}
					sum += x
				}
				if sum != v.value {
					t.Errorf("%s at %s %s: %v, its reports %q give %v", v.ind, v.unit, v.period, v.value, v.ref, sum)
				}
			}
			// The provincial frameworks' values come from approved reports; the test sees them.
			if cited == 0 {
				t.Error("no value cites a report: the check above checked nothing")
			}
		})

		t.Run("committee members when they joined", func(t *testing.T) {
			// Everyone who ever sat on a committee, predecessors included, is a decision maker
			// of the month they took their seat, and nobody else is entered from the records.
			want := map[string]float64{}
			s := org.New(db)
			committees := map[string]string{} // unit → committee's English name
			for _, p := range pilots {
				committees[p.code] = p.en + " Provincial Steering Committee"
			}
			for _, c := range localCommittees {
				committees[c.unit] = c.en
			}
			ever, sitting := 0, 0
			for unit, en := range committees {
				u, err := s.UnitByCode(ctx, sys, unit)
				if err != nil {
					t.Fatal(err)
				}
				cs, err := s.Committees(ctx, sys, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					if c.NameEN != en {
						continue
					}
					ms, err := s.Members(ctx, sys, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range ms {
						want[unit+" "+m.Since[:7]]++
						if strings.HasSuffix(en, "Provincial Steering Committee") {
							ever++
							if m.Current() {
								sitting++
							}
						}
					}
				}
			}
			if ever != 187 || sitting != 180 {
				t.Errorf("PSC members: %d ever, %d sitting; want 187 and 180", ever, sitting)
			}
			got := map[string]float64{}
			for _, v := range all {
				if v.ind == indDM && v.combo == "" && strings.HasPrefix(v.ref, "Membership records of the ") {
					if !strings.HasSuffix(v.ref, committees[v.unit]) {
						t.Errorf("decision makers at %s %s from %q", v.unit, v.period, v.ref)
					}
					got[v.unit+" "+v.period] += v.value
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("committee members by unit and month joined:\n got %v\nwant %v", got, want)
			}
			// Jiangsu: 30 seats from April 2010, three changing hands in 2011.
			for k, n := range map[string]float64{"JS 2010-04": 30, "JS 2011-03": 1, "JS 2011-05": 1, "JS 2011-07": 1} {
				if got[k] != n {
					t.Errorf("decision makers from the Jiangsu PSC in %s: %v, want %v", k, got[k], n)
				}
			}
		})
	})
}
