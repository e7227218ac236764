package sheet_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"ting/internal/sheet"
	"ting/internal/valid"
)

// Seeds: files in each spelling the reader accepts, and broken ones.
var csvSeeds = []string{
	"code,parent_code,note\nA,B,x\n",
	"\ufeff代码,上级代码,备注\r\nA,B,\"x, \"\"y\"\"\"\r\n",
	"code;parent_code\nA;B\n",
	"code\tparent\nA\tB\n",
	"code,parent_code\n\"multi\nline\",B\n\n,,\nC,D,stray\n",
	"code,colour,code\n",
	"code,parent_code\n\"unterminated,B\n",
	"\xff\xfec\x00o\x00d\x00e\x00",
	"\xc8\xab\xb9\xfa,\n",
	"code,parent_code\n'=1+1,'-x\n",
	"",
	"\"",
	"\r\r\n\n",
}

// checkRead holds what every read must give: rows or a report, never both; rows numbered
// upwards from 1; report lines that name a row, a known field and a rule. The header match must
// then either give data rows with every required column, or say why not.
func checkRead(t *testing.T, rows []sheet.Row, es valid.Errors) {
	t.Helper()
	if rows != nil && es != nil {
		t.Fatalf("%d rows and a report %v", len(rows), es)
	}
	for _, e := range es {
		if e.Field != "file" || e.Rule == "" || e.Row < 0 {
			t.Fatalf("bad report line %+v", e)
		}
	}
	last := 0
	for _, r := range rows {
		if r.Num <= last {
			t.Fatalf("row %d after %d", r.Num, last)
		}
		last = r.Num
	}
	var r sheet.Report
	tab, ok := sheet.MatchHeader(rows, testColumns, &r)
	es = r.Done()
	if ok && len(tab.Rows) == 0 {
		t.Fatal("a header match without rows")
	}
	if !ok && len(es) == 0 {
		t.Fatal("a failed header match without a report")
	}
	names := sheet.Names(testColumns)
	for _, e := range es {
		if e.Rule == "" || e.Row < 0 || !slices.Contains(names, e.Field) && e.Field != "file" && e.Field != "header" {
			t.Fatalf("bad report line %+v", e)
		}
	}
	if ok {
		for _, c := range testColumns {
			if c.Required && !tab.Has(c.Name) {
				t.Fatalf("matched without required column %s", c.Name)
			}
		}
		for _, row := range tab.Rows {
			if sheet.Blank(row.Cells) {
				t.Fatalf("blank row %d kept", row.Num)
			}
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, es := sheet.ReadCSV(data)
		checkRead(t, rows, es)
	})
}

// FuzzSplitCSV checks that what SplitCSV reads, encoding/csv writes back to the same records
// (cells with a carriage return aside: a CRLF inside a quoted cell is read as LF on purpose).
func FuzzSplitCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s), byte(0))
	}
	f.Add([]byte("a;b\n\"c;d\";e\n"), byte(1))
	f.Add([]byte("a\tb\n\"c\td\"\te\n"), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, d byte) {
		delim := []byte{',', ';', '\t'}[int(d)%3]
		recs, bad := sheet.SplitCSV(data, delim)
		if bad > 0 {
			if recs != nil {
				t.Fatal("records with a bad row")
			}
			if bad > bytes.Count(data, []byte("\n"))+bytes.Count(data, []byte("\r"))+1 {
				t.Fatalf("bad row %d past the file's lines", bad)
			}
			return
		}
		for _, r := range recs {
			if slices.ContainsFunc(r, func(c string) bool { return strings.Contains(c, "\r") }) {
				t.Skip()
			}
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = rune(delim)
		if err := w.WriteAll(recs); err != nil {
			t.Fatal(err)
		}
		again, bad := sheet.SplitCSV(buf.Bytes(), delim)
		if bad > 0 || len(again) != len(recs) {
			t.Fatalf("re-read %d records (bad row %d), want %d\n%q\n%q", len(again), bad, len(recs), recs, buf.String())
		}
		for i := range recs {
			if !slices.Equal(again[i], recs[i]) {
				t.Fatalf("record %d: %q, want %q", i, again[i], recs[i])
			}
		}
	})
}

// FuzzReadXLSX feeds arbitrary bytes to the workbook reader; seeds are real workbooks, so the
// fuzzer mutates valid zip structure as well as noise.
func FuzzReadXLSX(f *testing.F) {
	f.Add(workbook(f, [][]any{
		{"代码", "上级代码", "备注"},
		{"A", "B", 40179},
		{},
		{"C", "D", "2010-01-01", "stray"},
	}))
	f.Add(workbook(f, [][]any{{"code", "parent_code"}, {1, true}}))
	f.Add(workbook(f, nil))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, es := sheet.ReadXLSX(data)
		checkRead(t, rows, es)
	})
}

// FuzzNormDate: a date comes out as a real YYYY-MM-DD date, or the input comes back trimmed
// for the date rule to report.
func FuzzNormDate(f *testing.F) {
	for _, s := range []string{"2012-03-05", "2012/3/5", "2012年3月5日", "40179", "60", "1e5", " 2012.1.2 ", "", "2012-02-30"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, serial bool) {
		got := sheet.NormDate(s, serial)
		if got == strings.TrimSpace(s) {
			return
		}
		if _, err := time.Parse(time.DateOnly, got); err != nil {
			t.Fatalf("NormDate(%q) = %q, neither a date nor the input", s, got)
		}
	})
}
