package results_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// TestRollupsFollowEveryWrite drives random writes (batches that overwrite, deletes, a
// disaggregation dropped and restored, units moving between provinces) and then checks that
// the maintained rollups equal a recomputation and that every figure read from them equals the
// same figure computed straight from the values.
func TestRollupsFollowEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys, o := x.svc, access.System, org.New(db)
		v2 := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		must(s.Approve(ctx, sys, v2.ID))(t)
		avg := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "AVG", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "平均", NameEN: "Average",
			Type: "count", Aggregation: "average", CategorySets: []string{"age"}}))(t)
		pct := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "PCT", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "比例", NameEN: "Share",
			Type: "percent", Aggregation: "sum", CategorySets: []string{"sex"}}))(t)
		sum := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SUM", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "合计", NameEN: "Sum of two",
			Type: "count", Aggregation: "formula", Formula: "#{DM} + #{AVG}"}))(t)
		var counties []org.Unit
		for i, parent := range []org.Unit{x.hf, x.hf, x.wx, x.wx} {
			counties = append(counties, must(o.CreateUnit(ctx, sys, org.UnitInput{Code: fmt.Sprintf("C%d", i), Level: org.County, ParentID: parent.ID,
				NameZH: fmt.Sprintf("县%d", i), NameEN: fmt.Sprintf("County %d", i), Effective: "2010-01-01"}))(t))
		}
		units := append([]org.Unit{x.cn, x.ah, x.js, x.hf, x.wx}, counties...)
		// 4-month periods (2010T2, 2010T3) lie inside no half-year or quarter: they count in the
		// ones they end in, from the rollups as from the values.
		// Values are written for months and 4-month periods no two of which overlap (SaveValues
		// refuses a period overlapping another of the same indicator, unit and combination);
		// figures are read for all of periods.
		written := []string{"2010-01", "2010-02", "2010-03", "2010-04", "2010T2", "2010T3"}
		periods := []string{"2010-01", "2010-02", "2010-03", "2010-04", "2010Q1", "2010Q2", "2010T1", "2010T2", "2010T3", "2010-08", "2010"}
		rng := rand.New(rand.NewPCG(7, uint64(len(db.Dialect))))
		pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
		dmCombo := func() string {
			if len(x.decision.CategorySets) == 0 {
				return ""
			}
			return pick([]string{"", "", "sex:female", "sex:male"})
		}
		for step := range 120 {
			switch op := rng.IntN(10); {
			case op < 7:
				var batch []results.ValueInput
				for range 1 + rng.IntN(6) {
					u := units[rng.IntN(len(units))]
					p := pick(written)
					switch rng.IntN(3) {
					case 0:
						batch = append(batch, results.ValueInput{Indicator: "DM", UnitID: u.ID, Period: p, Combo: dmCombo(), Value: f(float64(rng.IntN(50)))})
					case 1:
						batch = append(batch, results.ValueInput{Indicator: "AVG", UnitID: u.ID, Period: p, Combo: pick([]string{"", "age:12-15", "age:25+"}), Value: f(float64(rng.IntN(9)))})
					default:
						den := float64(1 + rng.IntN(40))
						batch = append(batch, results.ValueInput{Indicator: "PCT", UnitID: u.ID, Period: p, Combo: pick([]string{"", "sex:female"}), Numerator: f(float64(rng.IntN(int(den) + 1))), Denominator: f(den)})
					}
				}
				if _, err := s.SaveValues(ctx, sys, batch); err != nil {
					t.Fatalf("step %d save: %v", step, err)
				}
			case op < 8:
				var id int64
				if err := db.R.QueryRowContext(ctx, "SELECT id FROM data_values ORDER BY id LIMIT 1 OFFSET $1", rng.IntN(5)).Scan(&id); err == nil {
					if err := s.DeleteValue(ctx, sys, id); err != nil {
						t.Fatalf("step %d delete: %v", step, err)
					}
				}
			case op < 9:
				in := results.IndicatorInput{Code: "DM", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "决策者", NameEN: "Decision makers reached", Type: "count", Aggregation: "sum"}
				if len(x.decision.CategorySets) == 0 {
					in.CategorySets = []string{"sex"}
				}
				var err error
				if x.decision, _, _, err = s.UpdateIndicator(ctx, sys, x.decision.ID, in); err != nil {
					t.Fatalf("step %d disaggregation: %v", step, err)
				}
			default:
				c := counties[rng.IntN(len(counties))]
				c = must(o.Unit(ctx, sys, c.ID))(t)
				to := x.hf
				if c.ParentID == x.hf.ID {
					to = x.wx
				}
				if _, err := o.MoveUnit(ctx, sys, c.ID, to.ID, fmt.Sprintf("2011-%02d-%02d", 1+step/28, 1+step%28)); err != nil {
					t.Fatalf("step %d move: %v", step, err)
				}
			}
		}
		st := must(s.VerifyRollups(ctx))(t)
		if st.Mismatches != 0 || st.Values == 0 || st.Rows == 0 {
			t.Fatalf("verify: %+v", st)
		}
		inds := []results.Indicator{must(s.Indicator(ctx, sys, x.decision.ID))(t), avg, pct}
		checked := 0
		for _, u := range units {
			u = must(o.Unit(ctx, sys, u.ID))(t)
			for _, key := range append(periods, "2010S1", "2010S2", "2010Q3", "2010Q4", "2010-12", "LOP") {
				p := must(results.ParsePeriod(key))(t)
				var dm, av results.Figure
				for _, ind := range inds {
					got := must(s.Actual(ctx, sys, ind, u, p))(t)
					want := must(results.ActualRaw(ctx, s, ind, u, p))(t)
					if got != want {
						t.Fatalf("%s at %s in %s: rollups %+v, values %+v", ind.Code, u.Code, key, got, want)
					}
					checked++
					switch ind.Code {
					case "DM":
						dm = want
					case "AVG":
						av = want
					}
				}
				got := must(s.Actual(ctx, sys, sum, u, p))(t)
				if dm.Has && av.Has && (!got.Has || got.Value != dm.Value+av.Value) || (!dm.Has || !av.Has) && got.Has {
					t.Fatalf("formula at %s in %s: %+v from %+v and %+v", u.Code, key, got, dm, av)
				}
			}
		}
		if checked < 100 {
			t.Fatalf("only %d figures compared", checked)
		}
		// A rollup changed behind the code's back is caught, and a rebuild mends it.
		if _, err := db.W.ExecContext(ctx, "UPDATE value_rollups SET sum_value = sum_value + 1 WHERE unit_id = $1", x.cn.ID); err != nil {
			t.Fatal(err)
		}
		if st := must(s.VerifyRollups(ctx))(t); st.Mismatches == 0 || len(st.Samples) == 0 {
			t.Fatalf("tampering not found: %+v", st)
		}
		must(s.RebuildRollups(ctx))(t)
		if st := must(s.VerifyRollups(ctx))(t); st.Mismatches != 0 {
			t.Fatalf("after rebuild: %+v", st)
		}
	})
}

func TestPeriodLocksAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-02", Value: f(10)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2010-02", Value: f(7)}}))(t)
		agency := access.Actor{PublicID: "u_ag", Role: access.AgencyReporter, UnitID: x.hf.ID, UnitPath: x.hf.Path}
		if err := s.LockPeriod(ctx, agency, x.hf.ID, "2010Q1"); err == nil {
			t.Fatal("an implementing agency locked a period")
		}
		if err := s.LockPeriod(ctx, x.anhui, x.js.ID, "2010Q1"); !isRule(err, "unit_id") {
			t.Fatalf("Anhui locked Jiangsu: %v", err)
		}
		if err := s.LockPeriod(ctx, sys, x.ah.ID, "LOP"); !isRule(err, "period") {
			t.Fatalf("lock LOP: %v", err)
		}
		if err := s.LockPeriod(ctx, sys, x.ah.ID, "2010Q1"); err != nil {
			t.Fatal(err)
		}
		// Inside Anhui, any period overlapping the first quarter is closed; Jiangsu is open.
		for _, p := range []string{"2010-03", "2010Q1", "2010S1", "2010"} {
			_, err := s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: p, Value: f(1)}})
			if es, ok := valid.As(err); !ok || es[0].Rule != "period_locked" || es[0].Param != "2010Q1" || es[0].Row != 1 {
				t.Fatalf("%s in a locked quarter: %v", p, err)
			}
		}
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-04", Value: f(1)},
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2010-03", Value: f(1)}}))(t)
		var hfID, wxID int64
		db.R.QueryRowContext(ctx, "SELECT id FROM data_values WHERE unit_id = $1 AND period = '2010-02'", x.hf.ID).Scan(&hfID)
		db.R.QueryRowContext(ctx, "SELECT id FROM data_values WHERE unit_id = $1 AND period = '2010-02'", x.wx.ID).Scan(&wxID)
		if err := s.DeleteValue(ctx, sys, hfID); !isRule(err, "period_locked") {
			t.Fatalf("delete in a locked period: %v", err)
		}
		// Anhui's officer cannot see Jiangsu's value, let alone delete it.
		if err := s.DeleteValue(ctx, x.anhui, wxID); !isNotFound(err) {
			t.Fatalf("delete out of scope: %v", err)
		}
		locks := must(s.Locks(ctx, x.anhui))(t)
		if len(locks) != 1 || locks[0].Period != "2010Q1" || locks[0].UnitID != x.ah.ID {
			t.Fatalf("locks %+v", locks)
		}
		must(0, s.UnlockPeriod(ctx, sys, x.ah.ID, "2010Q1"))(t)
		must(0, s.DeleteValue(ctx, sys, hfID))(t)
		q1 := must(results.ParsePeriod("2010Q1"))(t)
		if fig := must(s.Actual(ctx, sys, x.decision, x.cn, q1))(t); fig.Value != 8 || fig.Values != 2 {
			t.Fatalf("national Q1 after delete: %+v", fig)
		}
		if st := must(s.VerifyRollups(ctx))(t); st.Mismatches != 0 {
			t.Fatalf("verify: %+v", st)
		}
		if err := s.DeleteValue(ctx, sys, hfID); !isNotFound(err) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func isRule(err error, rule string) bool {
	es, ok := valid.As(err)
	return ok && len(es) > 0 && (es[0].Rule == rule || es[0].Field == rule)
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, store.ErrNotFound) }
