package results

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/results/dhis2"
	"ting/internal/store"
	"ting/internal/valid"

	"database/sql"
)

// MappingKinds are the things Ting and DHIS2 name differently: organisation units, indicators
// (DHIS2 data elements) and disaggregation combinations (category option combos).
var MappingKinds = []string{"unit", "indicator", "combo"}

// DefaultComboUID is DHIS2's "default" category option combo: Ting's total.
const DefaultComboUID = "HllvX50cXC0"

// Mapping ties a Ting code to a DHIS2 uid.
type Mapping struct {
	Kind     string `json:"kind"`
	TingCode string `json:"ting_code"`
	UID      string `json:"dhis2_uid"`
}

// SetMapping records (or replaces) the DHIS2 uid of a Ting unit, indicator or combination.
func (s *Service) SetMapping(ctx context.Context, a access.Actor, m Mapping) error {
	if err := a.Require(access.EditResults); err != nil {
		return err
	}
	var es valid.Errors
	es.OneOf("kind", m.Kind, MappingKinds)
	if es.Required("dhis2_uid", m.UID) && (len(m.UID) != 11 || strings.ContainsFunc(m.UID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})) {
		es.Add("dhis2_uid", "dhis2_uid")
	}
	if m.Kind == "combo" {
		c, err := NormaliseCombo(m.TingCode)
		if err != nil {
			es.Add("ting_code", "combo")
		}
		m.TingCode = c
	} else {
		es.Required("ting_code", m.TingCode)
	}
	if es.Err() != nil {
		return es
	}
	// A unit is mapped by whoever manages it; indicators and combinations are shared by the
	// whole network and are mapped at the national level only.
	if m.Kind == "unit" {
		if _, err := s.org.UnitByCode(ctx, a, m.TingCode); errors.Is(err, store.ErrNotFound) {
			return valid.New("ting_code", "not_found")
		} else if err != nil {
			return err
		}
	} else if strings.Count(a.UnitPath, "/") > 2 {
		return access.ErrForbidden
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO dhis2_mappings (kind, ting_code, dhis2_uid) VALUES ($1, $2, $3)
			ON CONFLICT (kind, ting_code) DO UPDATE SET dhis2_uid = excluded.dhis2_uid`, m.Kind, m.TingCode, m.UID)
		if store.IsUnique(err) {
			return valid.New("dhis2_uid", "unique", m.UID)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "map", "dhis2_mapping", 0, 0, nil, m)
	})
}

// Mappings lists the mappings of one kind.
func (s *Service) Mappings(ctx context.Context, a access.Actor, kind string) ([]Mapping, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT kind, ting_code, dhis2_uid FROM dhis2_mappings WHERE kind = $1 ORDER BY ting_code", kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mapping
	for rows.Next() {
		var m Mapping
		if err := rows.Scan(&m.Kind, &m.TingCode, &m.UID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// mapper translates identifiers between the two systems for one import or export.
type mapper struct {
	byUID, byCode map[string]map[string]string // kind -> uid -> code, kind -> code -> uid
}

func (s *Service) mapper(ctx context.Context) (mapper, error) {
	m := mapper{byUID: map[string]map[string]string{}, byCode: map[string]map[string]string{}}
	for _, k := range MappingKinds {
		m.byUID[k], m.byCode[k] = map[string]string{}, map[string]string{}
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT kind, ting_code, dhis2_uid FROM dhis2_mappings")
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, code, uid string
		if err := rows.Scan(&k, &code, &uid); err != nil {
			return m, err
		}
		if m.byUID[k] != nil {
			m.byUID[k][uid], m.byCode[k][code] = code, uid
		}
	}
	return m, rows.Err()
}

// ImportOptions follow DHIS2's import parameters.
type ImportOptions struct {
	IDScheme string // "uid" (DHIS2's default) or "code" (Ting's codes)
	DryRun   bool
	// Partial imports the valid values and reports the others; by default an import is
	// all-or-nothing (DHIS2's atomicMode=ALL).
	Partial bool
}

// tingPeriod turns a DHIS2 period into Ting's key.
func tingPeriod(key string) (string, error) {
	p, err := dhis2.ParsePeriod(key)
	if err != nil {
		return "", err
	}
	y, m := p.Start.Year(), int(p.Start.Month())
	switch p.Type {
	case dhis2.Monthly:
		return p.Start.Format("2006-01"), nil
	case dhis2.Quarterly:
		return fmt.Sprintf("%dQ%d", y, (m+2)/3), nil
	case dhis2.FourMonthly:
		return fmt.Sprintf("%dT%d", y, (m+3)/4), nil
	case dhis2.SixMonthly:
		return fmt.Sprintf("%dS%d", y, (m+5)/6), nil
	case dhis2.Yearly:
		return strconv.Itoa(y), nil
	}
	return "", fmt.Errorf("period type %s is not one Ting stores (monthly, quarterly, four-monthly, six-monthly, yearly)", p.Type)
}

// dhis2Period turns Ting's key into DHIS2's.
func dhis2Period(key string) (string, error) {
	p, err := ParsePeriod(key)
	if err != nil {
		return "", err
	}
	if p.Kind == Month {
		return strings.ReplaceAll(key, "-", ""), nil
	}
	return key, nil // 2011Q1, 2011S1, 2011 are DHIS2's own keys; 2011T1 is the documented extension
}

// ImportDHIS2 imports DHIS2 data values. Identifiers are read by opts.IDScheme through the
// mapping tables; every value is then checked as SaveValues checks it. The summary counts
// imported (new), updated (replacing a stored value) and ignored values, and names each
// conflict by the value's index and the identifier or value at fault.
func (s *Service) ImportDHIS2(ctx context.Context, a access.Actor, values []dhis2.DataValue, opts ImportOptions) (dhis2.ImportSummary, error) {
	sum := dhis2.NewImportSummary()
	if err := a.Require(access.EnterValues); err != nil {
		return sum, err
	}
	if opts.IDScheme == "" {
		opts.IDScheme = "uid"
	}
	if opts.IDScheme != "uid" && opts.IDScheme != "code" {
		return sum, valid.New("idScheme", "one_of", "uid, code")
	}
	mp, err := s.mapper(ctx)
	if err != nil {
		return sum, err
	}
	resolve := func(kind, id string) (string, bool) {
		if opts.IDScheme == "code" {
			return id, true
		}
		code, ok := mp.byUID[kind][id]
		return code, ok
	}
	inputs := make([]ValueInput, 0, len(values))
	index := make([]int, 0, len(values)) // inputs[j] came from values[index[j]]
	conflict := func(i int, object, value, property string) {
		sum.AddConflict(i, dhis2.Conflict{Object: object, Value: value, Property: property})
	}
	units := map[string]int64{}
	for i, dv := range values {
		if dv.Deleted {
			conflict(i, dv.DataElement, "deletions are not imported: delete the value in Ting", "deleted")
			continue
		}
		code, ok := resolve("indicator", dv.DataElement)
		if !ok {
			conflict(i, dv.DataElement, "data element has no Ting indicator mapped", "dataElement")
			continue
		}
		ind, err := s.IndicatorByCode(ctx, a, code)
		if err != nil {
			conflict(i, dv.DataElement, "no indicator with this code", "dataElement")
			continue
		}
		ucode, ok := resolve("unit", dv.OrgUnit)
		if !ok {
			conflict(i, dv.OrgUnit, "organisation unit has no Ting unit mapped", "orgUnit")
			continue
		}
		uid, seen := units[ucode]
		if !seen {
			u, err := s.org.UnitByCode(ctx, a, ucode)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return sum, err
			}
			uid = u.ID
			units[ucode] = uid
		}
		if uid == 0 {
			conflict(i, dv.OrgUnit, "organisation unit not found in your area", "orgUnit")
			continue
		}
		combo := ""
		if c := dv.CategoryOptionCombo; c != "" && c != DefaultComboUID && c != "default" {
			if combo, ok = resolve("combo", c); !ok {
				conflict(i, c, "category option combo has no Ting disaggregation mapped", "categoryOptionCombo")
				continue
			}
		}
		period, err := tingPeriod(dv.Period)
		if err != nil {
			conflict(i, dv.Period, err.Error(), "period")
			continue
		}
		in := ValueInput{Indicator: ind.Code, UnitID: uid, Period: period, Combo: combo, Comment: dv.Comment, Source: "dhis2", SourceRef: dv.StoredBy}
		if ind.Type == "text" {
			in.Text = dv.Value
		} else {
			v, err := strconv.ParseFloat(strings.TrimSpace(dv.Value), 64)
			if err != nil {
				conflict(i, dv.Value, "value is not a number", "value")
				continue
			}
			in.Value = &v
		}
		inputs = append(inputs, in)
		index = append(index, i)
	}
	// The domain's own checks, row by row.
	if _, err := s.CheckValues(ctx, a, inputs); err != nil {
		es, ok := valid.As(err)
		if !ok {
			return sum, err
		}
		bad := map[int]bool{}
		for _, e := range es {
			if e.Row >= 1 && e.Row <= len(inputs) {
				i := index[e.Row-1]
				conflict(i, values[i].Value, e.Field+": "+e.Rule+" "+e.Param, e.Field)
				bad[e.Row-1] = true
			}
		}
		var keep []ValueInput
		var keepIdx []int
		for j, in := range inputs {
			if !bad[j] {
				keep, keepIdx = append(keep, in), append(keepIdx, index[j])
			}
		}
		inputs, index = keep, keepIdx
	}
	rejected := len(values) - len(inputs)
	if rejected > 0 && !opts.Partial {
		sum.Status = dhis2.StatusError
		sum.Description = "nothing imported: the import is all-or-nothing and some values were refused"
		sum.ImportCount.Ignored = len(values)
		return sum, nil
	}
	existing, err := s.existing(ctx, inputs)
	if err != nil {
		return sum, err
	}
	sum.ImportCount.Ignored = rejected
	sum.ImportCount.Updated = existing
	sum.ImportCount.Imported = len(inputs) - existing
	if rejected > 0 {
		sum.Status = dhis2.StatusWarning
	}
	if opts.DryRun || len(inputs) == 0 {
		if opts.DryRun {
			sum.Description = "dry run: nothing written"
		}
		return sum, nil
	}
	if _, err := s.SaveValues(ctx, a, inputs); err != nil {
		return sum, err
	}
	return sum, nil
}

// existing counts how many of the inputs would replace a stored value.
func (s *Service) existing(ctx context.Context, inputs []ValueInput) (int, error) {
	n := 0
	for _, in := range inputs {
		combo, _ := NormaliseCombo(in.Combo)
		p, err := ParsePeriod(in.Period)
		if err != nil {
			continue
		}
		var c int
		if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_values v JOIN indicators i ON i.id = v.indicator_id
			WHERE i.code = $1 AND v.unit_id = $2 AND v.period = $3 AND v.combo = $4`, in.Indicator, in.UnitID, p.Key, combo).Scan(&c); err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// ExportDHIS2 returns the current (non-legacy) values of a framework's indicators in a unit's
// subtree whose periods end within a period (as figures count them) as DHIS2 data values, named
// by scheme. With the uid scheme every indicator, unit and combination must be mapped; the error
// lists what is not.
func (s *Service) ExportDHIS2(ctx context.Context, a access.Actor, frameworkCode string, unit org.Unit, p Period, scheme string) ([]dhis2.DataValue, error) {
	if err := a.Require(access.ViewResults); err != nil {
		return nil, err
	}
	if !a.Sees(unit.Path) {
		return nil, fmt.Errorf("unit %d: %w", unit.ID, store.ErrNotFound)
	}
	if scheme == "" {
		scheme = "uid"
	}
	mp, err := s.mapper(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT i.code, u.code, v.period, v.combo, v.value, v.text_value, v.comment, v.entered_by, v.entered_at
		FROM data_values v JOIN indicators i ON i.id = v.indicator_id JOIN org_units u ON u.id = v.unit_id
		WHERE i.framework_code = $1 AND u.path LIKE $2 AND `+endsIn("v", 3, 4)+` AND v.legacy = FALSE
		ORDER BY i.code, u.code, v.period_start, v.combo`, frameworkCode, unit.Path+"%", p.Start, p.End)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dhis2.DataValue
	var unmapped []string
	name := func(kind, code string) string {
		if scheme == "code" {
			return code
		}
		uid, ok := mp.byCode[kind][code]
		if !ok && !slices.Contains(unmapped, kind+" "+code) {
			unmapped = append(unmapped, kind+" "+code)
		}
		return uid
	}
	for rows.Next() {
		var ind, ucode, period, combo, text, comment, by string
		var v sql.NullFloat64
		var at sql.NullTime
		if err := rows.Scan(&ind, &ucode, &period, &combo, &v, &text, &comment, &by, &at); err != nil {
			return nil, err
		}
		dp, err := dhis2Period(period)
		if err != nil {
			return nil, err
		}
		dv := dhis2.DataValue{DataElement: name("indicator", ind), OrgUnit: name("unit", ucode), Period: dp, Comment: comment, StoredBy: by}
		if combo == "" {
			if scheme == "uid" {
				dv.CategoryOptionCombo = DefaultComboUID
			}
		} else {
			dv.CategoryOptionCombo = name("combo", combo)
		}
		if v.Valid {
			dv.Value = strconv.FormatFloat(v.Float64, 'f', -1, 64)
		} else {
			dv.Value = text
		}
		if at.Valid {
			dv.LastUpdated = at.Time.UTC().Format("2006-01-02T15:04:05.000")
		}
		out = append(out, dv)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(unmapped) > 0 {
		return nil, valid.New("idScheme", "dhis2_unmapped", strings.Join(unmapped, "; "))
	}
	return out, nil
}
