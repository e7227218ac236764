package dhis2

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

func addFile(f *testing.F, name string) {
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// Whatever ReadJSON accepts, WriteJSON writes and ReadJSON reads back unchanged.
func FuzzReadJSON(f *testing.F) {
	addFile(f, "testdata/datavalueset.json")
	addFile(f, "testdata/datavalueset_send.json")
	f.Add([]byte(`{"period":2012,"orgUnit":"o","dataValues":[{"dataElement":"a","value":1.50,"followup":"TRUE"}]}`))
	f.Add([]byte(`{"dataValues":[{"DATAELEMENT":"a","period":"p","orgUnit":"o","value":null}],"dataValues":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		set, err := ReadJSON(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, set); err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ReadJSON(&buf)
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(again, set) {
			t.Fatalf("re-read differs\n got %+v\nwant %+v", again, set)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	addFile(f, "testdata/datavalues.csv")
	f.Add([]byte("a,201201,o\n"))
	f.Add([]byte("de,pe,ou\n\" a\",201201,o,,,\"x\ny\",,,\"\r\",t,0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		values, err := ReadCSV(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, values); err != nil {
			t.Fatalf("write: %v", err)
		}
		again, err := ReadCSV(&buf)
		if err != nil {
			t.Fatalf("re-read: %v\n%q", err, buf.Bytes())
		}
		if !reflect.DeepEqual(again, values) {
			t.Fatalf("re-read differs\n got %+v\nwant %+v\n%q", again, values, buf.Bytes())
		}
	})
}

func FuzzReadADX(f *testing.F) {
	addFile(f, "testdata/adx.xml")
	f.Add([]byte(`<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="d" orgUnit="o" period="2012-01-01/P4M" x="&#xD;&#xA;"><dataValue dataElement="e" value=" a&#9;b "/></group></adx>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, err := ReadADX(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteADX(&buf, doc); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, err := ReadADX(&buf)
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(again, doc) {
			t.Fatalf("re-read differs\n got %+v\nwant %+v\n%s", again, doc, buf.Bytes())
		}
	})
}

// Both period notations: whatever parses formats, and the formatted form parses to the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2004", "200403", "2004-03", "20040229", "2004W53", "2004W01", "200401B",
		"2004Q4", "2004S2", "2004AprilS2", "2004April", "2004July", "2004Oct", "2011T3",
		"2017-10-02/P7D", "2011-05-01/P4M", "2017-10-01/P6M", "2017-07-01/P1Y", "2012-02-29/P1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(p Period) {
			if p.End.Before(p.Start) {
				t.Fatalf("%q: ends before it starts: %+v", s, p)
			}
			iso, err := FormatPeriod(p)
			if err != nil {
				t.Fatalf("%q parsed to %+v, which does not format: %v", s, p, err)
			}
			if q, err := ParsePeriod(iso); err != nil || q != p {
				t.Fatalf("%q → %+v → %q → %+v, %v", s, p, iso, q, err)
			}
			adx, err := FormatADXPeriod(p)
			if err != nil {
				t.Fatalf("%q: FormatADXPeriod: %v", s, err)
			}
			if q, err := ParseADXPeriod(adx); err != nil || q != p {
				t.Fatalf("%q → %+v → %q → %+v, %v", s, p, adx, q, err)
			}
		}
		if p, err := ParsePeriod(s); err == nil {
			check(p)
		}
		if p, err := ParseADXPeriod(s); err == nil {
			check(p)
			if adx, _ := FormatADXPeriod(p); adx != s {
				t.Fatalf("ADX %q formats back as %q", s, adx)
			}
		}
	})
}
