package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/results/expr"
	"ting/internal/store"
	"ting/internal/valid"
)

// Category is one option of a category set (a disaggregation such as sex or age band).
type Category struct {
	Code     string `json:"code"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	Retired  bool   `json:"retired,omitempty"`
	Position int    `json:"position"`
}

// Name is the category's name in lang.
func (c Category) Name(lang string) string {
	if lang == "en" {
		return c.NameEN
	}
	return c.NameZH
}

// CategorySet is a disaggregation: sex; age band; target group; ethnicity.
type CategorySet struct {
	ID         int64      `json:"id"`
	Code       string     `json:"code"`
	NameZH     string     `json:"name_zh"`
	NameEN     string     `json:"name_en"`
	Categories []Category `json:"categories"`
}

// SaveCategorySet creates a category set or adds categories to it. Categories are never
// deleted (values refer to them); drop one from use by retiring it. Disaggregations are shared by
// the whole network, so only national users change them.
func (s *Service) SaveCategorySet(ctx context.Context, a access.Actor, set CategorySet) (CategorySet, error) {
	if err := a.Require(access.EditResults); err != nil {
		return CategorySet{}, err
	}
	if strings.Count(a.UnitPath, "/") > 2 { // below the national unit ("/1/")
		return CategorySet{}, access.ErrForbidden
	}
	var es valid.Errors
	if es.Required("code", set.Code) && strings.ContainsAny(set.Code, " \t,;:/|#{}") {
		es.Add("code", "code_chars")
	}
	es.Required("name_zh", set.NameZH)
	es.Required("name_en", set.NameEN)
	for _, c := range set.Categories {
		if strings.TrimSpace(c.Code) == "" || strings.ContainsAny(c.Code, " \t,;:/|#{}") {
			es.Add("categories", "code_chars")
			break
		}
	}
	if es.Err() != nil {
		return CategorySet{}, es
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT id FROM category_sets WHERE code = $1", set.Code).Scan(&set.ID)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, "INSERT INTO category_sets (code, name_zh, name_en) VALUES ($1, $2, $3) RETURNING id", set.Code, set.NameZH, set.NameEN).Scan(&set.ID)
		} else if err == nil {
			_, err = tx.ExecContext(ctx, "UPDATE category_sets SET name_zh = $1, name_en = $2 WHERE id = $3", set.NameZH, set.NameEN, set.ID)
		}
		if err != nil {
			return err
		}
		for i, c := range set.Categories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO categories (set_id, code, name_zh, name_en, position, retired) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (set_id, code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, position = excluded.position, retired = excluded.retired`,
				set.ID, c.Code, c.NameZH, c.NameEN, i, c.Retired); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "save", "category_set", set.ID, 0, nil, set)
	})
	if err != nil {
		return CategorySet{}, err
	}
	return s.CategorySet(ctx, set.Code)
}

// Category returns one category of a set by its code; ErrNotFound when either is unknown.
func (s *Service) Category(ctx context.Context, setCode, code string) (Category, error) {
	var c Category
	err := s.db.R.QueryRowContext(ctx, `SELECT k.code, k.name_zh, k.name_en, k.retired, k.position FROM categories k JOIN category_sets cs ON cs.id = k.set_id
		WHERE cs.code = $1 AND k.code = $2`, setCode, code).Scan(&c.Code, &c.NameZH, &c.NameEN, &c.Retired, &c.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("category %s/%s: %w", setCode, code, store.ErrNotFound)
	}
	return c, err
}

// CategorySet returns a set with its categories in order.
func (s *Service) CategorySet(ctx context.Context, code string) (CategorySet, error) {
	var set CategorySet
	err := s.db.R.QueryRowContext(ctx, "SELECT id, code, name_zh, name_en FROM category_sets WHERE code = $1", code).Scan(&set.ID, &set.Code, &set.NameZH, &set.NameEN)
	if errors.Is(err, sql.ErrNoRows) {
		return set, fmt.Errorf("category set %q: %w", code, store.ErrNotFound)
	}
	if err != nil {
		return set, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT code, name_zh, name_en, retired, position FROM categories WHERE set_id = $1 ORDER BY position, code", set.ID)
	if err != nil {
		return set, err
	}
	defer rows.Close()
	set.Categories = []Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.Code, &c.NameZH, &c.NameEN, &c.Retired, &c.Position); err != nil {
			return set, err
		}
		set.Categories = append(set.Categories, c)
	}
	return set, rows.Err()
}

// SetTarget records the target for an indicator at a unit for a period (a period key or LOP).
// The figure obeys the indicator's type as a value does (CheckFigure); a target may be for a
// period that has not started, as targets are set ahead.
func (s *Service) SetTarget(ctx context.Context, a access.Actor, indicatorID, unitID int64, period string, value float64, note string) error {
	if err := a.Require(access.EditResults); err != nil {
		return err
	}
	ind, err := s.Indicator(ctx, a, indicatorID)
	if err != nil {
		return err
	}
	var es valid.Errors
	p, err := ParsePeriod(period)
	if err != nil {
		es.Add("period", "period")
	}
	if rule, param := CheckFigure(ind, value); rule != "" {
		es = append(es, valid.FieldError{Field: "value", Rule: rule, Param: param})
	}
	es.MaxLen("note", note, MaxComment)
	if es.Err() != nil {
		return es
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.org.Unit(ctx, a, unitID); errors.Is(err, store.ErrNotFound) {
			return valid.New("unit_id", "not_found")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO targets (indicator_id, unit_id, period, value, note) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (indicator_id, unit_id, period) DO UPDATE SET value = excluded.value, note = excluded.note`, indicatorID, unitID, p.Key, value, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "set", "target", indicatorID, unitID, nil, map[string]any{"period": p.Key, "value": value, "note": note})
	})
}

// Limits on what one value, or one target, may say.
const (
	// MaxFigure is the largest count, ratio, numerator, denominator or target accepted:
	// 10^12. Nothing the network measures comes near it (China has some 1.4×10^9 people; a
	// trillion yuan is far beyond any programme's money), so a larger figure is a slip (a key
	// held down, an identifier pasted into the wrong box), not data. It is exact in float64
	// (below 2^53 ≈ 9×10^15), so sums of thousands of such values stay exact and the progress
	// tables never show the noise digits of a float beyond that range.
	MaxFigure = 1e12
	// MaxComment is the longest comment on a value (and note on a target), in characters: a
	// paragraph or two, as much as a reader of the drill-down will read.
	MaxComment = 2000
	// MaxText is the longest answer of a text indicator (a milestone said in words).
	MaxText = 2000
	// MaxSourceRef is the longest source reference, in characters. A typed one names a report
	// or a file (the entry form's box holds as much); an approved report's values cite every
	// report summed into them ("AP-JS-01/R2 + AP-JS-02/R1 + …"), which leaves room for some
	// thirty reports in one figure.
	MaxSourceRef = 500
)

// maxFigureText is MaxFigure as the messages say it.
const maxFigureText = "1,000,000,000,000"

// CheckFigure applies an indicator type's rules to one figure standing for the indicator (a
// value, a target, a report's value) and returns the rule broken, if any, with its parameter:
// never negative and at most MaxFigure; a count whole; a percentage 0-100 (the model has no
// indicator allowing more: a percentage is a share); yes/no 1 or 0.
func CheckFigure(ind Indicator, v float64) (rule, param string) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "number", ""
	case ind.Type == "percent" && (v < 0 || v > 100):
		return "percent_range", ""
	case ind.Type == "yesno" && v != 0 && v != 1:
		return "yes_no", ""
	case v < 0:
		return "not_negative", ""
	case ind.Type == "count" && v != math.Trunc(v):
		return "whole_number", ""
	case v > MaxFigure:
		return "at_most", maxFigureText
	}
	return "", ""
}

// ValueInput is one value to store.
type ValueInput struct {
	Indicator   string   `json:"indicator"` // indicator code
	UnitID      int64    `json:"unit_id"`
	Period      string   `json:"period"`
	Combo       string   `json:"combo"`
	Value       *float64 `json:"value"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	Text        string   `json:"text"`
	Comment     string   `json:"comment"`
	Source      string   `json:"source"`     // entry, report, import, dhis2
	SourceRef   string   `json:"source_ref"` // the report or file it came from
}

// Sources of a value.
var Sources = []string{"entry", "report", "import", "dhis2"}

// CheckValue applies the indicator's type rules to one value and returns it with the stored
// figure computed (percent and ratio from numerator and denominator). Figures obey CheckFigure;
// a rate's parts are not negative and at most MaxFigure, and a percentage's numerator (a share
// of its denominator) not above the denominator. Comment, text and source reference have their
// maximum lengths.
func CheckValue(ind Indicator, in ValueInput) (ValueInput, valid.Errors) {
	var es valid.Errors
	if ind.Computed() {
		es.Add("value", "computed_indicator")
		return in, es
	}
	finite := func(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }
	figure := func(field string, v float64) {
		if rule, param := CheckFigure(ind, v); rule != "" {
			es = append(es, valid.FieldError{Field: field, Rule: rule, Param: param})
		}
	}
	part := func(field string, v float64) bool {
		switch {
		case v < 0:
			es.Add(field, "not_negative")
		case v > MaxFigure:
			es = append(es, valid.FieldError{Field: field, Rule: "at_most", Param: maxFigureText})
		default:
			return true
		}
		return false
	}
	switch ind.Type {
	case "count":
		if !finite(in.Value) {
			es.Add("value", "required")
		} else {
			figure("value", *in.Value)
		}
	case "percent", "ratio":
		if finite(in.Numerator) || finite(in.Denominator) {
			switch {
			case !finite(in.Numerator):
				es.Add("numerator", "required")
			case !finite(in.Denominator):
				es.Add("denominator", "required")
			case *in.Denominator <= 0:
				es.Add("denominator", "positive")
			case !part("numerator", *in.Numerator), !part("denominator", *in.Denominator):
				// part has said what is wrong.
			case ind.Type == "percent" && *in.Numerator > *in.Denominator:
				es.Add("numerator", "not_above", "denominator")
			default:
				v := *in.Numerator / *in.Denominator
				if ind.Type == "percent" {
					v *= 100
				}
				v = round(v)
				if ind.Type == "ratio" && v > MaxFigure {
					es = append(es, valid.FieldError{Field: "value", Rule: "at_most", Param: maxFigureText})
					break
				}
				in.Value = &v
			}
		} else if !finite(in.Value) {
			es.Add("value", "required")
		} else {
			figure("value", *in.Value)
		}
	case "yesno":
		if !finite(in.Value) || (*in.Value != 0 && *in.Value != 1) {
			es.Add("value", "yes_no")
		}
	case "text":
		if strings.TrimSpace(in.Text) == "" {
			es.Add("text", "required")
		}
		es.MaxLen("text", in.Text, MaxText)
		in.Value = nil
	}
	es.MaxLen("comment", in.Comment, MaxComment)
	es.MaxLen("source_ref", in.SourceRef, MaxSourceRef)
	return in, es
}

// SaveValues stores values all-or-nothing: every value is checked first (type rules, the
// combination against the indicator's categories, the unit in scope); any failure is reported
// with its row (1-based position in the list) and nothing is written.
func (s *Service) SaveValues(ctx context.Context, a access.Actor, inputs []ValueInput) (int, error) {
	return s.saveValues(ctx, a, inputs, false, nil)
}

// CheckValues runs every check SaveValues runs, writes nothing, and reports what would fail.
func (s *Service) CheckValues(ctx context.Context, a access.Actor, inputs []ValueInput) (int, error) {
	return s.saveValues(ctx, a, inputs, true, nil)
}

func (s *Service) saveValues(ctx context.Context, a access.Actor, inputs []ValueInput, dryRun bool, inTx *sql.Tx) (int, error) {
	if err := a.Require(access.EnterValues); err != nil {
		return 0, err
	}
	var es valid.Errors
	rowErr := func(row int, field, rule string, param ...string) {
		e := valid.FieldError{Row: row, Field: field, Rule: rule}
		if len(param) > 0 {
			e.Param = param[0]
		}
		es = append(es, e)
	}
	inds := map[string]Indicator{}
	fws := map[string]int64{}
	units := map[int64]*org.Unit{}
	cats, err := s.categoryStates(ctx)
	if err != nil {
		return 0, err
	}
	locks, err := s.locks(ctx, s.db.R)
	if err != nil {
		return 0, err
	}
	var ready []pendingValue
	for i, in := range inputs {
		row := i + 1
		ind, ok := inds[in.Indicator]
		if !ok {
			var err error
			ind, err = s.IndicatorByCode(ctx, a, in.Indicator)
			if errors.Is(err, store.ErrNotFound) {
				rowErr(row, "indicator", "not_found")
				continue
			}
			if err != nil {
				return 0, err
			}
			inds[in.Indicator] = ind
			f, err := s.Current(ctx, a, ind.FrameworkCode)
			if err != nil {
				return 0, err
			}
			fws[in.Indicator] = f.ID
		}
		p, err := ParsePeriod(in.Period)
		if err != nil || p.Kind == LifeOfProj {
			rowErr(row, "period", "period")
			continue
		}
		// A value reports what happened: a period that has not begun has none yet. (Targets,
		// set ahead, are not values.)
		if today := s.today(); p.Start > today {
			rowErr(row, "period", "period_not_started", p.Start)
			continue
		}
		unit, seen := units[in.UnitID]
		if !seen {
			u, err := s.org.Unit(ctx, a, in.UnitID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return 0, err
			}
			if err == nil {
				unit = &u
			}
			units[in.UnitID] = unit
		}
		if unit == nil {
			rowErr(row, "unit_id", "not_found")
			continue
		}
		if l, ok := locks.covering(unit.Path, p); ok {
			rowErr(row, "period", "period_locked", l)
			continue
		}
		combo, err := NormaliseCombo(in.Combo)
		if err != nil {
			rowErr(row, "combo", "combo")
			continue
		}
		if combo != "" {
			if rule, param := checkCombo(cats, ind, combo); rule != "" {
				rowErr(row, "combo", rule, param)
				continue
			}
		}
		in.Combo = combo
		if in.Source == "" {
			in.Source = "entry"
		}
		if !slices.Contains(Sources, in.Source) {
			rowErr(row, "source", "one_of", strings.Join(Sources, ", "))
			continue
		}
		checked, ves := CheckValue(ind, in)
		for _, e := range ves {
			rowErr(row, e.Field, e.Rule, e.Param)
		}
		if len(ves) == 0 {
			ready = append(ready, pendingValue{in: checked, ind: ind, period: p, fwID: fws[in.Indicator], path: unit.Path, row: row})
		}
	}
	// A value whose period overlaps another stored for the same indicator, unit and
	// combination under another key (May 2011 and May-August 2011) would be counted twice.
	// Checked again where the values are written (commitValues).
	var q store.Queryer = s.db.R
	if inTx != nil {
		q = inTx
	}
	over, err := overlaps(ctx, q, ready)
	if err != nil {
		return 0, err
	}
	if len(over) > 0 {
		es = append(es, over...)
		slices.SortStableFunc(es, func(x, y valid.FieldError) int { return x.Row - y.Row })
	}
	if es.Err() != nil {
		return 0, es
	}
	// Rules of severity error that mention an indicator of the batch are checked for every
	// unit and period the batch touches, with the batch's values laid over the stored ones.
	type slot struct {
		unit   int64
		period string
		fw     string
	}
	overlay := map[slot]map[string]float64{}
	firstRow := map[slot]int{}
	codes := map[string][]string{}
	for i, r := range ready {
		k := slot{r.in.UnitID, r.period.Key, r.ind.FrameworkCode}
		if overlay[k] == nil {
			overlay[k] = map[string]float64{}
			firstRow[k] = i + 1
		}
		if r.in.Value != nil {
			overlay[k][r.ind.Code+"|"+r.in.Combo] = *r.in.Value
		}
		if !slices.Contains(codes[r.ind.FrameworkCode], r.ind.Code) {
			codes[r.ind.FrameworkCode] = append(codes[r.ind.FrameworkCode], r.ind.Code)
		}
	}
	rulesOf := map[string][]Rule{}
	for fw, cs := range codes {
		all, err := s.rules(ctx, fw)
		if err != nil {
			return 0, err
		}
		for _, r := range all {
			if r.Severity == "error" && mentions(r, cs) {
				rulesOf[fw] = append(rulesOf[fw], r)
			}
		}
	}
	for k, over := range overlay {
		if len(rulesOf[k.fw]) == 0 {
			continue
		}
		p, _ := ParsePeriod(k.period)
		vs, err := s.loadValueSet(ctx, s.db.R, k.unit, p, over)
		if err != nil {
			return 0, err
		}
		for _, v := range check(rulesOf[k.fw], vs, k.unit, k.period) {
			rowErr(firstRow[k], "value", "validation_rule", fmt.Sprintf("%s: %s %s %s (%g %s %g)", v.Rule.Code, v.LeftText, v.Op, v.RightTxt, v.Left, v.Op, v.Right))
		}
	}
	if es.Err() != nil {
		return 0, es
	}
	if dryRun {
		return len(ready), nil
	}
	ready = lastOfEach(ready)
	if inTx != nil {
		return len(ready), s.commitValues(ctx, inTx, a, ready)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.commitValues(ctx, tx, a, ready) })
	if err != nil {
		return 0, err
	}
	return len(ready), nil
}

// SaveValuesTx is SaveValues inside the caller's transaction, for writes that must land with
// another (a report's approval writes its values).
func (s *Service) SaveValuesTx(ctx context.Context, tx *sql.Tx, a access.Actor, inputs []ValueInput) (int, error) {
	return s.saveValues(ctx, a, inputs, false, tx)
}

func (s *Service) commitValues(ctx context.Context, tx *sql.Tx, a access.Actor, ready []pendingValue) error {
	// A lock set since the checks still holds.
	locks, err := s.locks(ctx, tx)
	if err != nil {
		return err
	}
	for _, r := range ready {
		if l, ok := locks.covering(r.path, r.period); ok {
			return valid.New("period", "period_locked", l)
		}
	}
	// So does a value stored since the checks whose period overlaps one of these. SQLite's
	// write transactions take the database at BEGIN; on PostgreSQL two transactions could each
	// miss the other's value, so writers of an indicator's values take turns (in the order of
	// the indicators' ids, so that no two wait on each other).
	if s.db.Dialect == store.Postgres {
		var ids []int64
		for _, r := range ready {
			if !slices.Contains(ids, r.ind.ID) {
				ids = append(ids, r.ind.ID)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", overlapLockSpace|id); err != nil {
				return err
			}
		}
	}
	if es, err := overlaps(ctx, tx, ready); err != nil {
		return err
	} else if len(es) > 0 {
		return es
	}
	if err := writeValues(ctx, tx, a, ready); err != nil {
		return err
	}
	return audit.Record(ctx, tx, a, "save", "data_values", int64(len(ready)), a.UnitID, nil, map[string]any{"count": len(ready)})
}

// pendingValue is a checked value about to be written.
type pendingValue struct {
	in     ValueInput
	ind    Indicator
	period Period
	fwID   int64
	path   string // the unit's path, for the rollups
	row    int    // its 1-based position in the batch, for messages
}

// overlapLockSpace sets the advisory lock keys that writers of an indicator's values hold on
// PostgreSQL (this high word, the indicator's id in the low) apart from any other use of them.
const overlapLockSpace = int64(0x54696e67) << 32 // "Ting"

// overlaps refuses the values whose period overlaps, under another key, the period of a value
// of the same indicator, unit and combination: one stored (not legacy: those count nowhere) or
// one earlier in the batch. A sum, an average or a rate takes every value whose period ends in
// the range asked, so May 2011 and May-August 2011 side by side would count May's people twice.
// The same key again is an update. Indicators whose figure takes one value per unit (latest,
// yes/no, text: the period ending last, see actualRaw) are left alone: overlapping periods are
// how their running figures are kept, and none is counted twice. Each refusal names, as its
// parameter, the period it overlaps.
func overlaps(ctx context.Context, q store.Queryer, vs []pendingValue) (valid.Errors, error) {
	type group struct {
		ind, unit int64
		combo     string
	}
	type span struct {
		key, start, end string
		row             int // 0: stored
	}
	spans := map[group][]span{}
	var groups []group
	from, to := "", ""
	for _, v := range vs {
		if !fromRollups(v.ind) {
			continue
		}
		g := group{v.ind.ID, v.in.UnitID, v.in.Combo}
		if _, ok := spans[g]; !ok {
			spans[g] = nil
			groups = append(groups, g)
		}
		spans[g] = append(spans[g], span{v.period.Key, v.period.Start, v.period.End, v.row})
		if from == "" || v.period.Start < from {
			from = v.period.Start
		}
		if v.period.End > to {
			to = v.period.End
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	stored := map[group][]span{}
	const chunk = 200
	for i := 0; i < len(groups); i += chunk {
		part := groups[i:min(i+chunk, len(groups))]
		var b strings.Builder
		b.WriteString(`SELECT indicator_id, unit_id, combo, period, period_start, period_end FROM data_values
			WHERE legacy = FALSE AND period_start <= $1 AND period_end >= $2 AND (indicator_id, unit_id, combo) IN (`)
		args := make([]any, 0, 2+len(part)*3)
		args = append(args, to, from)
		for j, g := range part {
			if j > 0 {
				b.WriteByte(',')
			}
			placeholders(&b, 2+j*3, 3)
			args = append(args, g.ind, g.unit, g.combo)
		}
		b.WriteByte(')')
		rows, err := q.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var g group
			var sp span
			if err := rows.Scan(&g.ind, &g.unit, &g.combo, &sp.key, &sp.start, &sp.end); err != nil {
				rows.Close()
				return nil, err
			}
			stored[g] = append(stored[g], sp)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var es valid.Errors
	for _, g := range groups {
		for _, v := range spans[g] {
			crosses := func(o span) bool { return o.key != v.key && o.start <= v.end && o.end >= v.start }
			if i := slices.IndexFunc(stored[g], crosses); i >= 0 {
				es = append(es, valid.FieldError{Row: v.row, Field: "period", Rule: "period_overlaps", Param: stored[g][i].key})
				continue
			}
			if i := slices.IndexFunc(spans[g], func(o span) bool { return o.row < v.row && crosses(o) }); i >= 0 {
				es = append(es, valid.FieldError{Row: v.row, Field: "period", Rule: "period_overlaps", Param: spans[g][i].key})
			}
		}
	}
	slices.SortStableFunc(es, func(x, y valid.FieldError) int { return x.Row - y.Row })
	return es, nil
}

type valueKey struct {
	ind    int64
	unit   int64
	period string
	combo  string
}

func (v pendingValue) key() valueKey {
	return valueKey{v.ind.ID, v.in.UnitID, v.period.Key, v.in.Combo}
}

// lastOfEach keeps the last of values written twice in one batch, as writing them in turn would.
func lastOfEach(vs []pendingValue) []pendingValue {
	last := map[valueKey]int{}
	for i, v := range vs {
		last[v.key()] = i
	}
	if len(last) == len(vs) {
		return vs
	}
	out := make([]pendingValue, 0, len(last))
	for i, v := range vs {
		if last[v.key()] == i {
			out = append(out, v)
		}
	}
	return out
}

// writeValues upserts values in statements of many rows and keeps the rollups exact: what a
// replaced value contributed leaves them, what the new one contributes joins them.
func writeValues(ctx context.Context, tx *sql.Tx, a access.Actor, vs []pendingValue) error {
	old, err := storedAggs(ctx, tx, vs)
	if err != nil {
		return err
	}
	d := rollDeltas{}
	now := store.Now()
	const cols = 16
	const chunk = 100 // see rollDeltas.apply on the number of parameters
	for i := 0; i < len(vs); i += chunk {
		part := vs[i:min(i+chunk, len(vs))]
		var b strings.Builder
		b.WriteString(`INSERT INTO data_values (indicator_id, unit_id, period, period_start, period_end, combo, value, numerator, denominator,
			text_value, comment, source, source_ref, framework_id, entered_by, entered_at) VALUES `)
		args := make([]any, 0, len(part)*cols)
		for j, r := range part {
			if j > 0 {
				b.WriteByte(',')
			}
			placeholders(&b, j*cols, cols)
			args = append(args, r.ind.ID, r.in.UnitID, r.period.Key, r.period.Start, r.period.End, r.in.Combo, r.in.Value, r.in.Numerator, r.in.Denominator,
				r.in.Text, r.in.Comment, r.in.Source, r.in.SourceRef, r.fwID, a.PublicID, now)
			if g, ok := old[r.key()]; ok {
				d.add(r.path, r.ind.ID, r.in.Combo, r.period, g, -1)
			}
			d.add(r.path, r.ind.ID, r.in.Combo, r.period, aggOf(r.in.Value, r.in.Numerator, r.in.Denominator), 1)
		}
		b.WriteString(` ON CONFLICT (indicator_id, unit_id, period, combo) DO UPDATE SET value = excluded.value, numerator = excluded.numerator,
			denominator = excluded.denominator, text_value = excluded.text_value, comment = excluded.comment, source = excluded.source,
			source_ref = excluded.source_ref, framework_id = excluded.framework_id, legacy = FALSE, entered_by = excluded.entered_by, entered_at = excluded.entered_at`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("save values: %w", err)
		}
	}
	return d.apply(ctx, tx)
}

// placeholders writes ($from+1, …, $from+n).
func placeholders(b *strings.Builder, from, n int) {
	b.WriteByte('(')
	for c := range n {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "$%d", from+c+1)
	}
	b.WriteByte(')')
}

// storedAggs reads what the values about to be replaced contribute to the rollups (legacy
// values contribute nothing).
func storedAggs(ctx context.Context, tx *sql.Tx, vs []pendingValue) (map[valueKey]agg, error) {
	out := map[valueKey]agg{}
	const chunk = 200
	for i := 0; i < len(vs); i += chunk {
		part := vs[i:min(i+chunk, len(vs))]
		var b strings.Builder
		b.WriteString(`SELECT indicator_id, unit_id, period, combo, value, numerator, denominator FROM data_values
			WHERE legacy = FALSE AND (indicator_id, unit_id, period, combo) IN (`)
		args := make([]any, 0, len(part)*4)
		for j, r := range part {
			if j > 0 {
				b.WriteByte(',')
			}
			placeholders(&b, j*4, 4)
			args = append(args, r.ind.ID, r.in.UnitID, r.period.Key, r.in.Combo)
		}
		b.WriteByte(')')
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k valueKey
			var v, n, d sql.NullFloat64
			if err := rows.Scan(&k.ind, &k.unit, &k.period, &k.combo, &v, &n, &d); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = aggOf(nullable(v), nullable(n), nullable(d))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func nullable(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// categoryStates maps "set:category" to whether the category is retired.
func (s *Service) categoryStates(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT cs.code, c.code, c.retired FROM categories c JOIN category_sets cs ON cs.id = c.set_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var set, cat string
		var retired bool
		if err := rows.Scan(&set, &cat, &retired); err != nil {
			return nil, err
		}
		out[set+":"+cat] = retired
	}
	return out, rows.Err()
}

// checkCombo checks a normalised combination against the indicator's category sets.
func checkCombo(cats map[string]bool, ind Indicator, combo string) (rule, param string) {
	for _, part := range strings.Split(combo, ",") {
		set, _, _ := strings.Cut(part, ":")
		if !slices.Contains(ind.CategorySets, set) {
			return "combo_set", set
		}
		retired, ok := cats[part]
		if !ok {
			return "combo_category", part
		}
		if retired {
			return "combo_retired", part
		}
	}
	return "", ""
}

// Value is one stored value with its provenance, as drill-down shows it.
type Value struct {
	ID        int64     `json:"id"`
	Indicator string    `json:"indicator"`
	UnitID    int64     `json:"unit_id"`
	UnitCode  string    `json:"unit_code"`
	UnitName  string    `json:"unit_name"`
	Period    string    `json:"period"`
	Combo     string    `json:"combo"`
	Value     *float64  `json:"value"`
	Text      string    `json:"text,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	Source    string    `json:"source"`
	SourceRef string    `json:"source_ref,omitempty"`
	Legacy    bool      `json:"legacy,omitempty"`
	EnteredBy string    `json:"entered_by"`
	EnteredAt time.Time `json:"entered_at"`
}

// Values lists the stored values of an indicator in a unit's subtree (own: at the unit itself
// only) whose periods end within a period (as figures count them), every combination, with
// their provenance: the records behind a figure.
func (s *Service) Values(ctx context.Context, a access.Actor, indicatorID int64, unit org.Unit, p Period, lang string, own bool) ([]Value, error) {
	vals, _, err := s.ValuesPage(ctx, a, indicatorID, unit, p, lang, own, 0, 0)
	return vals, err
}

// ValuesPage is Values a page at a time (limit 0: all), with how many there are in all.
func (s *Service) ValuesPage(ctx context.Context, a access.Actor, indicatorID int64, unit org.Unit, p Period, lang string, own bool, limit, offset int) ([]Value, int, error) {
	ind, err := s.Indicator(ctx, a, indicatorID)
	if err != nil {
		return nil, 0, err
	}
	if !a.Sees(unit.Path) {
		return nil, 0, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	// A formula's records are those of the indicators it reads.
	ids := []any{indicatorID}
	if ind.Aggregation == "formula" {
		ids = ids[:0]
		if e, err := expr.ParseFormula(ind.Formula); err == nil {
			for _, ref := range e.Refs() {
				if r, err := s.IndicatorByCode(ctx, a, ref.Indicator); err == nil && !slices.Contains(ids, any(r.ID)) {
					ids = append(ids, r.ID)
				}
			}
		}
		if len(ids) == 0 {
			return nil, 0, nil
		}
	}
	pattern := unit.Path + "%"
	if own {
		pattern = unit.Path // LIKE without a wildcard: the unit alone
	}
	var in strings.Builder
	for i := range ids {
		if i > 0 {
			in.WriteByte(',')
		}
		fmt.Fprintf(&in, "$%d", i+4)
	}
	from := ` FROM data_values v JOIN org_units u ON u.id = v.unit_id JOIN indicators i ON i.id = v.indicator_id
		WHERE u.path LIKE $1 AND ` + endsIn("v", 2, 3) + ` AND v.indicator_id IN (` + in.String() + `)`
	args := append([]any{pattern, p.Start, p.End}, ids...)
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT v.id, i.code, v.unit_id, u.code, u.name_zh, u.name_en, v.period, v.combo, v.value, v.text_value, v.comment,
		v.source, v.source_ref, v.legacy, v.entered_by, v.entered_at`+from+`
		ORDER BY u.path, v.period_start, i.code, v.combo, v.id`+store.Page(limit, offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Value
	for rows.Next() {
		var v Value
		var zh, en string
		var val sql.NullFloat64
		if err := rows.Scan(&v.ID, &v.Indicator, &v.UnitID, &v.UnitCode, &zh, &en, &v.Period, &v.Combo, &val, &v.Text, &v.Comment, &v.Source, &v.SourceRef, &v.Legacy, &v.EnteredBy, &v.EnteredAt); err != nil {
			return nil, 0, err
		}
		v.UnitName = pickLang(lang, zh, en)
		if val.Valid {
			f := val.Float64
			v.Value = &f
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}
