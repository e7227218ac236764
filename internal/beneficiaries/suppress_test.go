package beneficiaries

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// sxShown is a table row as a viewer sees it: counts, "<5" for the hidden ones.
func sxShown(cells ...ReachCell) string {
	out := ""
	for i, c := range cells {
		if i > 0 {
			out += " "
		}
		if c.Suppressed {
			out += "<5"
		} else {
			out += fmt.Sprint(c.People)
		}
	}
	return out
}

func sxRow(total int64, cells ...int64) ReachRow {
	r := ReachRow{Total: ReachCell{People: total}}
	for _, n := range cells {
		r.Cells = append(r.Cells, ReachCell{People: n})
	}
	return r
}

// TestSuppressGrid hides the small counts of a table and, where one alone is hidden in a row or
// a column, the next smallest with it, until no hidden count can be had by difference.
func TestSuppressGrid(t *testing.T) {
	// One row, as the exports always did: 3 hidden, then the 7 with it; zeros stay.
	one := []ReachRow{{Total: ReachCell{People: 20}, Cells: []ReachCell{{People: 3}, {People: 10}, {People: 0}, {People: 7}}}}
	if SuppressGrid(one); one[0].Total.Suppressed || sxShown(one[0].Cells...) != "<5 10 0 <5" {
		t.Fatalf("one row: total %+v, cells %s", one[0].Total, sxShown(one[0].Cells...))
	}
	four := []ReachRow{{Total: ReachCell{People: 4}, Cells: []ReachCell{{People: 4}}}}
	if SuppressGrid(four); !four[0].Total.Suppressed {
		t.Fatalf("a total of 4: %+v", four[0].Total)
	}
	// The unit and two units below it: A's 3 takes A's 9 (its row), then B's 12 (the
	// column), then B's 6 (B's row); the totals stay, being 5 or more.
	grid := []ReachRow{sxRow(30, 15, 15), sxRow(12, 3, 9), sxRow(18, 12, 6)}
	SuppressGrid(grid)
	for i, want := range []string{"30 15 15", "12 <5 <5", "18 <5 <5"} {
		if got := sxShown(append([]ReachCell{grid[i].Total}, grid[i].Cells...)...); got != want {
			t.Errorf("row %d: %s, want %s", i, got, want)
		}
	}
	// Units' totals are a column too: one unit of 2 takes the next smallest total with it.
	grid = []ReachRow{sxRow(20), sxRow(2), sxRow(6), sxRow(12)}
	SuppressGrid(grid)
	if got := sxShown(grid[0].Total, grid[1].Total, grid[2].Total, grid[3].Total); got != "20 <5 <5 12" {
		t.Errorf("totals: %s", got)
	}
}

// TestSuppressWithholdChange withholds each group of fewer than five, the next smallest with a
// lone one, and the whole when there is no other group to take.
func TestSuppressWithholdChange(t *testing.T) {
	rep := ChangeReport{Rows: []ChangeRow{{Key: "a", ChangeStats: ChangeStats{N: 1, MeanChange: 3}}, {Key: "b", ChangeStats: ChangeStats{N: 9, MeanChange: 1}},
		{Key: "c", ChangeStats: ChangeStats{N: 6, MeanChange: 2, HasCI: true, CILow: 1, CIHigh: 3}}}, Overall: ChangeRow{ChangeStats: ChangeStats{N: 16, MeanChange: 1.5}}}
	withholdChange(&rep)
	if a, b, c := rep.Rows[0], rep.Rows[1], rep.Rows[2]; !a.Suppressed || a.N != 0 || a.MeanChange != 0 || b.Suppressed || b.N != 9 ||
		!c.Suppressed || c.N != 0 || c.HasCI || c.CILow != 0 || c.MeanChange != 0 || rep.Overall.Suppressed || rep.Overall.N != 16 {
		t.Fatalf("withheld %+v, overall %+v", rep.Rows, rep.Overall)
	}
	// Target groups (people with none count only in the whole): one small group alone.
	rep = ChangeReport{Rows: []ChangeRow{{Key: "dropout", ChangeStats: ChangeStats{N: 2, MeanChange: 3}}}, Overall: ChangeRow{ChangeStats: ChangeStats{N: 8, MeanChange: 1}}}
	withholdChange(&rep)
	if !rep.Rows[0].Suppressed || !rep.Overall.Suppressed || rep.Overall.N != 0 || rep.Overall.MeanChange != 0 {
		t.Fatalf("a lone group: %+v, overall %+v", rep.Rows, rep.Overall)
	}
}

// TestSuppressReachTable asks one narrow question (one person: a girl of 13, so of 12 to 15,
// left-behind, life skills, at one site) and a table of the county by site and by age band, as a donor and as the
// province's officer: the donor sees every count under five hidden, the officer sees them
// exactly, and an export hides them whoever asks.
func TestSuppressReachTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		w.xServe(t, w.fd1, "2012-05-10", w.xCard(t, w.fd1, "1999-03-01", "left_behind"))
		var six []Card
		for i := range 6 {
			six = append(six, w.xCard(t, w.fd2, fmt.Sprintf("1995-0%d-02", i+1)))
		}
		w.xServe(t, w.fd2, "2012-05-11", six...)

		narrow := ReachQuery{UnitID: w.fd1.ID, From: "2012-01", To: "2012-12", Filter: analytics.Filter{Types: []string{"life_skills"}, Sex: "F",
			Aged: true, AgeMin: 12, AgeMax: 15, Groups: []string{"left_behind"}}}
		for _, tt := range []struct {
			name   string
			a      access.Actor
			export bool
			want   ReachCell
		}{
			{"donor", w.donorAH, false, ReachCell{Suppressed: true}},
			{"officer", w.officerAH, false, ReachCell{People: 1}},
			{"caseworker", w.caseAH, false, ReachCell{People: 1}},
			{"officer's export", w.officerAH, true, ReachCell{Suppressed: true}},
		} {
			g := xMust(w.svc.ReachTable(ctx, tt.a, narrow, "", nil, tt.export))(t)
			if len(g.Rows) != 1 || len(g.Keys) != 0 || g.Rows[0].Total != tt.want {
				t.Errorf("%s, narrow: %+v, want %+v", tt.name, g, tt.want)
			}
		}

		county := ReachQuery{UnitID: w.fd.ID, From: "2012-01", To: "2012-12"}
		sites := []int64{w.fd1.ID, w.fd2.ID, w.fd3.ID}
		shown := func(g ReachGrid) []string {
			var out []string
			for _, r := range g.Rows {
				out = append(out, sxShown(append([]ReachCell{r.Total}, r.Cells...)...))
			}
			return out
		}
		// By age band: fd1's girl is 13, fd2's six are 17.
		off := xMust(w.svc.ReachTable(ctx, w.officerAH, county, "age", sites, false))(t)
		if want := []string{"0-11", "12-15", "16-18", "19-24", "25+"}; !slices.Equal(off.Keys, want) {
			t.Fatalf("age bands %v", off.Keys)
		}
		if got, want := shown(off), []string{"7 0 1 6 0 0", "1 0 1 0 0 0", "6 0 0 6 0 0", "0 0 0 0 0 0"}; !slices.Equal(got, want) {
			t.Errorf("officer by age: %q, want %q", got, want)
		}
		// The donor: fd1's 1 is hidden everywhere it stands; its lone hidden cell in the
		// county's row takes the 6 with it, and fd1's total takes fd2's in the totals column.
		don := xMust(w.svc.ReachTable(ctx, w.donorAH, county, "age", sites, false))(t)
		if got, want := shown(don), []string{"7 0 <5 <5 0 0", "<5 0 <5 0 0 0", "<5 0 0 <5 0 0", "0 0 0 0 0 0"}; !slices.Equal(got, want) {
			t.Errorf("donor by age: %q, want %q", got, want)
		}
		// Asked for girls of 16 to 20, the bands are cut to the ages asked.
		narrowAges := county
		narrowAges.Aged, narrowAges.AgeMin, narrowAges.AgeMax, narrowAges.Sex = true, 16, 20, "F"
		if g := xMust(w.svc.ReachTable(ctx, w.officerAH, narrowAges, "age", nil, false))(t); !slices.Equal(g.Keys, []string{"16-18", "19-24"}) ||
			shown(g)[0] != "6 6 0" {
			t.Errorf("ages 16 to 20: %v %q", g.Keys, shown(g))
		}
		if g := xMust(w.svc.ReachTable(ctx, w.officerAH, narrowAges, "sex", nil, false))(t); !slices.Equal(g.Keys, []string{"F"}) {
			t.Errorf("girls by sex: %v", g.Keys)
		}
		if _, err := w.svc.ReachTable(ctx, w.officerAH, county, "unit", nil, false); xFails(err) != "by:one_of(service_type, sex, age, group)" {
			t.Errorf("by unit: %s", xFails(err))
		}
	})
}

// TestSuppressChange measures one person at fd1, five at fd2 and six at fd3: the county's
// caseworker sees every site; a donor sees fd1 withheld, fd2 with it (else fd1 would follow
// from the whole and fd3), and the whole of twelve.
func TestSuppressChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := xFixture(t, db)
		s := w.svc
		xMust(s.SaveInstrument(ctx, w.national, xInstrument()))(t)
		low, high := map[string]string{"Q1": "a", "Q2": "n"}, map[string]string{"Q1": "c", "Q2": "y"}
		for _, site := range []struct {
			u    org.Unit
			n    int
			year int
		}{{w.fd1, 1, 1990}, {w.fd2, 5, 1991}, {w.fd3, 6, 1992}} {
			for i := range site.n {
				c := w.xCard(t, site.u, fmt.Sprintf("%d-0%d-0%d", site.year, i+1, i+1))
				for _, m := range []struct {
					kind, date string
					answers    map[string]string
				}{{KindBaseline, "2012-01-05", low}, {KindEnd, "2012-06-05", high}} {
					xMust(s.RecordMeasurement(ctx, w.caseAH, MeasurementInput{CardID: c.ID, Instrument: "LS", Kind: m.kind, Date: m.date, Answers: m.answers}))(t)
				}
			}
		}
		exact := xMust(s.Change(ctx, w.caseAH, ChangeQuery{UnitID: w.fd.ID, Instrument: "LS"}))(t)
		if len(exact.Rows) != 3 || exact.Rows[0].N != 1 || exact.Rows[0].MeanChange != 5 || exact.Rows[0].Suppressed || exact.Rows[1].N != 5 || exact.Overall.N != 12 {
			t.Fatalf("caseworker %+v", exact)
		}
		donor := xMust(s.Change(ctx, w.donorAH, ChangeQuery{UnitID: w.fd.ID, Instrument: "LS"}))(t)
		if len(donor.Rows) != 3 {
			t.Fatalf("donor %+v", donor)
		}
		fd1, fd2, fd3 := donor.Rows[0], donor.Rows[1], donor.Rows[2]
		if fd1.UnitID != w.fd1.ID || !fd1.Suppressed || fd1.N != 0 || fd1.MeanBaseline != 0 || fd1.MeanEnd != 0 || fd1.MeanChange != 0 || fd1.Improved != 0 || fd1.HasCI {
			t.Errorf("donor's fd1 (one person) %+v", fd1)
		}
		if !fd2.Suppressed || fd2.N != 0 || fd2.MeanChange != 0 {
			t.Errorf("donor's fd2 (the next smallest) %+v", fd2)
		}
		if fd3.Suppressed || fd3.N != 6 || fd3.MeanChange != 5 || !fd3.HasCI {
			t.Errorf("donor's fd3 %+v", fd3)
		}
		if o := donor.Overall; o.Suppressed || o.N != 12 || o.MeanChange != 5 || o.Improved != 1 {
			t.Errorf("donor's whole %+v", o)
		}
	})
}
