package results

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"slices"
	"strings"

	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/store"
)

// An indicator aggregated by "reach" counts distinct people served, from the beneficiary cards'
// services (internal/analytics): nobody types its values in. Its formula, if any, lists the
// service types that count ("life_skills,counselling"); empty counts any service.
var reachTypes = regexp.MustCompile(`^([a-z_]+(\s*,\s*[a-z_]+)*)?$`)

// Computed reports whether an indicator's figures are computed rather than entered.
func (ind Indicator) Computed() bool {
	return ind.Aggregation == "formula" || ind.Aggregation == "reach"
}

// reachFigure is a reach indicator's figure for a unit's subtree over a period, in one
// disaggregation (combo "age:12-15,sex:female"). The category sets sex, age, target_group and
// ethnicity map onto the cards' attributes (an ethnicity category counts the cards that record
// its code or either of its names), service_type onto the services' types (a type the
// indicator does not count has no figure); any other set has no figure.
func reachFigure(ctx context.Context, q store.Queryer, ind Indicator, unit org.Unit, p Period, combo string) (Figure, error) {
	var f analytics.Filter
	for _, t := range strings.Split(ind.Formula, ",") {
		if t = strings.TrimSpace(t); t != "" {
			f.Types = append(f.Types, t)
		}
	}
	if combo != "" {
		norm, err := NormaliseCombo(combo)
		if err != nil {
			return Figure{}, nil
		}
		for _, part := range strings.Split(norm, ",") {
			set, cat, _ := strings.Cut(part, ":")
			switch set {
			case "sex":
				f.Sex = map[string]string{"female": "F", "male": "M"}[cat]
				if f.Sex == "" {
					return Figure{}, nil
				}
			case "age":
				lo, hi, ok := analytics.ParseAgeBand(cat)
				if !ok {
					return Figure{}, nil
				}
				f.Aged, f.AgeMin, f.AgeMax = true, lo, hi
			case "target_group":
				f.Groups = []string{cat}
			case "ethnicity":
				names, err := ethnicityNames(ctx, q, cat)
				if err != nil {
					return Figure{}, err
				}
				f.Ethnicities = names
			case "service_type":
				if len(f.Types) > 0 && !slices.Contains(f.Types, cat) {
					return Figure{}, nil
				}
				f.Types = []string{cat}
			default:
				return Figure{}, nil
			}
		}
	}
	n, err := analytics.Count(ctx, q, analytics.Unit{ID: unit.ID, Path: unit.Path}, analytics.SpanOf(p.Start, p.End), f)
	if err != nil {
		return Figure{}, err
	}
	return Figure{Value: float64(n), Has: n > 0, Values: int(n)}, nil
}

// ethnicityNames are the ways a card may record an ethnicity category: its code and its names.
func ethnicityNames(ctx context.Context, q store.Queryer, code string) ([]string, error) {
	var zh, en string
	err := q.QueryRowContext(ctx, `SELECT c.name_zh, c.name_en FROM categories c JOIN category_sets s ON s.id = c.set_id
		WHERE s.code = 'ethnicity' AND c.code = $1`, code).Scan(&zh, &en)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{code}, nil
	}
	if err != nil {
		return nil, err
	}
	names := []string{code}
	for _, n := range []string{zh, en} {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}
