package dhis2

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestReadCSVDocumentedExamples(t *testing.T) {
	f, err := os.Open("testdata/datavalues.csv") // BOM, DHIS2's export header, short rows
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []DataValue{
		{DataElement: "f7n9E0hX8qk", Period: "201401", OrgUnit: "DiszpKrYNg8", CategoryOptionCombo: "bRowv6yZOF2",
			AttributeOptionCombo: "bRowv6yZOF2", Value: "12", StoredBy: "system", LastUpdated: "2015-04-05T19:58:12.000",
			Comment: "comment1"},
		{DataElement: "Ix2HsbDMLea", Period: "201401", OrgUnit: "DiszpKrYNg8", CategoryOptionCombo: "bRowv6yZOF2",
			AttributeOptionCombo: "bRowv6yZOF2", Value: "14", StoredBy: "system", LastUpdated: "2015-04-05T19:58:12.000",
			Comment: `comma, and "quotes"`, FollowUp: true},
		{DataElement: "DUSpd8Jq3M7", Period: "201202", OrgUnit: "gP6hn503KUX", CategoryOptionCombo: "Prlt0C1RF0s",
			Value: "7", StoredBy: "bombali", LastUpdated: "2010-04-17"},
		{DataElement: "DUSpd8Jq3M7", Period: "201202", OrgUnit: "OjTS752GbZE", CategoryOptionCombo: "V6L425pT3A0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestReadCSVHeaderDetection(t *testing.T) {
	tests := []struct {
		name, in string
		first    string // DataElement of the first value
		n        int
	}{
		{"no header", "a,201201,o\nb,201201,o\n", "a", 2},
		{"header", "dataelement,period,orgunit\na,201201,o\n", "a", 1},
		{"header in capitals with BOM", "\ufeffDataElement, Period ,OrgUnit\na,201201,o\n", "a", 1},
		{"short header names", "de,pe,ou\na,201201,o\n", "a", 1},
		// "dataelement" is a well-formed uid: only the period column tells a header.
		{"uid that looks like a header", "dataelement,201201,o\n", "dataelement", 1},
		{"BOM without header", "\ufeffa,201201,o\n", "a", 1},
		{"CRLF and blank lines", "a,201201,o\r\n\r\nb,201201,o\r\n", "a", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.n || got[0].DataElement != tt.first {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestReadCSVTrimsIdentifiersNotValues(t *testing.T) {
	got, err := ReadCSV(strings.NewReader(`" a ", 201201 ,o,,," 12 ",,,"  note ", TRUE ,false` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DataValue{DataElement: "a", Period: "201201", OrgUnit: "o", Value: " 12 ", Comment: "  note ", FollowUp: true}
	if got[0] != want {
		t.Errorf("got %+v", got[0])
	}
}

func TestReadCSVErrors(t *testing.T) {
	long := strings.Repeat("长", MaxTextLength+1)
	tests := []struct {
		name, in string
		want     FormatError
	}{
		{"missing orgunit", "dataelement,period,orgunit\na,201201,o\nb,201201\n",
			FormatError{Record: 2, Line: 3, Field: "orgUnit", Rule: RuleRequired}},
		{"blank period", "a, ,o\n", FormatError{Record: 1, Line: 1, Field: "period", Rule: RuleRequired}},
		{"bad followup", "a,201201,o,,,1,,,,maybe\n", FormatError{Record: 1, Line: 1, Field: "followup", Rule: RuleBool}},
		{"bad deleted", "a,201201,o,,,1,,,,true,yes\n", FormatError{Record: 1, Line: 1, Field: "deleted", Rule: RuleBool}},
		{"too many columns", "a,201201,o,,,1,,,,true,false,extra\n", FormatError{Record: 1, Line: 1, Rule: RuleCSV}},
		{"bare quote", "a,201201,o\nb,2012\"01,o\n", FormatError{Record: 2, Line: 2, Rule: RuleCSV}},
		{"unterminated quote", "a,201201,o\n\"b,201201,o\n", FormatError{Record: 2, Line: 2, Rule: RuleCSV}},
		{"value too long", "a,201201,o,,," + long + "\n", FormatError{Record: 1, Line: 1, Field: "value", Rule: RuleMaxLen}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in))
			checkFormatError(t, err, tt.want)
		})
	}
}

func TestReadCSVRecordCap(t *testing.T) {
	defer func(n int) { maxRecords = n }(maxRecords)
	maxRecords = 2
	in := "dataelement,period,orgunit\n"
	for i := range 3 {
		in += fmt.Sprintf("d%d,201201,o\n", i)
	}
	_, err := ReadCSV(strings.NewReader(in))
	checkFormatError(t, err, FormatError{Record: 3, Line: 4, Rule: RuleTooLarge})
}

func TestCSVRoundTrip(t *testing.T) {
	values := []DataValue{
		{DataElement: "f7n9E0hX8qk", Period: "2012T1", OrgUnit: "DiszpKrYNg8", CategoryOptionCombo: "Prlt0C1RF0s",
			AttributeOptionCombo: "HllvX50cXC0", Value: "12", StoredBy: "ting", LastUpdated: "2012-05-03T16:40:02.518",
			Comment: "多行\n备注, with \"quotes\"", FollowUp: true},
		{DataElement: "Ix2HsbDMLea", Period: "201203", OrgUnit: "FNnj3jKGS7i", Value: " padded ", Deleted: true},
		{DataElement: "eY5ehpbEsB7", Period: "2012W53", OrgUnit: "o"},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, values); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	if header != "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted" {
		t.Errorf("header %q", header)
	}
	got, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, values) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, values)
	}
}
