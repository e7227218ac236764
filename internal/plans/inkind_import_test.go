package plans

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ting/internal/valid"
)

// annexATSV is seed 001 Annex A as the seed prints it: tab separated, with its title lines, blank
// cells and the totals standing in the last two columns.
const annexATSV = "Annex A: Chinese Counterparts in-kind contributions to CP-TING\n" +
	"\n" +
	"(January 2010 - June 2012)\n" +
	"\n" +
	"\tNational ACWF (RMB)\tProvincial Partners (Provincial WF and provincial departments) (RMB)\tLocal Partners (Local WFs and governments) (RMB)\tSubtotal (RMB)\n" +
	"Full time staff salary\t150,000\t851,400\t761,000\t1,762,400\n" +
	"Time input of part time staff and partners\t\t777,900\t547,400\t1,325,300\n" +
	"Office rental\t200,000\t392,100\t125,400\t717,500\n" +
	"Utilities\t12,500\t148,700\t817,780\t978,980\n" +
	"Communication\t7,500\t44,700\t43,680\t95,880\n" +
	"Local transportation\t20,000\t76,110\t174,230\t270,340\n" +
	"Training/Meeting Venue\t\t95,430\t235,520\t330,950\n" +
	"Publicity/newsletter/media\t\t205,700\t119,340\t325,040\n" +
	"Incidental Costs\t\t120,000\t59,700\t179,700\n" +
	"Others (including training and education support to target groups)\t\t46,500\t226,592\t273,092\n" +
	"Sub-total in RMB\t390,000\t2,758,540\t3,110,642\t6,259,182\n" +
	"\t\t\tTotal in RMB\t6,259,182\n" +
	"\t\t\tTotal in US$\t993,206\n" +
	"\t\t\tTotal in CAN$\t947,533\n" +
	"\n" +
	"Exchange rates: US $1:6.302 RMB US $1: 0.9812 CAN$\n"

// annexAParsed is what the reader should make of Annex A: annexA() with the rates undated
// (the form dates them) — the period comes from the form too.
func annexAParsed() ContributionTable {
	t := annexA()
	t.From, t.To = "", ""
	for i := range t.Rates {
		t.Rates[i].On = ""
	}
	return t
}

// annexAXLSX lays Annex A out in a workbook with numeric cells, as a spreadsheet program saves it.
func annexAXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows, err := readContributionCSV([]byte(annexATSV))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for c, v := range r.cells {
			if v == "" {
				continue
			}
			cell := cellRef(c, r.num)
			if n, err := ParseAmount(v); err == nil {
				f.SetCellValue("Sheet1", cell, float64(n)/100)
			} else {
				f.SetCellValue("Sheet1", cell, v)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseAnnexA(t *testing.T) {
	for name, data := range map[string][]byte{
		"tsv":  []byte(annexATSV),
		"csv":  []byte("\xef\xbb\xbf" + strings.ReplaceAll(strings.ReplaceAll(annexATSV, ",", ""), "\t", ",")),
		"xlsx": annexAXLSX(t),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseContributionTable(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if want := annexAParsed(); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			// Dated, the table checks as Annex A does: only its swapped CAN$ digits differ.
			for i := range got.Rates {
				got.Rates[i].On = "2012-09-01"
			}
			diffs, err := CheckContributionTable(got)
			if err != nil || len(diffs) != 1 || diffs[0].Currency != "CAD" || diffs[0].Delta() != -2_700_000 {
				t.Fatalf("differences %+v, %v", diffs, err)
			}
		})
	}
}

func TestParseContributionTable(t *testing.T) {
	header := ",National ACWF (RMB),Provincial Partners (RMB),Local Partners (RMB),Subtotal (RMB)\n"
	tests := []struct {
		name string
		in   string
		want func() ContributionTable // nil when errs are expected
		errs valid.Errors
	}{
		{"codes, Chinese names and fen", "类别,全国妇联,省级合作伙伴（省妇联及省级部门）,地方合作伙伴（地方妇联及政府）,小计\n" +
			"staff_salary,1.50,,2,3.50\n" +
			"办公室租金,,\"1,000\",,\n" +
			"合计（人民币）,,,,\"1,003.50\"\n",
			func() ContributionTable {
				return ContributionTable{Currency: "CNY", Rows: []ContributionRow{
					{Category: "staff_salary", Amounts: map[string]int64{NationalLevel: 150, LocalLevel: 200}, StatedSubtotal: i64(350)},
					{Category: "office_rental", Amounts: map[string]int64{ProvincialLevel: 100_000}}},
					StatedTotal: i64(100_350)}
			}, nil},
		{"columns in another order, a dash for nothing, notes skipped", "Category,Local,Subtotal,National\n" +
			"Utilities,10,10,—\n" +
			"Figures from the provincial offices\n",
			func() ContributionTable {
				return ContributionTable{Currency: "CNY", WholeUnits: true, Rows: []ContributionRow{
					{Category: "utilities", Amounts: map[string]int64{LocalLevel: 1000}, StatedSubtotal: i64(1000)}}}
			}, nil},
		{"the sub-total row states the total when no total row does", header + "Utilities,1,2,3,6\nSub-total in RMB,1,2,3,6\n",
			func() ContributionTable {
				return ContributionTable{Currency: "CNY", WholeUnits: true, Rows: []ContributionRow{
					{Category: "utilities", Amounts: map[string]int64{NationalLevel: 100, ProvincialLevel: 200, LocalLevel: 300}, StatedSubtotal: i64(600)}},
					StatedLevelTotals: map[string]int64{NationalLevel: 100, ProvincialLevel: 200, LocalLevel: 300}, StatedTotal: i64(600)}
			}, nil},
		{"a bad cell is named by row and column", header + "Utilities,1,2x,3,6\nOffice rental,-5,,,\n", nil,
			valid.Errors{{Row: 2, Field: "amount", Rule: "amount_cell", Param: "C2"}, {Row: 3, Field: "amount", Rule: "amount_cell", Param: "B3"}}},
		{"three decimals", header + "Utilities,1.234,,,\n", nil, valid.Errors{{Row: 2, Field: "amount", Rule: "amount_cell", Param: "B2"}}},
		{"an unknown category with amounts", "\n" + header + "Travel abroad,1,,,\n", nil,
			valid.Errors{{Row: 3, Field: "category", Rule: "inkind_category", Param: "Travel abroad"}}},
		{"a category twice", header + "Utilities,1,,,\n水电等公用事业费,2,,,\n", nil,
			valid.Errors{{Row: 3, Field: "category", Rule: "unique", Param: "水电等公用事业费"}}},
		{"amounts without a label", header + ",1,2,,\n", nil, valid.Errors{{Row: 2, Field: "category", Rule: "required"}}},
		{"the two stated totals disagree", header + "Utilities,1,,,1\nSub-total,1,,,2\nTotal in RMB,,,,1\n", nil,
			valid.Errors{{Row: 4, Field: "amount", Rule: "inkind_total_twice", Param: "2.00"}}},
		{"a total in a currency twice", header + "Utilities,1,,,1\nTotal in US$,,,,1\nTotal in USD,,,,1\n", nil,
			valid.Errors{{Row: 4, Field: "currency", Rule: "unique", Param: "USD"}}},
		{"an unreadable rate line", header + "Utilities,1,,,\nExchange rates: see the bank\n", nil,
			valid.Errors{{Row: 3, Field: "rate", Rule: "inkind_rate"}}},
		{"no header", "Utilities,1,2,3\n", nil, valid.Errors{{Field: "file", Rule: "inkind_no_header"}}},
		{"a header and nothing under it", header, nil, valid.Errors{{Field: "file", Rule: "no_rows"}}},
		{"a level twice in the header", ",National,National ACWF\nUtilities,1,2\n", nil,
			valid.Errors{{Row: 1, Field: "contributor_level", Rule: "unique", Param: "National ACWF"}}},
		{"an unclosed quote", header + "\"Utilities,1\n", nil, valid.Errors{{Row: 2, Field: "file", Rule: "csv_quote"}}},
		{"not UTF-8", header + "\xff\xfe\xfd,1,,,\n", nil, valid.Errors{{Field: "file", Rule: "encoding"}}},
		{"empty", " \n", nil, valid.Errors{{Field: "file", Rule: "empty_file"}}},
		{"not a workbook", "PK\x03\x04 broken", nil, valid.Errors{{Field: "file", Rule: "xlsx"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseContributionTable(strings.NewReader(tt.in))
			if tt.want == nil {
				es, ok := valid.As(err)
				if !ok || !reflect.DeepEqual(es, tt.errs) {
					t.Fatalf("errors %#v, want %#v", err, tt.errs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// writeContributionCSV lays a table out the way the reader expects, for the round trip.
func writeContributionCSV(t ContributionTable) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	cur := " (" + t.Currency + ")"
	w.Write([]string{"", "national" + cur, "provincial" + cur, "local" + cur, "subtotal" + cur})
	cell := func(v *int64) string {
		if v == nil {
			return ""
		}
		return formatMoney(*v)
	}
	amounts := func(m map[string]int64) []string {
		var out []string
		for _, l := range ContributorLevels {
			if v, ok := m[l.Code]; ok {
				out = append(out, formatMoney(v))
			} else {
				out = append(out, "")
			}
		}
		return out
	}
	for _, r := range t.Rows {
		w.Write(append(append([]string{r.Category}, amounts(r.Amounts)...), cell(r.StatedSubtotal)))
	}
	if t.StatedLevelTotals != nil {
		w.Write(append(append([]string{"Sub-total"}, amounts(t.StatedLevelTotals)...), ""))
	}
	if t.StatedTotal != nil {
		w.Write([]string{"Total in " + t.Currency, "", "", "", cell(t.StatedTotal)})
	}
	for _, cur := range sortedKeys(t.StatedConverted) {
		v := t.StatedConverted[cur]
		w.Write([]string{"Total in " + cur, "", "", "", cell(&v)})
	}
	if len(t.Rates) > 0 {
		line := "Exchange rates:"
		for _, r := range t.Rates {
			line += " US $1:" + r.PerUSD + " " + r.Currency
		}
		w.Write([]string{line})
	}
	w.Flush()
	return b.String()
}

// FuzzParseContributionTable: whatever the upload, the reader answers a table or field errors,
// never a panic; a table it accepts is well formed for CheckContributionTable, and written back
// out and read again it is the same table.
func FuzzParseContributionTable(f *testing.F) {
	f.Add([]byte(annexATSV))
	f.Add([]byte(",national,provincial,local,subtotal\nutilities,1.5,2,,3.50\nSub-total,1.5,,,\nTotal in CNY,,,,3.5\nTotal in USD,,,,0.55\nExchange rates: US $1:6.3 RMB\n"))
	f.Add([]byte("\"a\"\"b\",\"x\ny\"\r\n;;\t\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseContributionTable(bytes.NewReader(data))
		if err != nil {
			es, ok := valid.As(err)
			if !ok || len(es) == 0 {
				t.Fatalf("not field errors: %v", err)
			}
			for _, e := range es {
				if e.Field == "" || e.Rule == "" {
					t.Fatalf("error without field or rule: %+v", e)
				}
			}
			return
		}
		dated := got
		dated.Rates = append([]Rate(nil), got.Rates...)
		for i := range dated.Rates {
			dated.Rates[i].On = "2012-06-30"
		}
		if _, err := CheckContributionTable(dated); err != nil {
			es, _ := valid.As(err)
			for _, e := range es {
				if e.Rule != "rate_missing" {
					t.Fatalf("accepted a malformed table: %v\n%+v", err, got)
				}
			}
		}
		again, err := ParseContributionTable(strings.NewReader(writeContributionCSV(got)))
		if err != nil {
			t.Fatalf("written back: %v\n%s", err, writeContributionCSV(got))
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip\n got %+v\nagain %+v", got, again)
		}
	})
}
