package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"ting/internal/results"
)

// The validation rules the demonstration's frameworks ship with. Every disaggregated count the
// offices enter is a number of people split by a category set (sex, age band, level of
// institution) whose categories cover everyone once, so for each indicator and each of its sets:
//
//   - the parts add up to no more than the total (severity error: a breakdown larger than its
//     total, such as 5 decision makers of whom 9 women and 7 men, is refused where it is entered);
//   - the parts add up to the total (severity warning: a breakdown left incomplete is accepted,
//     and the entry form and the data-quality page say which).
//
// Missing values never break a rule (internal/results/expr): a total entered without a breakdown
// passes both. The rules are derived from the indicators, not written out one by one, so an
// indicator given a category set gets its rules with it. Computed indicators (formula, reach)
// take no values and so need none; other types (a percentage, yes/no) are not sums of parts.

// breakdownRules are the rules of framework fw over its indicators inds.
func breakdownRules(fw string, inds []results.IndicatorInput) ([]results.RuleInput, error) {
	var out []results.RuleInput
	for _, ind := range inds {
		if ind.Type != "count" || ind.Aggregation == "formula" || ind.Aggregation == "reach" {
			continue
		}
		for _, code := range ind.CategorySets {
			i := slices.IndexFunc(categorySets, func(s results.CategorySet) bool { return s.Code == code })
			if i < 0 {
				return nil, fmt.Errorf("indicator %s: no category set %s", ind.Code, code)
			}
			set := categorySets[i]
			parts := "sum(#{" + ind.Code + "|" + set.Code + ":*})"
			total := "#{" + ind.Code + "}"
			id := ind.Code + "-" + strings.ToUpper(set.Code)
			out = append(out,
				results.RuleInput{Code: id + "-MAX", FrameworkCode: fw, Severity: "error", Expression: parts + " <= " + total,
					NameZH: ind.NameZH + "：按" + set.NameZH + "分列之和不超过总数",
					NameEN: ind.NameEN + ": the breakdown by " + strings.ToLower(set.NameEN) + " adds up to no more than the total"},
				results.RuleInput{Code: id + "-SUM", FrameworkCode: fw, Severity: "warning", Expression: parts + " == " + total,
					NameZH: ind.NameZH + "：按" + set.NameZH + "分列之和等于总数",
					NameEN: ind.NameEN + ": the breakdown by " + strings.ToLower(set.NameEN) + " adds up to the total"})
		}
	}
	return out, nil
}

// rules saves the framework's rules that are missing; a rule already there (by code) is left as
// it is, even if someone has changed it since.
func (l *loader) rules(ctx context.Context, svc *results.Service, fw string, inds []results.IndicatorInput) error {
	want, err := breakdownRules(fw, inds)
	if err != nil {
		return err
	}
	have, err := svc.Rules(ctx, l.a, fw)
	if err != nil {
		return err
	}
	for _, r := range want {
		if slices.ContainsFunc(have, func(h results.Rule) bool { return h.Code == r.Code }) {
			continue
		}
		if _, err := svc.SaveRule(ctx, l.a, r); err != nil {
			return fmt.Errorf("rule %s: %w", r.Code, err)
		}
	}
	return nil
}
