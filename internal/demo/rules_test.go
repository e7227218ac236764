package demo

import (
	"context"
	"slices"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// The national framework ships a pair of breakdown rules for every disaggregation of every count
// the offices enter; the demonstration's own values break none of them (the data-quality page is
// clean because the records are, not because nothing is checked); a breakdown larger than its
// total is refused where it is entered; and loading again adds no rule twice.
func TestDemoFrameworkShipsBreakdownRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		sys := access.System
		svc := results.New(db)
		rules, err := svc.Rules(ctx, sys, frameworkCode)
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]results.Rule{}
		for _, r := range rules {
			codes[r.Code] = r
		}
		inds, err := svc.Indicators(ctx, sys, frameworkCode)
		if err != nil {
			t.Fatal(err)
		}
		pairs := 0
		for _, ind := range inds {
			entered := ind.Type == "count" && !ind.Computed()
			for _, set := range ind.CategorySets {
				id := ind.Code + "-" + strings.ToUpper(set)
				max, hasMax := codes[id+"-MAX"]
				sum, hasSum := codes[id+"-SUM"]
				if !entered {
					if hasMax || hasSum {
						t.Errorf("%s takes no values but has breakdown rules", ind.Code)
					}
					continue
				}
				pairs++
				if !hasMax || max.Severity != "error" || !strings.Contains(max.Expression, "<=") || !strings.Contains(max.Expression, set+":*") {
					t.Errorf("%s by %s: error rule %+v", ind.Code, set, max)
				}
				if !hasSum || sum.Severity != "warning" || !strings.Contains(sum.Expression, "==") {
					t.Errorf("%s by %s: warning rule %+v", ind.Code, set, sum)
				}
			}
		}
		if pairs == 0 || len(rules) != 2*pairs {
			t.Errorf("%d rules for %d disaggregations of entered counts", len(rules), pairs)
		}

		cn, err := org.New(db).UnitByCode(ctx, sys, "CN")
		if err != nil {
			t.Fatal(err)
		}
		broken, err := svc.Quality(ctx, sys, frameworkCode, cn, results.LOP)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range broken {
			t.Errorf("the demonstration's values break %s at unit %d %s: %v %s %v", v.Rule.Code, v.UnitID, v.Period, v.Left, v.Op, v.Right)
		}

		// Anhui's officer types 5 decision makers, 9 of them women and 7 men.
		ah, err := org.New(db).UnitByCode(ctx, sys, "AH")
		if err != nil {
			t.Fatal(err)
		}
		hf, err := org.New(db).UnitByCode(ctx, sys, "AH-HF")
		if err != nil {
			t.Fatal(err)
		}
		officer := access.Actor{PublicID: "u_demo_ah", Role: access.ProvincialOfficer, UnitID: ah.ID, UnitPath: ah.Path}
		v := func(x float64) *float64 { return &x }
		_, err = svc.SaveValues(ctx, officer, []results.ValueInput{
			{Indicator: indDM, UnitID: hf.ID, Period: "2012-06", Value: v(5)},
			{Indicator: indDM, UnitID: hf.ID, Period: "2012-06", Combo: "sex:female", Value: v(9)},
			{Indicator: indDM, UnitID: hf.ID, Period: "2012-06", Combo: "sex:male", Value: v(7)},
		})
		if es, ok := valid.As(err); !ok || !slices.ContainsFunc(es, func(e valid.FieldError) bool {
			return e.Rule == "validation_rule" && strings.HasPrefix(e.Param, indDM+"-SEX-MAX")
		}) {
			t.Errorf("a breakdown of 16 for a total of 5: %v", err)
		}

		if _, err := Load(ctx, db); err != nil {
			t.Fatal(err)
		}
		if again, err := svc.Rules(ctx, sys, frameworkCode); err != nil || len(again) != len(rules) {
			t.Errorf("after a second load: %d rules (%v), want %d", len(again), err, len(rules))
		}
	})
}
