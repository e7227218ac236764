package results_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// A reach indicator's figures are the distinct people on beneficiary cards served in the unit's
// subtree and period, in total, by service type and by disaggregation; it takes no typed values.
func TestReachIndicatorCountsPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		sys := access.System
		s := x.svc
		if _, err := s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "BAD", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "x", NameEN: "x",
			Type: "percent", Aggregation: "reach"}); err == nil {
			t.Error("a percent reach indicator was accepted")
		}
		fw := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		serv := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SERV", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "接受服务的人数", NameEN: "People receiving services",
			Type: "count", Aggregation: "reach", CategorySets: []string{"sex", "age"}}))(t)
		legal := must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "LEGAL", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "法律援助", NameEN: "People given legal aid",
			Type: "count", Aggregation: "reach", Formula: "legal_aid"}))(t)
		// Sums over formulas over reach work too.
		must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "BOTH", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "x", NameEN: "Women and girls served",
			Type: "count", Aggregation: "formula", Formula: "#{SERV|sex:female}"}))(t)
		must(s.Approve(ctx, sys, fw.ID))(t)
		if _, err := s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "SERV", UnitID: x.hf.ID, Period: "2011", Value: f(3)}}); err == nil {
			t.Error("a value was typed into a reach indicator")
		} else if es, ok := valid.As(err); !ok || es[0].Rule != "computed_indicator" {
			t.Errorf("typed value: %v", err)
		}
		keys, _ := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
		b := beneficiaries.New(db, keys)
		b.SetToday(func() string { return "2012-12-31" })
		county := must(org.New(db).CreateUnit(ctx, sys, org.UnitInput{Code: "AH-HF-FD", Level: org.County, ParentID: x.hf.ID, NameZH: "肥东", NameEN: "Feidong", Effective: "2010-01-01"}))(t)
		people := []struct {
			sex, birth string
			services   []string
		}{{"F", "1996", []string{"counselling", "legal_aid"}}, {"F", "1980", []string{"health"}}, {"M", "1997", []string{"legal_aid", "legal_aid"}}}
		for i, p := range people {
			c := must(b.Register(ctx, sys, beneficiaries.CardInput{SiteID: county.ID, Sex: p.sex, Birth: p.birth, Status: "other", Name: string(rune('A' + i)), Guardian: "G"}, nil))(t)
			for _, typ := range p.services {
				must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: county.ID, Type: typ, Date: "2011-04-0" + string(rune('1'+i))}))(t)
			}
		}
		p2011, _ := results.ParsePeriod("2011")
		tbl := must(s.Progress(ctx, sys, "NLF", x.cn, p2011, 0))(t)
		got := map[string]float64{}
		for _, r := range tbl.Rows {
			got[r.Indicator.Code] = r.Actual.Value
		}
		if got["SERV"] != 3 || got["LEGAL"] != 2 || got["BOTH"] != 2 {
			t.Errorf("national 2011: %v, want SERV 3, LEGAL 2, BOTH 2", got)
		}
		if fig := must(s.Actual(ctx, x.anhui, legal, x.ah, results.LOP))(t); fig.Value != 2 {
			t.Errorf("Anhui LOP legal aid %v", fig.Value)
		}
		if fig := must(s.Actual(ctx, sys, serv, x.js, results.LOP))(t); fig.Has {
			t.Errorf("Jiangsu has %v", fig.Value)
		}
	})
}

// A reach indicator is disaggregated by ethnicity (a card counts under a category when it
// records its code or either of its names) and by service type (within the types the indicator
// counts), from the same bitmaps.
func TestReachByEthnicityAndServiceType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		sys := access.System
		s := x.svc
		must(s.SaveCategorySet(ctx, sys, results.CategorySet{Code: "ethnicity", NameZH: "民族", NameEN: "Ethnicity", Categories: []results.Category{
			{Code: "yi", NameZH: "彝族", NameEN: "Yi"}, {Code: "han", NameZH: "汉族", NameEN: "Han"}}}))(t)
		must(s.SaveCategorySet(ctx, sys, results.CategorySet{Code: "service_type", NameZH: "服务类型", NameEN: "Service type", Categories: []results.Category{
			{Code: "legal_aid", NameZH: "法律援助", NameEN: "Legal aid"}, {Code: "health", NameZH: "健康服务", NameEN: "Health"}}}))(t)
		fw := must(s.NewVersion(ctx, sys, x.fw.ID))(t)
		must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "SERV", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "接受服务的人数", NameEN: "People receiving services",
			Type: "count", Aggregation: "reach", CategorySets: []string{"ethnicity", "service_type"}}))(t)
		must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "LEGAL", FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: "法律援助", NameEN: "People given legal aid",
			Type: "count", Aggregation: "reach", Formula: "legal_aid", CategorySets: []string{"service_type"}}))(t)
		// Each disaggregation asked through a formula, as a framework would.
		combos := []string{"SERV|ethnicity:yi", "SERV|ethnicity:han", "SERV|service_type:legal_aid", "SERV|service_type:health",
			"SERV|ethnicity:yi,service_type:health", "LEGAL|service_type:legal_aid", "LEGAL|service_type:health"}
		asked := map[string]results.Indicator{}
		for i, c := range combos {
			asked[c] = must(s.CreateIndicator(ctx, sys, results.IndicatorInput{Code: fmt.Sprintf("D%d", i), FrameworkCode: "NLF", ElementCode: "O1.1", NameZH: c, NameEN: c,
				Type: "count", Aggregation: "formula", Formula: "#{" + c + "}"}))(t)
		}
		must(s.Approve(ctx, sys, fw.ID))(t)
		keys, _ := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
		b := beneficiaries.New(db, keys)
		b.SetToday(func() string { return "2012-12-31" })
		people := []struct {
			eth      string
			services []string
		}{{"彝族", []string{"legal_aid", "health"}}, {"yi", []string{"health"}}, {"Han", []string{"legal_aid"}}, {"", []string{"legal_aid", "health"}}, {"Yi ", nil}}
		var cards []beneficiaries.Card
		for i, p := range people {
			c := must(b.Register(ctx, sys, beneficiaries.CardInput{SiteID: x.hf.ID, Sex: "F", Birth: "1996", Ethnicity: p.eth, Status: "other", Name: string(rune('A' + i)), Guardian: "G"}, nil))(t)
			cards = append(cards, c)
			for _, typ := range p.services {
				must(b.AddService(ctx, sys, beneficiaries.ServiceInput{CardID: c.ID, SiteID: x.hf.ID, Type: typ, Date: "2011-04-01"}))(t)
			}
		}
		check := func(phase string, want map[string]float64) {
			t.Helper()
			for combo, n := range want {
				if f := must(s.Actual(ctx, sys, asked[combo], x.cn, results.LOP))(t); f.Value != n || f.Has != (n > 0) {
					t.Errorf("%s: %s: %v (has %v), want %v", phase, combo, f.Value, f.Has, n)
				}
			}
		}
		// A legal-aid indicator has no health figure: not zero people, a question it does not answer.
		check("registered", map[string]float64{"SERV|ethnicity:yi": 2, "SERV|ethnicity:han": 1, "SERV|service_type:legal_aid": 3, "SERV|service_type:health": 3,
			"SERV|ethnicity:yi,service_type:health": 2, "LEGAL|service_type:legal_aid": 3, "LEGAL|service_type:health": 0})
		// An edit of the card moves the person between ethnicities.
		in := beneficiaries.CardInput{SiteID: x.hf.ID, Sex: "F", Birth: "1996", Ethnicity: "汉族", Status: "other", Name: "B", Guardian: "G"}
		must(b.Update(ctx, sys, cards[1].ID, in))(t)
		check("edited", map[string]float64{"SERV|ethnicity:yi": 1, "SERV|ethnicity:han": 2, "SERV|ethnicity:yi,service_type:health": 1})
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches != 0 {
			t.Errorf("verify: %+v %v", st, err)
		}
	})
}
