package results_test

import (
	"context"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestPeriodCountsWhereItEnds: the programme reports in 4-month periods (2011T2 is May-August),
// which lie inside no half-year or quarter. A value counts in the range in which its period
// ends, so the halves and the quarters of a year add up to the year, from the rollups and from
// the values alike, and a latest-value indicator takes each unit's period that ends last.
func TestPeriodCountsWhereItEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T1", Value: f(10)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T2", Value: f(20)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T2", Combo: "sex:female", Value: f(12)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011T3", Value: f(40)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T1", Value: f(1)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T2", Value: f(2)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011T3", Value: f(4)},
			{Indicator: "DM", UnitID: x.ah.ID, Period: "2012T1", Value: f(1000)}, // another year: counts in none
			// latest: Hefei's last period is T2; Wuxi's 2011-06 starts after T2 but ends before it;
			// Jiangsu's 2011Q4 and 2011-12 end on the same day, and the month is the more recent.
			{Indicator: "TCH", UnitID: x.hf.ID, Period: "2011T1", Value: f(100)},
			{Indicator: "TCH", UnitID: x.hf.ID, Period: "2011T2", Value: f(150)},
			{Indicator: "TCH", UnitID: x.wx.ID, Period: "2011-06", Value: f(5)},
			{Indicator: "TCH", UnitID: x.wx.ID, Period: "2011T2", Value: f(7)},
			{Indicator: "TCH", UnitID: x.js.ID, Period: "2011Q4", Value: f(9)},
			{Indicator: "TCH", UnitID: x.js.ID, Period: "2011-12", Value: f(11)},
		}))(t)
		actual := func(ind results.Indicator, u org.Unit, key string) results.Figure {
			t.Helper()
			p := must(results.ParsePeriod(key))(t)
			got := must(s.Actual(ctx, sys, ind, u, p))(t)
			if raw := must(results.ActualRaw(ctx, s, ind, u, p))(t); got != raw {
				t.Fatalf("%s at %s in %s: rollups %+v, values %+v", ind.Code, u.Code, key, got, raw)
			}
			return got
		}
		for _, c := range []struct {
			unit org.Unit
			want map[string]float64
		}{
			{x.cn, map[string]float64{"2011": 77, "2011S1": 11, "2011S2": 66, "2011Q1": 0, "2011Q2": 11, "2011Q3": 22, "2011Q4": 44, "2011T2": 22, "2011-08": 22, "2011-06": 0}},
			{x.ah, map[string]float64{"2011": 70, "2011S1": 10, "2011S2": 60, "2011Q1": 0, "2011Q2": 10, "2011Q3": 20, "2011Q4": 40}},
			{x.wx, map[string]float64{"2011": 7, "2011S1": 1, "2011S2": 6, "2011Q1": 0, "2011Q2": 1, "2011Q3": 2, "2011Q4": 4}},
		} {
			for key, want := range c.want {
				if got := actual(x.decision, c.unit, key); got.Value != want || got.Has != (want != 0) {
					t.Errorf("DM at %s in %s: %+v, want %v", c.unit.Code, key, got, want)
				}
			}
			year := actual(x.decision, c.unit, "2011").Value
			if h := actual(x.decision, c.unit, "2011S1").Value + actual(x.decision, c.unit, "2011S2").Value; h != year {
				t.Errorf("DM at %s: halves add up to %v, the year is %v", c.unit.Code, h, year)
			}
			var q float64
			for _, key := range []string{"2011Q1", "2011Q2", "2011Q3", "2011Q4"} {
				q += actual(x.decision, c.unit, key).Value
			}
			if q != year {
				t.Errorf("DM at %s: quarters add up to %v, the year is %v", c.unit.Code, q, year)
			}
		}
		// latest, per unit the period ending last in the range, summed over units.
		for key, want := range map[string]float64{"2011": 150 + 7 + 11, "2011S1": 100 + 5, "2011S2": 150 + 7 + 11,
			"2011Q2": 100 + 5, "2011Q3": 150 + 7, "2011Q4": 11, "LOP": 150 + 7 + 11} {
			if got := actual(x.teachers, x.cn, key); got.Value != want {
				t.Errorf("TCH national in %s: %+v, want %v", key, got, want)
			}
		}
		if got := actual(x.teachers, x.wx, "2011"); got.Value != 7 || got.Values != 1 {
			t.Errorf("TCH at Wuxi in 2011: %+v, want 7 (2011T2 ends after 2011-06)", got)
		}
		if got := actual(x.teachers, x.js, "2011Q4"); got.Value != 11 || got.Values != 1 {
			t.Errorf("TCH in Jiangsu in 2011Q4: %+v, want 11 (2011-12 over 2011Q4, which ends the same day)", got)
		}
		if got := actual(x.teachers, x.js, "2011"); got.Value != 11+7 || got.Values != 2 {
			t.Errorf("TCH in Jiangsu in 2011: %+v, want 11 (Jiangsu) + 7 (Wuxi)", got)
		}

		// The table, the drill-down and the records behind a figure follow the same rule.
		s2 := must(results.ParsePeriod("2011S2"))(t)
		tab := must(s.Progress(ctx, sys, "NLF", x.cn, s2, 0))(t)
		if tab.Rows[0].Indicator.Code != "DM" || tab.Rows[0].Actual.Value != 66 || tab.Rows[0].Actual.Values != 4 {
			t.Fatalf("progress in 2011S2: %+v", tab.Rows[0])
		}
		drill := must(s.Drill(ctx, sys, x.decision.ID, x.cn, s2, 0))(t)
		if len(drill) != 2 || drill[0].Actual.Value != 60 || drill[1].Actual.Value != 6 {
			t.Fatalf("drill in 2011S2: %+v", drill)
		}
		vals := must(s.Values(ctx, sys, x.decision.ID, x.ah, s2, "en", false))(t)
		if len(vals) != 3 || vals[0].Period != "2011T2" || vals[2].Period != "2011T3" {
			t.Fatalf("values behind Anhui's 2011S2: %+v", vals)
		}
		if vals := must(s.Values(ctx, sys, x.decision.ID, x.ah, must(results.ParsePeriod("2011Q1"))(t), "en", false))(t); len(vals) != 0 {
			t.Fatalf("values behind Anhui's 2011Q1: %+v", vals)
		}

		if st := must(s.VerifyRollups(ctx))(t); st.Mismatches != 0 {
			t.Fatalf("verify: %+v", st)
		}
	})
}
