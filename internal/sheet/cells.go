package sheet

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// excelEpoch is day 0 of Excel's date serial numbers (correct from 1 March 1900 on).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// NormDate rewrites the date spellings spreadsheets produce as YYYY-MM-DD; anything else is
// returned unchanged for the date rule to report. serial admits Excel's day numbers (the raw
// value of a date cell in a workbook).
func NormDate(s string, serial bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for _, layout := range []string{time.DateOnly, "2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	if serial {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 61 && f < 2958466 && f == math.Trunc(f) {
			return excelEpoch.AddDate(0, 0, int(f)).Format(time.DateOnly)
		}
	}
	return s
}

// Spreadsheet programs run a cell that starts with one of these as a formula, so an export
// puts an apostrophe before such cells and an import takes it off again.
const formulaStart = "=+-@\t\r"

// GuardFormula prefixes an apostrophe to a cell a spreadsheet program would run as a formula.
func GuardFormula(s string) string {
	t := strings.TrimLeft(s, "'")
	if t != "" && strings.ContainsRune(formulaStart, rune(t[0])) {
		return "'" + s
	}
	return s
}

// UnguardFormula takes off the apostrophe GuardFormula put on.
func UnguardFormula(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	t := strings.TrimLeft(s, "'")
	if t != "" && strings.ContainsRune(formulaStart, rune(t[0])) {
		return s[1:]
	}
	return s
}
