package results_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func f(v float64) *float64 { return &v }

type fixture struct {
	svc                *results.Service
	cn, ah, js, hf, wx org.Unit
	anhui              access.Actor
	decision, teachers results.Indicator
	fw                 results.Framework
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	o, sys := org.New(db), access.System
	x := fixture{svc: results.New(db)}
	x.cn = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"}))(t)
	x.ah = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: x.cn.ID, NameZH: "安徽省", NameEN: "Anhui", Effective: "2010-01-01"}))(t)
	x.js = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: x.cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Effective: "2010-01-01"}))(t)
	x.hf = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: x.ah.ID, NameZH: "合肥市", NameEN: "Hefei", Effective: "2010-01-01"}))(t)
	x.wx = must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "JS-WX", Level: org.Municipal, ParentID: x.js.ID, NameZH: "无锡市", NameEN: "Wuxi", Effective: "2010-01-01"}))(t)
	x.anhui = access.Actor{PublicID: "u_ah", Role: access.ProvincialOfficer, UnitID: x.ah.ID, UnitPath: x.ah.Path}
	s := x.svc
	x.fw = must(s.CreateFramework(ctx, sys, results.FrameworkInput{Code: "NLF", UnitID: x.cn.ID, NameZH: "国家逻辑框架", NameEN: "National logframe"}))(t)
	for _, e := range []results.ElementInput{
		{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Development objective"},
		{Kind: "immediate_objective", Code: "IO1", ParentCode: "DO", NameZH: "目标一", NameEN: "Policy framework"},
		{Kind: "output", Code: "O1.1", ParentCode: "IO1", NameZH: "多部门协调", NameEN: "Multi-sectoral coordination"},
	} {
		must(s.AddElement(ctx, sys, x.fw.ID, e))(t)
	}
	must(s.SaveCategorySet(ctx, sys, results.CategorySet{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "female"}, {Code: "male", NameZH: "男", NameEN: "male"}}}))(t)
	must(s.SaveCategorySet(ctx, sys, results.CategorySet{Code: "age", NameZH: "年龄", NameEN: "Age band", Categories: []results.Category{
		{Code: "12-15"}, {Code: "16-18"}, {Code: "19-24"}, {Code: "25+"}}}))(t)
	x.decision = must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "DM", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "决策者", NameEN: "Decision makers reached",
		Type: "count", Aggregation: "sum", CategorySets: []string{"sex"}}))(t)
	x.teachers = must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "TCH", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "教师", NameEN: "Teachers trained (cumulative)",
		Type: "count", Aggregation: "latest"}))(t)
	must(s.Approve(ctx, sys, x.fw.ID))(t)
	return x
}

func TestFrameworkVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		// An approved framework does not change; a new version does.
		_, err := s.AddElement(ctx, sys, x.fw.ID, results.ElementInput{Kind: "output", Code: "O1.2", ParentCode: "IO1", NameZH: "x", NameEN: "x"})
		if es, ok := valid.As(err); !ok || es[0].Rule != "framework_not_draft" {
			t.Fatalf("edit approved: %v", err)
		}
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-06", Value: f(10)}}))(t)
		v2 := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		if v2.Version != 2 || v2.Status != results.Draft {
			t.Fatalf("v2 %+v", v2)
		}
		if _, err := s.NewVersion(ctx, sys, x.fw.ID); err == nil {
			t.Fatal("two drafts at once")
		}
		must(s.AddElement(ctx, sys, v2.ID, results.ElementInput{Kind: "output", Code: "O1.2", ParentCode: "IO1", NameZH: "政策倡导", NameEN: "Policy advocacy"}))(t)
		_, err = s.AddElement(ctx, sys, v2.ID, results.ElementInput{Kind: "activity", Code: "A1", ParentCode: "IO1", NameZH: "x", NameEN: "x"})
		if es, ok := valid.As(err); !ok || es[0].Rule != "element_under" {
			t.Fatalf("activity under an objective: %v", err)
		}
		// Until v2 is approved, v1 is in force and new values point at it.
		if cur := must(s.Current(ctx, sys, "NLF"))(t); cur.ID != x.fw.ID {
			t.Fatalf("current before approval: v%d", cur.Version)
		}
		must(s.Approve(ctx, sys, v2.ID))(t)
		if cur := must(s.Current(ctx, sys, "NLF"))(t); cur.ID != v2.ID {
			t.Fatalf("current after approval: v%d", cur.Version)
		}
		if old := must(s.Framework(ctx, sys, x.fw.ID))(t); old.Status != results.Superseded {
			t.Fatalf("v1 is %s", old.Status)
		}
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-06", Value: f(5)}}))(t)
		var v1n, v2n int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values WHERE framework_id = $1", x.fw.ID).Scan(&v1n)
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values WHERE framework_id = $1", v2.ID).Scan(&v2n)
		if v1n != 1 || v2n != 1 {
			t.Fatalf("values per version: v1 %d, v2 %d", v1n, v2n)
		}
		if els := must(s.Elements(ctx, sys, v2.ID))(t); len(els) != 4 || els[0].Code != "DO" {
			t.Fatalf("v2 elements %+v", els)
		}
	})
}

func TestValuesRollUpAndProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		// All-or-nothing with rows named.
		_, err := s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-06", Value: f(30)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-06", Combo: "sex:other", Value: f(3)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-13", Value: f(3)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-07", Value: f(2.5)},
			{Indicator: "NOPE", UnitID: x.hf.ID, Period: "2010-07", Value: f(1)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-07", Combo: "age:12-15", Value: f(1)},
		})
		es, ok := valid.As(err)
		if !ok || len(es) != 5 {
			t.Fatalf("want 5 row errors, got %v", err)
		}
		want := []string{"2 combo combo_category", "3 period period", "4 value whole_number", "5 indicator not_found", "6 combo combo_set"}
		for i, e := range es {
			if got := itoa(e.Row) + " " + e.Field + " " + e.Rule; got != want[i] {
				t.Errorf("error %d: %q, want %q", i, got, want[i])
			}
		}
		var n int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values").Scan(&n)
		if n != 0 {
			t.Fatalf("a refused batch wrote %d values", n)
		}
		// Anhui cannot enter values for Jiangsu.
		_, err = s.SaveValues(ctx, x.anhui, []results.ValueInput{{Indicator: "DM", UnitID: x.wx.ID, Period: "2010-06", Value: f(1)}})
		if es, ok := valid.As(err); !ok || es[0].Rule != "not_found" {
			t.Fatalf("cross-province entry: %v", err)
		}
		must(s.SaveValues(ctx, x.anhui, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-06", Value: f(30), Source: "report", SourceRef: "AP-AH-01/2010T2"},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2010-06", Combo: " sex : female ", Value: f(18)},
			{Indicator: "DM", UnitID: x.ah.ID, Period: "2011-03", Value: f(20)},
			{Indicator: "TCH", UnitID: x.hf.ID, Period: "2010-12", Value: f(100)},
			{Indicator: "TCH", UnitID: x.hf.ID, Period: "2011-12", Value: f(250)},
		}))(t)
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.wx.ID, Period: "2011-06", Value: f(50)},
			{Indicator: "TCH", UnitID: x.wx.ID, Period: "2011-06", Value: f(400)},
		}))(t)
		// Saving the same key again replaces the value.
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.wx.ID, Period: "2011-06", Value: f(60)}}))(t)

		lop := results.LOP
		if got := must(s.Actual(ctx, sys, x.decision, x.cn, lop))(t); got.Value != 110 || got.Values != 3 {
			t.Fatalf("national decision makers %+v, want 30+20+60 from 3 values (the female breakdown is not added)", got)
		}
		y2010, _ := results.ParsePeriod("2010")
		if got := must(s.Actual(ctx, sys, x.decision, x.cn, y2010))(t); got.Value != 30 {
			t.Fatalf("2010 decision makers %+v", got)
		}
		// latest: each unit's last value, summed across units (250 + 400), not 750.
		if got := must(s.Actual(ctx, sys, x.teachers, x.cn, lop))(t); got.Value != 650 {
			t.Fatalf("teachers %+v, want 650", got)
		}
		if _, err := s.Actual(ctx, x.anhui, x.decision, x.cn, lop); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui read the national figure: %v", err)
		}

		for _, tg := range []struct {
			unit int64
			v    float64
		}{{x.cn.ID, 350}, {x.ah.ID, 40}, {x.js.ID, 60}} {
			if err := s.SetTarget(ctx, sys, x.decision.ID, tg.unit, "LOP", tg.v, ""); err != nil {
				t.Fatal(err)
			}
		}
		tab := must(s.Progress(ctx, sys, "NLF", x.cn, lop, 0))(t)
		if len(tab.Rows) != 2 {
			t.Fatalf("rows %d", len(tab.Rows))
		}
		dm := tab.Rows[0]
		if dm.Indicator.Code != "DM" || *dm.Target != 350 || *dm.ChildTargets != 100 || dm.Actual.Value != 110 || *dm.Percent != 31.428571 || dm.Status != results.Behind {
			t.Fatalf("DM row %+v target %v child %v pct %v", dm, *dm.Target, *dm.ChildTargets, *dm.Percent)
		}
		if tab.Rows[1].Status != results.NoTarget {
			t.Fatalf("TCH status %s", tab.Rows[1].Status)
		}
		drill := must(s.Drill(ctx, sys, x.decision.ID, x.cn, lop, 0))(t)
		if len(drill) != 2 || drill[0].Unit.Code != "AH" || drill[0].Actual.Value != 50 || drill[0].Status != results.Ahead || drill[1].Actual.Value != 60 || drill[1].Status != results.OnTrack {
			t.Fatalf("drill %+v", drill)
		}
		vals := must(s.Values(ctx, sys, x.decision.ID, x.ah, lop, "en", false))(t)
		if len(vals) != 3 || vals[1].Source != "report" || vals[1].SourceRef != "AP-AH-01/2010T2" || vals[2].Combo != "sex:female" || vals[0].EnteredBy != "u_ah" {
			t.Fatalf("values %+v", vals)
		}

		// Changing the disaggregation keeps the values, shown as legacy, and restores them when it fits again.
		in := results.IndicatorInput{Code: "DM", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "决策者", NameEN: "Decision makers reached", Type: "count", Aggregation: "sum", CategorySets: []string{"age"}}
		_, legacy, restored := must3(s.UpdateIndicator(ctx, sys, x.decision.ID, in))(t)
		if legacy != 1 || restored != 0 {
			t.Fatalf("legacy %d restored %d", legacy, restored)
		}
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values WHERE indicator_id = $1", x.decision.ID).Scan(&n)
		if n != 4 {
			t.Fatalf("values after the change: %d, want all 4 kept", n)
		}
		if got := must(s.Actual(ctx, sys, x.decision, x.cn, lop))(t); got.Value != 110 {
			t.Fatalf("total changed by a disaggregation change: %+v", got)
		}
		in.CategorySets = []string{"age", "sex"}
		_, legacy, restored = must3(s.UpdateIndicator(ctx, sys, x.decision.ID, in))(t)
		if legacy != 0 || restored != 1 {
			t.Fatalf("second change: legacy %d restored %d", legacy, restored)
		}
	})
}

func must3(i results.Indicator, a, b int, err error) func(*testing.T) (results.Indicator, int, int) {
	return func(t *testing.T) (results.Indicator, int, int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return i, a, b
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestValidationRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		_, err := s.SaveRule(ctx, sys, results.RuleInput{Code: "BAD", FrameworkCode: "NLF", NameZH: "x", NameEN: "x", Expression: "#{DM} <= (3"})
		if es, ok := valid.As(err); !ok || es[0].Field != "expression" || es[0].Rule != "expression_unclosed_paren" || es[0].Param != "10" {
			t.Fatalf("syntax error: %v", err)
		}
		_, err = s.SaveRule(ctx, sys, results.RuleInput{Code: "BAD", FrameworkCode: "NLF", NameZH: "x", NameEN: "x", Expression: "#{NOPE} <= 3"})
		if es, ok := valid.As(err); !ok || es[0].Rule != "expression_indicator" {
			t.Fatalf("unknown indicator: %v", err)
		}
		must(s.SaveRule(ctx, sys, results.RuleInput{Code: "F-LE-T", FrameworkCode: "NLF", NameZH: "女性不超过合计", NameEN: "Female at most the total",
			Expression: "#{DM|sex:female} <= #{DM}"}))(t)
		must(s.SaveRule(ctx, sys, results.RuleInput{Code: "SUM", FrameworkCode: "NLF", NameZH: "分项之和等于合计", NameEN: "Breakdown adds up",
			Expression: "sum(#{DM|sex:*}) == #{DM}", Severity: "warning"}))(t)
		must(s.SaveRule(ctx, sys, results.RuleInput{Code: "JUMP", FrameworkCode: "NLF", NameZH: "月度跳变", NameEN: "Month-on-month jump",
			Expression: "#{DM} <= 3 * prev(#{DM}) + 50"}))(t)

		// Female 40 of a total of 30 is refused, naming the rule and both sides.
		_, err = s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Value: f(30)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Combo: "sex:female", Value: f(40)},
		})
		es, ok := valid.As(err)
		if !ok || len(es) != 1 || es[0].Rule != "validation_rule" || es[0].Row != 1 || es[0].Param != "F-LE-T: #{DM|sex:female} <= #{DM} (40 <= 30)" {
			t.Fatalf("rule failure: %v", err)
		}
		// A breakdown that does not add up is only a warning: it is saved, and shows on the quality view.
		must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Value: f(30)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Combo: "sex:female", Value: f(12)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Combo: "sex:male", Value: f(10)},
		}))(t)
		// The stored total also binds a later entry of the female value alone.
		_, err = s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-05", Combo: "sex:female", Value: f(31)}})
		if es, ok := valid.As(err); !ok || es[0].Rule != "validation_rule" {
			t.Fatalf("female above stored total: %v", err)
		}
		// The jump rule compares with the month before: 30 after nothing is skipped; 200 after 30 fails.
		_, err = s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-06", Value: f(200)}})
		if es, ok := valid.As(err); !ok || !strings.HasPrefix(es[0].Param, "JUMP:") {
			t.Fatalf("jump: %v", err)
		}
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-06", Value: f(120)}}))(t)
		q := must(s.Quality(ctx, sys, "NLF", x.cn, results.LOP))(t)
		if len(q) != 1 || q[0].Rule.Code != "SUM" || q[0].Left != 22 || q[0].Right != 30 || q[0].Period != "2011-05" {
			t.Fatalf("quality %+v", q)
		}
		if _, err := s.Quality(ctx, x.anhui, "NLF", x.wx, results.LOP); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Anhui checked Jiangsu: %v", err)
		}
	})
}
