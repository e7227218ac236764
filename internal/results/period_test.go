package results

import "testing"

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		key, kind, start, end string
	}{
		{"2011-03", Month, "2011-03-01", "2011-03-31"},
		{"2012-02", Month, "2012-02-01", "2012-02-29"},
		{"2011Q4", Quarter, "2011-10-01", "2011-12-31"},
		{"2011T1", Tertile, "2011-01-01", "2011-04-30"},
		{"2011T2", Tertile, "2011-05-01", "2011-08-31"},
		{"2011T3", Tertile, "2011-09-01", "2011-12-31"},
		{"2012S1", HalfYear, "2012-01-01", "2012-06-30"},
		{"2010S2", HalfYear, "2010-07-01", "2010-12-31"},
		{"2010", Year, "2010-01-01", "2010-12-31"},
		{"lop", LifeOfProj, "0001-01-01", "9999-12-31"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.key)
		if err != nil || p.Kind != tt.kind || p.Start != tt.start || p.End != tt.end {
			t.Errorf("%s: got %+v %v", tt.key, p, err)
		}
	}
	for _, bad := range []string{"", "2011-13", "2011-3x", "2011Q5", "2011T4", "2011S3", "2011Q0", "11-03", "abcd", "2011W1", "2011-003", "1800"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	s1, _ := ParsePeriod("2012S1")
	q2, _ := ParsePeriod("2012Q2")
	t2, _ := ParsePeriod("2012T2")
	if !s1.Contains(q2) || s1.Contains(t2) {
		t.Error("Contains")
	}
	if m := t2.Months(); len(m) != 4 || m[0] != "2012-05" || m[3] != "2012-08" {
		t.Errorf("months %v", m)
	}
}
