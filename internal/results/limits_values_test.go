package results_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// fortyNines is the count a reviewer typed: 40 nines, which the database stored as 1e40.
var fortyNines = func() float64 {
	v, err := strconv.ParseFloat(strings.Repeat("9", 40), 64)
	if err != nil {
		panic(err)
	}
	return v
}()

// limitsCount returns the number of rows in table.
func limitsCount(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// limitsMonth returns the key of the month months away from the clock's.
func limitsMonth(months int) string {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// limitsIndicators adds a percentage, a ratio and a text indicator to the fixture's framework.
func limitsIndicators(t *testing.T, s *results.Service) {
	t.Helper()
	ctx := context.Background()
	for _, in := range []results.IndicatorInput{
		{Code: "PCT", NameZH: "百分比", NameEN: "Share of schools", Type: "percent", Aggregation: "sum"},
		{Code: "RAT", NameZH: "比率", NameEN: "Pupils per teacher", Type: "ratio", Aggregation: "sum"},
		{Code: "TXT", NameZH: "里程碑", NameEN: "Milestone", Type: "text", Aggregation: "latest"},
	} {
		in.FrameworkCode, in.ElementCode = "NLF", "O1.1"
		must(s.CreateIndicator(ctx, access.System, in))(t)
	}
}

// TestLimitValues refuses each figure, length and period beyond its limit, naming the field,
// the rule and the row, and writes nothing; values at the limits are accepted.
func TestLimitValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		limitsIndicators(t, s)
		long := func(n int) string { return strings.Repeat("长", n) }
		next := limitsMonth(1)
		cases := []struct {
			name               string
			in                 results.ValueInput
			field, rule, param string
		}{
			{"forty nines", results.ValueInput{Indicator: "DM", Value: f(fortyNines)}, "value", "at_most", "1,000,000,000,000"},
			{"just above the ceiling", results.ValueInput{Indicator: "DM", Value: f(1e12 + 1)}, "value", "at_most", "1,000,000,000,000"},
			{"negative count", results.ValueInput{Indicator: "DM", Value: f(-1)}, "value", "not_negative", ""},
			{"fractional count", results.ValueInput{Indicator: "DM", Value: f(2.5)}, "value", "whole_number", ""},
			{"percentage above 100", results.ValueInput{Indicator: "PCT", Value: f(142)}, "value", "percent_range", ""},
			{"share above its whole", results.ValueInput{Indicator: "PCT", Numerator: f(5), Denominator: f(4)}, "numerator", "not_above", "denominator"},
			{"huge numerator", results.ValueInput{Indicator: "PCT", Numerator: f(fortyNines), Denominator: f(fortyNines)}, "numerator", "at_most", "1,000,000,000,000"},
			{"huge denominator", results.ValueInput{Indicator: "RAT", Numerator: f(3), Denominator: f(fortyNines)}, "denominator", "at_most", "1,000,000,000,000"},
			{"huge ratio", results.ValueInput{Indicator: "RAT", Value: f(fortyNines)}, "value", "at_most", "1,000,000,000,000"},
			{"ratio of parts above the ceiling", results.ValueInput{Indicator: "RAT", Numerator: f(1e12), Denominator: f(0.5)}, "value", "at_most", "1,000,000,000,000"},
			{"long comment", results.ValueInput{Indicator: "DM", Value: f(3), Comment: long(2001)}, "comment", "max_len", "2000"},
			{"long source reference", results.ValueInput{Indicator: "DM", Value: f(3), SourceRef: long(501)}, "source_ref", "max_len", "500"},
			{"long text", results.ValueInput{Indicator: "TXT", Text: long(2001)}, "text", "max_len", "2000"},
			{"next month", results.ValueInput{Indicator: "DM", Value: f(3), Period: next}, "period", "period_not_started", next + "-01"},
			{"a year ahead", results.ValueInput{Indicator: "DM", Value: f(3), Period: limitsMonth(12)[:4]}, "period", "period_not_started", limitsMonth(12)[:4] + "-01-01"},
		}
		for _, c := range cases {
			in := c.in
			in.UnitID = x.hf.ID
			if in.Period == "" {
				in.Period = "2011-03"
			}
			// Behind a good value, so the row is the second.
			batch := []results.ValueInput{{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-02", Value: f(7)}, in}
			for _, check := range []func(context.Context, access.Actor, []results.ValueInput) (int, error){s.SaveValues, s.CheckValues} {
				_, err := check(ctx, sys, batch)
				es, ok := valid.As(err)
				if !ok || len(es) != 1 || es[0] != (valid.FieldError{Row: 2, Field: c.field, Rule: c.rule, Param: c.param}) {
					t.Errorf("%s: got %v, want row 2 %s %s (%s)", c.name, err, c.field, c.rule, c.param)
				}
			}
		}
		if n := limitsCount(t, db, "data_values"); n != 0 {
			t.Fatalf("refused batches wrote %d values", n)
		}
		// Every row's problem in one answer.
		_, err := s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-03", Value: f(fortyNines)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-04", Value: f(-1)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: next, Value: f(1)},
		})
		if es, _ := valid.As(err); len(es) != 3 || es[0].Rule != "at_most" || es[1].Rule != "not_negative" || es[2].Rule != "period_not_started" || es[2].Row != 3 {
			t.Fatalf("three bad rows: %v", err)
		}
		// At the limits: the ceiling, a 2,000-character comment, a 500-character reference,
		// 100%, and the month under way.
		n := must(s.SaveValues(ctx, sys, []results.ValueInput{
			{Indicator: "DM", UnitID: x.hf.ID, Period: "2011-03", Value: f(1e12), Comment: long(2000), SourceRef: long(500)},
			{Indicator: "PCT", UnitID: x.hf.ID, Period: "2011-03", Numerator: f(1e12), Denominator: f(1e12)},
			{Indicator: "RAT", UnitID: x.hf.ID, Period: "2011-03", Numerator: f(30), Denominator: f(1)},
			{Indicator: "TXT", UnitID: x.hf.ID, Period: "2011-03", Text: long(2000)},
			{Indicator: "DM", UnitID: x.hf.ID, Period: limitsMonth(0), Value: f(4)},
		}))(t)
		if n != 5 || limitsCount(t, db, "data_values") != 5 {
			t.Fatalf("values at the limits: saved %d", n)
		}
	})
}

// TestLimitTargets holds targets to their indicator's type and the same ceiling, while a target
// for a period still to come is accepted.
func TestLimitTargets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		limitsIndicators(t, s)
		pct := must(s.IndicatorByCode(ctx, sys, "PCT"))(t)
		cases := []struct {
			name               string
			ind                results.Indicator
			value              float64
			note               string
			field, rule, param string
		}{
			{"forty nines", x.decision, fortyNines, "", "value", "at_most", "1,000,000,000,000"},
			{"fractional count", x.decision, 12.5, "", "value", "whole_number", ""},
			{"negative count", x.decision, -3, "", "value", "not_negative", ""},
			{"percentage above 100", pct, 150, "", "value", "percent_range", ""},
			{"long note", x.decision, 40, strings.Repeat("n", 2001), "note", "max_len", "2000"},
		}
		for _, c := range cases {
			err := s.SetTarget(ctx, sys, c.ind.ID, x.ah.ID, "LOP", c.value, c.note)
			es, ok := valid.As(err)
			if !ok || len(es) != 1 || es[0] != (valid.FieldError{Field: c.field, Rule: c.rule, Param: c.param}) {
				t.Errorf("%s: got %v, want %s %s (%s)", c.name, err, c.field, c.rule, c.param)
			}
		}
		if n := limitsCount(t, db, "targets"); n != 0 {
			t.Fatalf("refused targets wrote %d", n)
		}
		// Targets are set ahead: a year still to come is fine, and so is the ceiling itself.
		if err := s.SetTarget(ctx, sys, x.decision.ID, x.ah.ID, limitsMonth(24)[:4], 300, "next-but-one year"); err != nil {
			t.Fatalf("target for a future year: %v", err)
		}
		if err := s.SetTarget(ctx, sys, x.decision.ID, x.cn.ID, "LOP", 1e12, strings.Repeat("n", 2000)); err != nil {
			t.Fatalf("target at the ceiling: %v", err)
		}
		if err := s.SetTarget(ctx, sys, pct.ID, x.cn.ID, "LOP", 100, ""); err != nil {
			t.Fatalf("100%% target: %v", err)
		}
		if n := limitsCount(t, db, "targets"); n != 3 {
			t.Fatalf("targets stored: %d, want 3", n)
		}
	})
}
