package plans

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"ting/internal/valid"
)

// Category is a kind of counterpart in-kind contribution: the rows of seed 001 Annex A.
type Category struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Categories lists the in-kind contribution categories in the order of Annex A.
var Categories = []Category{
	{"staff_salary", "全职人员工资", "Full-time staff salary"},
	{"part_time_input", "兼职人员及合作伙伴的时间投入", "Time input of part-time staff and partners"},
	{"office_rental", "办公室租金", "Office rental"},
	{"utilities", "水电等公用事业费", "Utilities"},
	{"communication", "通讯费", "Communication"},
	{"local_transport", "本地交通费", "Local transportation"},
	{"venue", "培训/会议场地", "Training/meeting venue"},
	{"publicity", "宣传/简报/媒体", "Publicity/newsletter/media"},
	{"incidental", "杂费", "Incidental costs"},
	{"other", "其他（包括对目标群体的培训和教育支持）", "Others (including training and education support to target groups)"},
}

// ContributorLevel is a column of Annex A: who contributed.
type ContributorLevel struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Contributor levels.
const (
	NationalLevel   = "national"   // the national ACWF
	ProvincialLevel = "provincial" // provincial Women's Federations and provincial departments
	LocalLevel      = "local"      // local Women's Federations and governments
)

// ContributorLevels lists the levels in the order of Annex A's columns.
var ContributorLevels = []ContributorLevel{
	{NationalLevel, "全国妇联", "National ACWF"},
	{ProvincialLevel, "省级合作伙伴（省妇联及省级部门）", "Provincial partners (provincial WF and provincial departments)"},
	{LocalLevel, "地方合作伙伴（地方妇联及政府）", "Local partners (local WFs and governments)"},
}

// ContributorLevelOf maps the level of an organisation unit (org.Level.Key: national, provincial,
// municipal, county, community) to the contributor level of Annex A: everything below the
// province is local.
func ContributorLevelOf(unitLevel string) (string, bool) {
	switch unitLevel {
	case "national":
		return NationalLevel, true
	case "provincial":
		return ProvincialLevel, true
	case "municipal", "county", "community":
		return LocalLevel, true
	}
	return "", false
}

// CategoryByLabel finds a category by its code or its English or Chinese name, ignoring case and
// surrounding space, as an importer reading an Annex A-like sheet needs.
func CategoryByLabel(label string) (Category, bool) {
	label = strings.TrimSpace(label)
	for _, c := range Categories {
		if strings.EqualFold(label, c.Code) || strings.EqualFold(label, c.NameEN) || label == c.NameZH {
			return c, true
		}
	}
	return Category{}, false
}

func isCategory(code string) bool {
	for _, c := range Categories {
		if c.Code == code {
			return true
		}
	}
	return false
}

func isLevel(code string) bool {
	for _, l := range ContributorLevels {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Rate is an exchange rate recorded on a date, as Annex A states them: units of Currency for one
// US dollar ("US $1 : 6.302 RMB"). PerUSD is a decimal string, kept exact.
type Rate struct {
	Currency string `json:"currency"`
	PerUSD   string `json:"per_usd"`
	On       string `json:"on"`
}

func (r Rate) rat() (*big.Rat, error) {
	if r.Currency == "USD" && r.PerUSD == "" {
		return big.NewRat(1, 1), nil
	}
	v, ok := new(big.Rat).SetString(r.PerUSD)
	if !ok || v.Sign() <= 0 || strings.ContainsAny(r.PerUSD, "/eE") {
		return nil, fmt.Errorf("rate %s %q: want a positive decimal", r.Currency, r.PerUSD)
	}
	return v, nil
}

// Check validates a rate: an ISO currency, a positive decimal, a date.
func (r Rate) Check() valid.Errors {
	var es valid.Errors
	if es.Required("currency", r.Currency) && !isCurrency(r.Currency) {
		es.Add("currency", "currency")
	}
	if es.Required("rate", r.PerUSD) {
		if _, err := r.rat(); err != nil {
			es.Add("rate", "positive")
		}
	}
	if es.Required("rate_on", r.On) {
		es.Date("rate_on", r.On)
	}
	return es
}

// RateOn picks the latest rate for currency recorded on or before date. USD is always 1.
func RateOn(rates []Rate, currency, date string) (Rate, bool) {
	if currency == "USD" {
		return Rate{Currency: "USD", PerUSD: "1", On: date}, true
	}
	var best Rate
	found := false
	for _, r := range rates {
		if r.Currency == currency && r.On <= date && (!found || r.On > best.On) {
			best, found = r, true
		}
	}
	return best, found
}

func convertRat(amount int64, from, to Rate) (*big.Rat, error) {
	f, err := from.rat()
	if err != nil {
		return nil, err
	}
	t, err := to.rat()
	if err != nil {
		return nil, err
	}
	v := new(big.Rat).SetInt64(amount)
	return v.Mul(v, t).Quo(v, f), nil
}

// roundTo rounds v to the nearest multiple of unit, halves away from zero.
func roundTo(v *big.Rat, unit int64) int64 {
	q := new(big.Rat).Quo(v, big.NewRat(unit, 1))
	num, den := new(big.Int).Set(q.Num()), q.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	// floor((2·num + den) / (2·den)) rounds half up on the magnitude.
	num.Mul(num, big.NewInt(2)).Add(num, den)
	r := num.Quo(num, new(big.Int).Mul(den, big.NewInt(2))).Int64()
	if neg {
		r = -r
	}
	return r * unit
}

// Convert converts amount (hundredths of from.Currency) into hundredths of to.Currency through
// their rates per US dollar, rounding half away from zero once, at the end.
func Convert(amount int64, from, to Rate) (int64, error) {
	v, err := convertRat(amount, from, to)
	if err != nil {
		return 0, err
	}
	return roundTo(v, 1), nil
}

// ContributionRow is one category's row of a contributions table: the amount per contributor
// level (hundredths; a blank cell is absent) and the subtotal the table states, if any.
type ContributionRow struct {
	Category       string           `json:"category"`
	Amounts        map[string]int64 `json:"amounts"`
	StatedSubtotal *int64           `json:"stated_subtotal,omitempty"`
}

// ContributionTable is an in-kind contributions table as stated, such as Annex A: rows by
// category, the stated sub-total per level, the stated total, and the stated totals converted into
// other currencies at the table's rates.
type ContributionTable struct {
	From     string            `json:"from"`
	To       string            `json:"to"`
	Currency string            `json:"currency"` // of the amounts; CNY for RMB
	Rows     []ContributionRow `json:"rows"`
	// StatedLevelTotals: the "Sub-total" row, by contributor level; a level absent is not stated.
	StatedLevelTotals map[string]int64 `json:"stated_level_totals,omitempty"`
	StatedTotal       *int64           `json:"stated_total,omitempty"`
	// Rates hold one rate per currency involved (Currency and every converted currency; USD may
	// be left out). StatedConverted holds the stated total per other currency.
	Rates           []Rate           `json:"rates"`
	StatedConverted map[string]int64 `json:"stated_converted,omitempty"`
	// WholeUnits: the table states whole units (Annex A does); Ting's figures are rounded to
	// whole units before comparing, so that rounding alone is no difference.
	WholeUnits bool `json:"whole_units"`
}

// Where a stated figure disagrees.
const (
	DiffSubtotal   = "subtotal"    // a category's subtotal across levels
	DiffLevelTotal = "level_total" // a level's total across categories
	DiffTotal      = "total"       // the grand total
	DiffConverted  = "converted"   // the grand total in another currency
)

// Difference is a stated figure that disagrees with what Ting computes, both in hundredths of
// Currency.
type Difference struct {
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	Level    string `json:"level,omitempty"`
	Currency string `json:"currency"`
	Stated   int64  `json:"stated"`
	Computed int64  `json:"computed"`
}

// Delta is stated minus computed.
func (d Difference) Delta() int64 { return d.Stated - d.Computed }

// CheckContributionTable recomputes a table's subtotals, level totals, grand total and converted
// totals from its cells and reports each stated figure that disagrees, in table order: subtotals
// by row, level totals by level, total, converted totals by currency code. Every figure is
// computed from the cells — never from another stated figure — so one wrong cell or figure shows
// where it is and errors do not compound; converted totals convert Ting's total. A malformed
// table (unknown category or level, a category twice, a negative cell, a missing or bad rate)
// returns valid.Errors, with Row set for row problems.
func CheckContributionTable(t ContributionTable) ([]Difference, error) {
	var es valid.Errors
	row := func(i int, field, rule string, param ...string) {
		e := valid.FieldError{Row: i + 1, Field: field, Rule: rule}
		if len(param) > 0 {
			e.Param = param[0]
		}
		es = append(es, e)
	}
	if es.Required("currency", t.Currency) && !isCurrency(t.Currency) {
		es.Add("currency", "currency")
	}
	// Categories are unique and cells at most MaxAmount, so a valid table's sums cannot overflow.
	seen := map[string]bool{}
	for i, r := range t.Rows {
		switch {
		case !isCategory(r.Category):
			row(i, "category", "one_of", strings.Join(categoryCodes(), ", "))
		case seen[r.Category]:
			row(i, "category", "unique", r.Category)
		}
		seen[r.Category] = true
		for _, lv := range sortedKeys(r.Amounts) {
			switch v := r.Amounts[lv]; {
			case !isLevel(lv):
				row(i, "contributor_level", "one_of", strings.Join(levelCodes(), ", "))
			case v < 0:
				row(i, "amount", "not_negative")
			case v > MaxAmount:
				row(i, "amount", "not_above", fmt.Sprint(MaxAmount/100))
			}
		}
	}
	for _, lv := range sortedKeys(t.StatedLevelTotals) {
		if !isLevel(lv) {
			es.Add("contributor_level", "one_of", strings.Join(levelCodes(), ", "))
		}
	}
	var base Rate
	rates := map[string]Rate{}
	if len(t.StatedConverted) > 0 {
		for _, r := range t.Rates {
			if _, dup := rates[r.Currency]; dup {
				es.Add("rate", "unique", r.Currency)
			}
			rates[r.Currency] = r
			if rs := r.Check(); len(rs) > 0 {
				es = append(es, rs...)
			}
		}
		var ok bool
		if base, ok = rateFor(rates, t.Currency); !ok && isCurrency(t.Currency) {
			es.Add("rate", "rate_missing", t.Currency)
		}
		for _, cur := range sortedKeys(t.StatedConverted) {
			if !isCurrency(cur) {
				es.Add("currency", "currency")
			} else if _, ok := rateFor(rates, cur); !ok {
				es.Add("rate", "rate_missing", cur)
			}
		}
	}
	if len(es) > 0 {
		return nil, es
	}

	unit := int64(1)
	if t.WholeUnits {
		unit = 100
	}
	round := func(v int64) int64 { return roundTo(new(big.Rat).SetInt64(v), unit) }
	var out []Difference
	diff := func(d Difference) {
		if d.Stated != d.Computed {
			out = append(out, d)
		}
	}
	levelSums := map[string]int64{}
	var total int64
	for _, r := range t.Rows {
		var sub int64
		for lv, v := range r.Amounts {
			sub += v
			levelSums[lv] += v
		}
		total += sub
		if r.StatedSubtotal != nil {
			diff(Difference{Kind: DiffSubtotal, Category: r.Category, Currency: t.Currency,
				Stated: *r.StatedSubtotal, Computed: round(sub)})
		}
	}
	for _, l := range ContributorLevels {
		if v, ok := t.StatedLevelTotals[l.Code]; ok {
			diff(Difference{Kind: DiffLevelTotal, Level: l.Code, Currency: t.Currency,
				Stated: v, Computed: round(levelSums[l.Code])})
		}
	}
	if t.StatedTotal != nil {
		diff(Difference{Kind: DiffTotal, Currency: t.Currency, Stated: *t.StatedTotal, Computed: round(total)})
	}
	for _, cur := range sortedKeys(t.StatedConverted) {
		to, _ := rateFor(rates, cur)
		v, err := convertRat(total, base, to)
		if err != nil {
			return nil, err // rates were checked above
		}
		diff(Difference{Kind: DiffConverted, Currency: cur, Stated: t.StatedConverted[cur], Computed: roundTo(v, unit)})
	}
	return out, nil
}

func rateFor(rates map[string]Rate, cur string) (Rate, bool) {
	if r, ok := rates[cur]; ok {
		return r, true
	}
	if cur == "USD" {
		return Rate{Currency: "USD", PerUSD: "1"}, true
	}
	return Rate{}, false
}

func categoryCodes() []string {
	out := make([]string, len(Categories))
	for i, c := range Categories {
		out[i] = c.Code
	}
	return out
}

func levelCodes() []string {
	out := make([]string, len(ContributorLevels))
	for i, l := range ContributorLevels {
		out[i] = l.Code
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
