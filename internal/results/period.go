package results

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period kinds. Values are entered per month (or per reporting period of an agreement); reports
// and tables ask for any of these ranges, and LOP (life of project) for targets.
const (
	Month      = "month"     // 2011-03
	Quarter    = "quarter"   // 2011Q1
	Tertile    = "tertile"   // 2011T1: the 4-month reporting period of Action Programmes (Jan-Apr, May-Aug, Sep-Dec)
	HalfYear   = "half_year" // 2011S1: the biannual report's January-June, July-December
	Year       = "year"      // 2011
	LifeOfProj = "lop"       // LOP
)

// Period is a parsed period key with its first and last day (inclusive), as YYYY-MM-DD.
type Period struct {
	Key   string
	Kind  string
	Start string
	End   string
}

// LOP is the whole life of the project: targets set for it are compared with everything reported.
var LOP = Period{Key: "LOP", Kind: LifeOfProj, Start: "0001-01-01", End: "9999-12-31"}

func monthSpan(year, first, months int) (string, string) {
	start := time.Date(year, time.Month(first), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, months, -1)
	return start.Format(time.DateOnly), end.Format(time.DateOnly)
}

// ParsePeriod reads a period key: 2011-03, 2011Q1, 2011T1, 2011S1, 2011 or LOP.
func ParsePeriod(key string) (Period, error) {
	key = strings.TrimSpace(key)
	if strings.EqualFold(key, "LOP") {
		return LOP, nil
	}
	bad := fmt.Errorf("period %q: use 2011-03, 2011Q1, 2011T1, 2011S1, 2011 or LOP", key)
	if len(key) < 4 {
		return Period{}, bad
	}
	year, err := strconv.Atoi(key[:4])
	if err != nil || year < 1900 || year > 2200 {
		return Period{}, bad
	}
	rest := key[4:]
	p := Period{Key: key}
	n := func(s string, max int) (int, bool) {
		v, err := strconv.Atoi(s)
		return v, err == nil && v >= 1 && v <= max && len(s) <= 2
	}
	switch {
	case rest == "":
		p.Kind = Year
		p.Start, p.End = monthSpan(year, 1, 12)
	case rest[0] == '-':
		m, ok := n(rest[1:], 12)
		if !ok || len(rest) != 3 {
			return Period{}, bad
		}
		p.Kind = Month
		p.Start, p.End = monthSpan(year, m, 1)
	case rest[0] == 'Q':
		q, ok := n(rest[1:], 4)
		if !ok {
			return Period{}, bad
		}
		p.Kind = Quarter
		p.Start, p.End = monthSpan(year, 3*q-2, 3)
	case rest[0] == 'T':
		t, ok := n(rest[1:], 3)
		if !ok {
			return Period{}, bad
		}
		p.Kind = Tertile
		p.Start, p.End = monthSpan(year, 4*t-3, 4)
	case rest[0] == 'S':
		h, ok := n(rest[1:], 2)
		if !ok {
			return Period{}, bad
		}
		p.Kind = HalfYear
		p.Start, p.End = monthSpan(year, 6*h-5, 6)
	default:
		return Period{}, bad
	}
	return p, nil
}

// Contains reports whether q lies wholly inside p.
func (p Period) Contains(q Period) bool { return q.Start >= p.Start && q.End <= p.End }

// endsIn is the rule by which a value counts in a figure for a range: the rows of alias whose
// period ends between the parameters $from and $to (the range's first and last day). The
// programme reports in 4-month periods (2011T2 is May-August), which lie inside no half-year or
// quarter; counting each where it ends lands it in exactly one range of any partition of the
// year (2011T2 in 2011S2, 2011Q3), so the halves or quarters add up to the year. Every selection
// of values by period follows this rule.
func endsIn(alias string, from, to int) string {
	return fmt.Sprintf("%[1]s.period_end >= $%[2]d AND %[1]s.period_end <= $%[3]d", alias, from, to)
}

// Months lists the month keys a period covers (none for LOP).
func (p Period) Months() []string {
	if p.Kind == LifeOfProj {
		return nil
	}
	start, _ := time.Parse(time.DateOnly, p.Start)
	end, _ := time.Parse(time.DateOnly, p.End)
	var out []string
	for m := start; !m.After(end); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}
