package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/results/expr"
	"ting/internal/store"
	"ting/internal/valid"
)

// Severities of a validation rule: an error refuses the entry, a warning only reports.
var Severities = []string{"error", "warning"}

// Rule is a validation rule stored as data.
type Rule struct {
	ID            int64  `json:"id"`
	Code          string `json:"code"`
	FrameworkCode string `json:"framework_code"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	Expression    string `json:"expression"`
	Severity      string `json:"severity"`
	parsed        *expr.Expr
}

// Name returns the rule's name in lang.
func (r Rule) Name(lang string) string { return pickLang(lang, r.NameZH, r.NameEN) }

// RuleInput creates or replaces a rule (by code).
type RuleInput struct {
	Code          string `json:"code"`
	FrameworkCode string `json:"framework_code"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	Expression    string `json:"expression"`
	Severity      string `json:"severity"`
}

// SaveRule stores a rule after parsing it; a syntax error names the position and the problem.
// The expression is kept in canonical form.
func (s *Service) SaveRule(ctx context.Context, a access.Actor, in RuleInput) (Rule, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Rule{}, err
	}
	var es valid.Errors
	if es.Required("code", in.Code) && strings.ContainsAny(in.Code, " \t,;/|#{}") {
		es.Add("code", "code_chars")
	}
	es.Required("framework_code", in.FrameworkCode)
	es.Required("name_zh", in.NameZH)
	es.Required("name_en", in.NameEN)
	if in.Severity == "" {
		in.Severity = "error"
	}
	es.OneOf("severity", in.Severity, Severities)
	var parsed *expr.Expr
	if es.Required("expression", in.Expression) {
		var err error
		parsed, err = expr.ParseRule(in.Expression)
		var se *expr.SyntaxError
		if errors.As(err, &se) {
			// The position the user sees: the character (not byte) where the problem starts.
			pos := min(max(se.Pos, 0), len(in.Expression))
			es.Add("expression", ExpressionRule(se.Code), fmt.Sprint(utf8.RuneCountInString(in.Expression[:pos])+1))
		} else if err != nil {
			return Rule{}, err
		}
	}
	if es.Err() != nil {
		return Rule{}, es
	}
	for _, ref := range parsed.Refs() {
		if _, err := s.IndicatorByCode(ctx, a, ref.Indicator); err != nil {
			return Rule{}, valid.New("expression", "expression_indicator", ref.Indicator)
		}
	}
	// Rules belong to a framework the actor's area covers; a code is one rule, in one framework.
	f, err := s.Current(ctx, a, strings.TrimSpace(in.FrameworkCode))
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, valid.New("framework_code", "not_found")
	} else if err != nil {
		return Rule{}, err
	}
	if _, err := s.org.Unit(ctx, a, f.UnitID); errors.Is(err, store.ErrNotFound) {
		return Rule{}, valid.New("framework_code", "not_found")
	} else if err != nil {
		return Rule{}, err
	}
	var owner string
	if err := s.db.R.QueryRowContext(ctx, "SELECT framework_code FROM validation_rules WHERE code = $1", strings.TrimSpace(in.Code)).Scan(&owner); err == nil && owner != f.Code {
		return Rule{}, valid.New("code", "unique", strings.TrimSpace(in.Code))
	}
	r := Rule{Code: strings.TrimSpace(in.Code), FrameworkCode: strings.TrimSpace(in.FrameworkCode), NameZH: strings.TrimSpace(in.NameZH),
		NameEN: strings.TrimSpace(in.NameEN), Expression: parsed.String(), Severity: in.Severity, parsed: parsed}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		err := tx.QueryRowContext(ctx, `INSERT INTO validation_rules (code, framework_code, name_zh, name_en, expression, severity, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (code) DO UPDATE SET framework_code = excluded.framework_code, name_zh = excluded.name_zh,
			name_en = excluded.name_en, expression = excluded.expression, severity = excluded.severity, updated_at = excluded.updated_at RETURNING id`,
			r.Code, r.FrameworkCode, r.NameZH, r.NameEN, r.Expression, r.Severity, now).Scan(&r.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "save", "validation_rule", r.ID, 0, nil, in)
	})
	return r, err
}

// ExpressionRules are the validation rules a syntax error in an expression reports, one per
// error code of the expression language.
var ExpressionRules = []string{expr.CodeEmpty, expr.CodeTooLong, expr.CodeTooDeep, expr.CodeBadCharacter, expr.CodeBadNumber,
	expr.CodeBadReference, expr.CodeUnexpectedToken, expr.CodeUnexpectedEnd, expr.CodeUnclosedParen, expr.CodeUnknownFunction,
	expr.CodeUnknownName, expr.CodeWrongArguments, expr.CodeTypeMismatch, expr.CodeMisplacedWildcard, expr.CodeNotARule, expr.CodeNotAFormula}

// ExpressionRule names the validation rule for an expression syntax error code.
func ExpressionRule(code string) string { return "expression_" + code }

// Rules lists a framework's rules, parsed.
func (s *Service) Rules(ctx context.Context, a access.Actor, frameworkCode string) ([]Rule, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	return s.rules(ctx, frameworkCode)
}

func (s *Service) rules(ctx context.Context, frameworkCode string) ([]Rule, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, code, framework_code, name_zh, name_en, expression, severity FROM validation_rules
		WHERE framework_code = $1 ORDER BY code`, frameworkCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.Code, &r.FrameworkCode, &r.NameZH, &r.NameEN, &r.Expression, &r.Severity); err != nil {
			return nil, err
		}
		if r.parsed, err = expr.ParseRule(r.Expression); err != nil {
			return nil, fmt.Errorf("stored rule %s: %w", r.Code, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Violation is one failed rule for one unit and period, with both sides of the comparison.
type Violation struct {
	Rule     Rule    `json:"rule"`
	UnitID   int64   `json:"unit_id"`
	Period   string  `json:"period"`
	Op       string  `json:"op"`
	Left     float64 `json:"left"`
	Right    float64 `json:"right"`
	LeftText string  `json:"left_text"`
	RightTxt string  `json:"right_text"`
}

// valueSet holds the stored values of one unit in two periods (the period and the one before),
// keyed as the expression language names them.
type valueSet struct {
	cur, prev map[string]float64 // "CODE|combo" -> value
	sets      map[string][]string
}

func (v valueSet) Value(ref expr.Ref) (float64, bool) {
	m := v.cur
	if ref.Prev {
		m = v.prev
	}
	x, ok := m[ref.Indicator+"|"+ref.Combo]
	return x, ok
}

func (v valueSet) Expand(ref expr.Ref) []expr.Ref {
	var out []expr.Ref
	for _, c := range v.sets[ref.Wildcard] {
		out = append(out, ref.With(ref.Wildcard, c))
	}
	return out
}

// previous returns the period before p of the same kind.
func previous(p Period) (Period, bool) {
	start, err := time.Parse(time.DateOnly, p.Start)
	if err != nil || p.Kind == LifeOfProj {
		return Period{}, false
	}
	months := map[string]int{Month: 1, Quarter: 3, Tertile: 4, HalfYear: 6, Year: 12}[p.Kind]
	prevStart := start.AddDate(0, -months, 0)
	var key string
	m := int(prevStart.Month())
	switch p.Kind {
	case Month:
		key = prevStart.Format("2006-01")
	case Quarter:
		key = fmt.Sprintf("%dQ%d", prevStart.Year(), (m+2)/3)
	case Tertile:
		key = fmt.Sprintf("%dT%d", prevStart.Year(), (m+3)/4)
	case HalfYear:
		key = fmt.Sprintf("%dS%d", prevStart.Year(), (m+5)/6)
	case Year:
		key = fmt.Sprint(prevStart.Year())
	}
	q, err := ParsePeriod(key)
	return q, err == nil
}

// loadValueSet reads a unit's values for a period and the one before, with overlay (values
// about to be written) taking precedence.
func (s *Service) loadValueSet(ctx context.Context, q store.Queryer, unitID int64, p Period, overlay map[string]float64) (valueSet, error) {
	vs := valueSet{cur: map[string]float64{}, prev: map[string]float64{}, sets: map[string][]string{}}
	prev, hasPrev := previous(p)
	keys := []string{p.Key}
	if hasPrev {
		keys = append(keys, prev.Key)
	}
	for _, key := range keys {
		rows, err := q.QueryContext(ctx, `SELECT i.code, v.combo, v.value FROM data_values v JOIN indicators i ON i.id = v.indicator_id
			WHERE v.unit_id = $1 AND v.period = $2 AND v.legacy = FALSE AND v.value IS NOT NULL`, unitID, key)
		if err != nil {
			return vs, err
		}
		m := vs.cur
		if key != p.Key {
			m = vs.prev
		}
		for rows.Next() {
			var code, combo string
			var v float64
			if err := rows.Scan(&code, &combo, &v); err != nil {
				rows.Close()
				return vs, err
			}
			m[code+"|"+combo] = v
		}
		rows.Close()
	}
	for k, v := range overlay {
		vs.cur[k] = v
	}
	rows, err := q.QueryContext(ctx, `SELECT cs.code, c.code FROM categories c JOIN category_sets cs ON cs.id = c.set_id ORDER BY cs.code, c.position`)
	if err != nil {
		return vs, err
	}
	defer rows.Close()
	for rows.Next() {
		var set, cat string
		if err := rows.Scan(&set, &cat); err != nil {
			return vs, err
		}
		vs.sets[set] = append(vs.sets[set], cat)
	}
	return vs, rows.Err()
}

// check evaluates rules against a unit's values for a period and returns the failures.
func check(rules []Rule, vs valueSet, unitID int64, period string) []Violation {
	var out []Violation
	for _, r := range rules {
		res := r.parsed.Eval(vs)
		if res.Pass || res.Skipped {
			continue
		}
		out = append(out, Violation{Rule: r, UnitID: unitID, Period: period, Op: res.Op, Left: res.Left, Right: res.Right, LeftText: res.LeftText, RightTxt: res.RightText})
	}
	return out
}

// mentions reports whether rule r refers to any of the indicator codes.
func mentions(r Rule, codes []string) bool {
	for _, ref := range r.parsed.Refs() {
		if slices.Contains(codes, ref.Indicator) {
			return true
		}
	}
	return false
}

// rulesAt is a framework's rules for a check at unit, which a must be allowed to see.
func (s *Service) rulesAt(ctx context.Context, a access.Actor, frameworkCode string, unit org.Unit) ([]Rule, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	if !a.Sees(unit.Path) {
		return nil, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	return s.rules(ctx, frameworkCode)
}

// Broken checks every rule of a framework against the values stored at one unit (not below it)
// for one period key, as the entry form holds them: the rules of severity warning their values
// break, and any of severity error broken by values stored before the rule was.
func (s *Service) Broken(ctx context.Context, a access.Actor, frameworkCode string, unit org.Unit, p Period) ([]Violation, error) {
	rules, err := s.rulesAt(ctx, a, frameworkCode, unit)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	vs, err := s.loadValueSet(ctx, s.db.R, unit.ID, p, nil)
	if err != nil {
		return nil, err
	}
	return check(rules, vs, unit.ID, p.Key), nil
}

// Quality checks every rule of a framework against the values in a unit's subtree for the
// periods that end within p (those its figures count): the data-quality view. Warnings and errors both appear.
func (s *Service) Quality(ctx context.Context, a access.Actor, frameworkCode string, unit org.Unit, p Period) ([]Violation, error) {
	rules, err := s.rulesAt(ctx, a, frameworkCode, unit)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT v.unit_id, v.period FROM data_values v JOIN org_units u ON u.id = v.unit_id
		JOIN indicators i ON i.id = v.indicator_id
		WHERE i.framework_code = $1 AND u.path LIKE $2 AND `+endsIn("v", 3, 4)+` ORDER BY v.unit_id, v.period`,
		frameworkCode, unit.Path+"%", p.Start, p.End)
	if err != nil {
		return nil, err
	}
	type up struct {
		unit   int64
		period string
	}
	var pairs []up
	for rows.Next() {
		var x up
		if err := rows.Scan(&x.unit, &x.period); err != nil {
			rows.Close()
			return nil, err
		}
		pairs = append(pairs, x)
	}
	rows.Close()
	var out []Violation
	for _, x := range pairs {
		per, err := ParsePeriod(x.period)
		if err != nil {
			continue
		}
		vs, err := s.loadValueSet(ctx, s.db.R, x.unit, per, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, check(rules, vs, x.unit, x.period)...)
	}
	return out, nil
}
