package org

// Import and export of units and partners as CSV or XLSX spreadsheets. An import is
// all-or-nothing: every row is checked first and any failure is reported by row (as the
// spreadsheet numbers it), column and rule, with nothing written; otherwise every row is
// written in one transaction. An export uses the same columns, so it re-imports cleanly.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Format is a spreadsheet file format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// XLSXType is the media type of XLSX files.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// DetectFormat tells XLSX (a zip archive) from CSV by the file's first bytes.
func DetectFormat(data []byte) Format {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// Kind names what a file holds.
type Kind string

const (
	UnitsFile    Kind = "units"
	PartnersFile Kind = "partners"
)

// column is one column of an import file: its name (also the valid.FieldError field) and the
// other headings users write for it.
type column struct {
	name     string
	required bool
	aliases  []string
}

var unitColumns = []column{
	{"code", true, []string{"代码", "编码", "单位编码"}},
	{"level", true, []string{"层级", "级别"}},
	{"parent_code", true, []string{"上级代码", "上级编码", "上级单位代码", "parent"}},
	{"name_zh", true, []string{"中文名称", "中文名", "名称（中文）"}},
	{"name_en", true, []string{"英文名称", "英文名", "名称（英文）"}},
	{"tags", false, []string{"标签"}},
	{"effective", false, []string{"生效日期", "日期"}},
}

var partnerColumns = []column{
	{"code", true, []string{"代码", "编码", "伙伴代码"}},
	{"unit_code", true, []string{"单位代码", "所属单位代码", "单位编码", "unit"}},
	{"type", true, []string{"类型"}},
	{"sector", false, []string{"领域", "部门"}},
	{"name_zh", true, []string{"中文名称", "中文名", "名称（中文）"}},
	{"name_en", true, []string{"英文名称", "英文名", "名称（英文）"}},
	{"contact", false, []string{"联系方式", "联系人"}},
	{"notes", false, []string{"备注"}},
	{"active", false, []string{"有效", "是否有效", "状态"}},
}

// ColumnNames lists a file kind's columns in export order.
func ColumnNames(k Kind) []string {
	cols := unitColumns
	if k == PartnersFile {
		cols = partnerColumns
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// maxReport bounds a report: past it the user learns nothing new from more lines.
const maxReport = 500

// report collects row errors.
type report struct{ es valid.Errors }

func (r *report) add(row int, field, rule string, param ...string) {
	e := valid.FieldError{Row: row, Field: field, Rule: rule}
	if len(param) > 0 {
		e.Param = param[0]
	}
	r.es = append(r.es, e)
}

// addAll copies the domain's field errors onto row, renaming id fields to the file's columns.
func (r *report) addAll(row int, es valid.Errors) {
	for _, e := range es {
		e.Row = row
		switch e.Field {
		case "parent_id":
			e.Field = "parent_code"
		case "unit_id":
			e.Field = "unit_code"
		}
		r.es = append(r.es, e)
	}
}

// done sorts the errors by row (stable, so a row's errors keep column order) and caps them.
func (r *report) done() valid.Errors {
	slices.SortStableFunc(r.es, func(a, b valid.FieldError) int { return a.Row - b.Row })
	if len(r.es) > maxReport {
		r.es = append(r.es[:maxReport], valid.FieldError{Field: "file", Rule: "too_many_errors", Param: strconv.Itoa(maxReport)})
	}
	return r.es
}

// ---- reading files ----

// sheetRow is one row of cells and its number as a spreadsheet program shows it (1-based).
type sheetRow struct {
	num   int
	cells []string
}

// readSheet reads the rows of a CSV or XLSX file.
func readSheet(data []byte, f Format) ([]sheetRow, valid.Errors) {
	if f == XLSX {
		return readXLSX(data)
	}
	return readCSV(data)
}

var utf8BOM = []byte("\xef\xbb\xbf")

// readCSV parses RFC 4180 CSV. It is written out rather than using encoding/csv because that
// package skips blank lines, and the row numbers in a report must match what a spreadsheet
// program shows for the same file.
func readCSV(data []byte) ([]sheetRow, valid.Errors) {
	var r report
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		// Excel's "Unicode text" is UTF-16 with a byte-order mark, tab separated.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			r.add(0, "file", "encoding")
			return nil, r.done()
		}
		data = out
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		r.add(0, "file", "encoding")
		return nil, r.done()
	}
	delim := sniffDelimiter(data)
	split, bad := SplitCSV(data, delim)
	if bad > 0 {
		r.add(bad, "file", "csv_quote")
		return nil, r.done()
	}
	rows := make([]sheetRow, len(split))
	for i, cells := range split {
		rows[i] = sheetRow{num: i + 1, cells: cells}
	}
	for _, row := range rows {
		for j, v := range row.cells {
			row.cells[j] = unguardFormula(v)
		}
	}
	return rows, nil
}

// SplitCSV splits RFC 4180 CSV into records, one per spreadsheet row: blank lines are kept
// (encoding/csv skips them, and row numbers in a report must match what a spreadsheet program
// shows), quoted cells may hold the delimiter, doubled quotes and line breaks (CRLF inside is
// read as LF). A quote left open, or text after a closing quote, returns the row it began on.
func SplitCSV(data []byte, delim byte) (rows [][]string, badRow int) {
	var cells []string
	var cell strings.Builder
	num := 1
	endRow := func() {
		cells = append(cells, cell.String())
		cell.Reset()
		rows = append(rows, cells)
		cells = nil
		num++
	}
	i := 0
	atCellStart := true
	for i < len(data) {
		c := data[i]
		switch {
		case atCellStart && c == '"':
			i++
			closed := false
			for i < len(data) {
				if data[i] == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						cell.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
					i++
					continue
				}
				cell.WriteByte(data[i])
				i++
			}
			if !closed || i < len(data) && data[i] != delim && data[i] != '\n' && data[i] != '\r' {
				return nil, num
			}
			atCellStart = false
		case c == delim:
			cells = append(cells, cell.String())
			cell.Reset()
			atCellStart = true
			i++
		case c == '\n' || c == '\r':
			if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			i++
			endRow()
			atCellStart = true
		default:
			cell.WriteByte(c)
			atCellStart = false
			i++
		}
	}
	if !atCellStart || len(cells) > 0 || cell.Len() > 0 {
		endRow()
	}
	return rows, 0
}

// sniffDelimiter picks ';' or tab only when the header line uses it more than commas.
func sniffDelimiter(data []byte) byte {
	line := data
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		line = data[:i]
	}
	best, n := byte(','), bytes.Count(line, []byte{','})
	for _, d := range []byte{';', '\t'} {
		if c := bytes.Count(line, []byte{d}); c > n {
			best, n = d, c
		}
	}
	return best
}

// Spreadsheet programs run a cell that starts with one of these as a formula, so an export
// puts an apostrophe before such cells and an import takes it off again.
const formulaStart = "=+-@\t\r"

func guardFormula(s string) string {
	t := strings.TrimLeft(s, "'")
	if t != "" && strings.ContainsRune(formulaStart, rune(t[0])) {
		return "'" + s
	}
	return s
}

func unguardFormula(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	t := strings.TrimLeft(s, "'")
	if t != "" && strings.ContainsRune(formulaStart, rune(t[0])) {
		return s[1:]
	}
	return s
}

// xlsxLimit caps the unpacked size of an uploaded workbook, so a small zip cannot expand into
// gigabytes.
const xlsxLimit = 256 << 20

// readXLSX reads the first sheet of a workbook. Cell values are read raw, so a date typed into
// Excel arrives as its serial number (which the date columns accept) rather than formatted by
// the reader's locale.
func readXLSX(data []byte) (rows []sheetRow, es valid.Errors) {
	var r report
	defer func() {
		// The workbook comes from the user; a malformed one must give a report, never a crash.
		if p := recover(); p != nil {
			rows, es = nil, valid.Errors{{Field: "file", Rule: "xlsx"}}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: xlsxLimit, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		r.add(0, "file", "xlsx")
		return nil, r.done()
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		r.add(0, "file", "no_rows")
		return nil, r.done()
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		r.add(0, "file", "xlsx")
		return nil, r.done()
	}
	defer it.Close()
	for n := 1; it.Next(); n++ {
		cells, err := it.Columns()
		if err != nil {
			r.add(n, "file", "xlsx")
			return nil, r.done()
		}
		if len(cells) > 0 {
			rows = append(rows, sheetRow{num: n, cells: cells})
		}
	}
	if it.Error() != nil {
		r.add(0, "file", "xlsx")
		return nil, r.done()
	}
	return rows, nil
}

// ---- matching the header ----

func normHeading(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	s = strings.ToLower(s)
	s = strings.NewReplacer(" ", "_", "-", "_", "\u3000", "_").Replace(s)
	return s
}

// table is a file's data rows with the header matched to columns.
type table struct {
	col  map[string]int // column name → cell index
	rows []sheetRow
}

func (t table) has(name string) bool { _, ok := t.col[name]; return ok }

// cell returns a row's value in the named column, trimmed; "" when absent.
func (t table) cell(r sheetRow, name string) string {
	i, ok := t.col[name]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// matchHeader takes the first non-blank row as the header, matches its headings to cols by name
// or alias (case-insensitively, in any order), and returns the data rows after it.
func matchHeader(rows []sheetRow, cols []column, r *report) (table, bool) {
	for len(rows) > 0 && blank(rows[0].cells) {
		rows = rows[1:]
	}
	if len(rows) == 0 {
		r.add(0, "file", "no_rows")
		return table{}, false
	}
	head := rows[0]
	t := table{col: map[string]int{}}
	ok := true
	for i, h := range head.cells {
		key := normHeading(h)
		if key == "" {
			continue
		}
		name := ""
		for _, c := range cols {
			if key == c.name || slices.ContainsFunc(c.aliases, func(a string) bool { return normHeading(a) == key }) {
				name = c.name
				break
			}
		}
		switch {
		case name == "":
			r.add(head.num, "header", "unknown_column", strings.TrimSpace(h))
			ok = false
		case t.has(name):
			r.add(head.num, "header", "duplicate_column", strings.TrimSpace(h))
			ok = false
		default:
			t.col[name] = i
		}
	}
	for _, c := range cols {
		if c.required && !t.has(c.name) {
			r.add(head.num, c.name, "missing_column")
			ok = false
		}
	}
	for _, row := range rows[1:] {
		if blank(row.cells) {
			continue
		}
		// A value under a column without a heading is likely data put in the wrong place.
		for i := len(head.cells); i < len(row.cells); i++ {
			if strings.TrimSpace(row.cells[i]) != "" {
				r.add(row.num, "file", "no_column", strconv.Itoa(i+1))
				break
			}
		}
		t.rows = append(t.rows, row)
	}
	if ok && len(t.rows) == 0 {
		r.add(0, "file", "no_rows")
		ok = false
	}
	return t, ok
}

// ---- cell values ----

var levelAliases = map[string]Level{
	"国家": National, "国家级": National, "全国": National,
	"省": Provincial, "省级": Provincial,
	"市": Municipal, "市级": Municipal, "地市级": Municipal,
	"县": County, "县级": County, "区县": County,
	"社区": Community, "村": Community, "社区级": Community,
}

func parseLevelCell(s string) (Level, bool) {
	if l, ok := ParseLevel(s); ok {
		return l, true
	}
	l, ok := levelAliases[strings.TrimSpace(s)]
	return l, ok
}

// splitTagCell splits a tags cell on ';', ',', spaces and their full-width forms.
func splitTagCell(s string) []string {
	return normTags(strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == ',' || r == '；' || r == '，' || r == '、' || r == ' ' || r == '\t' || r == '\u3000' || r == '\n' || r == '\r'
	}))
}

// excelEpoch is day 0 of Excel's date serial numbers (correct from 1 March 1900 on).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// normDate rewrites the date spellings spreadsheets produce as YYYY-MM-DD; anything else is
// returned unchanged for the date rule to report. serial admits Excel's day numbers.
func normDate(s string, serial bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for _, layout := range []string{time.DateOnly, "2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	if serial {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 61 && f < 2958466 && f == math.Trunc(f) {
			return excelEpoch.AddDate(0, 0, int(f)).Format(time.DateOnly)
		}
	}
	return s
}

// parseBool reads the active column; ok is false for anything unrecognised.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "是", "有效":
		return true, true
	case "false", "0", "no", "n", "否", "无效":
		return false, true
	}
	return false, false
}

// ---- units: parsing and row rules ----

// UnitRow is one validated row of a units file.
type UnitRow struct {
	Row        int      `json:"row"`
	Code       string   `json:"code"`
	Level      Level    `json:"level"`
	ParentCode string   `json:"parent_code"`
	NameZH     string   `json:"name_zh"`
	NameEN     string   `json:"name_en"`
	Tags       []string `json:"tags"`
	Effective  string   `json:"effective"`
}

// UnitSheet is a parsed units file. Columns says which optional columns it has: an absent
// tags column keeps existing units' tags.
type UnitSheet struct {
	Rows    []UnitRow
	Columns []string
}

func (s UnitSheet) has(name string) bool { return slices.Contains(s.Columns, name) }

// ParseUnits reads a units file and applies every rule that needs no database: the header,
// each cell, codes repeated within the file, and parent links among the file's own rows. It
// returns either rows or a report, never both.
func ParseUnits(data []byte, f Format) (UnitSheet, valid.Errors) {
	sh, _, es := parseUnits(data, f)
	if len(es) > 0 {
		return UnitSheet{}, es
	}
	return sh, nil
}

// parseUnits returns every row it could read, with bad marking the row numbers that failed, so
// that the database checks can still report on the other rows.
func parseUnits(data []byte, f Format) (UnitSheet, map[int]bool, valid.Errors) {
	var r report
	sheet, es := readSheet(data, f)
	if len(es) > 0 {
		return UnitSheet{}, nil, es
	}
	t, ok := matchHeader(sheet, unitColumns, &r)
	if !ok {
		return UnitSheet{}, nil, r.done()
	}
	out := UnitSheet{}
	for _, c := range unitColumns {
		if t.has(c.name) {
			out.Columns = append(out.Columns, c.name)
		}
	}
	bad := map[int]bool{}
	first := map[string]int{}
	for _, row := range t.rows {
		n := len(r.es)
		u := UnitRow{Row: row.num, Code: t.cell(row, "code"), ParentCode: t.cell(row, "parent_code"),
			NameZH: t.cell(row, "name_zh"), NameEN: t.cell(row, "name_en"),
			Tags: splitTagCell(t.cell(row, "tags")), Effective: normDate(t.cell(row, "effective"), f == XLSX)}
		u.Level, _ = parseLevelCell(t.cell(row, "level"))
		r.addAll(row.num, CheckUnitInput(UnitInput{Code: u.Code, Level: u.Level, NameZH: u.NameZH, NameEN: u.NameEN, Tags: u.Tags, Effective: u.Effective}))
		switch {
		case u.ParentCode == "" && u.Level > National:
			r.add(row.num, "parent_code", "required")
		case u.ParentCode != "" && u.Level == National:
			r.add(row.num, "level", "national_no_parent")
		case u.ParentCode != "" && u.ParentCode == u.Code:
			r.add(row.num, "parent_code", "cycle", u.Code)
		}
		if u.Code != "" {
			if at, dup := first[u.Code]; dup {
				r.add(row.num, "code", "duplicate_in_file", strconv.Itoa(at))
			} else {
				first[u.Code] = row.num
			}
		}
		if len(r.es) > n {
			bad[row.num] = true
		}
		out.Rows = append(out.Rows, u)
	}
	// Parent links among the file's rows: the parent must sit on a higher level, and
	// following parents must not come back to the row.
	idx := map[string]int{}
	for i, u := range out.Rows {
		if _, dup := idx[u.Code]; !dup {
			idx[u.Code] = i
		}
	}
	for _, u := range out.Rows {
		pi, ok := idx[u.ParentCode]
		if !ok || u.ParentCode == u.Code || u.Level == 0 {
			continue
		}
		if p := out.Rows[pi]; p.Level != 0 && u.Level <= p.Level && u.Level != National {
			r.add(u.Row, "level", "below_parent", p.Level.Key())
			bad[u.Row] = true
		}
		seen := map[string]bool{u.Code: true}
		for code := u.ParentCode; ; {
			j, ok := idx[code]
			if !ok {
				break
			}
			if seen[code] {
				// Only the rows on the loop report it, not every row hanging below one.
				if code == u.Code {
					r.add(u.Row, "parent_code", "cycle", u.ParentCode)
					bad[u.Row] = true
				}
				break
			}
			seen[code] = true
			code = out.Rows[j].ParentCode
		}
	}
	return out, bad, r.done()
}

// ---- partners: parsing and row rules ----

// PartnerRow is one validated row of a partners file. Active is nil when the cell is empty.
type PartnerRow struct {
	Row      int    `json:"row"`
	Code     string `json:"code"`
	UnitCode string `json:"unit_code"`
	Type     string `json:"type"`
	Sector   string `json:"sector"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	Contact  string `json:"contact"`
	Notes    string `json:"notes"`
	Active   *bool  `json:"active"`
}

// PartnerSheet is a parsed partners file; an absent optional column keeps existing partners'
// values.
type PartnerSheet struct {
	Rows    []PartnerRow
	Columns []string
}

func (s PartnerSheet) has(name string) bool { return slices.Contains(s.Columns, name) }

// ParsePartners reads a partners file and applies the rules that need no database. It returns
// either rows or a report, never both.
func ParsePartners(data []byte, f Format) (PartnerSheet, valid.Errors) {
	sh, _, es := parsePartners(data, f)
	if len(es) > 0 {
		return PartnerSheet{}, es
	}
	return sh, nil
}

func parsePartners(data []byte, f Format) (PartnerSheet, map[int]bool, valid.Errors) {
	var r report
	sheet, es := readSheet(data, f)
	if len(es) > 0 {
		return PartnerSheet{}, nil, es
	}
	t, ok := matchHeader(sheet, partnerColumns, &r)
	if !ok {
		return PartnerSheet{}, nil, r.done()
	}
	out := PartnerSheet{}
	for _, c := range partnerColumns {
		if t.has(c.name) {
			out.Columns = append(out.Columns, c.name)
		}
	}
	bad := map[int]bool{}
	first := map[string]int{}
	for _, row := range t.rows {
		n := len(r.es)
		p := PartnerRow{Row: row.num, Code: t.cell(row, "code"), UnitCode: t.cell(row, "unit_code"),
			Type: strings.ToLower(t.cell(row, "type")), Sector: strings.ToLower(t.cell(row, "sector")),
			NameZH: t.cell(row, "name_zh"), NameEN: t.cell(row, "name_en"), Contact: t.cell(row, "contact"), Notes: t.cell(row, "notes")}
		var es valid.Errors
		for _, e := range CheckPartnerInput(p.input(1)) {
			if e.Field != "unit_id" {
				es = append(es, e)
			}
		}
		r.addAll(row.num, es)
		if p.UnitCode == "" {
			r.add(row.num, "unit_code", "required")
		}
		if s := t.cell(row, "active"); s != "" {
			v, ok := parseBool(s)
			if !ok {
				r.add(row.num, "active", "bool")
			}
			p.Active = &v
		}
		if p.Code != "" {
			if at, dup := first[p.Code]; dup {
				r.add(row.num, "code", "duplicate_in_file", strconv.Itoa(at))
			} else {
				first[p.Code] = row.num
			}
		}
		if len(r.es) > n {
			bad[row.num] = true
		}
		out.Rows = append(out.Rows, p)
	}
	return out, bad, r.done()
}

func (p PartnerRow) input(unitID int64) PartnerInput {
	return PartnerInput{Code: p.Code, UnitID: unitID, Type: p.Type, Sector: p.Sector, NameZH: p.NameZH, NameEN: p.NameEN,
		Contact: p.Contact, Notes: p.Notes, Active: p.Active}
}

// ---- import ----

// ImportOptions choose the file format ("" detects it) and a dry run, which checks and counts
// everything as a real import would and then writes nothing.
type ImportOptions struct {
	Format Format
	DryRun bool
}

// ImportResult is what an import did, or in a dry run would do. Errors lists every failure;
// when it is not empty nothing was written and the counts are zero.
type ImportResult struct {
	Kind      Kind         `json:"kind"`
	Format    Format       `json:"format"`
	Rows      int          `json:"rows"`
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	DryRun    bool         `json:"dry_run"`
	Errors    valid.Errors `json:"errors"`
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("dry run")

// Import reads a units or partners file and creates or updates a record per row, matched by
// code. Rows failing any rule come back as ImportResult.Errors (also returned as the error,
// a valid.Errors) and nothing is written.
func (s *Service) Import(ctx context.Context, a access.Actor, k Kind, data []byte, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{Kind: k, Format: opt.Format, DryRun: opt.DryRun, Errors: valid.Errors{}}
	if res.Format == "" {
		res.Format = DetectFormat(data)
	}
	need := access.EditUnits
	if k == PartnersFile {
		need = access.EditPartners
	}
	if err := a.Require(access.ImportNetwork); err != nil {
		return res, err
	}
	if err := a.Require(need); err != nil {
		return res, err
	}
	var run func(tx *sql.Tx, res *ImportResult) (valid.Errors, error)
	switch k {
	case UnitsFile:
		sh, bad, es := parseUnits(data, res.Format)
		if sh.Rows == nil {
			return s.failed(res, es)
		}
		res.Rows = len(sh.Rows)
		run = func(tx *sql.Tx, res *ImportResult) (valid.Errors, error) {
			return s.importUnits(ctx, tx, a, sh, bad, es, res)
		}
	case PartnersFile:
		sh, bad, es := parsePartners(data, res.Format)
		if sh.Rows == nil {
			return s.failed(res, es)
		}
		res.Rows = len(sh.Rows)
		run = func(tx *sql.Tx, res *ImportResult) (valid.Errors, error) {
			return s.importPartners(ctx, tx, a, sh, bad, es, res)
		}
	default:
		return res, fmt.Errorf("import: unknown kind %q", k)
	}
	var report valid.Errors
	try := res
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		try = res
		es, err := run(tx, &try)
		if err != nil {
			return err
		}
		if len(es) > 0 {
			report = es
			return es
		}
		summary := try
		summary.Errors = nil
		if err := audit.Record(ctx, tx, a, "import", "import", 0, a.UnitID, nil, summary); err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	switch {
	case len(report) > 0:
		return s.failed(res, report)
	case errors.Is(err, errDryRun):
		return try, nil
	case err != nil:
		return res, fmt.Errorf("import %s: %w", k, err)
	}
	return try, nil
}

func (s *Service) failed(res ImportResult, es valid.Errors) (ImportResult, error) {
	res.Created, res.Updated, res.Unchanged = 0, 0, 0
	res.Errors = es
	return res, es
}

func (s *Service) allUnits(ctx context.Context, tx *sql.Tx) (map[string]Unit, error) {
	list, err := queryUnits(ctx, tx, "SELECT "+unitCols+" FROM org_units")
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	out := make(map[string]Unit, len(list))
	for _, u := range list {
		out[u.Code] = u
	}
	return out, nil
}

// unitStep is what one row does.
type unitStep struct {
	row          UnitRow
	existing     *Unit
	rename, move bool
	effective    string
}

// importUnits checks the rows against the database and the actor's scope, then applies them in
// level order so that parents created by the file exist before their children.
func (s *Service) importUnits(ctx context.Context, tx *sql.Tx, a access.Actor, sh UnitSheet, bad map[int]bool, parseErrs valid.Errors, res *ImportResult) (valid.Errors, error) {
	r := report{es: slices.Clone(parseErrs)}
	db, err := s.allUnits(ctx, tx)
	if err != nil {
		return nil, err
	}
	lastFrom := map[int64]string{}
	rows, err := tx.QueryContext(ctx, "SELECT unit_id, valid_from FROM org_unit_versions WHERE valid_to IS NULL")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var from string
		if err := rows.Scan(&id, &from); err != nil {
			rows.Close()
			return nil, err
		}
		lastFrom[id] = from
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := s.today()
	order := slices.Clone(sh.Rows)
	slices.SortStableFunc(order, func(x, y UnitRow) int { return int(x.Level) - int(y.Level) })
	inFile := map[string]UnitRow{}
	for _, u := range order {
		if _, dup := inFile[u.Code]; !dup {
			inFile[u.Code] = u
		}
	}
	// parentOf gives each code's parent code after the import, for the cycle check.
	codeOf := map[int64]string{}
	for code, u := range db {
		codeOf[u.ID] = code
	}
	parentOf := func(code string) (string, bool) {
		if u, ok := inFile[code]; ok {
			return u.ParentCode, true
		}
		if u, ok := db[code]; ok {
			return codeOf[u.ParentID], true
		}
		return "", false
	}
	// opened is the date each unit the file creates will open, for its children's dates.
	opened := map[string]string{}
	var steps []unitStep
	for _, u := range order {
		if bad[u.Row] {
			continue
		}
		n := len(r.es)
		st := unitStep{row: u, effective: u.Effective}
		if st.effective == "" {
			st.effective = today
		}
		ex, exists := db[u.Code]
		if exists {
			if !a.Sees(ex.Path) {
				r.add(u.Row, "code", "unique", u.Code)
				continue
			}
			st.existing = &ex
			tags := ex.Tags
			if sh.has("tags") {
				tags = u.Tags
			}
			st.rename = ex.NameZH != u.NameZH || ex.NameEN != u.NameEN || !slices.Equal(ex.Tags, tags)
			st.move = codeOf[ex.ParentID] != u.ParentCode
			switch {
			case ex.Level != u.Level:
				r.add(u.Row, "level", "level_fixed", ex.Level.Key())
			case !st.rename && !st.move:
				res.Unchanged++
				continue
			case ex.Path == a.UnitPath && a.UnitPath != "/":
				// Officers manage what lies below them, not their own unit.
				r.add(u.Row, "code", "outside_scope", u.Code)
			case ex.Closed():
				r.add(u.Row, "effective", "unit_closed", ex.ClosedOn)
			default:
				var es valid.Errors
				if es.Date("effective", st.effective) {
					_, es = CheckEffective(st.effective, lastFrom[ex.ID], today)
				}
				r.addAll(u.Row, es)
			}
		} else {
			if st.effective > today {
				r.add(u.Row, "effective", "not_future", today)
			}
			if u.ParentCode == "" && a.UnitPath != "/" {
				r.add(u.Row, "code", "outside_scope", u.Code)
			}
			opened[u.Code] = st.effective
		}
		if u.ParentCode != "" && (!exists || st.move) {
			s.checkParent(u, st, exists, db, inFile, opened, a, &r)
			if _, ok := inFile[u.ParentCode]; ok || db[u.ParentCode].ID != 0 {
				// A unit must not end up below itself.
				seen := map[string]bool{u.Code: true}
				for code, ok := u.ParentCode, true; ok && code != ""; code, ok = parentOf(code) {
					if seen[code] {
						if code == u.Code {
							r.add(u.Row, "parent_code", "cycle", u.ParentCode)
						}
						break
					}
					seen[code] = true
				}
			}
		}
		if len(r.es) > n {
			continue
		}
		steps = append(steps, st)
	}
	if len(r.es) > 0 {
		return r.done(), nil
	}
	for _, st := range steps {
		es, err := s.applyUnit(ctx, tx, a, st, sh.has("tags"))
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", st.row.Row, err)
		}
		if len(es) > 0 {
			r.addAll(st.row.Row, es)
			return r.done(), nil
		}
		if st.existing == nil {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return nil, nil
}

// checkParent applies the placement rules to a row's parent, wherever it comes from.
func (s *Service) checkParent(u UnitRow, st unitStep, exists bool, db map[string]Unit, inFile map[string]UnitRow, opened map[string]string, a access.Actor, r *report) {
	var parent *Unit
	if fp, ok := inFile[u.ParentCode]; ok {
		p := Unit{Code: fp.Code, Level: fp.Level}
		if dp, ok := db[fp.Code]; ok {
			if !a.Sees(dp.Path) {
				r.add(u.Row, "parent_code", "not_found")
				return
			}
			p = dp
		} else {
			p.OpenedOn = opened[fp.Code]
		}
		parent = &p
	} else if dp, ok := db[u.ParentCode]; ok && a.Sees(dp.Path) {
		parent = &dp
	} else {
		r.add(u.Row, "parent_code", "not_found")
		return
	}
	es := CheckPlacement(u.Level, parent)
	if !exists && len(es) == 0 && parent.OpenedOn != "" && st.effective < parent.OpenedOn {
		es.Add("effective", "after_parent_opened", parent.OpenedOn)
	}
	r.addAll(u.Row, es)
}

// applyUnit writes one checked row. Validation errors here mean the database changed under
// the check or a domain rule the check does not repeat; they become the row's report.
func (s *Service) applyUnit(ctx context.Context, tx *sql.Tx, a access.Actor, st unitStep, withTags bool) (valid.Errors, error) {
	u := st.row
	var parentID int64
	if u.ParentCode != "" {
		var err error
		if parentID, err = unitIDByCode(ctx, tx, u.ParentCode); err != nil {
			return nil, err
		}
	}
	var err error
	if st.existing == nil {
		_, err = s.CreateUnitTx(ctx, tx, a, UnitInput{Code: u.Code, Level: u.Level, ParentID: parentID, NameZH: u.NameZH, NameEN: u.NameEN,
			Tags: u.Tags, Effective: st.effective})
	} else {
		kind := "rename"
		if st.move {
			kind = "move"
		}
		_, err = s.changeTx(ctx, tx, a, st.existing.ID, st.effective, kind, func(tx *sql.Tx, cur *Unit) error {
			if st.rename {
				in := UnitInput{Code: cur.Code, Level: cur.Level, ParentID: cur.ParentID, NameZH: u.NameZH, NameEN: u.NameEN, Tags: cur.Tags, Effective: st.effective}
				if withTags {
					in.Tags = u.Tags
				}
				in.normalise(s.today())
				if es := CheckUnitInput(in); es.Err() != nil {
					return es
				}
				cur.NameZH, cur.NameEN, cur.Tags = in.NameZH, in.NameEN, in.Tags
			}
			if st.move {
				return s.moveTo(ctx, tx, a, cur, parentID)
			}
			return nil
		})
	}
	if es, ok := valid.As(err); ok {
		return es, nil
	}
	return nil, err
}

func unitIDByCode(ctx context.Context, q store.Queryer, code string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM org_units WHERE code = $1", code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, valid.New("parent_id", "not_found")
	}
	return id, err
}

// partnerStep is what one partners row does.
type partnerStep struct {
	row      PartnerRow
	unitID   int64
	existing *Partner
}

// importPartners checks the rows against the database and scope, then writes them.
func (s *Service) importPartners(ctx context.Context, tx *sql.Tx, a access.Actor, sh PartnerSheet, bad map[int]bool, parseErrs valid.Errors, res *ImportResult) (valid.Errors, error) {
	r := report{es: slices.Clone(parseErrs)}
	units, err := s.allUnits(ctx, tx)
	if err != nil {
		return nil, err
	}
	existing := map[string]Partner{}
	rows, err := tx.QueryContext(ctx, "SELECT "+partnerCols+" FROM partners p JOIN org_units u ON u.id = p.unit_id")
	if err != nil {
		return nil, fmt.Errorf("load partners: %w", err)
	}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		existing[p.Code] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var steps []partnerStep
	for _, p := range sh.Rows {
		if bad[p.Row] {
			continue
		}
		n := len(r.es)
		st := partnerStep{row: p}
		u, ok := units[p.UnitCode]
		if !ok || !a.Sees(u.Path) {
			r.add(p.Row, "unit_code", "not_found")
			continue
		}
		st.unitID = u.ID
		if ex, ok := existing[p.Code]; ok {
			if !a.Sees(ex.UnitPath) {
				r.add(p.Row, "code", "unique", p.Code)
				continue
			}
			in := st.merged(ex, sh)
			if ex.UnitID == in.UnitID && ex.Type == in.Type && ex.Sector == in.Sector && ex.NameZH == in.NameZH && ex.NameEN == in.NameEN &&
				ex.Contact == in.Contact && ex.Notes == in.Notes && ex.Active == *in.Active {
				res.Unchanged++
				continue
			}
			st.existing = &ex
			if ex.UnitID != u.ID && u.Closed() {
				r.add(p.Row, "unit_code", "unit_closed", u.ClosedOn)
			}
			r.addAll(p.Row, CheckPartnerInput(in))
		} else if u.Closed() {
			r.add(p.Row, "unit_code", "unit_closed", u.ClosedOn)
		}
		if len(r.es) == n {
			steps = append(steps, st)
		}
	}
	if len(r.es) > 0 {
		return r.done(), nil
	}
	for _, st := range steps {
		var err error
		if st.existing == nil {
			_, err = s.CreatePartnerTx(ctx, tx, a, st.row.input(st.unitID))
		} else {
			_, err = s.updatePartnerTx(ctx, tx, a, st.existing.ID, st.merged(*st.existing, sh))
		}
		if es, ok := valid.As(err); ok {
			r.addAll(st.row.Row, es)
			return r.done(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", st.row.Row, err)
		}
		if st.existing == nil {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return nil, nil
}

// merged is the row applied over an existing partner: columns the file lacks, and an empty
// active cell, keep the partner's values.
func (st partnerStep) merged(ex Partner, sh PartnerSheet) PartnerInput {
	in := st.row.input(st.unitID)
	if !sh.has("sector") {
		in.Sector = ex.Sector
	}
	if !sh.has("contact") {
		in.Contact = ex.Contact
	}
	if !sh.has("notes") {
		in.Notes = ex.Notes
	}
	if in.Active == nil {
		active := ex.Active
		in.Active = &active
	}
	in.normalise()
	return in
}

// ---- export ----

// Export writes the open units, or the partners at open units, of the actor's scope (or of the
// subtree under rootID) in the import's columns. CSV starts with a byte-order mark so that
// spreadsheet programs read it as UTF-8; XLSX is written through excelize's streaming writer.
func (s *Service) Export(ctx context.Context, a access.Actor, k Kind, f Format, rootID int64, w io.Writer) error {
	if err := a.Require(access.ViewNetwork); err != nil {
		return err
	}
	pattern := a.PathPattern()
	if rootID != 0 {
		root, err := s.Unit(ctx, a, rootID)
		if err != nil {
			return err
		}
		pattern = root.Path + "%"
	}
	// Sort codes bytewise on both databases so that the same network exports identically.
	collate := ""
	if s.db.Dialect == store.Postgres {
		collate = ` COLLATE "C"`
	}
	var query string
	switch k {
	case UnitsFile:
		// effective carries the opening date: into an empty database that recreates each unit
		// as it opened, and re-importing an unedited export changes nothing.
		query = `SELECT u.code, u.level, COALESCE(p.code, ''), u.name_zh, u.name_en, u.tags, u.opened_on
			FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id
			WHERE u.path LIKE $1 AND u.closed_on IS NULL ORDER BY u.level, u.code` + collate
	case PartnersFile:
		query = `SELECT p.code, u.code, p.type, p.sector, p.name_zh, p.name_en, p.contact, p.notes, p.active
			FROM partners p JOIN org_units u ON u.id = p.unit_id
			WHERE u.path LIKE $1 AND u.closed_on IS NULL ORDER BY p.code` + collate
	default:
		return fmt.Errorf("export: unknown kind %q", k)
	}
	rows, err := s.db.R.QueryContext(ctx, query, pattern)
	if err != nil {
		return fmt.Errorf("export %s: %w", k, err)
	}
	defer rows.Close()
	next := func() ([]string, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if k == UnitsFile {
			var code, parent, zh, en, tags, from string
			var level Level
			if err := rows.Scan(&code, &level, &parent, &zh, &en, &tags, &from); err != nil {
				return nil, err
			}
			return []string{code, level.Key(), parent, zh, en, strings.Join(splitTags(tags), ";"), from}, nil
		}
		var c [8]string
		var active bool
		if err := rows.Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &active); err != nil {
			return nil, err
		}
		return append(c[:], strconv.FormatBool(active)), nil
	}
	if f == XLSX {
		return writeXLSX(w, string(k), ColumnNames(k), next)
	}
	return writeCSV(w, ColumnNames(k), next)
}

func writeCSV(w io.Writer, header []string, next func() ([]string, error)) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return err
	}
	for {
		rec, err := next()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		for i, v := range rec {
			rec[i] = guardFormula(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeXLSX(w io.Writer, sheet string, header []string, next func() ([]string, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	cells := func(rec []string) []any {
		out := make([]any, len(rec))
		for i, v := range rec {
			// Strings, so that codes like "001" and dates stay as written.
			out[i] = v
		}
		return out
	}
	if err := sw.SetRow("A1", cells(header)); err != nil {
		return err
	}
	for n := 2; ; n++ {
		rec, err := next()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		axis, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(axis, cells(rec)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
