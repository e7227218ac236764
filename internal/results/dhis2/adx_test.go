package dhis2

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReadADXDocumentedExample(t *testing.T) {
	f, err := os.Open("testdata/adx.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadADX(f)
	if err != nil {
		t.Fatal(err)
	}
	want := ADX{
		Exported: "2015-02-08T19:30:00Z",
		Groups: []ADXGroup{
			{DataSet: "(TB/HIV)VCCT", Period: "2015-06-01/P1M", OrgUnit: "OU_559",
				Attributes: map[string]string{"completeDate": "2015-07-01"},
				DataValues: []ADXDataValue{
					{DataElement: "VCCT_0", Value: "32", Disaggregation: map[string]string{"GENDER": "FMLE", "HIV_AGE": "AGE0-14"}},
					{DataElement: "VCCT_1", Value: "20", Disaggregation: map[string]string{"GENDER": "FMLE", "HIV_AGE": "AGE0-14"}},
					{DataElement: "VCCT_0", Value: "32", Disaggregation: map[string]string{"GENDER": "MLE", "HIV_AGE": "AGE15-24"}},
				}},
			{DataSet: "AP_TRAFFICKING", Period: "2011-05-01/P4M", OrgUnit: "CN_GZ_RONGJIANG",
				DataValues: []ADXDataValue{{DataElement: "GIRLS_REACHED", Value: "118"}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	p, err := ParseADXPeriod(got.Groups[1].Period)
	if err != nil || p.Type != FourMonthly {
		t.Errorf("P4M group period: %+v, %v", p, err)
	}
}

func TestADXRoundTrip(t *testing.T) {
	doc := ADX{
		Exported: "2012-05-04T08:00:00+08:00",
		Groups: []ADXGroup{
			{DataSet: "AP_REPORT", Period: "2012-01-01/P4M", OrgUnit: "CN_YN_MENGLA",
				Attributes: map[string]string{"completeDate": "2012-05-03", "attributeOptionCombo": "HllvX50cXC0"},
				DataValues: []ADXDataValue{
					{DataElement: "GIRLS_REACHED", Value: "40", Disaggregation: map[string]string{"AGE": "Y10-14", "SEX": "F"}},
					{DataElement: "NOTE", Value: "两行\n\t\"引号\" & <尖括号>\r"},
					{DataElement: "EMPTY", Value: ""},
				}},
			{DataSet: "AP_REPORT", Period: "2012-W1", OrgUnit: "x"}, // replaced below: must be date/duration
		},
	}
	doc.Groups[1].Period = "2012-01-02/P7D"
	var buf bytes.Buffer
	if err := WriteADX(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<adx xmlns="urn:ihe:qrph:adx:2015" exported="2012-05-04T08:00:00+08:00">`) {
		t.Errorf("root element:\n%s", buf.String())
	}
	got, err := ReadADX(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, doc) {
		t.Errorf("round trip\n got %+v\nwant %+v\n%s", got, doc, buf.String())
	}
	// Attributes are written in name order, so the same document always gives the same bytes.
	var again bytes.Buffer
	if err := WriteADX(&again, got); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("second write differs (%v)", err)
	}
}

func TestReadADXErrors(t *testing.T) {
	const head = `<adx xmlns="urn:ihe:qrph:adx:2015" exported="2015-02-08T19:30:00Z">` + "\n"
	group := func(attrs, body string) string {
		return head + `<group dataSet="ds" orgUnit="ou" period="2015-06-01/P1M"` + attrs + ">\n" + body + "</group>\n</adx>"
	}
	tests := []struct {
		name, in string
		want     FormatError
	}{
		{"not XML", "hello", FormatError{Line: 1, Rule: RuleXML}},
		{"wrong namespace", `<adx xmlns="http://dhis2.org/schema/dxf/2.0"/>`, FormatError{Line: 1, Rule: RuleXML}},
		{"wrong root", `<dataValueSet xmlns="urn:ihe:qrph:adx:2015"/>`, FormatError{Line: 1, Rule: RuleXML}},
		{"group without period", head + `<group dataSet="ds" orgUnit="ou"></group></adx>`,
			FormatError{Group: 1, Line: 2, Field: "period", Rule: RuleRequired}},
		{"DHIS2 period instead of ADX", head + `<group dataSet="ds" orgUnit="ou" period="201506"></group></adx>`,
			FormatError{Group: 1, Line: 2, Field: "period", Rule: RulePeriod}},
		{"value without dataElement", group("", `<dataValue value="1"/>`+"\n"),
			FormatError{Group: 1, Record: 1, Line: 3, Field: "dataElement", Rule: RuleRequired}},
		{"value without value", group("", `<dataValue dataElement="a" value="1"/>`+"\n"+`<dataValue dataElement="b"/>`+"\n"),
			FormatError{Group: 1, Record: 2, Line: 4, Field: "value", Rule: RuleRequired}},
		{"unclosed", group("", `<dataValue dataElement="a" value="1">`),
			FormatError{Group: 1, Record: 1, Line: 3, Rule: RuleXML}},
		{"content after root", group("", "") + "<adx/>", FormatError{Line: 4, Rule: RuleXML}},
		{"attribute value too long", group("", `<dataValue dataElement="a" SEX="`+strings.Repeat("F", MaxIDLength+1)+`" value="1"/>`),
			FormatError{Group: 1, Record: 1, Line: 3, Field: "SEX", Rule: RuleMaxLen}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadADX(strings.NewReader(tt.in))
			checkFormatError(t, err, tt.want)
		})
	}
}

func TestReadADXRecordCap(t *testing.T) {
	defer func(n int) { maxRecords = n }(maxRecords)
	maxRecords = 2
	var b strings.Builder
	b.WriteString(`<adx xmlns="urn:ihe:qrph:adx:2015">` + "\n")
	for g := range 2 { // the cap counts across groups
		fmt.Fprintf(&b, `<group dataSet="ds" orgUnit="ou%d" period="2015-06-01/P1M">`+"\n", g)
		for v := range 2 {
			fmt.Fprintf(&b, `<dataValue dataElement="d%d" value="1"/>`+"\n", v)
		}
		b.WriteString("</group>\n")
	}
	b.WriteString("</adx>")
	_, err := ReadADX(strings.NewReader(b.String()))
	checkFormatError(t, err, FormatError{Group: 2, Record: 3, Line: 7, Rule: RuleTooLarge})
}

func TestWriteADXRefuses(t *testing.T) {
	ok := ADXGroup{DataSet: "ds", OrgUnit: "ou", Period: "2012-01-01/P1M"}
	tests := []struct {
		name string
		g    ADXGroup
	}{
		{"DHIS2 period", ADXGroup{DataSet: "ds", OrgUnit: "ou", Period: "201201"}},
		{"no data set", ADXGroup{OrgUnit: "ou", Period: "2012-01-01/P1M"}},
		{"attribute repeats a fixed one", func() ADXGroup { g := ok; g.Attributes = map[string]string{"period": "x"}; return g }()},
		{"attribute name with a space", func() ADXGroup { g := ok; g.Attributes = map[string]string{"age group": "x"}; return g }()},
		{"category code starting with a digit", func() ADXGroup {
			g := ok
			g.DataValues = []ADXDataValue{{DataElement: "a", Value: "1", Disaggregation: map[string]string{"1SEX": "F"}}}
			return g
		}()},
		{"value repeated as a disaggregation", func() ADXGroup {
			g := ok
			g.DataValues = []ADXDataValue{{DataElement: "a", Value: "1", Disaggregation: map[string]string{"value": "2"}}}
			return g
		}()},
		{"control character", func() ADXGroup {
			g := ok
			g.DataValues = []ADXDataValue{{DataElement: "a", Value: "1\x00"}}
			return g
		}()},
		{"value without data element", func() ADXGroup { g := ok; g.DataValues = []ADXDataValue{{Value: "1"}}; return g }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteADX(&bytes.Buffer{}, ADX{Exported: "x", Groups: []ADXGroup{tt.g}}); err == nil {
				t.Error("written")
			}
		})
	}
}

// A Ting four-monthly report goes out as ADX and comes back as the same period.
func TestADXCarriesTingFourMonthlyPeriod(t *testing.T) {
	p, err := ParsePeriod("2011T2")
	if err != nil {
		t.Fatal(err)
	}
	s, err := FormatADXPeriod(p)
	if err != nil || s != "2011-05-01/P4M" {
		t.Fatalf("FormatADXPeriod = %q, %v", s, err)
	}
	var buf bytes.Buffer
	doc := ADX{Exported: time.Date(2011, 9, 5, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
		Groups: []ADXGroup{{DataSet: "AP", OrgUnit: "ou", Period: s}}}
	if err := WriteADX(&buf, doc); err != nil {
		t.Fatal(err)
	}
	back, err := ReadADX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseADXPeriod(back.Groups[0].Period)
	if err != nil || q != p {
		t.Errorf("period back %+v, %v; want %+v", q, err, p)
	}
}
