package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"ting/internal/access"
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
	f := analytics.Filter{Types: ind.ReachTypes()}
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
	return Figure{Value: float64(n), Has: n > 0, People: n}, nil
}

// ReachTypes are the service types a reach indicator counts (its formula), none for any
// service; nil for an indicator of another aggregation.
func (ind Indicator) ReachTypes() []string {
	if ind.Aggregation != "reach" {
		return nil
	}
	var out []string
	for _, t := range strings.Split(ind.Formula, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// reachSpan is the first and the last day of service a reach indicator counts in a unit's
// subtree ("" when there is none), as ValueSpan gives a stored indicator's first and last period
// end: the range its trend covers. A unit that keeps reach bitmaps (analytics.MaxDepth) reads
// the months of its non-empty month rows, day 1 of each (a month's people count in the range that
// holds the month), and the services still pending a fold; a unit below reads its area's
// services, which are few.
func reachSpan(ctx context.Context, q store.Queryer, ind Indicator, unit org.Unit) (first, last string, err error) {
	types := ind.ReachTypes()
	typeIn := func(col string, args []any) (string, []any) {
		if len(types) == 0 {
			return "", args
		}
		ph := make([]string, len(types))
		for i, t := range types {
			args = append(args, t)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		return " AND " + col + " IN (" + strings.Join(ph, ",") + ")", args
	}
	widen := func(lo, hi sql.NullString) {
		if lo.Valid && len(lo.String) >= 7 && (first == "" || lo.String < first) {
			first = lo.String
		}
		if hi.Valid && len(hi.String) >= 7 && hi.String > last {
			last = hi.String
		}
	}
	// siteSpan widens the span by the days of the rows of table (services, or the services not
	// yet in the bitmaps) at sites in the unit's subtree.
	siteSpan := func(table string) error {
		var lo, hi sql.NullString
		cond, args := typeIn("t.type", []any{unit.Path + "%"})
		err := q.QueryRowContext(ctx, `SELECT MIN(t.served_on), MAX(t.served_on) FROM `+table+` t JOIN org_units u ON u.id = t.site_id
			WHERE u.path LIKE $1`+cond, args...).Scan(&lo, &hi)
		if err != nil {
			return fmt.Errorf("%s span of %s: %w", table, ind.Code, err)
		}
		widen(lo, hi)
		return nil
	}
	if strings.Count(unit.Path, "/")-1 > analytics.MaxDepth {
		if err := siteSpan("services"); err != nil {
			return "", "", err
		}
		return first, last, nil
	}
	var lo, hi sql.NullString
	stored := []string{""} // the rows of any type
	if len(types) > 0 {
		stored = types
	}
	args := []any{unit.ID}
	ph := make([]string, len(stored))
	for i, t := range stored {
		args = append(args, t)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	err = q.QueryRowContext(ctx, `SELECT MIN(period), MAX(period) FROM reach_bitmaps
		WHERE unit_id = $1 AND LENGTH(period) = 7 AND people > 0 AND service_type IN (`+strings.Join(ph, ",")+`)`, args...).Scan(&lo, &hi)
	if err != nil {
		return "", "", fmt.Errorf("reach span of %s: %w", ind.Code, err)
	}
	if lo.Valid {
		lo.String += "-01"
	}
	if hi.Valid {
		hi.String += "-01"
	}
	widen(lo, hi)
	if err := siteSpan("reach_pending"); err != nil {
		return "", "", err
	}
	return first, last, nil
}

// ReachMonths are the months ("2011-01", "2011-12") over which the beneficiary records count the
// people a reach indicator's figure for a unit and period counts: the period's, or for the life
// of the project the months from the unit's first service to its last (none: ok false). The
// reach page asked for these months, the unit and the indicator's service types shows the same
// figure, broken down.
func (s *Service) ReachMonths(ctx context.Context, a access.Actor, ind Indicator, unit org.Unit, p Period) (from, to string, ok bool, err error) {
	if err := a.Require(access.ViewResults); err != nil {
		return "", "", false, err
	}
	if !a.Sees(unit.Path) {
		return "", "", false, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	if p.Kind != LifeOfProj {
		span := analytics.SpanOf(p.Start, p.End)
		return span.From, span.To, true, nil
	}
	first, last, err := reachSpan(ctx, s.db.R, ind, unit)
	if err != nil || first == "" {
		return "", "", false, err
	}
	return first[:7], last[:7], true, nil
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
