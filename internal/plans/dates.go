package plans

import (
	"fmt"
	"time"
)

// Dates in Ting are TEXT 'YYYY-MM-DD'. These helpers do the calendar arithmetic the agreement
// rules need on such strings; every time value is a UTC midnight.

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

func formatDate(t time.Time) string { return t.Format(time.DateOnly) }

// addMonths moves t by n calendar months, keeping the day of the month where it exists and
// clamping to the month's last day where it does not (31 January + 1 month = 28/29 February).
// time.AddDate would instead spill over into March, which no agreement means by "one month".
func addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := min(t.Day(), last)
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC)
}

func daysBetween(from, to time.Time) int {
	return int(to.Sub(from).Hours() / 24)
}

// AddMonths returns date moved by n calendar months, clamped to the end of a shorter month.
func AddMonths(date string, n int) (string, error) {
	t, err := parseDate(date)
	if err != nil {
		return "", err
	}
	return formatDate(addMonths(t, n)), nil
}

// AddDays returns date moved by n days.
func AddDays(date string, n int) (string, error) {
	t, err := parseDate(date)
	if err != nil {
		return "", err
	}
	return formatDate(t.AddDate(0, 0, n)), nil
}

// DaysBetween returns the number of days from from to to (negative when to is earlier).
func DaysBetween(from, to string) (int, error) {
	f, err := parseDate(from)
	if err != nil {
		return 0, err
	}
	t, err := parseDate(to)
	if err != nil {
		return 0, err
	}
	return daysBetween(f, t), nil
}

// spanMonths measures an inclusive date range [start, end] as whole calendar months and the days
// left over: 2010-03-01..2011-02-28 is 12 months and 0 days, 2010-03-01..2010-07-15 is 4 months
// and 15 days. Months are counted from start with addMonths, so a range starting on the 31st
// behaves as its users expect.
func spanMonths(start, end time.Time) (months, days int) {
	next := end.AddDate(0, 0, 1) // exclusive end
	// Start one short of the difference in calendar months (never past next), then step.
	months = max(0, (next.Year()-start.Year())*12+int(next.Month())-int(start.Month())-1)
	for addMonths(start, months+1).Compare(next) <= 0 {
		months++
	}
	return months, daysBetween(addMonths(start, months), next)
}
