package dhis2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period types, named as DHIS2 names them, plus FourMonthly.
const (
	Daily           = "Daily"           // 20040315
	Weekly          = "Weekly"          // 2004W10: ISO 8601 weeks, Monday to Sunday
	Monthly         = "Monthly"         // 200403 (200403 is canonical; 2004-03 is read too)
	BiMonthly       = "BiMonthly"       // 200401B: the first two months; 01..06
	Quarterly       = "Quarterly"       // 2004Q1
	SixMonthly      = "SixMonthly"      // 2004S1: January to June
	SixMonthlyApril = "SixMonthlyApril" // 2004AprilS1: April to September; S2 ends in March next year
	Yearly          = "Yearly"          // 2004
	FinancialApril  = "FinancialApril"  // 2004April: April 2004 to March 2005
	FinancialJuly   = "FinancialJuly"   // 2004July
	FinancialOct    = "FinancialOct"    // 2004Oct

	// FourMonthly is a Ting extension, not a DHIS2 period type: the programme's Action
	// Programmes report every four months, T1 January-April, T2 May-August, T3 September-December,
	// keyed "2011T1". DHIS2 has no four-monthly type and will reject such a key; ADX can carry
	// the period as "2011-01-01/P4M", and only a receiver that knows P4M will take it.
	FourMonthly = "FourMonthly"
)

// Period is a DHIS2 period: its type and its first and last day (End is inclusive), both at
// midnight UTC.
type Period struct {
	Type  string
	Start time.Time
	End   time.Time
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// months makes the period of n months starting on the first of month m of year y.
func months(typ string, y int, m time.Month, n int) Period {
	start := date(y, m, 1)
	return Period{Type: typ, Start: start, End: start.AddDate(0, n, -1)}
}

// isoWeek1 is the Monday of ISO week 1 of year y: the week holding 4 January.
func isoWeek1(y int) time.Time {
	jan4 := date(y, time.January, 4)
	return jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
}

// isoWeeks is the number of ISO weeks in year y: 53 when 28 December falls in week 53.
func isoWeeks(y int) int {
	_, w := date(y, time.December, 28).ISOWeek()
	return w
}

// digits parses s as a non-negative decimal of only ASCII digits (strconv.Atoi takes signs).
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// index parses s as a single number in 1..max (the n of Q1, S2, W53 …).
func index(s string, max int) (int, bool) {
	n, ok := digits(s)
	if !ok || n < 1 || n > max || s[0] == '0' {
		return 0, false
	}
	return n, true
}

// ErrPeriod is wrapped by every error from ParsePeriod, FormatPeriod and the ADX conversions.
var ErrPeriod = errors.New("invalid period")

func periodError(s, why string) error { return fmt.Errorf("%w %q: %s", ErrPeriod, s, why) }

// ParsePeriod parses a DHIS2 ISO period identifier: yyyy, yyyyMM (and yyyy-MM), yyyyMMdd,
// yyyyWn, yyyyMMB, yyyyQn, yyyySn, yyyyAprilSn, yyyyApril, yyyyJuly, yyyyOct, and Ting's yyyyTn
// (see FourMonthly). Bi-weekly, weekly-from-another-weekday and six-monthly-November periods are
// not supported.
func ParsePeriod(s string) (Period, error) {
	if len(s) < 4 {
		return Period{}, periodError(s, "too short")
	}
	y, ok := digits(s[:4])
	if !ok || y == 0 {
		return Period{}, periodError(s, "must start with a four-digit year from 0001")
	}
	rest := s[4:]
	bad := func(why string) (Period, error) { return Period{}, periodError(s, why) }
	switch {
	case rest == "":
		return months(Yearly, y, time.January, 12), nil
	case rest == "April":
		return months(FinancialApril, y, time.April, 12), nil
	case rest == "July":
		return months(FinancialJuly, y, time.July, 12), nil
	case rest == "Oct":
		return months(FinancialOct, y, time.October, 12), nil
	case strings.HasPrefix(rest, "AprilS"):
		n, ok := index(rest[6:], 2)
		if !ok {
			return bad("six-month number must be 1 or 2")
		}
		return months(SixMonthlyApril, y, time.April+time.Month(6*(n-1)), 6), nil
	case rest[0] == 'Q':
		n, ok := index(rest[1:], 4)
		if !ok {
			return bad("quarter must be 1 to 4")
		}
		return months(Quarterly, y, time.Month(3*n-2), 3), nil
	case rest[0] == 'S':
		n, ok := index(rest[1:], 2)
		if !ok {
			return bad("six-month number must be 1 or 2")
		}
		return months(SixMonthly, y, time.Month(6*n-5), 6), nil
	case rest[0] == 'T':
		n, ok := index(rest[1:], 3)
		if !ok {
			return bad("four-month number must be 1 to 3")
		}
		return months(FourMonthly, y, time.Month(4*n-3), 4), nil
	case rest[0] == 'W':
		// DHIS2 writes 2004W1; the zero-padded 2004W01 some systems write is read too.
		n, ok := digits(rest[1:])
		if !ok || len(rest) > 3 || n < 1 || n > isoWeeks(y) {
			return bad(fmt.Sprintf("%d has %d ISO weeks", y, isoWeeks(y)))
		}
		start := isoWeek1(y).AddDate(0, 0, 7*(n-1))
		return Period{Type: Weekly, Start: start, End: start.AddDate(0, 0, 6)}, nil
	case len(rest) == 3 && rest[2] == 'B':
		n, ok := digits(rest[:2])
		if !ok || n < 1 || n > 6 {
			return bad("bi-month must be 01 to 06")
		}
		return months(BiMonthly, y, time.Month(2*n-1), 2), nil
	case len(rest) == 2, len(rest) == 3 && rest[0] == '-':
		m, ok := digits(rest[len(rest)-2:])
		if !ok || m < 1 || m > 12 {
			return bad("month must be 01 to 12")
		}
		return months(Monthly, y, time.Month(m), 1), nil
	case len(rest) == 4:
		m, ok1 := digits(rest[:2])
		d, ok2 := digits(rest[2:])
		if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
			return bad("not a calendar date")
		}
		day := date(y, time.Month(m), d)
		return Period{Type: Daily, Start: day, End: day}, nil
	}
	return bad("unknown period format")
}

func daysIn(y int, m time.Month) int { return date(y, m+1, 0).Day() }

// FormatPeriod returns the DHIS2 identifier of p (Monthly as yyyyMM). It refuses a Period whose
// dates are not those of a period of its type, so a hand-built Period cannot be sent mislabelled.
func FormatPeriod(p Period) (string, error) {
	y, m, d := p.Start.Date()
	if y < 0 || y > 9999 {
		return "", periodError(p.Type, "year out of range")
	}
	var s string
	switch p.Type {
	case Daily:
		s = fmt.Sprintf("%04d%02d%02d", y, m, d)
	case Weekly:
		wy, w := p.Start.ISOWeek()
		s = fmt.Sprintf("%04dW%d", wy, w)
	case Monthly:
		s = fmt.Sprintf("%04d%02d", y, m)
	case BiMonthly:
		s = fmt.Sprintf("%04d%02dB", y, (m+1)/2)
	case Quarterly:
		s = fmt.Sprintf("%04dQ%d", y, (m+2)/3)
	case FourMonthly:
		s = fmt.Sprintf("%04dT%d", y, (m+3)/4)
	case SixMonthly:
		s = fmt.Sprintf("%04dS%d", y, (m+5)/6)
	case SixMonthlyApril:
		n := 1
		if m != time.April {
			n = 2
		}
		s = fmt.Sprintf("%04dAprilS%d", y, n)
	case Yearly:
		s = fmt.Sprintf("%04d", y)
	case FinancialApril:
		s = fmt.Sprintf("%04dApril", y)
	case FinancialJuly:
		s = fmt.Sprintf("%04dJuly", y)
	case FinancialOct:
		s = fmt.Sprintf("%04dOct", y)
	default:
		return "", periodError(p.Type, "unknown period type")
	}
	// Parse what we wrote: it must give back exactly p, or p's dates do not fit its type.
	if q, err := ParsePeriod(s); err != nil || q != p {
		return "", periodError(s, fmt.Sprintf("%s to %s is not a %s period",
			p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), p.Type))
	}
	return s, nil
}

// splitADXPeriod splits an ADX period "2012-01-01/P1M" into its start date and its duration's
// number and unit (D, W, M or Y). ADX allows a date-time start; DHIS2's periods all start on a
// day, so only a date is accepted.
func splitADXPeriod(s string) (time.Time, adxDuration, error) {
	start, dur, ok := strings.Cut(s, "/")
	if !ok {
		return time.Time{}, adxDuration{}, periodError(s, "ADX periods are start/duration, as 2012-01-01/P1M")
	}
	t, err := time.Parse(time.DateOnly, start)
	if err != nil || t.Format(time.DateOnly) != start {
		return time.Time{}, adxDuration{}, periodError(s, "start must be a date, yyyy-MM-dd")
	}
	if len(dur) < 3 || dur[0] != 'P' || !strings.ContainsRune("DWMY", rune(dur[len(dur)-1])) {
		return time.Time{}, adxDuration{}, periodError(s, "duration must be PnD, PnW, PnM or PnY")
	}
	n, ok := index(dur[1:len(dur)-1], 9999)
	if !ok {
		return time.Time{}, adxDuration{}, periodError(s, "duration must be PnD, PnW, PnM or PnY")
	}
	return t, adxDuration{n: n, unit: dur[len(dur)-1]}, nil
}

type adxDuration struct {
	n    int
	unit byte
}

func (d adxDuration) String() string { return "P" + strconv.Itoa(d.n) + string(d.unit) }

// ParseADXPeriod turns an ADX period ("2012-01-01/P1M") into a Period, following DHIS2's table
// of ADX periods: P1D daily, P7D weekly (Monday start only), P1M monthly, P2M bi-monthly, P3M
// quarterly, P6M six-monthly (January/July) or six-monthly April (April/October), P1Y yearly or
// financial April/July/October by start month; and Ting's P4M four-monthly (January, May,
// September). The start must be the first day of such a period.
func ParseADXPeriod(s string) (Period, error) {
	start, dur, err := splitADXPeriod(s)
	if err != nil {
		return Period{}, err
	}
	var p Period
	switch m := start.Month(); dur.String() {
	case "P1D":
		p = Period{Type: Daily, Start: start, End: start}
	case "P7D":
		p = Period{Type: Weekly, Start: start, End: start.AddDate(0, 0, 6)}
	case "P1M":
		p = months(Monthly, start.Year(), m, 1)
	case "P2M":
		p = months(BiMonthly, start.Year(), m, 2)
	case "P3M":
		p = months(Quarterly, start.Year(), m, 3)
	case "P4M":
		p = months(FourMonthly, start.Year(), m, 4)
	case "P6M":
		typ := SixMonthly
		if m == time.April || m == time.October {
			typ = SixMonthlyApril
		}
		p = months(typ, start.Year(), m, 6)
	case "P1Y":
		typ := map[time.Month]string{time.April: FinancialApril, time.July: FinancialJuly,
			time.October: FinancialOct}[m]
		if typ == "" {
			typ = Yearly
		}
		p = months(typ, start.Year(), m, 12)
	default:
		return Period{}, periodError(s, "unsupported duration "+dur.String())
	}
	// months() starts on the 1st whatever day was given; FormatPeriod refuses a start that is not
	// where a period of the type begins (2012-02-01/P3M, a Tuesday with P7D …).
	if !p.Start.Equal(start) {
		return Period{}, periodError(s, fmt.Sprintf("a %s period cannot start on %s", p.Type, start.Format(time.DateOnly)))
	}
	if _, err := FormatPeriod(p); err != nil {
		return Period{}, periodError(s, fmt.Sprintf("a %s period cannot start on %s", p.Type, start.Format(time.DateOnly)))
	}
	return p, nil
}

// FormatADXPeriod writes p in ADX form, "2012-01-01/P1M".
func FormatADXPeriod(p Period) (string, error) {
	if _, err := FormatPeriod(p); err != nil { // p must be a well-formed period of its type
		return "", err
	}
	dur := map[string]string{Daily: "P1D", Weekly: "P7D", Monthly: "P1M", BiMonthly: "P2M",
		Quarterly: "P3M", FourMonthly: "P4M", SixMonthly: "P6M", SixMonthlyApril: "P6M",
		Yearly: "P1Y", FinancialApril: "P1Y", FinancialJuly: "P1Y", FinancialOct: "P1Y"}[p.Type]
	return p.Start.Format(time.DateOnly) + "/" + dur, nil
}
