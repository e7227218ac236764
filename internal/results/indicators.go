package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Indicator types, aggregation rules and directions.
var (
	IndicatorTypes = []string{"count", "percent", "ratio", "yesno", "text"}
	Aggregations   = []string{"sum", "average", "latest", "formula", "reach"}
	Directions     = []string{"up", "down"}
	Frequencies    = []string{"month", "tertile", "quarter", "half_year", "year"}
)

// Indicator measures an element of a framework lineage.
type Indicator struct {
	ID               int64    `json:"id"`
	Code             string   `json:"code"`
	FrameworkCode    string   `json:"framework_code"`
	ElementCode      string   `json:"element_code"`
	NameZH           string   `json:"name_zh"`
	NameEN           string   `json:"name_en"`
	DefinitionZH     string   `json:"definition_zh,omitempty"`
	DefinitionEN     string   `json:"definition_en,omitempty"`
	Type             string   `json:"type"`
	UnitLabelZH      string   `json:"unit_label_zh,omitempty"`
	UnitLabelEN      string   `json:"unit_label_en,omitempty"`
	Direction        string   `json:"direction"`
	Aggregation      string   `json:"aggregation"`
	Formula          string   `json:"formula,omitempty"`
	CategorySets     []string `json:"category_sets"`
	BaselineValue    *float64 `json:"baseline_value,omitempty"`
	BaselineDate     string   `json:"baseline_date,omitempty"`
	BaselineSourceZH string   `json:"baseline_source_zh,omitempty"`
	BaselineSourceEN string   `json:"baseline_source_en,omitempty"`
	DataSourceZH     string   `json:"data_source_zh,omitempty"`
	DataSourceEN     string   `json:"data_source_en,omitempty"`
	Frequency        string   `json:"frequency"`
	Position         int      `json:"position"`
}

// Name returns the indicator's name in lang.
func (i Indicator) Name(lang string) string { return pickLang(lang, i.NameZH, i.NameEN) }

// Definition returns the indicator's definition in lang (the other language's while lang's is
// empty); UnitLabel, DataSource and BaselineSource do the same for theirs.
func (i Indicator) Definition(lang string) string {
	return pickLang(lang, i.DefinitionZH, i.DefinitionEN)
}

func (i Indicator) UnitLabel(lang string) string { return pickLang(lang, i.UnitLabelZH, i.UnitLabelEN) }

func (i Indicator) DataSource(lang string) string {
	return pickLang(lang, i.DataSourceZH, i.DataSourceEN)
}

func (i Indicator) BaselineSource(lang string) string {
	return pickLang(lang, i.BaselineSourceZH, i.BaselineSourceEN)
}

// IndicatorInput creates or edits an indicator.
type IndicatorInput struct {
	Code             string   `json:"code"`
	FrameworkCode    string   `json:"framework_code"`
	ElementCode      string   `json:"element_code"`
	NameZH           string   `json:"name_zh"`
	NameEN           string   `json:"name_en"`
	DefinitionZH     string   `json:"definition_zh"`
	DefinitionEN     string   `json:"definition_en"`
	Type             string   `json:"type"`
	UnitLabelZH      string   `json:"unit_label_zh"`
	UnitLabelEN      string   `json:"unit_label_en"`
	Direction        string   `json:"direction"`
	Aggregation      string   `json:"aggregation"`
	Formula          string   `json:"formula"`
	CategorySets     []string `json:"category_sets"`
	BaselineValue    *float64 `json:"baseline_value"`
	BaselineDate     string   `json:"baseline_date"`
	BaselineSourceZH string   `json:"baseline_source_zh"`
	BaselineSourceEN string   `json:"baseline_source_en"`
	DataSourceZH     string   `json:"data_source_zh"`
	DataSourceEN     string   `json:"data_source_en"`
	Frequency        string   `json:"frequency"`
	Position         int      `json:"position"`
}

// CheckIndicatorInput validates an indicator's own fields.
func CheckIndicatorInput(in IndicatorInput) valid.Errors {
	var es valid.Errors
	if es.Required("code", in.Code) && strings.ContainsAny(in.Code, " \t,;/|#{}:") {
		es.Add("code", "code_chars")
	}
	es.Required("framework_code", in.FrameworkCode)
	es.Required("element_code", in.ElementCode)
	es.Required("name_zh", in.NameZH)
	es.Required("name_en", in.NameEN)
	if es.Required("type", in.Type) {
		es.OneOf("type", in.Type, IndicatorTypes)
	}
	if es.Required("aggregation", in.Aggregation) && es.OneOf("aggregation", in.Aggregation, Aggregations) {
		switch {
		case in.Aggregation == "formula" && strings.TrimSpace(in.Formula) == "":
			es.Add("formula", "required")
		case in.Aggregation == "reach" && in.Type != "count":
			es.Add("aggregation", "reach_count")
		case in.Aggregation == "reach" && !reachTypes.MatchString(in.Formula):
			es.Add("formula", "reach_types")
		case in.Aggregation != "formula" && in.Aggregation != "reach" && in.Formula != "":
			es.Add("formula", "formula_only")
		case in.Type == "text" && in.Aggregation != "latest":
			es.Add("aggregation", "text_latest")
		}
	}
	es.OneOf("direction", in.Direction, Directions)
	es.OneOf("frequency", in.Frequency, Frequencies)
	es.Date("baseline_date", in.BaselineDate)
	return es
}

func (in *IndicatorInput) normalise() {
	for _, p := range []*string{&in.Code, &in.FrameworkCode, &in.ElementCode, &in.NameZH, &in.NameEN, &in.DefinitionZH, &in.DefinitionEN, &in.Type,
		&in.UnitLabelZH, &in.UnitLabelEN, &in.Direction, &in.Aggregation, &in.Formula, &in.BaselineDate, &in.BaselineSourceZH, &in.BaselineSourceEN,
		&in.DataSourceZH, &in.DataSourceEN, &in.Frequency} {
		*p = strings.TrimSpace(*p)
	}
	if in.Direction == "" {
		in.Direction = "up"
	}
	if in.Frequency == "" {
		in.Frequency = "month"
	}
	var sets []string
	for _, c := range in.CategorySets {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(sets, c) {
			sets = append(sets, c)
		}
	}
	sort.Strings(sets)
	in.CategorySets = sets
}

const indicatorCols = `id, code, framework_code, element_code, name_zh, name_en, definition_zh, definition_en, type, unit_label_zh, unit_label_en,
	direction, aggregation, formula, category_sets, baseline_value, baseline_date, baseline_source_zh, baseline_source_en, data_source_zh, data_source_en,
	frequency, position`

func scanIndicators(rows *sql.Rows) ([]Indicator, error) {
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		var i Indicator
		var sets string
		var base sql.NullFloat64
		if err := rows.Scan(&i.ID, &i.Code, &i.FrameworkCode, &i.ElementCode, &i.NameZH, &i.NameEN, &i.DefinitionZH, &i.DefinitionEN, &i.Type,
			&i.UnitLabelZH, &i.UnitLabelEN, &i.Direction, &i.Aggregation, &i.Formula, &sets, &base, &i.BaselineDate, &i.BaselineSourceZH, &i.BaselineSourceEN,
			&i.DataSourceZH, &i.DataSourceEN, &i.Frequency, &i.Position); err != nil {
			return nil, err
		}
		i.CategorySets = []string{}
		if sets != "" {
			i.CategorySets = strings.Split(sets, ",")
		}
		if base.Valid {
			v := base.Float64
			i.BaselineValue = &v
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// Indicator returns one indicator.
func (s *Service) Indicator(ctx context.Context, a access.Actor, id int64) (Indicator, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return Indicator{}, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+indicatorCols+" FROM indicators WHERE id = $1", id)
	if err != nil {
		return Indicator{}, err
	}
	list, err := scanIndicators(rows)
	if err != nil {
		return Indicator{}, err
	}
	if len(list) == 0 {
		return Indicator{}, fmt.Errorf("indicator %d: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// IndicatorByCode returns the indicator with code.
func (s *Service) IndicatorByCode(ctx context.Context, a access.Actor, code string) (Indicator, error) {
	var id int64
	err := s.db.R.QueryRowContext(ctx, "SELECT id FROM indicators WHERE code = $1", strings.TrimSpace(code)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Indicator{}, fmt.Errorf("indicator %q: %w", code, store.ErrNotFound)
	}
	if err != nil {
		return Indicator{}, err
	}
	return s.Indicator(ctx, a, id)
}

// Indicators lists the indicators of a framework lineage in element and position order.
func (s *Service) Indicators(ctx context.Context, a access.Actor, frameworkCode string) ([]Indicator, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+indicatorCols+" FROM indicators WHERE framework_code = $1 ORDER BY element_code, position, code", frameworkCode)
	if err != nil {
		return nil, err
	}
	return scanIndicators(rows)
}

// checkIndicatorRefs checks that the element exists in the framework's current version and
// that the category sets exist.
func (s *Service) checkIndicatorRefs(ctx context.Context, tx *sql.Tx, a access.Actor, in IndicatorInput) error {
	f, err := s.frameworkIn(ctx, tx, a, "f.code = $1 ORDER BY f.version DESC LIMIT 1", in.FrameworkCode)
	if errors.Is(err, store.ErrNotFound) {
		return valid.New("framework_code", "not_found")
	}
	if err != nil {
		return err
	}
	if !a.Sees(f.UnitPath) {
		return access.ErrForbidden
	}
	if _, err := s.element(ctx, tx, f.ID, in.ElementCode); err != nil {
		return valid.New("element_code", "not_found")
	}
	for _, c := range in.CategorySets {
		var n int
		tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM category_sets WHERE code = $1", c).Scan(&n)
		if n == 0 {
			return valid.New("category_sets", "not_found", c)
		}
	}
	return nil
}

// CreateIndicator adds an indicator to a framework element.
func (s *Service) CreateIndicator(ctx context.Context, a access.Actor, in IndicatorInput) (Indicator, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Indicator{}, err
	}
	in.normalise()
	if es := CheckIndicatorInput(in); es.Err() != nil {
		return Indicator{}, es
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkIndicatorRefs(ctx, tx, a, in); err != nil {
			return err
		}
		now := store.Now()
		err := tx.QueryRowContext(ctx, `INSERT INTO indicators (code, framework_code, element_code, name_zh, name_en, definition_zh, definition_en, type,
			unit_label_zh, unit_label_en, direction, aggregation, formula, category_sets, baseline_value, baseline_date, baseline_source_zh, baseline_source_en,
			data_source_zh, data_source_en, frequency, position, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) RETURNING id`,
			in.Code, in.FrameworkCode, in.ElementCode, in.NameZH, in.NameEN, in.DefinitionZH, in.DefinitionEN, in.Type, in.UnitLabelZH, in.UnitLabelEN,
			in.Direction, in.Aggregation, in.Formula, strings.Join(in.CategorySets, ","), in.BaselineValue, in.BaselineDate, in.BaselineSourceZH, in.BaselineSourceEN,
			in.DataSourceZH, in.DataSourceEN, in.Frequency, in.Position, now).Scan(&id)
		if store.IsUnique(err) {
			return valid.New("code", "unique", in.Code)
		}
		if err != nil {
			return fmt.Errorf("create indicator: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "indicator", id, 0, nil, in)
	})
	if err != nil {
		return Indicator{}, err
	}
	return s.Indicator(ctx, a, id)
}

// UpdateIndicator edits an indicator. Changing its disaggregation never deletes values:
// values whose combination uses a category set the indicator no longer has are kept and marked
// legacy (shown apart, left out of totals); values that fit again are restored. It returns the
// numbers of values marked legacy and restored.
func (s *Service) UpdateIndicator(ctx context.Context, a access.Actor, id int64, in IndicatorInput) (Indicator, int, int, error) {
	if err := a.Require(access.EditResults); err != nil {
		return Indicator{}, 0, 0, err
	}
	in.normalise()
	if es := CheckIndicatorInput(in); es.Err() != nil {
		return Indicator{}, 0, 0, es
	}
	before, err := s.Indicator(ctx, a, id)
	if err != nil {
		return Indicator{}, 0, 0, err
	}
	var legacy, restored int
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkIndicatorRefs(ctx, tx, a, in); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE indicators SET code = $1, framework_code = $2, element_code = $3, name_zh = $4, name_en = $5, definition_zh = $6,
			definition_en = $7, type = $8, unit_label_zh = $9, unit_label_en = $10, direction = $11, aggregation = $12, formula = $13, category_sets = $14,
			baseline_value = $15, baseline_date = $16, baseline_source_zh = $17, baseline_source_en = $18, data_source_zh = $19, data_source_en = $20,
			frequency = $21, position = $22, updated_at = $23 WHERE id = $24`,
			in.Code, in.FrameworkCode, in.ElementCode, in.NameZH, in.NameEN, in.DefinitionZH, in.DefinitionEN, in.Type, in.UnitLabelZH, in.UnitLabelEN,
			in.Direction, in.Aggregation, in.Formula, strings.Join(in.CategorySets, ","), in.BaselineValue, in.BaselineDate, in.BaselineSourceZH, in.BaselineSourceEN,
			in.DataSourceZH, in.DataSourceEN, in.Frequency, in.Position, store.Now(), id)
		if store.IsUnique(err) {
			return valid.New("code", "unique", in.Code)
		}
		if err != nil {
			return err
		}
		if legacy, restored, err = remapCombos(ctx, tx, id, in.CategorySets); err != nil {
			return err
		}
		if legacy+restored > 0 {
			if err := rebuildIndicatorRollups(ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "update", "indicator", id, 0, before, map[string]any{"input": in, "values_made_legacy": legacy, "values_restored": restored})
	})
	if err != nil {
		return Indicator{}, 0, 0, err
	}
	after, err := s.Indicator(ctx, a, id)
	return after, legacy, restored, err
}

// remapCombos marks the indicator's disaggregated values legacy or current according to
// whether their combination still fits its category sets.
func remapCombos(ctx context.Context, tx *sql.Tx, indicatorID int64, sets []string) (legacy, restored int, err error) {
	rows, err := tx.QueryContext(ctx, "SELECT DISTINCT combo, legacy FROM data_values WHERE indicator_id = $1 AND combo <> ''", indicatorID)
	if err != nil {
		return 0, 0, err
	}
	type state struct {
		combo  string
		legacy bool
	}
	var all []state
	for rows.Next() {
		var st state
		if err := rows.Scan(&st.combo, &st.legacy); err != nil {
			rows.Close()
			return 0, 0, err
		}
		all = append(all, st)
	}
	rows.Close()
	for _, st := range all {
		fits := comboFits(st.combo, sets)
		if fits == !st.legacy {
			continue
		}
		res, err := tx.ExecContext(ctx, "UPDATE data_values SET legacy = $1 WHERE indicator_id = $2 AND combo = $3", !fits, indicatorID, st.combo)
		if err != nil {
			return 0, 0, err
		}
		n, _ := res.RowsAffected()
		if fits {
			restored += int(n)
		} else {
			legacy += int(n)
		}
	}
	return legacy, restored, nil
}

// comboFits reports whether every set named in combo is among sets.
func comboFits(combo string, sets []string) bool {
	for _, part := range strings.Split(combo, ",") {
		set, _, _ := strings.Cut(part, ":")
		if !slices.Contains(sets, set) {
			return false
		}
	}
	return true
}

// NormaliseCombo puts a disaggregation combination in canonical form: "set:category" pairs
// sorted by set, comma-separated, no spaces. The total is "".
func NormaliseCombo(combo string) (string, error) {
	combo = strings.TrimSpace(combo)
	if combo == "" {
		return "", nil
	}
	seen := map[string]string{}
	var sets []string
	for _, part := range strings.Split(combo, ",") {
		set, cat, ok := strings.Cut(strings.TrimSpace(part), ":")
		set, cat = strings.TrimSpace(set), strings.TrimSpace(cat)
		if !ok || set == "" || cat == "" {
			return "", fmt.Errorf("combination %q: write set:category pairs separated by commas", combo)
		}
		if _, dup := seen[set]; dup {
			return "", fmt.Errorf("combination %q: set %s appears twice", combo, set)
		}
		seen[set] = cat
		sets = append(sets, set)
	}
	sort.Strings(sets)
	parts := make([]string, len(sets))
	for i, set := range sets {
		parts[i] = set + ":" + seen[set]
	}
	return strings.Join(parts, ","), nil
}

func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }
