package beneficiaries

// Import of services from the registers implementing agencies keep in spreadsheets (CSV or
// XLSX). All or nothing: every row is checked, and any failure comes back by the row number the
// user's spreadsheet program shows, the column and the rule, with nothing written. The rows are
// checked and written by checkServices and writeServices, the path every other service write
// takes, so the reach bitmaps stay exact. A row repeating a service already recorded is counted
// and left out, so a register that grows month by month can be uploaded whole every time.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/sheet"
	"ting/internal/store"
	"ting/internal/valid"
)

// TypeName is a service type's name in each interface language.
type TypeName struct{ ZH, EN string }

// ServiceTypeNames are the names the interface gives each of ServiceTypes; an import accepts a
// type by its code or by either name. A test in internal/web holds them to the catalogs.
var ServiceTypeNames = map[string]TypeName{
	"life_skills":     {ZH: "生活技能", EN: "Life skills"},
	"legal_aid":       {ZH: "法律援助", EN: "Legal aid"},
	"health":          {ZH: "健康服务", EN: "Health"},
	"employment":      {ZH: "就业服务", EN: "Employment services"},
	"skills_training": {ZH: "职业技能培训", EN: "Skills training"},
	"recreation":      {ZH: "文体活动", EN: "Recreation"},
	"counselling":     {ZH: "心理辅导", EN: "Counselling"},
	"peer_support":    {ZH: "同伴支持", EN: "Peer support"},
}

// typeKey is the form a type cell is compared in: NFKC (full-width letters become ASCII), case
// folded, spaces and hyphens read as underscores, so "Legal Aid", "legal-aid" and "LEGAL_AID"
// meet.
func typeKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// ParseServiceType reads a type cell: a code of ServiceTypes or its Chinese or English name.
func ParseServiceType(s string) (string, bool) {
	k := typeKey(s)
	if k == "" {
		return "", false
	}
	for _, code := range ServiceTypes {
		n := ServiceTypeNames[code]
		if k == code || k == typeKey(n.ZH) || k == typeKey(n.EN) {
			return code, true
		}
	}
	return "", false
}

// serviceColumns are the columns of a services file, in the template's order.
var serviceColumns = []sheet.Column{
	{Name: "card", Required: true, Aliases: []string{"卡号", "卡片编号", "档案号", "card_number", "card_no"}},
	{Name: "site_code", Required: true, Aliases: []string{"服务点代码", "服务点", "单位代码", "site"}},
	{Name: "type", Required: true, Aliases: []string{"服务类型", "类型", "service_type"}},
	{Name: "date", Required: true, Aliases: []string{"日期", "服务日期", "served_on"}},
	{Name: "provider", Aliases: []string{"提供者", "服务提供者"}},
	{Name: "partner_code", Aliases: []string{"合作伙伴代码", "伙伴代码", "partner"}},
	{Name: "note", Aliases: []string{"备注"}},
}

// ServiceColumns lists the columns of a services file in the template's order.
func ServiceColumns() []sheet.Column {
	out := slices.Clone(serviceColumns)
	for i := range out {
		out[i].Aliases = slices.Clone(out[i].Aliases)
	}
	return out
}

// MaxImportRows caps the data rows of one file: past it, split the file.
const MaxImportRows = 1_000_000

// ImportOptions choose the file format ("" detects it) and a dry run, which checks and counts
// everything as a real import would and then writes nothing.
type ImportOptions struct {
	Format sheet.Format
	DryRun bool
	// maxRows replaces MaxImportRows when set (tests).
	maxRows int
}

// ImportResult is what an import did, or in a dry run would do. Errors lists every failure;
// when it is not empty nothing was written and Created and Skipped are zero.
type ImportResult struct {
	Format  sheet.Format `json:"format"`
	Rows    int          `json:"rows"`
	Created int          `json:"created"`
	// Skipped counts the rows that repeat a service already recorded; they are not recorded
	// again.
	Skipped int          `json:"already_recorded"`
	DryRun  bool         `json:"dry_run"`
	Errors  valid.Errors `json:"errors"`
}

// serviceRow is one data row of a services file with its cells read: Type is the code when the
// cell named a known type (else the cell as written), Date normalised.
type serviceRow struct {
	num                                                    int
	card, siteCode, typ, date, provider, partnerCode, note string
}

// parseServices reads a services file and applies every rule that needs no database. It returns
// the rows it could read, so that the database checks can still report on them, and the
// failures so far; rows is nil when the file or its header cannot be used.
func parseServices(data []byte, f sheet.Format, today string, maxRows int) ([]serviceRow, valid.Errors) {
	var r sheet.Report
	read, es := sheet.Read(data, f)
	if len(es) > 0 {
		return nil, es
	}
	t, ok := sheet.MatchHeader(read, serviceColumns, &r)
	if !ok {
		return nil, r.Done()
	}
	if len(t.Rows) > maxRows {
		return nil, valid.Errors{{Field: "file", Rule: "too_many_rows", Param: strconv.Itoa(maxRows)}}
	}
	rows := make([]serviceRow, len(t.Rows))
	for i, row := range t.Rows {
		sr := serviceRow{num: row.Num, card: t.Cell(row, "card"), siteCode: t.Cell(row, "site_code"), typ: t.Cell(row, "type"),
			date: sheet.NormDate(t.Cell(row, "date"), f == sheet.XLSX), provider: t.Cell(row, "provider"),
			partnerCode: t.Cell(row, "partner_code"), note: t.Cell(row, "note")}
		if code, ok := ParseServiceType(sr.typ); ok {
			sr.typ = code
		}
		if sr.card == "" {
			r.Add(row.Num, "card", "required")
		}
		if sr.siteCode == "" {
			r.Add(row.Num, "site_code", "required")
		}
		// The same check addServicesTx runs, with a stand-in site: here only the cells count.
		r.AddAll(row.Num, CheckService(sr.input(1, 0), today), nil)
		rows[i] = sr
	}
	return rows, r.Done()
}

func (sr serviceRow) input(siteID, partnerID int64) ServiceInput {
	return ServiceInput{Card: sr.card, SiteID: siteID, Type: sr.typ, Date: sr.date, Provider: sr.provider, PartnerID: partnerID, Note: sr.note}
}

// importRename maps the fields of addServicesTx's failures to the file's columns.
var importRename = map[string]string{"site_id": "site_code", "partner_id": "partner_code", "card_id": "card"}

// errRollback ends a transaction that must write nothing: a dry run, or a file with failures.
var errRollback = errors.New("rollback")

// ImportServices reads a services file (card number, site code, type, date, provider, partner
// code, note per row) and records every row not already recorded (see recorded) as a service,
// in one transaction. Sites and partners outside the actor's scope read as unknown codes; cards
// as checkServices finds them.
// Rows failing any rule come back as ImportResult.Errors (also returned as the error, a
// valid.Errors) and nothing is written.
func (s *Service) ImportServices(ctx context.Context, a access.Actor, data []byte, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{Format: opt.Format, DryRun: opt.DryRun, Errors: valid.Errors{}}
	if res.Format == "" {
		res.Format = sheet.DetectFormat(data)
	}
	if err := a.Require(access.EditCards); err != nil {
		return res, err
	}
	maxRows := opt.maxRows
	if maxRows <= 0 {
		maxRows = MaxImportRows
	}
	today := s.today()
	rows, parseErrs := parseServices(data, res.Format, today, maxRows)
	if rows == nil {
		return failed(res, parseErrs)
	}
	res.Rows = len(rows)
	var report valid.Errors
	created, skipped := 0, 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// A busy database runs this again: start clean.
		report, created, skipped = nil, 0, 0
		r := sheet.Report{Errors: slices.Clone(parseErrs)}
		sites, err := s.unitsByCode(ctx, tx, a, rows)
		if err != nil {
			return err
		}
		partners, err := s.partnersByCode(ctx, tx, a, rows)
		if err != nil {
			return err
		}
		ins := make([]ServiceInput, len(rows))
		for i, sr := range rows {
			site, ok := sites[sr.siteCode]
			if !ok && sr.siteCode != "" {
				r.Add(sr.num, "site_code", "not_found", sr.siteCode)
			}
			partner, ok := partners[sr.partnerCode]
			if !ok && sr.partnerCode != "" {
				r.Add(sr.num, "partner_code", "not_found", sr.partnerCode)
			}
			ins[i] = sr.input(site, partner)
		}
		byID, err := s.checkServices(ctx, tx, a, ins, today)
		if es, ok := valid.As(err); ok {
			// Its rows are the input's indexes + 1; a cell already reported (a site not found
			// arrives as a missing site) is reported once.
			seen := map[string]bool{}
			for _, e := range r.Errors {
				seen[strconv.Itoa(e.Row)+"\x00"+e.Field] = true
			}
			for _, e := range es {
				if e.Row < 1 || e.Row > len(rows) {
					return fmt.Errorf("import services: a failure on row %d of %d: %w", e.Row, len(rows), err)
				}
				num := rows[e.Row-1].num
				if to, ok := importRename[e.Field]; ok {
					e.Field = to
				}
				if key := strconv.Itoa(num) + "\x00" + e.Field; !seen[key] {
					seen[key] = true
					r.Add(num, e.Field, e.Rule, e.Param)
				}
			}
		} else if err != nil {
			return err
		}
		if r.Len() > 0 {
			report = sortReport(r)
			return errRollback
		}
		// Rows already recorded are not recorded again, so that a register kept growing can be
		// uploaded whole each month.
		again, err := recorded(ctx, tx, s.db.Dialect, ins)
		if err != nil {
			return err
		}
		fresh := make([]ServiceInput, 0, len(ins))
		for i, in := range ins {
			if !again[i] {
				fresh = append(fresh, in)
			}
		}
		skipped = len(ins) - len(fresh)
		if len(fresh) > 0 {
			ids, err := s.writeServices(ctx, tx, a, fresh, 0, byID)
			if err != nil {
				return err
			}
			created = len(ids)
		}
		summary := map[string]any{"kind": "services", "format": res.Format, "rows": res.Rows, "created": created, "already_recorded": skipped, "dry_run": opt.DryRun}
		if err := audit.Record(ctx, tx, a, "import", "import", 0, a.UnitID, nil, summary); err != nil {
			return err
		}
		if opt.DryRun {
			return errRollback
		}
		return nil
	})
	switch {
	case len(report) > 0:
		return failed(res, report)
	case err != nil && !errors.Is(err, errRollback):
		return res, fmt.Errorf("import services: %w", err)
	}
	res.Created, res.Skipped = created, skipped
	return res, nil
}

// serviceKey is what makes a service of a register the same as one already recorded: card,
// site, type, day, provider (trimmed) and partner. The note is not part of it: a note changed
// since the last upload does not make a second service.
type serviceKey struct {
	card, site, partner int64
	typ, date, provider string
}

func keyOf(in ServiceInput) serviceKey {
	return serviceKey{card: in.CardID, site: in.SiteID, partner: in.PartnerID, typ: in.Type, date: in.Date, provider: strings.TrimSpace(in.Provider)}
}

// recorded marks the checked rows (CardID set) that repeat a service already recorded. It
// counts like a multiset: a file holding a service three times where two are recorded repeats
// two and adds the third, so a file's own identical rows (two sessions on one day) stay two
// services the first time and none the second.
func recorded(ctx context.Context, q store.Queryer, d store.Dialect, ins []ServiceInput) ([]bool, error) {
	out := make([]bool, len(ins))
	if len(ins) == 0 {
		return out, nil
	}
	from, to := ins[0].Date, ins[0].Date
	cards := make([]int64, 0, len(ins))
	for _, in := range ins {
		from, to = min(from, in.Date), max(to, in.Date)
		cards = append(cards, in.CardID)
	}
	slices.Sort(cards)
	have := map[serviceKey]int{}
	err := inChunks(slices.Compact(cards), func(ph string, args []any) error {
		n := len(args)
		args = append(args, from, to)
		rows, err := q.QueryContext(ctx, d.Bind(fmt.Sprintf(`SELECT card_id, site_id, COALESCE(partner_id, 0), type, served_on, provider FROM services
			WHERE card_id IN (%s) AND served_on >= $%d AND served_on <= $%d`, ph, n+1, n+2)), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k serviceKey
			if err := rows.Scan(&k.card, &k.site, &k.partner, &k.typ, &k.date, &k.provider); err != nil {
				return err
			}
			have[k]++
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find services already recorded: %w", err)
	}
	for i, in := range ins {
		if k := keyOf(in); have[k] > 0 {
			have[k]--
			out[i] = true
		}
	}
	return out, nil
}

// sortReport orders the failures by row and, within a row, by the file's column order.
func sortReport(r sheet.Report) valid.Errors {
	order := func(field string) int {
		if i := slices.IndexFunc(serviceColumns, func(c sheet.Column) bool { return c.Name == field }); i >= 0 {
			return i
		}
		return len(serviceColumns)
	}
	slices.SortStableFunc(r.Errors, func(x, y valid.FieldError) int { return order(x.Field) - order(y.Field) })
	return r.Done()
}

func failed(res ImportResult, es valid.Errors) (ImportResult, error) {
	res.Created, res.Skipped = 0, 0
	res.Errors = es
	return res, es
}

// codeChunk is how many codes one resolving query names.
const codeChunk = 500

// byCode runs query (whose IN list is written %s) for the codes, codeChunk at a time, and hands
// each row found to scan. It keeps the import independent of how the service writes batch.
func (s *Service) byCode(ctx context.Context, q store.Queryer, query string, codes []string, scan func(*sql.Rows) error) error {
	for len(codes) > 0 {
		chunk := codes[:min(len(codes), codeChunk)]
		codes = codes[len(chunk):]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, c := range chunk {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), c
		}
		rows, err := q.QueryContext(ctx, s.db.Dialect.Bind(fmt.Sprintf(query, strings.Join(ph, ","))), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// unitsByCode resolves the rows' site codes to the ids of units in the actor's scope, one query
// per codeChunk codes. A code outside the scope is left out, exactly as one that names nothing.
func (s *Service) unitsByCode(ctx context.Context, q store.Queryer, a access.Actor, rows []serviceRow) (map[string]int64, error) {
	codes := distinct(rows, func(sr serviceRow) string { return sr.siteCode })
	return s.inScope(ctx, q, a, "site", `SELECT id, code, path FROM org_units WHERE code IN (%s)`, codes)
}

// partnersByCode resolves the rows' partner codes to the ids of partners sited in the actor's
// scope (as the partner pages show them), one query per codeChunk codes.
func (s *Service) partnersByCode(ctx context.Context, q store.Queryer, a access.Actor, rows []serviceRow) (map[string]int64, error) {
	codes := distinct(rows, func(sr serviceRow) string { return sr.partnerCode })
	return s.inScope(ctx, q, a, "partner", `SELECT p.id, p.code, u.path FROM partners p JOIN org_units u ON u.id = p.unit_id WHERE p.code IN (%s)`, codes)
}

// inScope runs query (id, code, path of the unit it sits at) for codes and keeps the ids of those
// the actor sees, by code.
func (s *Service) inScope(ctx context.Context, q store.Queryer, a access.Actor, what, query string, codes []string) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.byCode(ctx, q, query, codes, func(r *sql.Rows) error {
		var id int64
		var code, path string
		if err := r.Scan(&id, &code, &path); err != nil {
			return err
		}
		if a.Sees(path) {
			out[code] = id
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve %s codes: %w", what, err)
	}
	return out, nil
}

// distinct lists the non-empty values key gives the rows, each once, sorted.
func distinct(rows []serviceRow, key func(serviceRow) string) []string {
	var out []string
	for _, sr := range rows {
		if k := key(sr); k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
