package results_test

import (
	"bytes"
	"context"
	"testing"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// drillOwn splits a drill-down into its children's rows and the row of what is recorded at
// the unit itself (nil when there is none), which must come last and name the unit.
func drillOwn(t *testing.T, rows []results.ChildRow, unit org.Unit) (kids map[string]results.ChildRow, own *results.ChildRow) {
	t.Helper()
	kids = map[string]results.ChildRow{}
	for i, r := range rows {
		if !r.Own {
			kids[r.Unit.Code] = r
			continue
		}
		if i != len(rows)-1 || r.Unit.ID != unit.ID || own != nil {
			t.Fatalf("own row %d of %d, unit %s: want one, last, naming %s", i+1, len(rows), r.Unit.Code, unit.Code)
		}
		own = &rows[i]
	}
	return kids, own
}

// A province with values recorded at itself and at two cities: the drill-down lists the
// cities and a row for the province's own values, with their figure and count, computed by the
// indicator's rule and the period rule (a value counts where its period ends); for a sum the
// rows add up to the province's figure.
func TestDrillOwnRowAccountsForValuesAtTheUnitItself(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		ch := must(org.New(db).CreateUnit(ctx, sys, org.UnitInput{Code: "AH-CH", Level: org.Municipal, ParentID: x.ah.ID, NameZH: "巢湖市", NameEN: "Chaohu", Effective: "2010-01-01"}))(t)
		fw := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		share := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SHR", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "女性比例", NameEN: "Share of women",
			Type: "percent", Aggregation: "sum"}))(t)
		must(s.Approve(ctx, sys, fw.ID))(t)
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.ah.ID, Period: "2011-03", Value: f(200)},
			{Indicator: "DM", UnitID: x.ah.ID, Period: "2011T2", Value: f(7)}, // May-August: counts in 2011S2
			{Indicator: "DM", UnitID: x.ah.ID, Period: "2011-03", Combo: "sex:female", Value: f(120)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-04", Value: f(80)},
			{Indicator: "DM", UnitID: ch.ID, Period: "2011-09", Value: f(50)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011-03", Value: f(1000)},
			{Indicator: "TCH", UnitID: x.ah.ID, Period: "2011-06", Value: f(5)},
			{Indicator: "TCH", UnitID: x.ah.ID, Period: "2011-12", Value: f(9)},
			{Indicator: "TCH", UnitID: x.hf.ID, Period: "2011-12", Value: f(250)},
			{Indicator: "TCH", UnitID: ch.ID, Period: "2011-06", Value: f(40)},
			{Indicator: "SHR", UnitID: x.ah.ID, Period: "2011-03", Numerator: f(30), Denominator: f(40)},
			{Indicator: "SHR", UnitID: x.hf.ID, Period: "2011-03", Numerator: f(10), Denominator: f(40)},
			{Indicator: "SHR", UnitID: ch.ID, Period: "2011-03", Numerator: f(20), Denominator: f(20)},
		}))(t)

		// Sum: Hefei 80 + Chaohu 50 + Anhui itself 207 (two values) = Anhui's 337.
		lop := results.LOP
		total := must(s.Actual(ctx, sys, x.decision, x.ah, lop))(t)
		drill := must(s.Drill(ctx, x.anhui, x.decision.ID, x.ah, lop, 0))(t)
		kids, own := drillOwn(t, drill, x.ah)
		if len(kids) != 2 || kids["AH-HF"].Actual.Value != 80 || kids["AH-CH"].Actual.Value != 50 {
			t.Fatalf("cities in Anhui's drill-down: %+v", kids)
		}
		if own == nil || own.Actual.Value != 207 || own.Actual.Values != 2 || own.Target != nil || own.Status != results.NoTarget {
			t.Fatalf("Anhui's own row: %+v, want 207 from 2 values, no target", own)
		}
		var sum float64
		for _, r := range drill {
			sum += r.Actual.Value
		}
		if total.Value != 337 || sum != total.Value {
			t.Errorf("Anhui's rows add up to %v, its figure is %v (want 337)", sum, total.Value)
		}
		// The period rule: 2011T2 ends in August, so it counts in 2011S2, not 2011S1.
		for key, want := range map[string]float64{"2011S1": 200, "2011S2": 7} {
			p := must(results.ParsePeriod(key))(t)
			_, own := drillOwn(t, must(s.Drill(ctx, sys, x.decision.ID, x.ah, p, 0))(t), x.ah)
			if own == nil || own.Actual.Value != want || own.Actual.Values != 1 {
				t.Errorf("Anhui's own row in %s: %+v, want %v from 1 value", key, own, want)
			}
			var sum float64
			for _, r := range must(s.Drill(ctx, sys, x.decision.ID, x.ah, p, 0))(t) {
				sum += r.Actual.Value
			}
			if got := must(s.Actual(ctx, sys, x.decision, x.ah, p))(t); sum != got.Value {
				t.Errorf("%s: Anhui's rows add up to %v, its figure is %v", key, sum, got.Value)
			}
		}
		if _, own := drillOwn(t, must(s.Drill(ctx, sys, x.decision.ID, x.ah, must(results.ParsePeriod("2012"))(t), 0))(t), x.ah); own != nil {
			t.Errorf("an own row in a period without own values: %+v", own)
		}

		// Latest: the province's own last value (9), as each city's row is the city's last.
		_, own = drillOwn(t, must(s.Drill(ctx, sys, x.teachers.ID, x.ah, lop, 0))(t), x.ah)
		if own == nil || own.Actual.Value != 9 || own.Actual.Values != 1 {
			t.Errorf("Anhui's own latest row: %+v, want 9 from 1 value", own)
		}
		// Percent: the ratio of the province's own parts (30/40), not a mean of the rates.
		kids, own = drillOwn(t, must(s.Drill(ctx, sys, share.ID, x.ah, lop, 0))(t), x.ah)
		if own == nil || own.Actual.Value != 75 || own.Actual.Values != 1 || kids["AH-HF"].Actual.Value != 25 || kids["AH-CH"].Actual.Value != 100 {
			t.Errorf("share of women: own %+v, cities %+v", own, kids)
		}

		// No values at the unit itself, no own row: the nation, and Jiangsu.
		for _, u := range []org.Unit{x.cn, x.js} {
			kids, own := drillOwn(t, must(s.Drill(ctx, sys, x.decision.ID, u, lop, 0))(t), u)
			if own != nil || len(kids) == 0 {
				t.Errorf("%s: own row %+v", u.Code, own)
			}
		}
		// A unit without units below: its own row is its whole figure.
		if kids, own := drillOwn(t, must(s.Drill(ctx, sys, x.decision.ID, x.hf, lop, 0))(t), x.hf); len(kids) != 0 || own == nil || own.Actual.Value != 80 {
			t.Errorf("Hefei: cities %+v, own %+v", kids, own)
		}
	})
}

// A reach indicator's own row counts the distinct people served at the unit itself, as its
// children's rows count those served in their areas.
func TestDrillOwnRowOfReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		fw := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		serv := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SERV", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "接受服务的人数", NameEN: "People receiving services",
			Type: "count", Aggregation: "reach"}))(t)
		must(s.Approve(ctx, sys, fw.ID))(t)
		keys, _ := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
		b := beneficiaries.New(db, keys)
		b.SetToday(func() string { return "2012-12-31" })
		// Two people served at Hefei, three at Anhui's own centre (one served twice).
		for i, site := range []int64{x.hf.ID, x.hf.ID, x.ah.ID, x.ah.ID, x.ah.ID} {
			c := must(b.Register(ctx, sys, beneficiaries.CardInput{SiteID: site, Sex: "F", Birth: "1990", Status: "other", Name: string(rune('A' + i)), Guardian: "G"}, nil))(t)
			must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: site, Type: "counselling", Date: "2011-04-01"}))(t)
			if i == 4 {
				must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: site, Type: "health", Date: "2011-05-01"}))(t)
			}
		}
		kids, own := drillOwn(t, must(s.Drill(ctx, sys, serv.ID, x.ah, results.LOP, 0))(t), x.ah)
		if kids["AH-HF"].Actual.Value != 2 || own == nil || own.Actual.Value != 3 || own.Actual.People != 3 || own.Actual.Values != 0 {
			t.Errorf("reach in Anhui: Hefei %+v, own %+v; want 2 and 3", kids["AH-HF"].Actual, own)
		}
		if got := must(s.Actual(ctx, sys, serv, x.ah, results.LOP))(t); got.Value != 5 {
			t.Errorf("Anhui's reach %v, want 5", got.Value)
		}
		if _, own := drillOwn(t, must(s.Drill(ctx, sys, serv.ID, x.ah, must(results.ParsePeriod("2012"))(t), 0))(t), x.ah); own != nil {
			t.Errorf("reach own row in 2012: %+v", own)
		}
	})
}
