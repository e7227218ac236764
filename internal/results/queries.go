package results

// Read helpers for the web layer's pages: lists the forms and tables need that the core API
// does not return on its own (every category set, an indicator's targets, the values stored at
// one unit for one period, the span of an indicator's values, a lineage's versions).

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results/expr"
	"ting/internal/store"
)

// CategorySets lists every category set with its categories, by code.
func (s *Service) CategorySets(ctx context.Context, a access.Actor) ([]CategorySet, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT code FROM category_sets ORDER BY code")
	if err != nil {
		return nil, err
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		codes = append(codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]CategorySet, 0, len(codes))
	for _, c := range codes {
		set, err := s.CategorySet(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, set)
	}
	return out, nil
}

// Target is one target of an indicator, at a unit for a period.
type Target struct {
	IndicatorID int64   `json:"indicator_id"`
	UnitID      int64   `json:"unit_id"`
	UnitCode    string  `json:"unit_code"`
	UnitNameZH  string  `json:"unit_name_zh"`
	UnitNameEN  string  `json:"unit_name_en"`
	Period      string  `json:"period"`
	Value       float64 `json:"value"`
	Note        string  `json:"note,omitempty"`
}

// UnitName returns the target's unit name in lang.
func (t Target) UnitName(lang string) string { return pickLang(lang, t.UnitNameZH, t.UnitNameEN) }

// Targets lists an indicator's targets at the units in the actor's scope, top-down.
func (s *Service) Targets(ctx context.Context, a access.Actor, indicatorID int64) ([]Target, error) {
	if _, err := s.Indicator(ctx, a, indicatorID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.indicator_id, t.unit_id, u.code, u.name_zh, u.name_en, t.period, t.value, t.note
		FROM targets t JOIN org_units u ON u.id = t.unit_id WHERE t.indicator_id = $1 AND u.path LIKE $2 ORDER BY u.path, t.period`,
		indicatorID, a.PathPattern())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Target{}
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.IndicatorID, &t.UnitID, &t.UnitCode, &t.UnitNameZH, &t.UnitNameEN, &t.Period, &t.Value, &t.Note); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TargetAt returns the target of an indicator at a unit for a period key, or nil when none is set.
func (s *Service) TargetAt(ctx context.Context, a access.Actor, indicatorID int64, unit org.Unit, period string) (*float64, string, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, "", err
	}
	if !a.Sees(unit.Path) {
		return nil, "", store.ErrNotFound
	}
	tls, err := s.targetLines(ctx, unit.ID, period, indicatorID)
	if err != nil {
		return nil, "", err
	}
	return tls[indicatorID].own, tls[indicatorID].note, nil
}

// StoredValue is a value as stored at one unit for one period, for prefilling an entry form.
type StoredValue struct {
	IndicatorID int64    `json:"indicator_id"`
	Combo       string   `json:"combo"`
	Value       *float64 `json:"value"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	Text        string   `json:"text"`
	Comment     string   `json:"comment"`
	Source      string   `json:"source"`
	SourceRef   string   `json:"source_ref"`
	Legacy      bool     `json:"legacy"`
}

// UnitValues lists the values stored at exactly one unit (not its subtree) for one period key.
func (s *Service) UnitValues(ctx context.Context, a access.Actor, unit org.Unit, period string) ([]StoredValue, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	if !a.Sees(unit.Path) {
		return nil, store.ErrNotFound
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT indicator_id, combo, value, numerator, denominator, text_value, comment, source, source_ref, legacy
		FROM data_values WHERE unit_id = $1 AND period = $2 ORDER BY indicator_id, combo`, unit.ID, period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredValue
	opt := func(n sql.NullFloat64) *float64 {
		if !n.Valid {
			return nil
		}
		v := n.Float64
		return &v
	}
	for rows.Next() {
		var v StoredValue
		var val, num, den sql.NullFloat64
		if err := rows.Scan(&v.IndicatorID, &v.Combo, &val, &num, &den, &v.Text, &v.Comment, &v.Source, &v.SourceRef, &v.Legacy); err != nil {
			return nil, err
		}
		v.Value, v.Numerator, v.Denominator = opt(val), opt(num), opt(den)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ValueSpan returns the first and the last period end of the values of an indicator in a unit's
// subtree ("" when there are none): the range a trend chart covers, a value counting in the
// range in which its period ends.
//
// A computed indicator has no values of its own. A reach indicator's span is that of the
// services it counts (reachSpan), so its trend shows the people served year by year (or half by
// half) as its figures count them; a formula's is the union of the spans of the indicators it
// reads.
func (s *Service) ValueSpan(ctx context.Context, a access.Actor, indicatorID int64, unit org.Unit) (first, last string, err error) {
	ind, err := s.Indicator(ctx, a, indicatorID)
	if err != nil {
		return "", "", err
	}
	if !a.Sees(unit.Path) {
		return "", "", store.ErrNotFound
	}
	return s.valueSpan(ctx, a, ind, unit, map[int64]bool{})
}

func (s *Service) valueSpan(ctx context.Context, a access.Actor, ind Indicator, unit org.Unit, seen map[int64]bool) (first, last string, err error) {
	seen[ind.ID] = true
	switch ind.Aggregation {
	case "reach":
		return reachSpan(ctx, s.db.R, ind, unit)
	case "formula":
		e, err := expr.ParseFormula(ind.Formula)
		if err != nil {
			return "", "", nil
		}
		for _, ref := range e.Refs() {
			part, err := s.IndicatorByCode(ctx, a, ref.Indicator)
			if errors.Is(err, store.ErrNotFound) || err == nil && seen[part.ID] {
				continue
			}
			if err != nil {
				return "", "", err
			}
			f, l, err := s.valueSpan(ctx, a, part, unit, seen)
			if err != nil {
				return "", "", err
			}
			if f != "" && (first == "" || f < first) {
				first = f
			}
			if l > last {
				last = l
			}
		}
		return first, last, nil
	}
	var f, l sql.NullString
	err = s.db.R.QueryRowContext(ctx, `SELECT MIN(v.period_end), MAX(v.period_end) FROM data_values v JOIN org_units u ON u.id = v.unit_id
		WHERE v.indicator_id = $1 AND u.path LIKE $2 AND v.legacy = FALSE`, ind.ID, unit.Path+"%").Scan(&f, &l)
	return f.String, l.String, err
}

// Versions lists every version of the framework lineage code, newest first.
func (s *Service) Versions(ctx context.Context, a access.Actor, code string) ([]Framework, error) {
	if _, err := s.Current(ctx, a, code); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+frameworkCols+" FROM frameworks f JOIN org_units u ON u.id = f.unit_id WHERE f.code = $1 ORDER BY f.version DESC", code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Framework
	for rows.Next() {
		f, err := scanFramework(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// EnteredByNames maps the opaque ids values carry in entered_by to the display names of the
// accounts behind them; ids without an account (system, imports) map to themselves. Who entered
// a figure is part of its provenance, so anyone who may see the value may see the name.
func (s *Service) EnteredByNames(ctx context.Context, a access.Actor, ids []string) (map[string]string, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var args []any
	var marks []string
	for _, id := range ids {
		if _, seen := out[id]; seen {
			continue
		}
		out[id] = id
		args = append(args, id)
		marks = append(marks, "$"+strconv.Itoa(len(args)))
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT public_id, display_name FROM users WHERE public_id IN ("+strings.Join(marks, ", ")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}
