package org

// Import and export of units and partners as CSV or XLSX spreadsheets. An import is
// all-or-nothing: every row is checked first and any failure is reported by row (as the
// spreadsheet numbers it), column and rule, with nothing written; otherwise every row is
// written in one transaction. An export uses the same columns, so it re-imports cleanly.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/sheet"
	"ting/internal/store"
	"ting/internal/valid"
)

// The file formats are the sheet package's; these names keep org's callers unchanged.
type Format = sheet.Format

const (
	CSV  = sheet.CSV
	XLSX = sheet.XLSX
)

// XLSXType is the media type of XLSX files.
const XLSXType = sheet.XLSXType

// DetectFormat tells XLSX (a zip archive) from CSV by the file's first bytes.
func DetectFormat(data []byte) Format { return sheet.DetectFormat(data) }

// SplitCSV splits CSV into records, one per spreadsheet row (see sheet.SplitCSV).
func SplitCSV(data []byte, delim byte) (rows [][]string, badRow int) {
	return sheet.SplitCSV(data, delim)
}

// Kind names what a file holds.
type Kind string

const (
	UnitsFile    Kind = "units"
	PartnersFile Kind = "partners"
)

var unitColumns = []sheet.Column{
	{Name: "code", Required: true, Aliases: []string{"代码", "编码", "单位编码"}},
	{Name: "level", Required: true, Aliases: []string{"层级", "级别"}},
	{Name: "parent_code", Required: true, Aliases: []string{"上级代码", "上级编码", "上级单位代码", "parent"}},
	{Name: "name_zh", Required: true, Aliases: []string{"中文名称", "中文名", "名称（中文）"}},
	{Name: "name_en", Required: true, Aliases: []string{"英文名称", "英文名", "名称（英文）"}},
	{Name: "tags", Required: false, Aliases: []string{"标签"}},
	{Name: "effective", Required: false, Aliases: []string{"生效日期", "日期"}},
}

var partnerColumns = []sheet.Column{
	{Name: "code", Required: true, Aliases: []string{"代码", "编码", "伙伴代码"}},
	{Name: "unit_code", Required: true, Aliases: []string{"单位代码", "所属单位代码", "单位编码", "unit"}},
	{Name: "type", Required: true, Aliases: []string{"类型"}},
	{Name: "sector", Required: false, Aliases: []string{"领域", "部门"}},
	{Name: "name_zh", Required: true, Aliases: []string{"中文名称", "中文名", "名称（中文）"}},
	{Name: "name_en", Required: true, Aliases: []string{"英文名称", "英文名", "名称（英文）"}},
	{Name: "contact", Required: false, Aliases: []string{"联系方式", "联系人"}},
	{Name: "notes", Required: false, Aliases: []string{"备注"}},
	{Name: "active", Required: false, Aliases: []string{"有效", "是否有效", "状态"}},
}

// ColumnNames lists a file kind's columns in export order.
func ColumnNames(k Kind) []string {
	cols := unitColumns
	if k == PartnersFile {
		cols = partnerColumns
	}
	return sheet.Names(cols)
}

// idColumns renames the domain checks' id fields to the file's code columns.
var idColumns = map[string]string{"parent_id": "parent_code", "unit_id": "unit_code"}

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
	var r sheet.Report
	rows, es := sheet.Read(data, f)
	if len(es) > 0 {
		return UnitSheet{}, nil, es
	}
	t, ok := sheet.MatchHeader(rows, unitColumns, &r)
	if !ok {
		return UnitSheet{}, nil, r.Done()
	}
	out := UnitSheet{}
	for _, c := range unitColumns {
		if t.Has(c.Name) {
			out.Columns = append(out.Columns, c.Name)
		}
	}
	bad := map[int]bool{}
	first := map[string]int{}
	for _, row := range t.Rows {
		n := r.Len()
		u := UnitRow{Row: row.Num, Code: t.Cell(row, "code"), ParentCode: t.Cell(row, "parent_code"),
			NameZH: t.Cell(row, "name_zh"), NameEN: t.Cell(row, "name_en"),
			Tags: splitTagCell(t.Cell(row, "tags")), Effective: sheet.NormDate(t.Cell(row, "effective"), f == XLSX)}
		u.Level, _ = parseLevelCell(t.Cell(row, "level"))
		r.AddAll(row.Num, CheckUnitInput(UnitInput{Code: u.Code, Level: u.Level, NameZH: u.NameZH, NameEN: u.NameEN, Tags: u.Tags, Effective: u.Effective}), idColumns)
		switch {
		case u.ParentCode == "" && u.Level > National:
			r.Add(row.Num, "parent_code", "required")
		case u.ParentCode != "" && u.Level == National:
			r.Add(row.Num, "level", "national_no_parent")
		case u.ParentCode != "" && u.ParentCode == u.Code:
			r.Add(row.Num, "parent_code", "cycle", u.Code)
		}
		if u.Code != "" {
			if at, dup := first[u.Code]; dup {
				r.Add(row.Num, "code", "duplicate_in_file", strconv.Itoa(at))
			} else {
				first[u.Code] = row.Num
			}
		}
		if r.Len() > n {
			bad[row.Num] = true
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
			r.Add(u.Row, "level", "below_parent", p.Level.Key())
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
					r.Add(u.Row, "parent_code", "cycle", u.ParentCode)
					bad[u.Row] = true
				}
				break
			}
			seen[code] = true
			code = out.Rows[j].ParentCode
		}
	}
	return out, bad, r.Done()
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
	var r sheet.Report
	rows, es := sheet.Read(data, f)
	if len(es) > 0 {
		return PartnerSheet{}, nil, es
	}
	t, ok := sheet.MatchHeader(rows, partnerColumns, &r)
	if !ok {
		return PartnerSheet{}, nil, r.Done()
	}
	out := PartnerSheet{}
	for _, c := range partnerColumns {
		if t.Has(c.Name) {
			out.Columns = append(out.Columns, c.Name)
		}
	}
	bad := map[int]bool{}
	first := map[string]int{}
	for _, row := range t.Rows {
		n := r.Len()
		p := PartnerRow{Row: row.Num, Code: t.Cell(row, "code"), UnitCode: t.Cell(row, "unit_code"),
			Type: strings.ToLower(t.Cell(row, "type")), Sector: strings.ToLower(t.Cell(row, "sector")),
			NameZH: t.Cell(row, "name_zh"), NameEN: t.Cell(row, "name_en"), Contact: t.Cell(row, "contact"), Notes: t.Cell(row, "notes")}
		var es valid.Errors
		for _, e := range CheckPartnerInput(p.input(1)) {
			if e.Field != "unit_id" {
				es = append(es, e)
			}
		}
		r.AddAll(row.Num, es, idColumns)
		if p.UnitCode == "" {
			r.Add(row.Num, "unit_code", "required")
		}
		if s := t.Cell(row, "active"); s != "" {
			v, ok := parseBool(s)
			if !ok {
				r.Add(row.Num, "active", "bool")
			}
			p.Active = &v
		}
		if p.Code != "" {
			if at, dup := first[p.Code]; dup {
				r.Add(row.Num, "code", "duplicate_in_file", strconv.Itoa(at))
			} else {
				first[p.Code] = row.Num
			}
		}
		if r.Len() > n {
			bad[row.Num] = true
		}
		out.Rows = append(out.Rows, p)
	}
	return out, bad, r.Done()
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
	r := sheet.Report{Errors: slices.Clone(parseErrs)}
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
		n := r.Len()
		st := unitStep{row: u, effective: u.Effective}
		if st.effective == "" {
			st.effective = today
		}
		ex, exists := db[u.Code]
		if exists {
			if !a.Sees(ex.Path) {
				r.Add(u.Row, "code", "unique", u.Code)
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
				r.Add(u.Row, "level", "level_fixed", ex.Level.Key())
			case !st.rename && !st.move:
				res.Unchanged++
				continue
			case ex.Path == a.UnitPath && a.UnitPath != "/":
				// Officers manage what lies below them, not their own unit.
				r.Add(u.Row, "code", "outside_scope", u.Code)
			case ex.Closed():
				r.Add(u.Row, "effective", "unit_closed", ex.ClosedOn)
			default:
				var es valid.Errors
				if es.Date("effective", st.effective) {
					_, es = CheckEffective(st.effective, lastFrom[ex.ID], today)
				}
				r.AddAll(u.Row, es, idColumns)
			}
		} else {
			if st.effective > today {
				r.Add(u.Row, "effective", "not_future", today)
			}
			if u.ParentCode == "" && a.UnitPath != "/" {
				r.Add(u.Row, "code", "outside_scope", u.Code)
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
							r.Add(u.Row, "parent_code", "cycle", u.ParentCode)
						}
						break
					}
					seen[code] = true
				}
			}
		}
		if r.Len() > n {
			continue
		}
		steps = append(steps, st)
	}
	if r.Len() > 0 {
		return r.Done(), nil
	}
	for _, st := range steps {
		es, err := s.applyUnit(ctx, tx, a, st, sh.has("tags"))
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", st.row.Row, err)
		}
		if len(es) > 0 {
			r.AddAll(st.row.Row, es, idColumns)
			return r.Done(), nil
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
func (s *Service) checkParent(u UnitRow, st unitStep, exists bool, db map[string]Unit, inFile map[string]UnitRow, opened map[string]string, a access.Actor, r *sheet.Report) {
	var parent *Unit
	if fp, ok := inFile[u.ParentCode]; ok {
		p := Unit{Code: fp.Code, Level: fp.Level}
		if dp, ok := db[fp.Code]; ok {
			if !a.Sees(dp.Path) {
				r.Add(u.Row, "parent_code", "not_found")
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
		r.Add(u.Row, "parent_code", "not_found")
		return
	}
	es := CheckPlacement(u.Level, parent)
	if !exists && len(es) == 0 && parent.OpenedOn != "" && st.effective < parent.OpenedOn {
		es.Add("effective", "after_parent_opened", parent.OpenedOn)
	}
	r.AddAll(u.Row, es, idColumns)
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
	r := sheet.Report{Errors: slices.Clone(parseErrs)}
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
		n := r.Len()
		st := partnerStep{row: p}
		u, ok := units[p.UnitCode]
		if !ok || !a.Sees(u.Path) {
			r.Add(p.Row, "unit_code", "not_found")
			continue
		}
		st.unitID = u.ID
		if ex, ok := existing[p.Code]; ok {
			if !a.Sees(ex.UnitPath) {
				r.Add(p.Row, "code", "unique", p.Code)
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
				r.Add(p.Row, "unit_code", "unit_closed", u.ClosedOn)
			}
			r.AddAll(p.Row, CheckPartnerInput(in), idColumns)
		} else if u.Closed() {
			r.Add(p.Row, "unit_code", "unit_closed", u.ClosedOn)
		}
		if r.Len() == n {
			steps = append(steps, st)
		}
	}
	if r.Len() > 0 {
		return r.Done(), nil
	}
	for _, st := range steps {
		var err error
		if st.existing == nil {
			_, err = s.CreatePartnerTx(ctx, tx, a, st.row.input(st.unitID))
		} else {
			_, err = s.updatePartnerTx(ctx, tx, a, st.existing.ID, st.merged(*st.existing, sh))
		}
		if es, ok := valid.As(err); ok {
			r.AddAll(st.row.Row, es, idColumns)
			return r.Done(), nil
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
		return sheet.WriteXLSX(w, string(k), ColumnNames(k), next)
	}
	return sheet.WriteCSV(w, ColumnNames(k), next)
}
