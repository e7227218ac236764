package results_test

import (
	"bytes"
	"context"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// A reach indicator has no stored values: its figure rests on people, not values; its span (the
// range of its trend) is that of the services it counts, read from the reach bitmaps of a unit
// that keeps them, the services still pending a fold, or the services of a unit below the county;
// a formula's span is that of the indicators it reads; and ReachMonths gives the months of the
// reach page that count the same people.
func TestReachIndicatorSpanAndMonths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		o := org.New(db)
		county := must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF-FD", Level: org.County, ParentID: x.hf.ID, NameZH: "肥东县", NameEN: "Feidong", Effective: "2010-01-01"}))(t)
		town := must(o.CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF-FD-01", Level: org.Community, ParentID: county.ID, NameZH: "店埠镇", NameEN: "Dianbu", Effective: "2010-01-01"}))(t)
		fw := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		serv := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SERV", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "接受服务的人数", NameEN: "People receiving services",
			Type: "count", Aggregation: "reach"}))(t)
		legal := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "LEGAL", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "法律援助", NameEN: "People given legal aid",
			Type: "count", Aggregation: "reach", Formula: "legal_aid"}))(t)
		both := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "BOTH", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "合计", NameEN: "Decision makers and people served",
			Type: "count", Aggregation: "formula", Formula: "sum(#{DM}, #{SERV})"}))(t)
		must(s.Approve(ctx, sys, fw.ID))(t)
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2012-09", Value: f(5)}}))(t)

		keys, _ := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
		b := beneficiaries.New(db, keys)
		b.SetToday(func() string { return "2012-12-31" })
		card := func(site org.Unit, name string) beneficiaries.Card {
			return must(b.Register(ctx, sys, beneficiaries.CardInput{SiteID: site.ID, Sex: "F", Birth: "1996", Status: "other", Name: name, Guardian: "G"}, nil))(t)
		}
		a, c, d := card(town, "A"), card(county, "B"), card(x.hf, "C")
		must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: a.ID, SiteID: town.ID, Type: "counselling", Date: "2010-11-15"}))(t)
		must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: county.ID, Type: "legal_aid", Date: "2011-04-01"}))(t)
		// The last one waits for a fold, as a large import's services do.
		b.SetDeferAt(1)
		must(b.AddServices(ctx, sys, []beneficiaries.ServiceInput{{CardID: d.ID, SiteID: x.hf.ID, Type: "health", Date: "2012-03-10"}}, 0))(t)
		if n := must(analytics.Pending(ctx, db.R))(t); n != 1 {
			t.Fatalf("%d services pending, want 1", n)
		}

		fig := must(s.Actual(ctx, sys, serv, x.cn, results.LOP))(t)
		if fig.Value != 3 || fig.People != 3 || fig.Values != 0 {
			t.Errorf("national reach %+v: want 3 people and no values", fig)
		}
		span := func(ind results.Indicator, u org.Unit, first, last string) {
			t.Helper()
			f, l, err := s.ValueSpan(ctx, sys, ind.ID, u)
			if err != nil || f != first || l != last {
				t.Errorf("span of %s at %s: %q to %q (%v), want %q to %q", ind.Code, u.Code, f, l, err, first, last)
			}
		}
		// The nation keeps bitmaps (a month's first day) and adds the pending service's day.
		span(serv, x.cn, "2010-11-01", "2012-03-10")
		span(serv, county, "2010-11-01", "2011-04-01")
		// A community keeps none: its services.
		span(serv, town, "2010-11-15", "2010-11-15")
		span(legal, x.cn, "2011-04-01", "2011-04-01")
		span(legal, town, "", "")
		span(serv, x.js, "", "")
		// A formula spans what it reads: people served from 2010, decision makers to September 2012.
		span(both, x.cn, "2010-11-01", "2012-09-30")

		months := func(ind results.Indicator, u org.Unit, p results.Period, from, to string, ok bool) {
			t.Helper()
			gf, gt, gok, err := s.ReachMonths(ctx, sys, ind, u, p)
			if err != nil || gf != from || gt != to || gok != ok {
				t.Errorf("months of %s at %s, %s: %q to %q %v (%v), want %q to %q %v", ind.Code, u.Code, p.Key, gf, gt, gok, err, from, to, ok)
			}
		}
		months(serv, x.cn, results.LOP, "2010-11", "2012-03", true)
		months(serv, x.js, results.LOP, "", "", false)
		months(legal, x.cn, must(results.ParsePeriod("2011S1"))(t), "2011-01", "2011-06", true)
		// Out of scope is not found.
		if _, _, _, err := s.ReachMonths(ctx, x.anhui, serv, x.js, results.LOP); err == nil {
			t.Error("Anhui's officer read Jiangsu's months")
		}
	})
}
