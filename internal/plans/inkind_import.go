package plans

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"ting/internal/org"
	"ting/internal/valid"
)

// Reading an in-kind contributions table laid out like seed 001 Annex A, from CSV or XLSX:
//
//	                     National ACWF (RMB) | Provincial Partners … (RMB) | Local Partners … (RMB) | Subtotal (RMB)
//	Full time staff salary   150,000         | 851,400                     | 761,000                | 1,762,400
//	…one row per category…
//	Sub-total in RMB         390,000         | 2,758,540                   | 3,110,642              | 6,259,182
//	                                                                         Total in RMB           | 6,259,182
//	                                                                         Total in US$           | 993,206
//	Exchange rates: US $1:6.302 RMB US $1: 0.9812 CAN$
//
// The header row is the first row naming a contributor level; its columns say which level each
// amount belongs to and where the stated subtotal stands. Rows are told apart by their first
// filled cell: a category (its code, English or Chinese name, loosely: "Full time staff salary"
// is Annex A's own spelling of "Full-time staff salary"), the sub-total row, "Total in <currency>"
// rows (the table's own currency gives the stated total, others the converted totals), and an
// exchange-rates line. Rows above the header (titles, the period) and rows with no amounts
// (notes) are skipped. The reader is pure: it checks the layout and the cells, and leaves the
// sums to CheckContributionTable. Errors carry the sheet's row number (as a spreadsheet program
// shows it) and, for a cell, its reference (C12) as parameter.

// MaxContributionFile caps the size of an uploaded contributions table.
const MaxContributionFile = 5 << 20

// maxContributionErrors bounds the errors reported for one file.
const maxContributionErrors = 200

// ParseContributionTable reads a contributions table from a CSV (UTF-8, optionally with a byte
// order mark; comma, semicolon or tab separated) or XLSX (first sheet) file, told apart by its
// first bytes. The table's currency is CNY unless the header names another; From, To and the
// rates' dates are left to the caller (the form or request gives the period). WholeUnits is set
// when every amount is whole, as in Annex A. Failures are valid.Errors with Row set for rows.
func ParseContributionTable(r io.Reader) (ContributionTable, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxContributionFile+1))
	if err != nil {
		return ContributionTable{}, fmt.Errorf("read contributions table: %w", err)
	}
	if len(data) > MaxContributionFile {
		return ContributionTable{}, valid.New("file", "file_too_large", "5 MB")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return ContributionTable{}, valid.New("file", "empty_file")
	}
	var rows []sheetLine
	var es valid.Errors
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		rows, es = readContributionXLSX(data)
	} else {
		rows, es = readContributionCSV(data)
	}
	if len(es) > 0 {
		return ContributionTable{}, es
	}
	p := contributionParser{t: ContributionTable{Currency: "CNY"}, levelCol: map[string]int{}, subtotalCol: -1}
	p.parse(rows)
	if len(p.es) > maxContributionErrors {
		p.es = append(p.es[:maxContributionErrors], valid.FieldError{Field: "file", Rule: "too_many_errors", Param: strconv.Itoa(maxContributionErrors)})
	}
	return p.t, p.es.Err()
}

// sheetLine is one row of cells and its number as a spreadsheet program shows it (1-based).
type sheetLine struct {
	num   int
	cells []string
}

// readContributionCSV splits CSV into rows, keeping blank lines so row numbers match what a
// spreadsheet program shows (encoding/csv skips them). Quoted cells may hold separators,
// doubled quotes and line breaks.
func readContributionCSV(data []byte) ([]sheetLine, valid.Errors) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, valid.Errors{{Field: "file", Rule: "encoding"}}
	}
	// The separator is the one used most on the first line that uses any (title lines above
	// the table, like Annex A's, have none).
	delim := byte(',')
	var line []byte
	for rest := data; len(rest) > 0; {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if bytes.ContainsAny(line, ",;\t") {
			break
		}
	}
	best := bytes.Count(line, []byte{','})
	for _, d := range []byte{';', '\t'} {
		if c := bytes.Count(line, []byte{d}); c > best {
			delim, best = d, c
		}
	}
	split, bad := org.SplitCSV(data, delim)
	if bad > 0 {
		return nil, valid.Errors{{Row: bad, Field: "file", Rule: "csv_quote"}}
	}
	rows := make([]sheetLine, len(split))
	for i, cells := range split {
		rows[i] = sheetLine{num: i + 1, cells: cells}
	}
	return rows, nil
}

// readContributionXLSX reads the first sheet of a workbook with raw cell values, so amounts
// arrive as numbers rather than as the reader's locale formats them.
func readContributionXLSX(data []byte) (rows []sheetLine, es valid.Errors) {
	bad := valid.Errors{{Field: "file", Rule: "xlsx"}}
	defer func() {
		// The workbook comes from the user: a malformed one gives an error, never a crash.
		if p := recover(); p != nil {
			rows, es = nil, bad
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, bad
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, valid.Errors{{Field: "file", Rule: "no_rows"}}
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, bad
	}
	defer it.Close()
	for n := 1; it.Next(); n++ {
		cells, err := it.Columns()
		if err != nil {
			return nil, bad
		}
		if len(cells) > 0 {
			rows = append(rows, sheetLine{num: n, cells: cells})
		}
		if n > 10000 {
			return nil, valid.Errors{{Field: "file", Rule: "file_too_large", Param: "10000"}}
		}
	}
	if it.Error() != nil {
		return nil, bad
	}
	return rows, nil
}

type contributionParser struct {
	t           ContributionTable
	es          valid.Errors
	header      bool
	levelCol    map[string]int // contributor level → column
	subtotalCol int            // -1 when the header has no subtotal column
	firstAmount int            // leftmost amount column
	seenCat     map[string]bool
	seenRate    map[string]bool
	whole       bool
	corner      *int64 // the sub-total row's subtotal cell: the total as that row states it
	cornerRow   int
	totalRow    int
}

// col is the column of a level's amounts, or -1 when the header has none.
func (p *contributionParser) col(level string) int {
	if c, ok := p.levelCol[level]; ok {
		return c
	}
	return -1
}

func (p *contributionParser) fail(row int, field, rule string, param ...string) {
	e := valid.FieldError{Row: row, Field: field, Rule: rule}
	if len(param) > 0 {
		e.Param = param[0]
	}
	p.es = append(p.es, e)
}

func (p *contributionParser) parse(rows []sheetLine) {
	p.seenCat, p.seenRate, p.whole = map[string]bool{}, map[string]bool{}, true
	for _, row := range rows {
		for i, c := range row.cells {
			row.cells[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		}
		if !p.header {
			p.readHeader(row)
			continue
		}
		p.readRow(row)
	}
	if !p.header {
		p.fail(0, "file", "inkind_no_header")
		return
	}
	if len(p.t.Rows) == 0 && len(p.es) == 0 {
		p.fail(0, "file", "no_rows")
	}
	if p.corner != nil {
		if p.t.StatedTotal == nil {
			p.t.StatedTotal = p.corner
		} else if *p.t.StatedTotal != *p.corner {
			p.fail(p.totalRow, "amount", "inkind_total_twice", formatMoney(*p.corner))
		}
	}
	if len(p.es) == 0 && p.whole {
		p.t.WholeUnits = true
	}
}

// readHeader takes row as the header when it names a contributor level.
func (p *contributionParser) readHeader(row sheetLine) {
	levels := map[string]int{}
	sub := -1
	for i, c := range row.cells {
		if c == "" {
			continue
		}
		if isSubtotalLabel(c) {
			sub = i
			continue
		}
		if lv, ok := levelOfHeading(c); ok {
			if _, dup := levels[lv]; dup {
				p.fail(row.num, "contributor_level", "unique", c)
			}
			levels[lv] = i
		}
	}
	if len(levels) == 0 {
		return
	}
	p.header, p.levelCol, p.subtotalCol = true, levels, sub
	p.firstAmount = len(row.cells)
	for _, i := range levels {
		p.firstAmount = min(p.firstAmount, i)
	}
	if sub >= 0 {
		p.firstAmount = min(p.firstAmount, sub)
	}
	for _, c := range row.cells {
		if cur, ok := currencyIn(c); ok {
			p.t.Currency = cur
			break
		}
	}
}

// amount reads the cell at col of row; ok is false for a blank cell or a bad one (reported).
func (p *contributionParser) amount(row sheetLine, col int) (int64, bool) {
	if col < 0 || col >= len(row.cells) {
		return 0, false
	}
	s := row.cells[col]
	s = strings.NewReplacer("¥", "", "￥", "", "$", "", " ", "", "\u00a0", "", "\u3000", "").Replace(s)
	if s == "" || s == "-" || s == "–" || s == "—" {
		return 0, false
	}
	v, err := ParseAmount(s)
	if err != nil {
		// A workbook's raw numbers may carry binary noise (0.30000000000000004).
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < float64(MaxAmount)/100 {
			if c := math.Round(f * 100); math.Abs(f*100-c) < 1e-6 {
				v, err = int64(c), nil
			}
		}
	}
	if err != nil || v < 0 || v > MaxAmount {
		p.fail(row.num, "amount", "amount_cell", cellRef(col, row.num))
		return 0, false
	}
	if v%100 != 0 {
		p.whole = false
	}
	return v, true
}

func (p *contributionParser) readRow(row sheetLine) {
	labelCol := -1
	for i, c := range row.cells {
		if c != "" {
			labelCol = i
			break
		}
	}
	if labelCol < 0 {
		return
	}
	label := row.cells[labelCol]
	switch {
	case isRateLabel(label):
		p.readRates(row, strings.Join(row.cells[labelCol:], " "))
	case isTotalLabel(label):
		p.readTotal(row, labelCol, label)
	case labelCol >= p.firstAmount && isAmountText(label):
		p.fail(row.num, "category", "required")
	case isSubtotalLabel(label):
		if p.cornerRow != 0 {
			p.fail(row.num, "category", "unique", label)
			return
		}
		p.cornerRow = row.num
		for _, l := range ContributorLevels {
			if v, ok := p.amount(row, p.col(l.Code)); ok {
				if p.t.StatedLevelTotals == nil {
					p.t.StatedLevelTotals = map[string]int64{}
				}
				p.t.StatedLevelTotals[l.Code] = v
			}
		}
		if v, ok := p.amount(row, p.subtotalCol); ok {
			p.corner = &v
		}
	default:
		cat, ok := categoryOfLabel(label)
		if !ok {
			// A note or a heading has no amounts; a row with amounts needs a known category.
			for _, col := range p.levelCol {
				if col < len(row.cells) && row.cells[col] != "" {
					p.fail(row.num, "category", "inkind_category", label)
					return
				}
			}
			return
		}
		if p.seenCat[cat] {
			p.fail(row.num, "category", "unique", label)
			return
		}
		p.seenCat[cat] = true
		cr := ContributionRow{Category: cat, Amounts: map[string]int64{}}
		for _, l := range ContributorLevels {
			if v, ok := p.amount(row, p.col(l.Code)); ok {
				cr.Amounts[l.Code] = v
			}
		}
		if v, ok := p.amount(row, p.subtotalCol); ok {
			cr.StatedSubtotal = &v
		}
		p.t.Rows = append(p.t.Rows, cr)
	}
}

// readTotal takes a "Total in <currency>" row: the last filled cell right of the label.
func (p *contributionParser) readTotal(row sheetLine, labelCol int, label string) {
	cur, ok := currencyIn(label)
	if !ok {
		cur = p.t.Currency
	}
	col := -1
	for i := len(row.cells) - 1; i > labelCol; i-- {
		if row.cells[i] != "" {
			col = i
			break
		}
	}
	if col < 0 {
		p.fail(row.num, "amount", "required")
		return
	}
	v, ok := p.amount(row, col)
	if !ok {
		return
	}
	if cur == p.t.Currency {
		if p.t.StatedTotal != nil {
			p.fail(row.num, "amount", "unique", label)
			return
		}
		p.t.StatedTotal, p.totalRow = &v, row.num
		return
	}
	if p.t.StatedConverted == nil {
		p.t.StatedConverted = map[string]int64{}
	}
	if _, dup := p.t.StatedConverted[cur]; dup {
		p.fail(row.num, "currency", "unique", cur)
		return
	}
	p.t.StatedConverted[cur] = v
}

// rateRE reads "US $1:6.302 RMB" (and "US$1 = 0.9812 CAN$", "1 USD : 6.302 CNY").
var rateRE = regexp.MustCompile(`(?i)(?:US\s*\$\s*1|1\s*USD|USD\s*1)\s*[:：=]\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(RMB|CNY|CAN\s*\$|CAD|[A-Z]{3}\b|人民币|加元|欧元)`)

func (p *contributionParser) readRates(row sheetLine, text string) {
	ms := rateRE.FindAllStringSubmatch(text, -1)
	if len(ms) == 0 {
		p.fail(row.num, "rate", "inkind_rate")
		return
	}
	for _, m := range ms {
		cur, ok := currencyIn(m[2])
		num := strings.ReplaceAll(m[1], ",", "")
		if f, err := strconv.ParseFloat(num, 64); !ok || err != nil || f <= 0 || cur == "USD" {
			p.fail(row.num, "rate", "inkind_rate")
			continue
		}
		if p.seenRate[cur] {
			p.fail(row.num, "rate", "unique", cur)
			continue
		}
		p.seenRate[cur] = true
		p.t.Rates = append(p.t.Rates, Rate{Currency: cur, PerUSD: num})
	}
}

// cellRef names a cell as a spreadsheet program does: column 2 (0-based) of row 12 is C12.
func cellRef(col, row int) string {
	name := ""
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		name = string(rune('A'+(n-1)%26)) + name
	}
	return name + strconv.Itoa(row)
}

// normLabel lower-cases a label and folds hyphens, underscores, full-width spaces and runs of
// space to one space, so "Full time staff salary" meets "Full-time staff salary".
func normLabel(s string) string {
	s = strings.ToLower(strings.NewReplacer("-", " ", "_", " ", "\u3000", " ", "（", "(", "）", ")", "：", ":").Replace(s))
	return strings.Join(strings.Fields(s), " ")
}

// baseLabel is a label without its parenthesised explanation.
func baseLabel(s string) string {
	if i := strings.Index(s, "("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func categoryOfLabel(label string) (string, bool) {
	n := normLabel(label)
	for _, c := range Categories {
		for _, name := range []string{c.Code, c.NameEN, c.NameZH} {
			m := normLabel(name)
			if n == m || baseLabel(n) != "" && baseLabel(n) == baseLabel(m) {
				return c.Code, true
			}
		}
	}
	return "", false
}

// levelOfHeading recognises a contributor level's column heading: its code, Annex A's English
// heading ("National ACWF (RMB)", "Provincial Partners (…)", "Local Partners (…)") or Chinese.
func levelOfHeading(h string) (string, bool) {
	n := normLabel(h)
	for _, l := range ContributorLevels {
		if n == l.Code || n == normLabel(l.NameEN) || n == normLabel(l.NameZH) {
			return l.Code, true
		}
	}
	switch {
	case strings.HasPrefix(n, "national") || strings.HasPrefix(n, "全国"):
		return NationalLevel, true
	case strings.HasPrefix(n, "provincial") || strings.HasPrefix(n, "省"):
		return ProvincialLevel, true
	case strings.HasPrefix(n, "local") || strings.HasPrefix(n, "地方"):
		return LocalLevel, true
	}
	return "", false
}

func isSubtotalLabel(s string) bool {
	n := normLabel(s)
	return strings.HasPrefix(n, "subtotal") || strings.HasPrefix(n, "sub total") || strings.HasPrefix(n, "小计")
}

func isTotalLabel(s string) bool {
	n := normLabel(s)
	return strings.HasPrefix(n, "total") || strings.HasPrefix(n, "合计") || strings.HasPrefix(n, "总计")
}

func isRateLabel(s string) bool {
	n := normLabel(s)
	return strings.HasPrefix(n, "exchange rate") || strings.HasPrefix(n, "汇率")
}

// isAmountText reports whether a cell reads as a number rather than a label.
func isAmountText(s string) bool {
	s = strings.NewReplacer(",", "", "¥", "", "￥", "", "$", "", " ", "").Replace(s)
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

var (
	// curWordRE finds a currency written as Annex A and its readers write them, as a word.
	curWordRE = regexp.MustCompile(`(?i)(can\s*\$|us\s*\$|\b(?:usd|cad|cny|rmb)\b|人民币|美元|加拿大元|加元)`)
	isoWordRE = regexp.MustCompile(`\b[A-Z]{3}\b`)
)

// currencyIn finds the currency a label names: RMB or 人民币 is CNY, US$ USD, CAN$ CAD, else an
// ISO 4217 code written in it.
func currencyIn(s string) (string, bool) {
	if m := curWordRE.FindString(s); m != "" {
		switch w := strings.ToLower(strings.ReplaceAll(m, " ", "")); w {
		case "can$", "cad", "加拿大元", "加元":
			return "CAD", true
		case "us$", "usd", "美元":
			return "USD", true
		default:
			return "CNY", true
		}
	}
	for _, w := range isoWordRE.FindAllString(s, -1) {
		if isCurrency(w) {
			return w, true
		}
	}
	return "", false
}
