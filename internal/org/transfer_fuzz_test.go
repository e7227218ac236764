package org_test

import (
	"slices"
	"testing"

	"ting/internal/org"
	"ting/internal/valid"
)

// The file readers themselves (CSV and XLSX) are fuzzed in internal/sheet; these fuzz org's
// rules on what they read.

// Seeds: valid files in each spelling the parser accepts, and broken ones.
var csvSeeds = []string{
	unitsHead + "CN,national,,全国,National,,2010-01-01\nAH,provincial,CN,安徽省,Anhui,sending;pilot,2010-01-01\n",
	"\ufeff代码,层级,上级代码,中文名称,英文名称,标签,生效日期\r\nCN,国家级,,全国,National,,2010/1/1\r\nAH,2,CN,安徽省,\"Anhui, \"\"AH\"\"\",pilot；sending,\r\n",
	"code;level;parent_code;name_zh;name_en\nCN;1;;全国;National\n",
	"code\tlevel\tparent_code\tname_zh\tname_en\nCN\t1\t\t全国\tNational\n",
	unitsHead + "CN,national,,\"全\n国\",National,,\n\n,,,\nAH,county,CN,,,,2010-13-01,extra\n",
	unitsHead + "A,municipal,B,甲,A,,\nB,county,A,乙,B,,\nA,municipal,,x,x,,\n",
	unitsHead + "CN,national,,\"unterminated,National\n",
	"code,colour,code\n",
	"\xff\xfec\x00o\x00d\x00e\x00",
	"\xc8\xab\xb9\xfa,\n",
	partnersHead + "P1,AH,government,labour,劳动局,Labour,\"a\nb\",'=1+1,是\nP2,AH,cso,labour,x,y,,,maybe\n",
	"代码,单位代码,类型,中文名称,英文名称,有效\nP1,AH,CSO,甲,A,否\n",
	"",
	"\"",
	"\r\r\n\n",
}

// txCheckReport holds what every parse must give: rows or a report, never both or neither, and
// report entries that name a known column and a rule.
func txCheckReport(t *testing.T, n int, es valid.Errors, columns []string) {
	t.Helper()
	if (n > 0) == (len(es) > 0) {
		t.Fatalf("%d rows and %d errors", n, len(es))
	}
	for _, e := range es {
		if e.Rule == "" || e.Row < 0 || !slices.Contains(columns, e.Field) && e.Field != "file" && e.Field != "header" {
			t.Fatalf("bad report entry %+v", e)
		}
	}
}

func txCheckUnits(t *testing.T, data []byte, f org.Format) {
	sh, es := org.ParseUnits(data, f)
	txCheckReport(t, len(sh.Rows), es, org.ColumnNames(org.UnitsFile))
	codes := map[string]bool{}
	last := 0
	for _, u := range sh.Rows {
		if u.Row <= last || u.Row < 2 {
			t.Fatalf("row numbers out of order: %d after %d", u.Row, last)
		}
		last = u.Row
		if codes[u.Code] {
			t.Fatalf("code %q twice", u.Code)
		}
		codes[u.Code] = true
		in := org.UnitInput{Code: u.Code, Level: u.Level, NameZH: u.NameZH, NameEN: u.NameEN, Tags: u.Tags, Effective: u.Effective}
		if es := org.CheckUnitInput(in); len(es) > 0 {
			t.Fatalf("row %d passed the parser but not the rules: %v", u.Row, es)
		}
		if (u.Level == org.National) != (u.ParentCode == "") || u.ParentCode == u.Code {
			t.Fatalf("row %d: bad placement passed: %+v", u.Row, u)
		}
	}
}

func txCheckPartners(t *testing.T, data []byte, f org.Format) {
	sh, es := org.ParsePartners(data, f)
	txCheckReport(t, len(sh.Rows), es, org.ColumnNames(org.PartnersFile))
	for _, p := range sh.Rows {
		if p.UnitCode == "" {
			t.Fatalf("row %d without unit", p.Row)
		}
		in := org.PartnerInput{Code: p.Code, UnitID: 1, Type: p.Type, Sector: p.Sector, NameZH: p.NameZH, NameEN: p.NameEN, Contact: p.Contact, Notes: p.Notes}
		if es := org.CheckPartnerInput(in); len(es) > 0 {
			t.Fatalf("row %d passed the parser but not the rules: %v", p.Row, es)
		}
	}
}

func FuzzParseUnitsCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { txCheckUnits(t, data, org.CSV) })
}

func FuzzParsePartnersCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { txCheckPartners(t, data, org.CSV) })
}
