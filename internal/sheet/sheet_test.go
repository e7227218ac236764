package sheet_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ting/internal/sheet"
	"ting/internal/valid"
)

// report renders failures as "row:field:rule" lines for comparison.
func report(es valid.Errors) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Row, e.Field, e.Rule))
	}
	return out
}

// rowsOf renders rows as "num:cell|cell" lines.
func rowsOf(rows []sheet.Row) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%d:%s", r.Num, strings.Join(r.Cells, "|")))
	}
	return out
}

func utf16(t *testing.T, s string) []byte {
	t.Helper()
	out := []byte{0xff, 0xfe}
	for _, r := range s {
		if r > 0xffff {
			t.Fatal("test text outside the BMP")
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		rows []string // want rows; nil when a report is wanted
		errs []string
	}{
		{"plain", []byte("a,b\n1,2\n"), []string{"1:a|b", "2:1|2"}, nil},
		{"no final newline", []byte("a,b\n1,2"), []string{"1:a|b", "2:1|2"}, nil},
		{"utf-8 bom", []byte("\ufeffa,b\n1,2\n"), []string{"1:a|b", "2:1|2"}, nil},
		{"crlf", []byte("a,b\r\n1,2\r\n"), []string{"1:a|b", "2:1|2"}, nil},
		{"semicolons", []byte("a;b\n1,5;2\n"), []string{"1:a|b", "2:1,5|2"}, nil},
		{"tabs", []byte("a\tb\n1\t2\n"), []string{"1:a|b", "2:1|2"}, nil},
		{"commas win a tie", []byte("a,b;c\n1,2;3\n"), []string{"1:a|b;c", "2:1|2;3"}, nil},
		{"blank lines keep numbering", []byte("a,b\n\n,\n1,2\n"), []string{"1:a|b", "2:", "3:|", "4:1|2"}, nil},
		{"quoted delimiter, quote and line break", []byte("a,b\n\"x,\"\"y\"\"\",\"l1\r\nl2\"\n3,4\n"), []string{"1:a|b", "2:x,\"y\"|l1\nl2", "3:3|4"}, nil},
		{"formula guard comes off", []byte("a,b\n'=1+1,'plain\n"), []string{"1:a|b", "2:=1+1|'plain"}, nil},
		{"utf-16 unicode text", utf16(t, "a\tb\r\n甲\t乙\r\n"), []string{"1:a|b", "2:甲|乙"}, nil},
		{"empty", nil, []string{}, nil},
		{"not utf-8", []byte("a,b\n\xc8\xab\xb9\xfa,x\n"), nil, []string{"0:file:encoding"}},
		{"unterminated quote", []byte("a,b\n1,2\n3,\"4\n"), nil, []string{"3:file:csv_quote"}},
		{"text after closing quote", []byte("a,b\n\"1\"x,2\n"), nil, []string{"2:file:csv_quote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, es := sheet.ReadCSV(tt.file)
			if got := report(es); !slices.Equal(got, append([]string{}, tt.errs...)) {
				t.Fatalf("report %v, want %v", got, tt.errs)
			}
			if tt.rows == nil {
				if rows != nil {
					t.Fatalf("rows with a report: %v", rowsOf(rows))
				}
				return
			}
			if got := rowsOf(rows); !slices.Equal(got, tt.rows) {
				t.Fatalf("rows %q, want %q", got, tt.rows)
			}
		})
	}
}

var testColumns = []sheet.Column{
	{Name: "code", Required: true, Aliases: []string{"代码"}},
	{Name: "parent_code", Required: true, Aliases: []string{"上级代码", "parent"}},
	{Name: "note", Aliases: []string{"备注"}},
}

func TestMatchHeader(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // report; nil: the header matches
		rows []int    // data row numbers when it matches
		note bool     // the file has the optional column
	}{
		{"names", "code,parent_code,note\nA,B,x\n", nil, []int{2}, true},
		{"aliases, case, spaces, any order", "备注,Parent Code,CODE\nx,B,A\n", nil, []int{2}, true},
		{"full-width space and hyphen", "code\u3000,parent-code\nA,B\n", nil, []int{2}, false},
		{"optional column absent", "code,parent\nA,B\n", nil, []int{2}, false},
		{"header below blank rows, blank data rows skipped", "\n,,\ncode,parent_code\nA,B\n\n,\nC,D\n", nil, []int{4, 7}, false},
		{"unknown column", "code,parent_code,colour\nA,B,red\n", []string{"1:header:unknown_column"}, nil, false},
		{"same column twice", "code,代码,parent_code\nA,A,B\n", []string{"1:header:duplicate_column"}, nil, false},
		{"missing column", "code,note\nA,x\n", []string{"1:parent_code:missing_column"}, nil, false},
		{"value past the last heading", "code,parent_code\nA,B,stray\n", []string{"2:file:no_column"}, nil, false},
		{"header only", "code,parent_code\n", []string{"0:file:no_rows"}, nil, false},
		{"nothing", "", []string{"0:file:no_rows"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, es := sheet.ReadCSV([]byte(tt.file))
			if len(es) > 0 {
				t.Fatal(es)
			}
			var r sheet.Report
			tab, ok := sheet.MatchHeader(rows, testColumns, &r)
			es = r.Done()
			if got := report(es); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("report %v, want %v", got, tt.want)
			}
			if tt.want != nil {
				// A stray value is a row's failure: the header itself is usable.
				if ok != (es[0].Rule == "no_column") {
					t.Fatalf("ok = %v with %v", ok, es)
				}
				return
			}
			if !ok {
				t.Fatal("not ok")
			}
			var nums []int
			for _, row := range tab.Rows {
				nums = append(nums, row.Num)
			}
			if !slices.Equal(nums, tt.rows) {
				t.Fatalf("data rows %v, want %v", nums, tt.rows)
			}
			if c, p := tab.Cell(tab.Rows[0], "code"), tab.Cell(tab.Rows[0], "parent_code"); c != "A" || p != "B" {
				t.Fatalf("cells %q %q", c, p)
			}
			if tab.Has("note") != tt.note {
				t.Fatalf("Has(note) = %v", tab.Has("note"))
			}
		})
	}
	// The unknown heading is named as the file wrote it.
	rows, _ := sheet.ReadCSV([]byte("code,parent_code, Colour \nA,B,x\n"))
	var r sheet.Report
	sheet.MatchHeader(rows, testColumns, &r)
	if es := r.Done(); len(es) != 1 || es[0].Param != "Colour" {
		t.Fatalf("unknown column not named: %v", es)
	}
	// A short row reads as empty cells.
	rows, _ = sheet.ReadCSV([]byte("code,parent_code,note\nA\n"))
	tab, ok := sheet.MatchHeader(rows, testColumns, &r)
	if !ok || tab.Cell(tab.Rows[0], "note") != "" || tab.Cell(tab.Rows[0], "nonesuch") != "" {
		t.Fatal("short row")
	}
}

func TestReport(t *testing.T) {
	var r sheet.Report
	r.Add(5, "b", "x")
	r.Add(2, "a", "y", "p")
	r.Add(5, "a", "z")
	r.AddAll(3, valid.Errors{{Row: 99, Field: "unit_id", Rule: "not_found"}, {Field: "name", Rule: "required"}}, map[string]string{"unit_id": "unit_code"})
	if r.Len() != 5 {
		t.Fatalf("len %d", r.Len())
	}
	got := report(r.Done())
	want := []string{"2:a:y", "3:unit_code:not_found", "3:name:required", "5:b:x", "5:a:z"}
	if !slices.Equal(got, want) {
		t.Fatalf("report %v, want %v", got, want)
	}
	if r.Errors[0].Param != "p" {
		t.Fatalf("param lost: %+v", r.Errors[0])
	}
	var big sheet.Report
	for i := sheet.MaxReport + 10; i > 0; i-- {
		big.Add(i, "a", "x")
	}
	es := big.Done()
	if len(es) != sheet.MaxReport+1 || es[0].Row != 1 || es[sheet.MaxReport-1].Row != sheet.MaxReport {
		t.Fatalf("capped report: %d lines, first row %d", len(es), es[0].Row)
	}
	if last := es[len(es)-1]; last.Field != "file" || last.Rule != "too_many_errors" || last.Param != fmt.Sprint(sheet.MaxReport) {
		t.Fatalf("last line %+v", last)
	}
}

func TestNormDate(t *testing.T) {
	tests := []struct {
		in     string
		serial bool
		want   string
	}{
		{"2012-03-05", false, "2012-03-05"},
		{" 2012-3-5 ", false, "2012-03-05"},
		{"2012/3/5", false, "2012-03-05"},
		{"2012.03.05", false, "2012-03-05"},
		{"2012年3月5日", false, "2012-03-05"},
		{"", true, ""},
		{"40179", true, "2010-01-01"},
		{"40179", false, "40179"},
		{"61", true, "1900-03-01"},
		{"60", true, "60"}, // Excel's 29 February 1900, which never was
		{"40179.5", true, "40179.5"},
		{"2012-02-30", true, "2012-02-30"},
		{"next week", true, "next week"},
	}
	for _, tt := range tests {
		if got := sheet.NormDate(tt.in, tt.serial); got != tt.want {
			t.Errorf("NormDate(%q, %v) = %q, want %q", tt.in, tt.serial, got, tt.want)
		}
	}
}

func TestFormulaGuard(t *testing.T) {
	tests := []struct{ in, guarded string }{
		{"=1+1", "'=1+1"},
		{"+86 138", "'+86 138"},
		{"-note", "'-note"},
		{"@x", "'@x"},
		{"'=x", "''=x"},
		{"plain", "plain"},
		{"'quoted", "'quoted"},
		{"", ""},
	}
	for _, tt := range tests {
		g := sheet.GuardFormula(tt.in)
		if g != tt.guarded {
			t.Errorf("GuardFormula(%q) = %q, want %q", tt.in, g, tt.guarded)
		}
		if back := sheet.UnguardFormula(g); back != tt.in {
			t.Errorf("UnguardFormula(%q) = %q, want %q", g, back, tt.in)
		}
	}
}

// workbook builds a workbook whose first sheet holds rows; numbers stay numbers. A second
// sheet must be ignored.
func workbook(t testing.TB, rows [][]any) []byte {
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

func TestReadXLSX(t *testing.T) {
	data := workbook(t, [][]any{
		{"代码", "日期"},
		{"A", 40179},
		{},
		{"B", "2010-01-01"},
	})
	if sheet.DetectFormat(data) != sheet.XLSX || sheet.DetectFormat([]byte("a,b\n")) != sheet.CSV {
		t.Fatal("formats not told apart")
	}
	rows, es := sheet.Read(data, sheet.XLSX)
	if len(es) > 0 {
		t.Fatal(es)
	}
	if got, want := rowsOf(rows), []string{"1:代码|日期", "2:A|40179", "4:B|2010-01-01"}; !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for _, bad := range [][]byte{[]byte("PK\x03\x04 not really a zip"), []byte("not a zip at all"), nil} {
		if _, es := sheet.ReadXLSX(bad); !slices.Equal(report(es), []string{"0:file:xlsx"}) {
			t.Errorf("broken workbook %q: %v", bad, es)
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	header := []string{"code", "note"}
	recs := [][]string{{"001", "=SUM(A1)"}, {"甲", "a, \"b\"\nc"}, {"", "-1"}}
	next := func() func() ([]string, error) {
		i := 0
		return func() ([]string, error) {
			if i == len(recs) {
				return nil, nil
			}
			i++
			return slices.Clone(recs[i-1]), nil
		}
	}
	want := []string{"1:code|note", "2:001|=SUM(A1)", "3:甲|a, \"b\"\nc", "4:|-1"}

	var csvBuf bytes.Buffer
	if err := sheet.WriteCSV(&csvBuf, header, next()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(csvBuf.Bytes(), []byte("\xef\xbb\xbfcode,note\r\n001,'=SUM(A1)\r\n")) {
		t.Fatalf("csv starts %q", csvBuf.String())
	}
	rows, es := sheet.ReadCSV(csvBuf.Bytes())
	if got := rowsOf(rows); len(es) > 0 || !slices.Equal(got, want) {
		t.Fatalf("csv round trip %q %v", got, es)
	}

	var xBuf bytes.Buffer
	if err := sheet.WriteXLSX(&xBuf, "services", header, next()); err != nil {
		t.Fatal(err)
	}
	rows, es = sheet.ReadXLSX(xBuf.Bytes())
	if got := rowsOf(rows); len(es) > 0 || !slices.Equal(got, want) {
		t.Fatalf("xlsx round trip %q %v", got, es)
	}
}
