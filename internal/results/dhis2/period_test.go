package dhis2

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in, typ, start, end string
		canonical           string // FormatPeriod's answer; "" means the input itself
	}{
		{"2004", Yearly, "2004-01-01", "2004-12-31", ""},
		{"200403", Monthly, "2004-03-01", "2004-03-31", ""},
		{"2004-03", Monthly, "2004-03-01", "2004-03-31", "200403"},
		{"200402", Monthly, "2004-02-01", "2004-02-29", ""}, // leap year
		{"190002", Monthly, "1900-02-01", "1900-02-28", ""}, // century, not leap
		{"200002", Monthly, "2000-02-01", "2000-02-29", ""}, // 400th year, leap
		{"20040315", Daily, "2004-03-15", "2004-03-15", ""},
		{"20040229", Daily, "2004-02-29", "2004-02-29", ""},
		{"2004Q1", Quarterly, "2004-01-01", "2004-03-31", ""},
		{"2004Q4", Quarterly, "2004-10-01", "2004-12-31", ""},
		{"2004S1", SixMonthly, "2004-01-01", "2004-06-30", ""},
		{"2004S2", SixMonthly, "2004-07-01", "2004-12-31", ""},
		{"2004AprilS1", SixMonthlyApril, "2004-04-01", "2004-09-30", ""},
		{"2004AprilS2", SixMonthlyApril, "2004-10-01", "2005-03-31", ""},
		{"200401B", BiMonthly, "2004-01-01", "2004-02-29", ""},
		{"200406B", BiMonthly, "2004-11-01", "2004-12-31", ""},
		{"2004April", FinancialApril, "2004-04-01", "2005-03-31", ""},
		{"2004July", FinancialJuly, "2004-07-01", "2005-06-30", ""},
		{"2004Oct", FinancialOct, "2004-10-01", "2005-09-30", ""},
		// ISO weeks: week 1 holds 4 January, so it can start in December.
		{"2004W10", Weekly, "2004-03-01", "2004-03-07", ""},
		{"2004W1", Weekly, "2003-12-29", "2004-01-04", ""},
		{"2004W01", Weekly, "2003-12-29", "2004-01-04", "2004W1"},
		{"2004W53", Weekly, "2004-12-27", "2005-01-02", ""},
		{"2015W53", Weekly, "2015-12-28", "2016-01-03", ""},
		{"2020W53", Weekly, "2020-12-28", "2021-01-03", ""},
		{"2021W1", Weekly, "2021-01-04", "2021-01-10", ""},
		{"2021W52", Weekly, "2021-12-27", "2022-01-02", ""},
		// Ting's four-monthly reporting periods.
		{"2011T1", FourMonthly, "2011-01-01", "2011-04-30", ""},
		{"2011T2", FourMonthly, "2011-05-01", "2011-08-31", ""},
		{"2011T3", FourMonthly, "2011-09-01", "2011-12-31", ""},
		{"2012T1", FourMonthly, "2012-01-01", "2012-04-30", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePeriod(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := Period{Type: tt.typ, Start: d(tt.start), End: d(tt.end)}
			if p != want {
				t.Fatalf("got %v %s..%s, want %v", p.Type, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), want)
			}
			s, err := FormatPeriod(p)
			canonical := tt.canonical
			if canonical == "" {
				canonical = tt.in
			}
			if err != nil || s != canonical {
				t.Errorf("FormatPeriod = %q, %v; want %q", s, err, canonical)
			}
		})
	}
}

func TestParsePeriodInvalid(t *testing.T) {
	for _, in := range []string{
		"", "200", "20O4", "0000", "+2004", "-004",
		"200413", "200400", "2004-3", "2004-13", "2004/03",
		"20040230", "20050229", "19000229", "20040001", "20041301",
		"2004Q0", "2004Q5", "2004Q", "2004Q01", "2004q1",
		"2004S0", "2004S3", "2004AprilS3", "2004aprilS1",
		"2004W0", "2004W54", "2021W53", "2019W53", "2004W", "2004W001", "2004W+1",
		"2004T0", "2004T4", "200400B", "200407B",
		"2004May", "2004Q1x", " 2004", "2004 ",
	} {
		t.Run(in, func(t *testing.T) {
			if p, err := ParsePeriod(in); err == nil {
				t.Errorf("parsed as %+v", p)
			} else if !errors.Is(err, ErrPeriod) {
				t.Errorf("error %v does not wrap ErrPeriod", err)
			}
		})
	}
}

func TestFormatPeriodRefusesMislabelledDates(t *testing.T) {
	for _, p := range []Period{
		{Type: Monthly, Start: d("2012-01-15"), End: d("2012-02-14")},
		{Type: Monthly, Start: d("2012-01-01"), End: d("2012-01-30")},
		{Type: Quarterly, Start: d("2012-02-01"), End: d("2012-04-30")},
		{Type: Weekly, Start: d("2012-01-03"), End: d("2012-01-09")}, // a Tuesday
		{Type: FourMonthly, Start: d("2012-03-01"), End: d("2012-06-30")},
		{Type: "Fortnightly", Start: d("2012-01-02"), End: d("2012-01-15")},
		{},
	} {
		if s, err := FormatPeriod(p); err == nil {
			t.Errorf("%+v formatted as %q", p, s)
		}
	}
}

func TestADXPeriods(t *testing.T) {
	tests := []struct{ adx, iso string }{
		{"2017-10-01/P1D", "20171001"},
		{"2017-10-02/P7D", "2017W40"},
		{"2017-10-01/P1M", "201710"},
		{"2017-11-01/P2M", "201706B"},
		{"2017-07-01/P3M", "2017Q3"},
		{"2011-01-01/P4M", "2011T1"},
		{"2011-09-01/P4M", "2011T3"},
		{"2017-01-01/P6M", "2017S1"},
		{"2017-07-01/P6M", "2017S2"},
		{"2017-04-01/P6M", "2017AprilS1"},
		{"2017-10-01/P6M", "2017AprilS2"},
		{"2017-01-01/P1Y", "2017"},
		{"2017-04-01/P1Y", "2017April"},
		{"2017-07-01/P1Y", "2017July"},
		{"2017-10-01/P1Y", "2017Oct"},
		{"2015-12-28/P7D", "2015W53"},
		{"2012-01-01/P1M", "201201"},
	}
	for _, tt := range tests {
		t.Run(tt.adx, func(t *testing.T) {
			p, err := ParseADXPeriod(tt.adx)
			if err != nil {
				t.Fatal(err)
			}
			iso, err := FormatPeriod(p)
			if err != nil || iso != tt.iso {
				t.Errorf("FormatPeriod = %q, %v; want %q", iso, err, tt.iso)
			}
			q, err := ParsePeriod(tt.iso)
			if err != nil {
				t.Fatal(err)
			}
			adx, err := FormatADXPeriod(q)
			if err != nil || adx != tt.adx {
				t.Errorf("FormatADXPeriod = %q, %v; want %q", adx, err, tt.adx)
			}
		})
	}
}

func TestParseADXPeriodInvalid(t *testing.T) {
	for _, in := range []string{
		"", "201201", "2012-01-01", "2012-01-01/", "2012-01-01/1M", "2012-01-01/PM", "2012-01-01/P0M",
		"2012-01-01/P01M", "2012-01-01/P-1M", "2012-01-01/P1H", "2012-01-01/P1Y2M", "2012-1-1/P1M",
		"2012-02-30/P1D", "2012-01-01T00:00:00/P1M",
		"2012-01-15/P1M",  // not the first of a month
		"2012-02-01/P3M",  // quarters start in January, April, July, October
		"2012-03-01/P4M",  // four-month periods start in January, May, September
		"2012-02-01/P6M",  // neither six-monthly nor six-monthly April
		"2012-02-01/P1Y",  // no financial year starts in February
		"2017-10-04/P7D",  // weekly Wednesday: not supported
		"2017-10-02/P14D", // bi-weekly: not supported
		"0000-01-01/P1D",
	} {
		t.Run(in, func(t *testing.T) {
			if p, err := ParseADXPeriod(in); err == nil {
				t.Errorf("parsed as %+v", p)
			}
		})
	}
}

// The reader accepts every well-formed ADX period, even one ParseADXPeriod cannot type:
// refusing a bi-weekly group would refuse valid data.
func TestReadADXKeepsUntypedPeriods(t *testing.T) {
	doc, err := ReadADX(strings.NewReader(`<adx xmlns="urn:ihe:qrph:adx:2015">` +
		`<group dataSet="ds" orgUnit="ou" period="2017-10-02/P14D"/></adx>`))
	if err != nil || doc.Groups[0].Period != "2017-10-02/P14D" {
		t.Errorf("%+v, %v", doc, err)
	}
}
