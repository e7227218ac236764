package org_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// txReport renders a report as "row:field:rule" lines for comparison.
func txReport(es valid.Errors) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Row, e.Field, e.Rule))
	}
	return out
}

const unitsHead = "code,level,parent_code,name_zh,name_en,tags,effective\n"

func TestParseUnitsHeader(t *testing.T) {
	utf16 := func(s string) []byte {
		out := []byte{0xff, 0xfe}
		for _, r := range s {
			if r > 0xffff {
				t.Fatal("test text outside the BMP")
			}
			out = append(out, byte(r), byte(r>>8))
		}
		return out
	}
	tests := []struct {
		name string
		file []byte
		want []string // report; nil means the file parses
	}{
		{"english", []byte(unitsHead + "CN,national,,全国,National,,2010-01-01\n"), nil},
		{"any order and case", []byte("Name_EN,CODE, Level ,Parent Code,name-zh\nNational,CN,1,,全国\n"), nil},
		{"chinese headings", []byte("代码,层级,上级代码,中文名称,英文名称,标签,生效日期\nCN,国家级,,全国,National,,\n"), nil},
		{"utf-8 bom", []byte("\ufeff" + unitsHead + "CN,national,,全国,National,,\n"), nil},
		{"semicolons", []byte("code;level;parent_code;name_zh;name_en\nCN;national;;全国;National\n"), nil},
		{"tabs and crlf", []byte("code\tlevel\tparent_code\tname_zh\tname_en\r\nCN\tnational\t\t全国\tNational\r\n"), nil},
		{"utf-16 unicode text", utf16("code\tlevel\tparent_code\tname_zh\tname_en\r\nCN\tnational\t\t全国\tNational\r\n"), nil},
		{"optional columns absent", []byte("code,level,parent_code,name_zh,name_en\nCN,national,,全国,National\n"), nil},
		{"unknown column", []byte("code,level,parent_code,name_zh,name_en,colour\nCN,national,,全国,National,red\n"), []string{"1:header:unknown_column"}},
		{"missing column", []byte("code,level,parent_code,name_zh\nCN,national,,全国\n"), []string{"1:name_en:missing_column"}},
		{"same column twice", []byte("code,代码,level,parent_code,name_zh,name_en\nCN,CN,national,,全国,National\n"), []string{"1:header:duplicate_column"}},
		{"partner heading in units file", []byte("code,unit_code,level,parent_code,name_zh,name_en\n"), []string{"1:header:unknown_column"}},
		{"header only", []byte(unitsHead), []string{"0:file:no_rows"}},
		{"empty", nil, []string{"0:file:no_rows"}},
		{"blank lines only", []byte("\n\n,,\n"), []string{"0:file:no_rows"}},
		{"not utf-8", []byte("code,level,parent_code,name_zh,name_en\nCN,national,,\xc8\xab\xb9\xfa,National\n"), []string{"0:file:encoding"}},
		{"unterminated quote", []byte(unitsHead + "CN,national,,\"全国,National\n"), []string{"2:file:csv_quote"}},
		{"text after closing quote", []byte(unitsHead + "CN,national,,\"全\"国,National\n"), []string{"2:file:csv_quote"}},
		{"header not on row 1", []byte("\n\n" + unitsHead + "CN,national,,全国,National,,\n,,,,,,\nXX,national,,x,x,,\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, es := org.ParseUnits(tt.file, org.CSV)
			if tt.want == nil {
				if len(es) > 0 || len(sh.Rows) == 0 {
					t.Fatalf("want rows, got %v (%d rows)", es, len(sh.Rows))
				}
				if u := sh.Rows[0]; u.Code != "CN" || u.Level != org.National || u.NameZH != "全国" || u.NameEN != "National" {
					t.Fatalf("first row %+v", u)
				}
				return
			}
			if sh.Rows != nil {
				t.Fatalf("rows returned with a report: %+v", sh.Rows)
			}
			if got := txReport(es); !slices.Equal(got, tt.want) {
				t.Fatalf("report %v, want %v", got, tt.want)
			}
		})
	}
	// The unknown column is named in the report.
	_, es := org.ParseUnits([]byte("code,level,parent_code,name_zh,name_en,Colour\n"), org.CSV)
	if len(es) == 0 || es[0].Param != "Colour" {
		t.Fatalf("unknown column not named: %v", es)
	}
}

func TestParseUnitsRows(t *testing.T) {
	tests := []struct {
		name string
		rows string
		want []string
	}{
		{"valid", "CN,national,,全国,National,,2010-01-01\nAH,provincial,CN,安徽省,Anhui,sending;pilot,2010-01-01\n", nil},
		{"name missing", "CN,national,,全国,National,,\nAH,2,CN,,Anhui,,\n", []string{"3:name_zh:required"}},
		{"level unknown", "AH,state,CN,安徽省,Anhui,,\n", []string{"2:level:level"}},
		{"tag unknown", "AH,2,CN,安徽省,Anhui,sending;big,\n", []string{"2:tags:one_of"}},
		{"tags exclusive", "AH,2,CN,安徽省,Anhui,sending receiving,\n", []string{"2:tags:tags_exclusive"}},
		{"date", "AH,2,CN,安徽省,Anhui,,2010-02-30\n", []string{"2:effective:date"}},
		{"code chars", "A H,2,CN,安徽省,Anhui,,\n", []string{"2:code:code_chars"}},
		{"code twice", "AH,2,CN,安徽省,Anhui,,\nJS,2,CN,江苏省,Jiangsu,,\nAH,2,CN,安徽,Anhui,,\n", []string{"4:code:duplicate_in_file"}},
		{"no parent", "AH,provincial,,安徽省,Anhui,,\n", []string{"2:parent_code:required"}},
		{"national with parent", "CN,national,XX,全国,National,,\n", []string{"2:level:national_no_parent"}},
		{"own parent", "AH,provincial,AH,安徽省,Anhui,,\n", []string{"2:parent_code:cycle"}},
		{"parent in file on same level", "AH,provincial,CN,安徽省,Anhui,,\nJS,provincial,AH,江苏省,Jiangsu,,\n", []string{"3:level:below_parent"}},
		{"cycle", "A,municipal,B,甲,A,,\nB,county,C,乙,B,,\nC,community,A,丙,C,,\n",
			[]string{"2:level:below_parent", "2:parent_code:cycle", "3:level:below_parent", "3:parent_code:cycle", "4:parent_code:cycle"}},
		{"blank row keeps numbering", "CN,national,,全国,National,,\n\n,,,,,,\nAH,2,CN,,Anhui,,\n", []string{"5:name_zh:required"}},
		{"multi-line cell is one row", "CN,national,,全国,\"Nat\nional\",,\nAH,2,CN,,Anhui,,\n", []string{"3:name_zh:required"}},
		{"value past the last heading", "AH,2,CN,安徽省,Anhui,,,stray\n", []string{"2:file:no_column"}},
		{"two errors on a row keep column order", "AH,county,CN,,,,\n", []string{"2:name_zh:required", "2:name_en:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, es := org.ParseUnits([]byte(unitsHead+tt.rows), org.CSV)
			if got := txReport(es); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("report %v, want %v", got, tt.want)
			}
			if tt.want == nil && len(sh.Rows) == 0 {
				t.Fatal("no rows")
			}
		})
	}

	// Cells are read as spreadsheets write them.
	sh, es := org.ParseUnits([]byte(unitsHead+
		"CN,1,,全国,National,,2010/1/1\n"+
		"AH,省级,CN,安徽省,\"Anhui, \"\"sending\"\"\",\"pilot；sending\",2010年3月1日\n"+
		"HF,市,AH,合肥市,'=Hefei,,\n"), org.CSV)
	if len(es) > 0 {
		t.Fatal(es)
	}
	want := []org.UnitRow{
		{Row: 2, Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Tags: []string{}, Effective: "2010-01-01"},
		{Row: 3, Code: "AH", Level: org.Provincial, ParentCode: "CN", NameZH: "安徽省", NameEN: `Anhui, "sending"`, Tags: []string{"pilot", "sending"}, Effective: "2010-03-01"},
		{Row: 4, Code: "HF", Level: org.Municipal, ParentCode: "AH", NameZH: "合肥市", NameEN: "=Hefei", Tags: []string{}},
	}
	for i, u := range sh.Rows {
		if fmt.Sprint(u) != fmt.Sprint(want[i]) {
			t.Errorf("row %d: %+v, want %+v", i, u, want[i])
		}
	}
}

func TestParsePartnersRows(t *testing.T) {
	head := "code,unit_code,type,sector,name_zh,name_en,contact,notes,active\n"
	tests := []struct {
		name string
		rows string
		want []string
	}{
		{"valid", "P1,AH,government,labour,安徽省劳动厅,Anhui Labour Bureau,,,是\nP2,AH,cso,,妇女之家,Women's Home,,,no\n", nil},
		{"unit code missing", "P1,,cso,,甲,A,,,\n", []string{"2:unit_code:required"}},
		{"type unknown", "P1,AH,club,,甲,A,,,\n", []string{"2:type:one_of"}},
		{"sector for a type without", "P1,AH,cso,labour,甲,A,,,\n", []string{"2:sector:no_sector_for_type"}},
		{"sector unknown", "P1,AH,school,labour,甲,A,,,\n", []string{"2:sector:one_of"}},
		{"active unreadable", "P1,AH,cso,,甲,A,,,maybe\n", []string{"2:active:bool"}},
		{"code twice", "P1,AH,cso,,甲,A,,,\nP1,AH,cso,,乙,B,,,\n", []string{"3:code:duplicate_in_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, es := org.ParsePartners([]byte(head+tt.rows), org.CSV)
			if got := txReport(es); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("report %v, want %v", got, tt.want)
			}
		})
	}
	sh, es := org.ParsePartners([]byte("代码,单位代码,类型,中文名称,英文名称,有效\nP1,AH,CSO,甲,A,否\nP2,AH,cso,乙,B,\n"), org.CSV)
	if len(es) > 0 {
		t.Fatal(es)
	}
	if p := sh.Rows[0]; p.Type != "cso" || p.Active == nil || *p.Active {
		t.Fatalf("row 2: %+v", p)
	}
	if p := sh.Rows[1]; p.Active != nil {
		t.Fatalf("empty active cell should mean unset: %+v", p)
	}
}

// xlsxFile builds a workbook whose first sheet holds rows; numbers stay numbers.
func xlsxFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.NewSheet("Second")
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	f.SetSheetRow("Second", "A1", &[]any{"ignored"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseUnitsXLSX(t *testing.T) {
	data := xlsxFile(t, [][]any{
		{"代码", "层级", "上级代码", "中文名称", "英文名称", "标签", "生效日期"},
		{"CN", 1, "", "全国", "National", "", 40179}, // 40179 is Excel's serial for 2010-01-01
		{},
		{"AH", "provincial", "CN", "安徽省", "Anhui", "sending pilot", "2010-01-01"},
		{"JS", "provincial", "CN", "", "Jiangsu", "", ""},
	})
	if org.DetectFormat(data) != org.XLSX {
		t.Fatal("workbook not detected")
	}
	_, es := org.ParseUnits(data, org.XLSX)
	if got := txReport(es); !slices.Equal(got, []string{"5:name_zh:required"}) {
		t.Fatalf("report %v", got)
	}
	data = xlsxFile(t, [][]any{
		{"code", "level", "parent_code", "name_zh", "name_en", "effective"},
		{"CN", 1, "", "全国", "National", 40179},
	})
	sh, es := org.ParseUnits(data, org.XLSX)
	if len(es) > 0 || sh.Rows[0].Effective != "2010-01-01" || sh.Rows[0].Level != org.National {
		t.Fatalf("%v %+v", es, sh.Rows)
	}
	if _, es := org.ParseUnits([]byte("PK\x03\x04 not really a zip"), org.XLSX); !slices.Equal(txReport(es), []string{"0:file:xlsx"}) {
		t.Fatalf("broken workbook: %v", es)
	}
}

// ---- against the database ----

// tnet is a small network: national, Anhui (with Hefei and its county Feidong) and Jiangsu
// (with Wuxi), and a provincial officer for Anhui.
type tnet struct {
	svc                            *org.Service
	db                             *store.DB
	cn, ah, js, hefei, feidong, wx org.Unit
	anhui                          access.Actor
}

func newTnet(t *testing.T, db *store.DB) tnet {
	t.Helper()
	ctx := context.Background()
	n := tnet{svc: org.New(db), db: db}
	mk := func(in org.UnitInput) org.Unit {
		t.Helper()
		in.Effective = "2010-01-01"
		u, err := n.svc.CreateUnit(ctx, access.System, in)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	n.cn = mk(org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National"})
	n.ah = mk(org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: n.cn.ID, NameZH: "安徽省", NameEN: "Anhui", Tags: []string{"sending", "pilot"}})
	n.js = mk(org.UnitInput{Code: "JS", Level: org.Provincial, ParentID: n.cn.ID, NameZH: "江苏省", NameEN: "Jiangsu", Tags: []string{"receiving"}})
	n.hefei = mk(org.UnitInput{Code: "AH-HF", Level: org.Municipal, ParentID: n.ah.ID, NameZH: "合肥市", NameEN: "Hefei"})
	n.feidong = mk(org.UnitInput{Code: "AH-HF-FD", Level: org.County, ParentID: n.hefei.ID, NameZH: "肥东县", NameEN: "Feidong County"})
	n.wx = mk(org.UnitInput{Code: "JS-WX", Level: org.Municipal, ParentID: n.js.ID, NameZH: "无锡市", NameEN: "Wuxi"})
	n.anhui = access.Actor{PublicID: "u_anhui", Role: access.ProvincialOfficer, UnitID: n.ah.ID, UnitPath: n.ah.Path}
	return n
}

func (n tnet) count(t *testing.T, table string) int {
	t.Helper()
	var c int
	if err := n.db.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (n tnet) unit(t *testing.T, code string) org.Unit {
	t.Helper()
	u, err := n.svc.UnitByCode(context.Background(), access.System, code)
	if err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return u
}

func importsLogged(t *testing.T, db *store.DB) int {
	t.Helper()
	_, total, err := audit.List(context.Background(), db, access.System, audit.Filter{Entity: "import"})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func TestImportUnitsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		units, versions, audits := n.count(t, "org_units"), n.count(t, "org_unit_versions"), n.count(t, "audit_log")
		file := unitsHead +
			"AH-HF,municipal,AH,合肥市,Hefei City,,\n" + // an update
			"AH-LA,municipal,NOPE,六安市,Lu'an,,2011-01-01\n" + // parent nowhere
			"AH-LA-JZ,county,AH-LA,金寨县,Jinzhai,,2011-01-01\n" // fine on its own
		res, err := n.svc.Import(ctx, access.System, org.UnitsFile, []byte(file), org.ImportOptions{})
		es, ok := valid.As(err)
		if !ok {
			t.Fatalf("want a report, got %v", err)
		}
		if got := txReport(es); !slices.Equal(got, []string{"3:parent_code:not_found"}) {
			t.Fatalf("report %v", got)
		}
		if res.Created+res.Updated != 0 || len(res.Errors) != 1 {
			t.Fatalf("result %+v", res)
		}
		if n.count(t, "org_units") != units || n.count(t, "org_unit_versions") != versions || n.count(t, "audit_log") != audits {
			t.Fatal("a failed import wrote something")
		}
		if n.unit(t, "AH-HF").NameEN != "Hefei" {
			t.Fatal("the good row was applied")
		}

		// Errors found by parsing and by the database come in one report, by row.
		file = unitsHead +
			"AH-LA,municipal,NOPE,六安市,Lu'an,,\n" +
			"AH-X,municipal,AH,,X,,\n" +
			"AH-HF,county,AH,合肥市,Hefei,,\n" +
			"AH-LA2,municipal,AH,六安,Lu'an,,2009-12-31\n" +
			"AH-Y,municipal,AH,未来,Future,,2999-01-01\n"
		_, err = n.svc.Import(ctx, access.System, org.UnitsFile, []byte(file), org.ImportOptions{})
		es, _ = valid.As(err)
		want := []string{"2:parent_code:not_found", "3:name_zh:required", "4:level:level_fixed", "5:effective:after_parent_opened", "6:effective:not_future"}
		if got := txReport(es); !slices.Equal(got, want) {
			t.Fatalf("report %v, want %v", got, want)
		}
		if importsLogged(t, db) != 0 {
			t.Fatal("failed imports logged")
		}
	})
}

func TestImportUnitsCreateUpdateMove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		today := time.Now().UTC().Format(time.DateOnly)
		// Children come before their parents in the file; the import orders them.
		file := "name_en,code,parent_code,level,name_zh,tags\n" +
			"Jinzhai County,AH-LA-JZ,AH-LA,county,金寨县,\n" +
			"Lu'an,AH-LA,AH,municipal,六安市,\n" +
			"Hefei City,AH-HF,AH,municipal,合肥市,\n" + // rename
			"Feidong County,AH-HF-FD,AH-LA,county,肥东县,\n" + // move to Lu'an
			"Anhui,AH,CN,provincial,安徽省,pilot;sending\n" + // as it is
			"Wuxi,JS-WX,JS,municipal,无锡市,\n" // as it is
		res, err := n.svc.Import(ctx, access.System, org.UnitsFile, []byte(file), org.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 || res.Updated != 2 || res.Unchanged != 2 || res.Rows != 6 {
			t.Fatalf("result %+v", res)
		}
		la, jz := n.unit(t, "AH-LA"), n.unit(t, "AH-LA-JZ")
		if la.ParentID != n.ah.ID || jz.ParentID != la.ID || jz.Path != la.Path+fmt.Sprint(jz.ID)+"/" || la.OpenedOn != today {
			t.Fatalf("created: %+v %+v", la, jz)
		}
		if hf := n.unit(t, "AH-HF"); hf.NameEN != "Hefei City" {
			t.Fatalf("renamed: %+v", hf)
		}
		fd := n.unit(t, "AH-HF-FD")
		if fd.ParentID != la.ID || fd.Path != la.Path+fmt.Sprint(fd.ID)+"/" {
			t.Fatalf("moved: %+v", fd)
		}
		hist, err := n.svc.History(ctx, access.System, fd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[1].Change != "move" || hist[1].ValidFrom != today || hist[0].ParentID != n.hefei.ID {
			t.Fatalf("history %+v", hist)
		}
		// The tags column was present for AH: unchanged. Absent columns keep values.
		if ah := n.unit(t, "AH"); !slices.Equal(ah.Tags, []string{"pilot", "sending"}) {
			t.Fatalf("tags %v", ah.Tags)
		}
		if importsLogged(t, db) != 1 {
			t.Fatal("import not logged once")
		}
		entries, _, _ := audit.List(ctx, db, access.System, audit.Filter{Entity: "unit", Action: "move"})
		if len(entries) != 1 || entries[0].EntityID != fd.ID {
			t.Fatalf("move audit %+v", entries)
		}

		// Re-importing the same file changes nothing.
		res, err = n.svc.Import(ctx, access.System, org.UnitsFile, []byte(file), org.ImportOptions{})
		if err != nil || res.Unchanged != 6 || res.Created+res.Updated != 0 {
			t.Fatalf("again: %+v %v", res, err)
		}

		// A unit cannot be moved below itself.
		_, err = n.svc.Import(ctx, access.System, org.UnitsFile, []byte(unitsHead+"AH-LA,municipal,AH-LA-JZ,六安市,Lu'an,,\n"), org.ImportOptions{})
		es, _ := valid.As(err)
		if got := txReport(es); !slices.Contains(got, "2:parent_code:cycle") {
			t.Fatalf("report %v", got)
		}
	})
}

func TestImportDryRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		before := n.count(t, "audit_log")
		file := unitsHead + "AH-LA,municipal,AH,六安市,Lu'an,,\nAH-HF,municipal,AH,合肥市,Hefei City,,\n"
		res, err := n.svc.Import(ctx, access.System, org.UnitsFile, []byte(file), org.ImportOptions{DryRun: true})
		if err != nil || !res.DryRun || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if n.count(t, "audit_log") != before || n.unit(t, "AH-HF").NameEN != "Hefei" {
			t.Fatal("dry run wrote")
		}
		if _, err := n.svc.UnitByCode(ctx, access.System, "AH-LA"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("dry run created: %v", err)
		}
	})
}

func TestImportScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		audits := n.count(t, "audit_log")
		file := unitsHead +
			"AH-LA,municipal,AH,六安市,Lu'an,,\n" + // allowed
			"JS-SZ,municipal,JS,苏州市,Suzhou,,\n" + // into another province
			"JS-WX,municipal,AH,无锡市,Wuxi,,\n" + // takes over another province's unit
			"AH,provincial,CN,安徽省,Anhui Province,,\n" + // edits the officer's own unit
			"AH-HF-FD,county,JS-WX,肥东县,Feidong,,\n" // moves out of the province
		_, err := n.svc.Import(ctx, n.anhui, org.UnitsFile, []byte(file), org.ImportOptions{})
		es, ok := valid.As(err)
		if !ok {
			t.Fatalf("want a report, got %v", err)
		}
		want := []string{"3:parent_code:not_found", "4:code:unique", "5:code:outside_scope", "6:parent_code:not_found"}
		if got := txReport(es); !slices.Equal(got, want) {
			t.Fatalf("report %v, want %v", got, want)
		}
		if n.count(t, "audit_log") != audits {
			t.Fatal("refused import wrote")
		}
		// Unchanged rows outside the officer's reach, such as their own province, pass.
		res, err := n.svc.Import(ctx, n.anhui, org.UnitsFile, []byte(unitsHead+"AH,provincial,CN,安徽省,Anhui,pilot;sending,\nAH-LA,municipal,AH,六安市,Lu'an,,\n"), org.ImportOptions{})
		if err != nil || res.Created != 1 || res.Unchanged != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		// Roles without the import permission are refused outright.
		reader := access.Actor{PublicID: "u_r", Role: access.Evaluator, UnitID: n.cn.ID, UnitPath: n.cn.Path}
		if _, err := n.svc.Import(ctx, reader, org.UnitsFile, []byte(file), org.ImportOptions{}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("evaluator: %v", err)
		}
	})
}

const partnersHead = "code,unit_code,type,sector,name_zh,name_en,contact,notes,active\n"

func TestImportPartners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		p1, err := n.svc.CreatePartner(ctx, access.System, org.PartnerInput{Code: "P-AH-WF", UnitID: n.ah.ID, Type: "womens_federation", NameZH: "安徽省妇联", NameEN: "Anhui WF", Contact: "0551-1"})
		if err != nil {
			t.Fatal(err)
		}
		// One bad row: nothing is written.
		file := partnersHead +
			"P-AH-WF,AH,womens_federation,,安徽省妇联,Anhui Women's Federation,0551-1,,true\n" +
			"P-HF-LB,AH-HF,government,labour,合肥市劳动局,Hefei Labour Bureau,,\"notes, with comma\",1\n" +
			"P-WX-S,JS-WX,school,primary,无锡小学,Wuxi Primary,,,yes\n"
		_, err = n.svc.Import(ctx, n.anhui, org.PartnersFile, []byte(file), org.ImportOptions{})
		es, _ := valid.As(err)
		if got := txReport(es); !slices.Equal(got, []string{"4:unit_code:not_found"}) {
			t.Fatalf("report %v", got)
		}
		if n.count(t, "partners") != 1 {
			t.Fatal("failed import wrote")
		}
		// Without it, the update and the creation commit together.
		file = file[:strings.LastIndex(strings.TrimSuffix(file, "\n"), "\n")+1]
		res, err := n.svc.Import(ctx, n.anhui, org.PartnersFile, []byte(file), org.ImportOptions{})
		if err != nil || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		got, err := n.svc.Partner(ctx, access.System, p1.ID)
		if err != nil || got.NameEN != "Anhui Women's Federation" || !got.Active {
			t.Fatalf("%+v %v", got, err)
		}
		// A file without the optional columns keeps them; active=否 deactivates.
		res, err = n.svc.Import(ctx, n.anhui, org.PartnersFile, []byte("代码,单位代码,类型,中文名称,英文名称,有效\nP-AH-WF,AH,womens_federation,安徽省妇联,Anhui Women's Federation,否\n"), org.ImportOptions{})
		if err != nil || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		got, _ = n.svc.Partner(ctx, access.System, p1.ID)
		if got.Active || got.Contact != "0551-1" {
			t.Fatalf("%+v", got)
		}
		// Another province's partner code cannot be taken over.
		if _, err := n.svc.CreatePartner(ctx, access.System, org.PartnerInput{Code: "P-JS", UnitID: n.js.ID, Type: "cso", NameZH: "甲", NameEN: "A"}); err != nil {
			t.Fatal(err)
		}
		_, err = n.svc.Import(ctx, n.anhui, org.PartnersFile, []byte(partnersHead+"P-JS,AH,cso,,甲,A,,,\n"), org.ImportOptions{})
		es, _ = valid.As(err)
		if got := txReport(es); !slices.Equal(got, []string{"2:code:unique"}) {
			t.Fatalf("report %v", got)
		}
	})
}

// txExport runs Export into a buffer.
func txExport(t *testing.T, svc *org.Service, a access.Actor, k org.Kind, f org.Format, root int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Export(context.Background(), a, k, f, root, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := newTnet(t, db)
		sys := access.System
		if _, err := n.svc.UpdateUnit(ctx, sys, n.wx.ID, org.UnitInput{Code: "JS-WX", NameZH: "无锡市", NameEN: "Wuxi, \"city\"", Tags: []string{"pilot"}, Effective: "2011-06-01"}); err != nil {
			t.Fatal(err)
		}
		closed, err := n.svc.CreateUnit(ctx, sys, org.UnitInput{Code: "JS-OLD", Level: org.Municipal, ParentID: n.js.ID, NameZH: "旧", NameEN: "Old", Effective: "2010-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.CloseUnit(ctx, sys, closed.ID, "2011-01-01"); err != nil {
			t.Fatal(err)
		}
		inactive := false
		for _, in := range []org.PartnerInput{
			{Code: "P2", UnitID: n.hefei.ID, Type: "government", Sector: "public_security", NameZH: "合肥市公安局", NameEN: "Hefei PSB", Contact: "张三\n0551-2", Notes: "=1+1 is not a formula"},
			{Code: "P1", UnitID: n.ah.ID, Type: "womens_federation", NameZH: "安徽省妇联", NameEN: "Anhui WF", Notes: "-note", Active: &inactive},
		} {
			if _, err := n.svc.CreatePartner(ctx, sys, in); err != nil {
				t.Fatal(err)
			}
		}
		units := txExport(t, n.svc, sys, org.UnitsFile, org.CSV, 0)
		partners := txExport(t, n.svc, sys, org.PartnersFile, org.CSV, 0)
		if !bytes.HasPrefix(units, []byte("\xef\xbb\xbf"+"code,level,parent_code,name_zh,name_en,tags,effective\r\n")) {
			t.Fatalf("units export starts %q", units[:min(len(units), 80)])
		}
		if bytes.Contains(units, []byte("JS-OLD")) {
			t.Fatal("closed unit exported")
		}
		if !bytes.Contains(partners, []byte(",'=1+1 is not a formula,")) || !bytes.Contains(partners, []byte(",'-note,false")) {
			t.Fatalf("formula cells not guarded:\n%s", partners)
		}

		// A fresh database with the national unit only.
		db2 := storetest.SQLite(t)
		if db.Dialect == store.Postgres {
			db2 = storetest.Postgres(t)
		}
		svc2 := org.New(db2)
		if _, err := svc2.CreateUnit(ctx, sys, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"}); err != nil {
			t.Fatal(err)
		}
		res, err := svc2.Import(ctx, sys, org.UnitsFile, units, org.ImportOptions{})
		if err != nil || res.Created != 5 || res.Unchanged != 1 {
			t.Fatalf("units: %+v %v", res, err)
		}
		res, err = svc2.Import(ctx, sys, org.PartnersFile, partners, org.ImportOptions{})
		if err != nil || res.Created != 2 {
			t.Fatalf("partners: %+v %v", res, err)
		}
		if again := txExport(t, svc2, sys, org.UnitsFile, org.CSV, 0); !bytes.Equal(again, units) {
			t.Fatalf("units differ:\n%s\n---\n%s", units, again)
		}
		if again := txExport(t, svc2, sys, org.PartnersFile, org.CSV, 0); !bytes.Equal(again, partners) {
			t.Fatalf("partners differ:\n%s\n---\n%s", partners, again)
		}

		// The workbook holds the same rows as the CSV.
		for _, k := range []org.Kind{org.UnitsFile, org.PartnersFile} {
			x := txExport(t, n.svc, sys, k, org.XLSX, 0)
			c := txExport(t, n.svc, sys, k, org.CSV, 0)
			if k == org.UnitsFile {
				fromX, es1 := org.ParseUnits(x, org.XLSX)
				fromC, es2 := org.ParseUnits(c, org.CSV)
				if es1 != nil || es2 != nil || fmt.Sprint(fromX.Rows) != fmt.Sprint(fromC.Rows) {
					t.Fatalf("xlsx %v %v\n%+v\n%+v", es1, es2, fromX.Rows, fromC.Rows)
				}
			} else {
				fromX, es1 := org.ParsePartners(x, org.XLSX)
				fromC, es2 := org.ParsePartners(c, org.CSV)
				if es1 != nil || es2 != nil || len(fromX.Rows) != len(fromC.Rows) {
					t.Fatalf("xlsx %v %v", es1, es2)
				}
				for i := range fromX.Rows {
					a, b := fromX.Rows[i], fromC.Rows[i]
					a.Active, b.Active = nil, nil
					if a != b || *fromX.Rows[i].Active != *fromC.Rows[i].Active {
						t.Fatalf("row %d: %+v vs %+v", i, fromX.Rows[i], fromC.Rows[i])
					}
				}
			}
		}

		// An officer exports their province only; a root narrows further.
		ah := string(txExport(t, n.svc, n.anhui, org.UnitsFile, org.CSV, 0))
		if !strings.Contains(ah, "AH-HF-FD") || strings.Contains(ah, "JS") {
			t.Fatalf("anhui export:\n%s", ah)
		}
		hf := string(txExport(t, n.svc, sys, org.PartnersFile, org.CSV, n.hefei.ID))
		if !strings.Contains(hf, "P2") || strings.Contains(hf, "P1") {
			t.Fatalf("hefei partners:\n%s", hf)
		}
		if err := n.svc.Export(ctx, n.anhui, org.UnitsFile, org.CSV, n.js.ID, &bytes.Buffer{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("export of another province: %v", err)
		}
	})
}
