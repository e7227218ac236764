package dhis2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The acceptance test: a DHIS2-shaped export read and written again is the same JSON.
func TestJSONRoundTripEqualsInput(t *testing.T) {
	in, err := os.ReadFile("testdata/datavalueset.json")
	if err != nil {
		t.Fatal(err)
	}
	set, err := ReadJSON(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.DataValues) != 4 || !set.DataValues[1].FollowUp || !set.DataValues[3].Deleted ||
		set.DataValues[1].Comment != "含2名返乡女童,由村妇代会核实" {
		t.Fatalf("read %+v", set)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, set); err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("round trip differs\nin:  %s\nout: %s", in, out.Bytes())
	}
}

// The documented "sending" shape: set-level period and orgUnit, values without them.
func TestReadJSONInheritsSetLevelFields(t *testing.T) {
	f, err := os.Open("testdata/datavalueset_send.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set, err := ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []DataValue{
		{DataElement: "f7n9E0hX8qk", Period: "201401", OrgUnit: "DiszpKrYNg8", Value: "1"},
		{DataElement: "Ix2HsbDMLea", Period: "201401", OrgUnit: "DiszpKrYNg8", Value: "2"},
		{DataElement: "eY5ehpbEsB7", Period: "201401", OrgUnit: "DiszpKrYNg8", CategoryOptionCombo: "bRowv6yZOF2",
			Value: "3", Comment: "comment3", FollowUp: true},
		{DataElement: "eY5ehpbEsB7", Period: "201402", OrgUnit: "FNnj3jKGS7i", Value: "4"},
	}
	if !reflect.DeepEqual(set.DataValues, want) {
		t.Errorf("values\n got %+v\nwant %+v", set.DataValues, want)
	}
	if set.DataSet != "pBOMPrpg1QX" || set.CompleteDate != "2014-02-03" {
		t.Errorf("set fields %+v", set)
	}
	// Written and read again, nothing changes.
	var buf bytes.Buffer
	if err := WriteJSON(&buf, set); err != nil {
		t.Fatal(err)
	}
	again, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, set) {
		t.Errorf("second read differs:\n%+v\n%+v", again, set)
	}
}

func TestReadJSONInheritsWhenSetFieldsComeLast(t *testing.T) {
	set, err := ReadJSON(strings.NewReader( // with a byte order mark, as Windows tools write
		"\ufeff" + `{"dataValues":[{"dataElement":"a","value":"1"}],"orgUnit":"ou","period":"2012Q1","attributeOptionCombo":"aoc"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DataValue{DataElement: "a", Period: "2012Q1", OrgUnit: "ou", AttributeOptionCombo: "aoc", Value: "1"}
	if set.DataValues[0] != want {
		t.Errorf("got %+v", set.DataValues[0])
	}
}

func TestReadJSONErrors(t *testing.T) {
	long := strings.Repeat("x", MaxIDLength+1)
	tests := []struct {
		name, in string
		want     FormatError
	}{
		{"not an object", `[1]`, FormatError{Line: 1, Rule: RuleJSON}},
		{"empty", ``, FormatError{Line: 1, Rule: RuleJSON}},
		{"truncated", "{\"dataValues\": [\n{\"dataElement\": \"a\"", FormatError{Record: 1, Line: 2, Rule: RuleJSON}},
		{"missing orgUnit", "{\"period\": \"201201\", \"dataValues\": [\n" +
			"{\"dataElement\": \"a\", \"orgUnit\": \"o\"},\n" +
			"{\"dataElement\": \"b\"}\n]}",
			FormatError{Record: 2, Line: 3, Field: "orgUnit", Rule: RuleRequired}},
		{"missing dataElement", `{"dataValues":[{"period":"201201","orgUnit":"o"}]}`,
			FormatError{Record: 1, Line: 1, Field: "dataElement", Rule: RuleRequired}},
		{"value is an object", "{\"dataValues\":[\n{\"dataElement\":\"a\",\"period\":\"p\",\"orgUnit\":\"o\",\"value\":{}}]}",
			FormatError{Record: 1, Line: 2, Field: "value", Rule: RuleJSON}},
		{"followup not a boolean", `{"dataValues":[{"dataElement":"a","period":"p","orgUnit":"o","followup":"maybe"}]}`,
			FormatError{Record: 1, Line: 1, Field: "followup", Rule: RuleJSON}},
		{"data value not an object", `{"dataValues":["x"]}`, FormatError{Record: 1, Line: 1, Rule: RuleJSON}},
		{"dataValues not an array", `{"dataValues":{}}`, FormatError{Line: 1, Field: "dataValues", Rule: RuleJSON}},
		{"trailing data", `{} {}`, FormatError{Line: 1, Rule: RuleJSON}},
		{"identifier too long", `{"dataValues":[{"dataElement":"` + long + `","period":"p","orgUnit":"o"}]}`,
			FormatError{Record: 1, Line: 1, Field: "dataElement", Rule: RuleMaxLen}},
		{"set field too long", `{"dataSet":"` + long + `"}`, FormatError{Field: "dataSet", Rule: RuleMaxLen}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in))
			checkFormatError(t, err, tt.want)
		})
	}
}

// checkFormatError compares the location and rule of err with want; Detail is free text.
func checkFormatError(t *testing.T, err error, want FormatError) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FormatError", err, err)
	}
	got := *fe
	got.Detail = ""
	if want.Rule == RuleMaxLen || want.Rule == RuleTooLarge {
		if fe.Detail == "" {
			t.Errorf("%s error without its limit", want.Rule)
		}
	}
	if got != want {
		t.Errorf("error %q\n got %+v\nwant %+v", err, got, want)
	}
}

func TestReadJSONRecordCap(t *testing.T) {
	defer func(n int) { maxRecords = n }(maxRecords)
	maxRecords = 3
	doc := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"period":"201201","orgUnit":"o","dataValues":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `{"dataElement":"d%d"}`, i)
		}
		b.WriteString("]}")
		return b.String()
	}
	if set, err := ReadJSON(strings.NewReader(doc(3))); err != nil || len(set.DataValues) != 3 {
		t.Fatalf("at the cap: %v, %d values", err, len(set.DataValues))
	}
	_, err := ReadJSON(strings.NewReader(doc(4)))
	checkFormatError(t, err, FormatError{Record: 4, Line: 4, Field: "dataValues", Rule: RuleTooLarge})
}

func TestFormatErrorMessage(t *testing.T) {
	tests := []struct {
		e    FormatError
		want string
	}{
		{FormatError{Record: 4, Line: 12, Field: "orgUnit", Rule: RuleRequired}, "record 4 (line 12): orgUnit: required"},
		{FormatError{Group: 2, Line: 5, Field: "period", Rule: RulePeriod, Detail: "bad"}, "group 2 (line 5): period: period (bad)"},
		{FormatError{Field: "dataSet", Rule: RuleMaxLen, Detail: "1024"}, "dataSet: max_len (1024)"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
